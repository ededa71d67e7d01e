"""Notices to customers: what to tell them when their case moves, on the channel that reaches
them, sent by the worker (never inside a request or a transaction).

`queue_notice` writes a `Delivery` row and enqueues `deliver(id)` in the caller's transaction
(database task backend: the task exists iff the change does). `attempt` claims the row with a
conditional update, calls the channel's sender (`fuwu.channels.senders`) and records the
outcome: sent, or retrying after an exponential backoff, or failed after
`settings.FUWU_DELIVERY_ATTEMPTS` attempts. `retry_due` (the worker's sweep) tries what is due
again. A provider that is down delays a notice; it never loses it nor fails the staff action
that caused it. Non-urgent notices wait out the site's quiet hours (`FUWU_QUIET_HOURS`).

`notices_for(change)` is called by `fuwu.cases.flow.Change.finish` for every change of a case
with a customer and decides whether the customer hears of it: the case received, moved to a
step the customer is told about (the procedure's `portal.progress`), answered by staff (a
public comment), resolved.
"""

from __future__ import annotations

import logging
from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from fuwu.cases.choices import Channel, EventKind, Priority
from fuwu.cases.models import Case
from fuwu.channels.choices import DeliveryStatus, Medium, NoticeKind
from fuwu.channels.models import Delivery, Identity
from fuwu.channels.senders import PermanentError, sender_for, sender_paths
from fuwu.channels.templates import render
from fuwu.customers.models import Customer
from fuwu.scheduling.reminders import PREFERENCE

if TYPE_CHECKING:
    from fuwu.cases.flow import Change

log = logging.getLogger("fuwu.channels")

# The order channels are tried in when the customer has no preference (or it cannot reach them).
NOTICE_ORDER = (Medium.WECHAT, Medium.EMAIL, Medium.SMS)
LOCK = timedelta(minutes=5)  # a claimed row another worker may take over after this
DUE = (DeliveryStatus.QUEUED, DeliveryStatus.RETRYING)


# -- which notice a change calls for ---------------------------------------------------------


def notices_for(change: Change) -> Delivery | None:
    """At most one notice per change, the weightiest: received; what the procedure tells the
    customer at this moment; resolved; a step described to customers; a staff reply."""
    case = change.case
    if case.customer_id is None or change.actor.is_customer:
        return None  # the customer did it themselves (the portal shows it to them)
    kinds = [kind for kind, _ in change.events]
    data: dict[str, Any] = {}
    if EventKind.OPENED in kinds:
        if case.channel == Channel.SYSTEM:
            return None
        kind = NoticeKind.OPENED
    elif change.customer_messages:
        # The procedure's own words for this moment (a `notify: {to: customer}` effect).
        language = case.customer.language if case.customer else "zh-hans"
        text = " ".join(m.get(language) for m in change.customer_messages)
        kind, data = NoticeKind.PROGRESS, {"progress": text}
    elif change.resolves:
        kind = NoticeKind.RESOLVED
    elif change.before.get("step") != case.step and case.step in change.procedure.portal.progress:
        kind = NoticeKind.PROGRESS
    else:
        replies = [
            d
            for k, d in change.events
            if k == EventKind.COMMENTED and not d.get("internal") and not d.get("via")
        ]
        if not replies or change.actor.is_system:
            return None
        kind, data = NoticeKind.REPLY, {"text": str(replies[-1].get("text", ""))}
    customer = case.customer
    assert customer is not None
    return queue_notice(case, customer, kind, data)


# -- writing a notice ------------------------------------------------------------------------


def reachable(customer: Customer) -> dict[str, str]:
    """The channels (that have a sender) this customer can be reached on, with their address."""
    senders = sender_paths()
    out: dict[str, str] = {}
    if Medium.WECHAT in senders:
        identity = (
            Identity.objects.filter(customer=customer, channel=Medium.WECHAT)
            .order_by("-created_at")
            .first()
        )
        if identity is not None:
            out[Medium.WECHAT] = identity.value
    if Medium.EMAIL in senders and customer.email:
        out[Medium.EMAIL] = customer.email
    if Medium.SMS in senders and customer.phone:
        out[Medium.SMS] = customer.phone
    return out


def choose(customer: Customer) -> tuple[str, str] | None:
    """The customer's preferred channel (`preferences["contact_channel"]`, the key the
    appointment reminders read too) when it reaches them, else the first in `NOTICE_ORDER`
    that does; None when none does."""
    addresses = reachable(customer)
    preferred = (customer.preferences or {}).get(PREFERENCE)
    for channel in [preferred, *NOTICE_ORDER]:
        if channel in addresses:
            return str(channel), addresses[channel]
    return None


def quiet_until(moment: datetime, tz: str) -> datetime | None:
    """The end of the quiet hours `moment` falls in (site time), or None outside them."""
    spec = getattr(settings, "FUWU_QUIET_HOURS", "")
    if not spec:
        return None
    start_text, _, end_text = spec.partition("-")
    start, end = time.fromisoformat(start_text.strip()), time.fromisoformat(end_text.strip())
    local = moment.astimezone(ZoneInfo(tz))
    now = local.time()
    inside = (start <= now or now < end) if start > end else (start <= now < end)
    if not inside:
        return None
    day = local.date() if now < end else local.date() + timedelta(days=1)
    return datetime.combine(day, end, tzinfo=ZoneInfo(tz))


def values_for(
    case: Case, customer: Customer, language: str, data: dict[str, Any]
) -> dict[str, Any]:
    from fuwu.procedures.registry import definition_of

    procedure = definition_of(case.procedure)
    progress = procedure.portal.progress.get(case.step)
    step = procedure.steps.get(case.step)
    return {
        "number": case.number,
        "title": case.title,
        "customer": customer.name,
        "site": case.site.name,
        "procedure": (procedure.portal.name or procedure.name).get(language),
        "step": step.name.get(language) if step else case.step,
        "progress": progress.get(language) if progress else "",
        **data,
    }


def queue_notice(
    case: Case, customer: Customer, kind: str, data: dict[str, Any] | None = None
) -> Delivery:
    """Render the notice in the customer's language for the channel that reaches them, write
    its `Delivery` and enqueue `deliver` (after the quiet hours unless urgent), all in the
    caller's transaction. A customer no channel reaches gets a `suppressed` row (the case
    page shows that they were not told)."""
    from fuwu.channels.tasks import deliver

    now = timezone.now()
    language = customer.language or "zh-hans"
    picked = choose(customer)
    channel, address = picked or ("", "")
    values = values_for(case, customer, language, data or {})
    subject, body = render(
        kind,
        procedure_key=case.procedure_key,
        channel=channel,
        language=language,
        values=values,
    )
    urgent = case.priority == Priority.URGENT
    later = None if urgent or picked is None else quiet_until(now, case.site.timezone)
    delivery = Delivery.objects.create(
        case=case,
        customer=customer,
        channel=channel,
        address=address,
        kind=kind,
        language=language,
        subject=subject,
        body=body,
        data={"number": case.number, **(data or {})},
        urgent=urgent,
        status=DeliveryStatus.QUEUED if picked else DeliveryStatus.SUPPRESSED,
        error="" if picked else "unreachable",
        next_attempt_at=later or now,
        created_at=now,
        updated_at=now,
    )
    if picked is not None:
        (deliver.using(run_after=later) if later else deliver).enqueue(delivery.pk)
    return delivery


# -- sending ---------------------------------------------------------------------------------


def backoff(attempts: int) -> timedelta:
    """How long after the `attempts`-th failure the next try comes: 1, 2, 4 … minutes, capped."""
    base = getattr(settings, "FUWU_DELIVERY_BACKOFF", 60)
    cap = getattr(settings, "FUWU_DELIVERY_BACKOFF_CAP", 6 * 3600)
    return timedelta(seconds=min(cap, base * 2 ** max(0, attempts - 1)))


def attempt(delivery_id: int, *, now: datetime | None = None) -> str:
    """Try to send one notice, if it is due and nobody else holds it. Returns its new status
    (or `skipped`). Never raises for a provider's failure: that is recorded on the row."""
    now = now or timezone.now()
    due = Q(status__in=DUE) & (Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
    stale = Q(status=DeliveryStatus.SENDING, locked_until__lt=now)
    with transaction.atomic():
        claimed = Delivery.objects.filter(due | stale, pk=delivery_id).update(
            status=DeliveryStatus.SENDING,
            attempts=F("attempts") + 1,
            locked_until=now + LOCK,
            updated_at=now,
        )
    if not claimed:
        return "skipped"
    delivery = Delivery.objects.select_related("case", "customer").get(pk=delivery_id)
    mine = Delivery.objects.filter(pk=delivery_id, status=DeliveryStatus.SENDING)
    try:
        sender = sender_for(delivery.channel)
        if sender is None:
            raise PermanentError(f"no sender for channel {delivery.channel!r}")
        provider_id = sender.send(delivery)
    except PermanentError as exc:
        log.warning("notice %s failed for good: %s", delivery_id, exc)
        mine.update(status=DeliveryStatus.FAILED, error=str(exc)[:500], updated_at=now)
        return DeliveryStatus.FAILED
    except Exception as exc:  # the provider is down or refused for now: try again later
        limit = getattr(settings, "FUWU_DELIVERY_ATTEMPTS", 8)
        status = DeliveryStatus.FAILED if delivery.attempts >= limit else DeliveryStatus.RETRYING
        log.warning("notice %s attempt %s failed: %s", delivery_id, delivery.attempts, exc)
        mine.update(
            status=status,
            error=f"{type(exc).__name__}: {exc}"[:500],
            next_attempt_at=now + backoff(delivery.attempts),
            locked_until=None,
            updated_at=now,
        )
        return status
    mine.update(
        status=DeliveryStatus.SENT,
        provider_id=(provider_id or "")[:255],
        sent_at=now,
        error="",
        locked_until=None,
        updated_at=now,
    )
    return DeliveryStatus.SENT


def retry_due(*, now: datetime | None = None, limit: int = 100) -> int:
    """The worker's sweep: try again what is due — retries whose time came, queued notices
    whose task was lost (a minute past due), rows a dead worker held. Returns how many sent.

    A channel whose provider fails once in a sweep is not tried again in that sweep: its other
    notices keep their turn, and the sweep (which also runs the clocks) is not held up by a
    provider that times out on every message."""
    now = now or timezone.now()
    due = list(
        Delivery.objects.filter(
            Q(status=DeliveryStatus.RETRYING, next_attempt_at__lte=now)
            | Q(status=DeliveryStatus.QUEUED, next_attempt_at__lte=now - timedelta(minutes=1))
            | Q(status=DeliveryStatus.SENDING, locked_until__lt=now)
        )
        .order_by("next_attempt_at")
        .values_list("pk", "channel")[:limit]
    )
    sent = 0
    down: set[str] = set()
    for pk, channel in due:
        if channel in down:
            continue
        status = attempt(pk, now=now)
        if status == DeliveryStatus.SENT:
            sent += 1
        elif status == DeliveryStatus.RETRYING:
            down.add(channel)
    return sent


def record_receipt(channel: str, provider_id: str, *, delivered: bool, error: str = "") -> int:
    """A provider's delivery receipt (SMS, WeChat template message): delivered or failed."""
    rows = Delivery.objects.filter(channel=channel, provider_id=provider_id).exclude(provider_id="")
    now = timezone.now()
    if delivered:
        return rows.update(status=DeliveryStatus.DELIVERED, delivered_at=now, updated_at=now)
    return rows.update(status=DeliveryStatus.FAILED, error=error[:500], updated_at=now)
