"""The retention period for personal data (PIPL): what `fuwu privacy anonymise` erases.

After `FUWU_RETENTION_YEARS` (default 3; 0 keeps everything) from a case's closing:
- the case's values of fields marked `personal:` (names, phone numbers, ID-card numbers,
  addresses, in line items too) become `ANONYMISED` ("***"), in `Case.data` and in the
  `values` its events carry (the opening event, each step's form, a parallel task's);
- its customer's name, phone number and e-mail address are erased as well, once none of the
  customer's cases is open or closed within the period (nor the record itself newer), unless a
  portal account of theirs was used within the period: `RecordChange` rows of that customer
  lose the old values too, and one `anonymised` row records that it happened (without values).

The event log stays the truth for everything else. `fuwu events verify` rebuilds a case's
step, status, owning department and assignee from the events' `set`, which this never touches,
so it agrees afterwards as before (the rule: anonymisation rewrites personal *values* only,
never `set`, ids, kinds or times). On PostgreSQL the append-only trigger of the event table is
switched off for the rewrite inside the same transaction (`ALTER TABLE … DISABLE TRIGGER` is
transactional: no other transaction ever sees it off, they wait for the lock instead), so the
database still refuses every other UPDATE of an event. Running it twice changes nothing more.

Left as they are: free text (titles, descriptions, comments), attachments, and the e-mail a
portal account signs in with.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from fuwu.core.actors import SYSTEM
from fuwu.customers import privacy
from fuwu.customers.choices import RecordAction
from fuwu.customers.masks import ANONYMISED
from fuwu.customers.models import Customer, RecordChange

BATCH = 200
CUSTOMER_FIELDS = ("name", "phone", "email")
EVENT_TRIGGER = "cases_event_append_only"


@dataclass
class Anonymised:
    limit: datetime | None
    cases: list[int] = field(default_factory=list)
    events: int = 0
    customers: list[int] = field(default_factory=list)


def limit_for(now: datetime, years: int) -> datetime:
    """The moment `years` before `now` (29 February falls back to the 28th)."""
    try:
        return now.replace(year=now.year - years)
    except ValueError:
        return now.replace(year=now.year - years, day=28)


def _due_cases(limit: datetime) -> Iterator[Any]:
    from fuwu.cases.choices import CLOSED_STATUSES
    from fuwu.cases.models import Case

    last = 0
    while True:
        rows = list(
            Case.objects.filter(status__in=CLOSED_STATUSES, closed_at__lt=limit, pk__gt=last)
            .select_related("procedure")
            .order_by("pk")[:BATCH]
        )
        if not rows:
            return
        yield from rows
        last = rows[-1].pk


class _EventsWritable:
    """Within the current transaction, let this job rewrite event payloads (see the module
    docstring); SQLite has no such trigger.

    PostgreSQL refuses to alter a table with deferred trigger events pending (Django's foreign
    keys are checked at commit): they are checked now instead, before each ALTER, and deferred
    again afterwards, as Django creates them."""

    def _alter(self, action: str) -> None:
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f"ALTER TABLE cases_event {action} TRIGGER {EVENT_TRIGGER}")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")

    def __enter__(self) -> None:
        if connection.vendor == "postgresql":
            self._alter("DISABLE")

    def __exit__(self, *exc: object) -> None:
        if connection.vendor == "postgresql" and exc[0] is None:
            self._alter("ENABLE")


def _anonymise_case(case: Any, out: Anonymised, *, dry_run: bool) -> None:
    from fuwu.cases.models import Case, Event
    from fuwu.procedures.registry import definition_of

    procedure = definition_of(case.procedure)
    if not privacy.personal_fields(procedure):
        return
    data = privacy.anonymise_values(procedure, case.data)
    events = []
    for e in Event.objects.filter(case_id=case.pk).order_by("seq"):
        values = (e.data or {}).get("values")
        if isinstance(values, dict):
            erased = privacy.anonymise_values(procedure, values)
            if erased != values:
                events.append((e.pk, {**e.data, "values": erased}))
    if data == case.data and not events:
        return
    out.cases.append(case.pk)
    out.events += len(events)
    if dry_run:
        return
    with transaction.atomic(), _EventsWritable():
        Case.objects.filter(pk=case.pk).update(data=data)
        for pk, payload in events:
            Event.objects.filter(pk=pk).update(data=payload)


def _due_customers(limit: datetime) -> Any:
    from fuwu.cases.choices import CLOSED_STATUSES

    recent = (
        Q(cases__created_at__gte=limit)
        | Q(cases__closed_at__gte=limit)
        | ~Q(cases__status__in=CLOSED_STATUSES)
    )
    return (
        Customer.objects.filter(created_at__lt=limit, cases__closed_at__lt=limit)
        .exclude(pk__in=Customer.objects.filter(recent).values("pk"))
        .exclude(user__last_login__gte=limit)
        .exclude(name=ANONYMISED, phone="", email="")
        .distinct()
        .order_by("pk")
    )


def _erase_changes(changes: dict[str, Any]) -> dict[str, Any]:
    def erased(value: Any) -> Any:
        return ANONYMISED if value not in (None, "") else value

    return {
        k: {side: erased(v) for side, v in change.items()}
        if k in CUSTOMER_FIELDS and isinstance(change, dict)
        else change
        for k, change in changes.items()
    }


def _anonymise_customer(customer: Customer) -> None:
    with transaction.atomic():
        Customer.objects.filter(pk=customer.pk).update(name=ANONYMISED, phone="", email="")
        for change in RecordChange.objects.filter(customer=customer):
            erased = _erase_changes(change.changes)
            if erased != change.changes:
                RecordChange.objects.filter(pk=change.pk).update(changes=erased)
        RecordChange.objects.create(
            site_id=customer.site_id,
            customer=customer,
            action=RecordAction.ANONYMISED,
            actor=SYSTEM.user,
            at=timezone.now(),
            changes={k: {"from": ANONYMISED, "to": ANONYMISED} for k in CUSTOMER_FIELDS},
        )


def anonymise(
    *, now: datetime | None = None, years: int | None = None, dry_run: bool = False
) -> Anonymised:
    """Erase the personal values the retention period has run out for (see the module doc).

    Each case is rewritten in its own transaction, with its events; each customer in theirs.
    `dry_run` reports what would change and writes nothing."""
    years = settings.FUWU_RETENTION_YEARS if years is None else years
    if years <= 0:
        return Anonymised(limit=None)
    limit = limit_for(now or timezone.now(), years)
    out = Anonymised(limit=limit)
    for case in _due_cases(limit):
        _anonymise_case(case, out, dry_run=dry_run)
    for customer in _due_customers(limit):
        out.customers.append(customer.pk)
        if not dry_run:
            _anonymise_customer(customer)
    return out
