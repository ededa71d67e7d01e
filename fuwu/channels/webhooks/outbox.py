"""The write path: a case change's events become deliveries, in the change's transaction.

`record` runs on every case change (`fuwu.cases.flow.Change.finish`), so it must cost nothing
when nobody subscribes. The active subscriptions (id, site, kinds: a few rows) are kept in
Django's cache; any save or delete of a subscription forgets them, now and again after commit
(a process reading between the two would otherwise cache the rows it saw before the commit).
Entries live `CACHE_SECONDS`, which bounds how long another process with its own local-memory
cache can lag; with a shared cache (FUWU_CACHE_DIR) a change is seen at once.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from fuwu.cases.models import Case, Event
from fuwu.channels.webhooks import payload
from fuwu.channels.webhooks.choices import DeliveryStatus
from fuwu.channels.webhooks.models import WebhookDelivery, WebhookSubscription

CACHE_KEY = "fuwu:webhooks:active"
CACHE_SECONDS = 30


@dataclass(frozen=True)
class Active:
    id: int
    site_id: int | None
    kinds: frozenset[str]

    def wants(self, site_id: int, kind: str) -> bool:
        return (self.site_id is None or self.site_id == site_id) and (
            not self.kinds or kind in self.kinds
        )


def active_subscriptions() -> tuple[Active, ...]:
    """The active subscriptions, from the cache (one query when it has none)."""
    hit = cache.get(CACHE_KEY)
    if hit is not None:
        return hit  # type: ignore[no-any-return]
    rows = tuple(
        Active(id=pk, site_id=site_id, kinds=frozenset(kinds or ()))
        for pk, site_id, kinds in WebhookSubscription.objects.filter(active=True)
        .order_by("pk")
        .values_list("pk", "site_id", "event_kinds")
    )
    cache.set(CACHE_KEY, rows, CACHE_SECONDS)
    return rows


def forget_subscriptions() -> None:
    cache.delete(CACHE_KEY)
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(lambda: cache.delete(CACHE_KEY))


def record(case: Case, events: Sequence[Event]) -> list[WebhookDelivery]:
    """One delivery per event and matching subscription, written with the events, and one
    `deliver` task with their ids (the database task backend: it commits with the change).
    Call inside the change's transaction, after the events are written (they need their ids)."""
    subscriptions = active_subscriptions()
    if not subscriptions:
        return []
    wanted = [(s, e) for e in events for s in subscriptions if s.wants(case.site_id, e.kind)]
    if not wanted:
        return []
    now = timezone.now()
    case_part = payload.case_payload(case)
    event_parts = {e.pk: payload.event_payload(e) for e in events}
    rows = []
    for subscription, event in wanted:
        delivery_id = uuid.uuid4()
        rows.append(
            WebhookDelivery(
                id=delivery_id,
                subscription_id=subscription.id,
                case_id=case.pk,
                event_id=event.pk,
                kind=event.kind,
                body=payload.body(delivery_id, event_parts[event.pk], case_part),
                status=DeliveryStatus.QUEUED,
                queued_at=now,
                created_at=now,
            )
        )
    WebhookDelivery.objects.bulk_create(rows)
    from fuwu.channels.webhooks.tasks import deliver

    deliver.enqueue([str(r.id) for r in rows])
    return rows
