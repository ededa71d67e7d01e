"""Consultations: questions answered on the spot at intake — recorded and counted, no case opened.

A consultation has no state to move and no clock, so it does not go through the case actions;
it still has one writer (`log_consultation`) that checks the same things they would: the site is
one the actor works at, the customer belongs to it, the input is complete.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from fuwu.cases.choices import Channel
from fuwu.cases.models import Consultation
from fuwu.core.actors import Actor
from fuwu.customers.models import Customer
from fuwu.procedures.engine.errors import EngineError, FieldError, Forbidden, NotFound

TOPIC_MAX = 200
ANSWER_MAX = 10000
# A person answers a consultation; the system never does.
CHANNELS = tuple(c for c in Channel.values if c != Channel.SYSTEM)


@transaction.atomic
def log_consultation(
    actor: Actor,
    *,
    site_id: int,
    channel: str,
    topic: str,
    answer: str = "",
    customer_id: int | None = None,
    now: datetime | None = None,
) -> Consultation:
    """Record a question answered on the spot at a site the actor works at.

    Preconditions: a person (not the system) at that site; the customer, if named, is one of
    the site's; a topic. Every field problem is reported at once; nothing is written then.
    """
    if actor.is_system:
        raise Forbidden("forbidden")
    if not actor.may_see_site(site_id):
        raise NotFound("not_found", what="site")
    errors: dict[str, FieldError] = {}
    topic = (topic or "").strip()
    answer = (answer or "").strip()
    if not topic:
        errors["topic"] = FieldError("required")
    elif len(topic) > TOPIC_MAX:
        errors["topic"] = FieldError("too_long", max=TOPIC_MAX)
    if len(answer) > ANSWER_MAX:
        errors["answer"] = FieldError("too_long", max=ANSWER_MAX)
    if channel not in CHANNELS:
        errors["channel"] = FieldError("bad_choice", options=", ".join(CHANNELS))
    if (
        customer_id is not None
        and not Customer.objects.live().filter(pk=customer_id, site_id=site_id).exists()
    ):
        errors["customer"] = FieldError("required")
    if errors:
        raise EngineError("invalid_form", fields=errors)
    return Consultation.objects.create(
        site_id=site_id,
        customer_id=customer_id,
        channel=channel,
        topic=topic,
        answer=answer,
        handled_by=actor.user,
        at=now or timezone.now(),
    )


def today_bounds(now: datetime | None = None) -> tuple[datetime, datetime]:
    """Today in the server's time zone (the sites' local day), as [start, end)."""
    local = timezone.localtime(now or timezone.now())
    start = local.replace(hour=0, minute=0, second=0, microsecond=0)
    return start, start + timedelta(days=1)


def consultations_today(site_id: int, *, now: datetime | None = None) -> int:
    start, end = today_bounds(now)
    return Consultation.objects.filter(site_id=site_id, at__gte=start, at__lt=end).count()
