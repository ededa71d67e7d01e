"""Reading cases: who may see what (one place), and the one filter definition for lists.

`CaseFilter` serves the API list and (later) the queue page and its htmx fragment alike.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Literal

from django.db.models import Case as DjCase
from django.db.models import (
    Q,
    QuerySet,
    Value,
    When,
)
from django.utils import timezone
from pydantic import BaseModel, ConfigDict, Field

from fuwu.cases.choices import CLOSED_STATUSES, Priority, WorkKind
from fuwu.cases.models import Case, WorkLog
from fuwu.core.actors import Actor
from fuwu.customers.models import Asset, Customer
from fuwu.customers.privacy import phone_search
from fuwu.procedures.engine.errors import NotFound
from fuwu.sla.lateness import late_q, next_due, risk_q

# The orderings a list may ask for (a whitelist: anything else is a 422 in the API and ignored
# with a message on the pages). Each is read along an index (see Case.Meta.indexes), except
# "priority" (a rank of few values) and "late", which is meant for the overdue view: the cases
# most overdue first, by the earliest deadline of a running clock (fuwu.sla.lateness.next_due,
# the rule the row colours and the countdown use).
ORDERINGS = {
    "number": "id",
    "-number": "-id",
    "created": "created_at",
    "-created": "-created_at",
    "updated": "updated_at",
    "-updated": "-updated_at",
    "due": "resolution_due",
    "-due": "-resolution_due",
    "priority": "priority",
    "-priority": "-priority",
}


def cases_for(actor: Actor) -> QuerySet[Case]:
    """Cases this actor may see: those of their sites (all for a superuser)."""
    return actor.scope(Case.objects.all())


def get_case_for(actor: Actor, case_id: int) -> Case:
    case = (
        cases_for(actor)
        .select_related("procedure", "site", "department", "assignee__staff", "customer", "asset")
        .filter(pk=case_id)
        .first()
    )
    if case is None:
        raise NotFound("not_found", what="case")
    return case


def _day_start(day: date) -> datetime:
    """Midnight at the start of a day in the current time zone."""
    return timezone.make_aware(datetime.combine(day, time.min))


# A search naming more customers or assets than this is matched by subquery instead of by id.
TEXT_MATCH_IDS = 500


def text_match(text: str) -> Q:
    """Cases a free-text search finds: by number, customer name or phone, asset label (unit,
    plate, room) or title.

    Customers and assets are matched first, in their own (much smaller) tables, and the cases
    then found by those ids through the indexed foreign keys: with ids the database combines
    two index lookups, where an OR of subqueries made PostgreSQL walk every case of the site.
    Digits alone are a phone, a number or a unit: they are not looked for in titles. A phone
    number is matched only from `PHONE_SEARCH_MIN_DIGITS` digits on (the one rule,
    fuwu.customers.privacy), so fragments typed into the queue are no oracle.
    """
    who = Q(name__icontains=text)
    if digits := phone_search(text):
        who |= Q(phone__contains=digits)
    customers = Customer.objects.filter(who)
    assets = Asset.objects.filter(label__icontains=text)
    match = Q()
    for field, rows in (("customer_id__in", customers), ("asset_id__in", assets)):
        ids = list(rows.values_list("pk", flat=True)[: TEXT_MATCH_IDS + 1])
        if len(ids) > TEXT_MATCH_IDS:
            match |= Q(**{field: rows.values("pk")})
        elif ids:
            match |= Q(**{field: ids})
    if not text.isdigit():
        match |= Q(title__icontains=text)
    pk = Case.pk_from_number(text)
    if pk is not None:
        match |= Q(pk=pk)
    return match if match else Q(pk__in=[])


class CaseFilter(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: list[str] | None = None
    open: bool | None = Field(
        None, description="only cases not yet closed (true) or only closed (false)"
    )
    step: str | None = None
    procedure: str | None = None
    department: str | None = Field(None, description="department code")
    assignee: str | None = Field(None, description="username, or 'me', or 'none'")
    priority: list[str] | None = None
    site: str | None = Field(None, description="site code")
    channel: str | None = None
    overdue: bool | None = None
    major: bool | None = None
    at_risk: bool | None = Field(
        None, description="near a deadline (its last fifth, or last hour) but not yet overdue"
    )
    created_from: date | None = Field(None, description="opened on or after this day")
    created_to: date | None = Field(None, description="opened on or before this day")
    resolved_from: date | None = Field(None, description="resolved on or after this day")
    resolved_to: date | None = Field(None, description="resolved on or before this day")
    q: str | None = Field(
        None,
        max_length=100,
        description="case number, title, customer name or phone (7 digits or more), asset label",
    )
    ordering: Literal[
        "created",
        "-created",
        "updated",
        "-updated",
        "due",
        "-due",
        "priority",
        "-priority",
        "number",
        "-number",
        "late",
    ] = Field(
        "-created",
        description="'late': the most overdue first (the earliest deadline of a running clock)",
    )
    page: int = Field(1, ge=1, le=100000)
    page_size: int = Field(25, ge=1, le=200)

    @property
    def order(self) -> str:
        """The ordering in force: the overdue view, unless told otherwise, shows the most
        overdue first (the clock's rule); everything else the newest first."""
        if "ordering" not in self.model_fields_set and self.overdue:
            return "late"
        return self.ordering

    def apply(self, qs: QuerySet[Case], actor: Actor) -> QuerySet[Case]:
        if self.status:
            qs = qs.filter(status__in=self.status)
        if self.open is not None:
            qs = (
                qs.exclude(status__in=CLOSED_STATUSES)
                if self.open
                else qs.filter(status__in=CLOSED_STATUSES)
            )
        if self.step:
            qs = qs.filter(step=self.step)
        if self.procedure:
            qs = qs.filter(procedure_key=self.procedure)
        if self.department:
            qs = qs.filter(department__code=self.department)
        if self.assignee == "me":
            qs = qs.filter(assignee_id=actor.user_id)
        elif self.assignee == "none":
            qs = qs.filter(assignee__isnull=True)
        elif self.assignee:
            qs = qs.filter(assignee__username=self.assignee)
        if self.priority:
            qs = qs.filter(priority__in=self.priority)
        if self.site:
            qs = qs.filter(site__code=self.site)
        if self.channel:
            qs = qs.filter(channel=self.channel)
        if self.major is not None:
            qs = qs.filter(is_major=self.major)
        now = timezone.now()
        if self.overdue is not None:
            qs = qs.exclude(status__in=CLOSED_STATUSES)
            qs = qs.filter(late_q(now)) if self.overdue else qs.exclude(late_q(now))
        if self.at_risk is not None:
            qs = qs.exclude(status__in=CLOSED_STATUSES)
            risky = risk_q(now)
            # NOT over a duration comparison with NULLs is NULL in SQL: exclude by id instead.
            qs = (
                qs.filter(risky)
                if self.at_risk
                else qs.exclude(pk__in=Case.objects.filter(risky).values("pk"))
            )
        if self.created_from:
            qs = qs.filter(created_at__gte=_day_start(self.created_from))
        if self.created_to:
            qs = qs.filter(created_at__lt=_day_start(self.created_to + timedelta(days=1)))
        if self.resolved_from:
            qs = qs.filter(resolved_at__gte=_day_start(self.resolved_from))
        if self.resolved_to:
            qs = qs.filter(resolved_at__lt=_day_start(self.resolved_to + timedelta(days=1)))
        if self.q:
            qs = qs.filter(text_match(self.q.strip()))
        # The tie-break runs in the same direction as the ordering, so one index on
        # (column, id) serves both directions (see Case.Meta.indexes).
        ordering = self.order
        descending = ordering.startswith("-")
        tie = "-pk" if descending else "pk"
        if ordering == "late":
            return qs.annotate(next_due=next_due()).order_by("next_due", "pk")
        if ordering.lstrip("-") == "priority":
            # By urgency, not by the alphabet: "priority" is the least urgent first.
            rank = DjCase(
                *(When(priority=p, then=Value(i)) for i, p in enumerate(reversed(Priority.values))),
                default=Value(len(Priority.values)),
            )
            qs = qs.annotate(priority_rank=rank)
            return qs.order_by("-priority_rank" if descending else "priority_rank", tie)
        return qs.order_by(ORDERINGS[ordering], tie)


def work_totals(rows: Iterable[WorkLog]) -> tuple[Decimal, Decimal, Decimal]:
    """Labour hours, parts amount and tools amount (quantity × unit price) of a case's work
    log; voided rows do not count."""
    hours, parts, tools = Decimal(0), Decimal(0), Decimal(0)
    for w in rows:
        if w.voided_at is not None:
            continue
        amount = (w.quantity or Decimal(0)) * (w.unit_price or Decimal(0))
        if w.kind == WorkKind.LABOUR:
            hours += w.hours or Decimal(0)
        elif w.kind == WorkKind.PART:
            parts += amount
        elif w.kind == WorkKind.TOOL:
            tools += amount
    return hours, parts, tools
