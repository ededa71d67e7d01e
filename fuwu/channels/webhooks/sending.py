"""The worker's side: claim a delivery, POST it, record the answer, retry later or give up.

A delivery moves `queued` → `sending` → `delivered`, or back to `pending` with its next attempt
1, 2, 4 … minutes on (capped at an hour) until FUWU_WEBHOOK_ATTEMPTS attempts have failed, then
`failed`. The periodic sweep (`queue_due`) queues the pending ones that are due. Every move is a
conditional UPDATE that goes on only if its row was in the state expected, so two workers given
the same delivery (a task run twice, a sweep racing a task) send it once.

A subscription whose deliveries fail FUWU_WEBHOOK_DISABLE_AFTER times in a row (each after all
its attempts) is disabled, and the managers of its site are told. Its pending deliveries wait:
re-enabling it (the API) resets the count and they go out. A POST is made outside any
transaction, with a short timeout; a receiver that cannot be reached puts the rest of its
deliveries in the same run back to wait, so one dead receiver costs one timeout per run.
"""

from __future__ import annotations

import http.client
import logging
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from fuwu.channels.webhooks import payload, targets
from fuwu.channels.webhooks.choices import DeliveryStatus, DisabledReason
from fuwu.channels.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookSubscription

log = logging.getLogger("fuwu.webhooks")

BACKOFF_FIRST = timedelta(minutes=1)
BACKOFF_CAP = timedelta(hours=1)
# A worker holds a delivery for one POST (timeout FUWU_WEBHOOK_TIMEOUT): one held longer was
# left by a worker that died, and goes back to wait. A queued one whose task never ran, too.
STALE_SENDING = timedelta(minutes=5)
STALE_QUEUED = timedelta(minutes=15)
BATCH = 200  # deliveries the sweep queues at a time
PER_TASK = 50  # deliveries one task sends (one receiver's, in order)
PRUNE_BATCH = 1000  # old deliveries forgotten per sweep
MANAGER_ROLES = ("manager", "admin")


def log_days() -> int:
    return int(getattr(settings, "FUWU_WEBHOOK_LOG_DAYS", 30))


def max_attempts() -> int:
    return int(getattr(settings, "FUWU_WEBHOOK_ATTEMPTS", 10))


def disable_after() -> int:
    return int(getattr(settings, "FUWU_WEBHOOK_DISABLE_AFTER", 5))


def timeout() -> float:
    return float(getattr(settings, "FUWU_WEBHOOK_TIMEOUT", 10.0))


def backoff(attempts: int) -> timedelta:
    """The wait after the `attempts`-th failed attempt: 1, 2, 4 … minutes, at most an hour."""
    return min(BACKOFF_CAP, BACKOFF_FIRST * 2 ** max(0, attempts - 1))


def claim(delivery_id: str, *, now: datetime | None = None) -> WebhookDelivery | None:
    """Take a queued delivery for this worker, or None when another has it (or it is done).
    A delivery of a disabled subscription goes back to wait for its re-enabling."""
    now = now or timezone.now()
    taken = WebhookDelivery.objects.filter(pk=delivery_id, status=DeliveryStatus.QUEUED).update(
        status=DeliveryStatus.SENDING, claimed_at=now
    )
    if not taken:
        return None
    delivery = WebhookDelivery.objects.select_related("subscription").filter(pk=delivery_id).first()
    if delivery is None:
        return None  # its subscription was deleted meanwhile, and the log with it
    if not delivery.subscription.active:
        _release(delivery, now)
        return None
    return delivery


def _release(delivery: WebhookDelivery, at: datetime) -> None:
    WebhookDelivery.objects.filter(pk=delivery.pk, status=DeliveryStatus.SENDING).update(
        status=DeliveryStatus.PENDING, next_attempt_at=at, claimed_at=None
    )


@dataclass(frozen=True)
class Outcome:
    ok: bool
    status_code: int | None
    response: str
    error: str
    duration_ms: int
    unreachable: bool  # no answer at all: the receiver is down, refused or not allowed


def post(delivery: WebhookDelivery) -> Outcome:
    """The POST itself, outside any transaction."""
    subscription = delivery.subscription
    stamp = int(time.time())
    headers = payload.headers(delivery.id, delivery.kind, subscription.secret, delivery.body, stamp)
    started = time.monotonic()
    try:
        target = targets.resolve(subscription.url)
        answer = targets.post(target, delivery.body.encode(), headers, timeout=timeout())
    except targets.Refused as exc:
        return Outcome(False, None, "", str(exc)[:500], 0, True)
    except (OSError, http.client.HTTPException) as exc:
        error = f"{type(exc).__name__}: {exc}"[:500]
        return Outcome(False, None, "", error, int((time.monotonic() - started) * 1000), True)
    ok = 200 <= answer.status < 300
    error = "" if ok else f"HTTP {answer.status}"
    return Outcome(ok, answer.status, answer.body, error, answer.duration_ms, False)


def deliver(delivery_ids: list[str]) -> int:
    """Send each queued delivery of the list this worker can claim; returns how many arrived."""
    delivered = 0
    down: dict[int, datetime] = {}  # receivers that did not answer in this run: their next try
    for delivery_id in delivery_ids:
        delivery = claim(delivery_id)
        if delivery is None:
            continue
        if delivery.subscription_id in down:
            _release(delivery, down[delivery.subscription_id])
            continue
        outcome = post(delivery)
        next_at = record(delivery, outcome)
        if outcome.ok:
            delivered += 1
        elif outcome.unreachable:
            down[delivery.subscription_id] = next_at or timezone.now() + BACKOFF_FIRST
    return delivered


@transaction.atomic
def record(
    delivery: WebhookDelivery, outcome: Outcome, *, now: datetime | None = None
) -> datetime | None:
    """Write the attempt and move the delivery on; returns its next attempt's time, if any."""
    now = now or timezone.now()
    WebhookAttempt.objects.create(
        delivery=delivery,
        at=now,
        duration_ms=outcome.duration_ms,
        status_code=outcome.status_code,
        response=outcome.response,
        error=outcome.error,
        ok=outcome.ok,
    )
    attempts = delivery.attempts + 1
    common: dict[str, Any] = {
        "attempts": attempts,
        "last_attempt_at": now,
        "last_status_code": outcome.status_code,
        "last_error": outcome.error,
        "claimed_at": None,
    }
    mine = WebhookDelivery.objects.filter(pk=delivery.pk, status=DeliveryStatus.SENDING)
    subscription = WebhookSubscription.objects.filter(pk=delivery.subscription_id)
    if outcome.ok:
        mine.update(
            status=DeliveryStatus.DELIVERED, delivered_at=now, next_attempt_at=None, **common
        )
        subscription.filter(consecutive_failures__gt=0).update(consecutive_failures=0)
        return None
    if attempts < max_attempts():
        next_at = now + backoff(attempts)
        mine.update(status=DeliveryStatus.PENDING, next_attempt_at=next_at, **common)
        return next_at
    mine.update(status=DeliveryStatus.FAILED, next_attempt_at=None, **common)
    subscription.update(consecutive_failures=F("consecutive_failures") + 1)
    failures = subscription.values_list("consecutive_failures", flat=True).first() or 0
    if failures >= disable_after():
        disable_for_failures(delivery.subscription_id, failures, outcome.error, now=now)
    return None


def disable_for_failures(subscription_id: int, failures: int, error: str, *, now: datetime) -> bool:
    """Disable the subscription (once: only the worker that flips it tells anyone) and tell
    the managers of its site (all sites: the administrators), and whoever created it."""
    from fuwu.notifications.services import notify

    detail = f"{failures} consecutive failed deliveries; last: {error}"[:300]
    flipped = WebhookSubscription.objects.filter(pk=subscription_id, active=True).update(
        active=False,
        disabled_at=now,
        disabled_reason=DisabledReason.FAILURES,
        disabled_detail=detail,
        updated_at=now,
    )
    if not flipped:
        return False
    from fuwu.channels.webhooks.outbox import forget_subscriptions

    forget_subscriptions()  # an UPDATE sends no save signal
    subscription = WebhookSubscription.objects.select_related("site").get(pk=subscription_id)
    log.warning("webhook subscription %s disabled: %s", subscription_id, detail)
    notify(
        managers_of(subscription),
        case=None,
        kind="webhook_disabled",
        data={
            "subscription": subscription.pk,
            "name": subscription.name or subscription.url,
            "url": subscription.url,
            "site": subscription.site.code if subscription.site else None,
            "failures": failures,
            "error": error,
        },
    )
    return True


def managers_of(subscription: WebhookSubscription) -> list[Any]:
    users = get_user_model().objects.filter(is_active=True)
    if subscription.site_id is not None:
        who = Q(staff__sites=subscription.site_id, staff__roles__code__in=MANAGER_ROLES)
    else:
        who = Q(staff__roles__code="admin") | Q(is_superuser=True)
    if subscription.created_by_id is not None:
        who |= Q(pk=subscription.created_by_id)
    return list(users.filter(who).distinct().order_by("pk"))


def prune_log(*, now: datetime | None = None) -> int:
    """Forget delivered and failed deliveries older than FUWU_WEBHOOK_LOG_DAYS, a batch at a
    time: their bodies carry the case's personal values, which must not outlive the case's own
    retention (`fuwu.customers.retention`), and the log is for recent trouble."""
    now = now or timezone.now()
    old = WebhookDelivery.objects.filter(
        created_at__lt=now - timedelta(days=log_days()),
        status__in=[DeliveryStatus.DELIVERED, DeliveryStatus.FAILED],
    )
    ids = list(old.order_by("created_at").values_list("pk", flat=True)[:PRUNE_BATCH])
    if not ids:
        return 0
    WebhookAttempt.objects.filter(delivery_id__in=ids).delete()
    return WebhookDelivery.objects.filter(pk__in=ids).delete()[0]


def queue_due(*, now: datetime | None = None) -> int:
    """The periodic sweep: queue the deliveries whose next attempt is due (one task per
    receiver's batch), after putting back what a dead worker or a lost task left claimed;
    then prune the old log."""
    from fuwu.channels.webhooks.tasks import deliver as deliver_task

    now = now or timezone.now()
    prune_log(now=now)
    WebhookDelivery.objects.filter(
        status=DeliveryStatus.SENDING, claimed_at__lt=now - STALE_SENDING
    ).update(status=DeliveryStatus.PENDING, next_attempt_at=now, claimed_at=None)
    WebhookDelivery.objects.filter(
        status=DeliveryStatus.QUEUED, queued_at__lt=now - STALE_QUEUED
    ).update(status=DeliveryStatus.PENDING, next_attempt_at=now)
    due = list(
        WebhookDelivery.objects.filter(
            status=DeliveryStatus.PENDING, next_attempt_at__lte=now, subscription__active=True
        )
        .order_by("next_attempt_at", "created_at")
        .values_list("pk", "subscription_id")[:BATCH]
    )
    if not due:
        return 0
    by_receiver: dict[int, list[str]] = defaultdict(list)
    for pk, subscription_id in due:
        by_receiver[subscription_id].append(str(pk))
    with transaction.atomic():
        # Two sweeps racing may both queue a task for a row; its claim lets one worker send it.
        WebhookDelivery.objects.filter(
            pk__in=[pk for pk, _ in due], status=DeliveryStatus.PENDING
        ).update(status=DeliveryStatus.QUEUED, queued_at=now)
        for ids in by_receiver.values():
            for start in range(0, len(ids), PER_TASK):
                deliver_task.enqueue(ids[start : start + PER_TASK])
    return len(due)
