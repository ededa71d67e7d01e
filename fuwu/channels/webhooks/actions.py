"""Managing webhooks: who may, what a subscription may say, replaying a delivery.

Managers (and VPs, specialists, administrators) manage the subscriptions of the sites they work
on; a subscription to every site, and the ones without a site, are for administrators (the
`admin` role, or a superuser). Anyone else gets 403; a subscription or delivery the caller may
not see is a 404. Bad input is refused whole (`invalid_form`, with a message per field) and
writes nothing.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from fuwu.cases.choices import EventKind
from fuwu.channels.webhooks.choices import DeliveryStatus, DisabledReason
from fuwu.channels.webhooks.models import WebhookDelivery, WebhookSubscription
from fuwu.channels.webhooks.targets import check_url
from fuwu.core.actors import Actor
from fuwu.core.models import Site
from fuwu.procedures.engine.errors import Conflict, EngineError, FieldError, Forbidden, NotFound

SECRET_PREFIX = "fwhk_"


def may_manage_all(actor: Actor) -> bool:
    return actor.superuser or "admin" in actor.roles


def subscriptions_for(actor: Actor) -> QuerySet[WebhookSubscription]:
    """The subscriptions the actor manages; 403 for anyone who is not a manager."""
    if not actor.is_manager:
        raise Forbidden("forbidden")
    rows = WebhookSubscription.objects.select_related("site")
    if actor.superuser:
        return rows
    if may_manage_all(actor):
        return rows.filter(Q(site__isnull=True) | Q(site_id__in=actor.site_ids))
    return rows.filter(site_id__in=actor.site_ids)


def deliveries_for(actor: Actor) -> QuerySet[WebhookDelivery]:
    return WebhookDelivery.objects.filter(subscription__in=subscriptions_for(actor))


def subscription_for(actor: Actor, subscription_id: int) -> WebhookSubscription:
    row = subscriptions_for(actor).filter(pk=subscription_id).first()
    if row is None:
        raise NotFound("not_found", what="webhook subscription")
    return row


@dataclass(frozen=True)
class Checked:
    url: str
    kinds: list[str]
    site: Site | None


def check_input(actor: Actor, url: str, events: list[str], site_code: str | None) -> Checked:
    fields: dict[str, FieldError] = {}
    url = url.strip()
    problem = check_url(url)
    if problem is not None:
        fields["url"] = problem
    kinds = list(dict.fromkeys(e.strip() for e in events))
    unknown = [k for k in kinds if k not in EventKind.values]
    if unknown:
        fields["events"] = FieldError("bad_choice", options=", ".join(EventKind.values))
    site = None
    if site_code:
        site = Site.objects.filter(code=site_code).first()
        if site is None or not actor.may_see_site(site.pk):
            fields["site"] = FieldError("bad_choice", options="")
    elif not may_manage_all(actor):
        fields["site"] = FieldError("webhook_site_required")
    if fields:
        raise EngineError("invalid_form", fields=fields)
    return Checked(url=url, kinds=kinds, site=site)


@transaction.atomic
def create_subscription(
    actor: Actor, *, url: str, events: list[str], site: str | None, name: str = ""
) -> tuple[WebhookSubscription, str]:
    """A new active subscription and its secret (returned once: only its start is shown later)."""
    if not actor.is_manager:
        raise Forbidden("forbidden")
    checked = check_input(actor, url, events, site)
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    now = timezone.now()
    row = WebhookSubscription.objects.create(
        name=name.strip()[:100],
        url=checked.url,
        secret=secret,
        event_kinds=checked.kinds,
        site=checked.site,
        created_by=actor.user,
        created_at=now,
        updated_at=now,
    )
    return row, secret


@transaction.atomic
def update_subscription(
    actor: Actor,
    subscription_id: int,
    *,
    changes: dict[str, Any],
) -> WebhookSubscription:
    """Change what `changes` names (`name`, `url`, `events`, `site`, `active`). Enabling a
    disabled subscription resets its failure count; its waiting deliveries then go out.
    Disabling it by hand keeps them waiting."""
    row = subscription_for(actor, subscription_id)
    row = (
        WebhookSubscription.objects.select_for_update(of=("self",))
        .select_related("site")
        .get(pk=row.pk)
    )
    checked = check_input(
        actor,
        changes.get("url", row.url),
        changes.get("events", row.event_kinds),
        changes.get("site", row.site.code if row.site else None),
    )
    now = timezone.now()
    row.name = str(changes.get("name", row.name)).strip()[:100]
    row.url, row.event_kinds, row.site = checked.url, checked.kinds, checked.site
    active = changes.get("active")
    if active is True and not row.active:
        row.active = True
        row.consecutive_failures = 0
        row.disabled_at, row.disabled_reason, row.disabled_detail = None, "", ""
    elif active is False and row.active:
        row.active = False
        row.disabled_at, row.disabled_reason, row.disabled_detail = now, DisabledReason.MANUAL, ""
    row.updated_at = now
    row.save()
    return row


@transaction.atomic
def delete_subscription(actor: Actor, subscription_id: int) -> None:
    """Delete a subscription with its delivery log."""
    subscription_for(actor, subscription_id).delete()


@transaction.atomic
def replay(actor: Actor, delivery_id: UUID) -> WebhookDelivery:
    """Send a delivery again, as it was (same id, same body, newly signed): a new round of
    attempts, queued now. Refused while it is queued or being sent, and for a disabled
    subscription (enable it first)."""
    from fuwu.channels.webhooks.tasks import deliver

    delivery = deliveries_for(actor).select_related("subscription").filter(pk=delivery_id).first()
    if delivery is None:
        raise NotFound("not_found", what="webhook delivery")
    if not delivery.subscription.active:
        raise Conflict("webhook_disabled")
    now = timezone.now()
    queued = WebhookDelivery.objects.filter(
        pk=delivery.pk,
        status__in=[DeliveryStatus.PENDING, DeliveryStatus.DELIVERED, DeliveryStatus.FAILED],
    ).update(
        status=DeliveryStatus.QUEUED,
        queued_at=now,
        next_attempt_at=None,
        attempts=0,
        replays=F("replays") + 1,
    )
    if not queued:
        raise Conflict("webhook_in_flight")
    deliver.enqueue([str(delivery.pk)])
    delivery.refresh_from_db()
    return delivery
