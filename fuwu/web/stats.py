"""The managers' dashboard numbers: a handful of aggregate queries over the cases in scope.

Every number comes with the `CaseFilter` query parameters that list exactly those cases on
the queue page, so the two can never disagree: the late/at-risk rules and the day boundaries
are the ones `fuwu.cases.queries` applies (`created_from` …) and `fuwu.sla.lateness`'s (`late_q`, `risk_q`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from itertools import pairwise
from typing import Any
from urllib.parse import urlencode

from django.db.models import Avg, Count, DurationField, ExpressionWrapper, F, Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from fuwu.cases.choices import CLOSED_STATUSES, Channel, Status
from fuwu.cases.models import Case, Consultation
from fuwu.core.actors import Actor
from fuwu.core.models import Department, Site
from fuwu.procedures.models import ProcedureVersion
from fuwu.procedures.registry import definition_of
from fuwu.sla.lateness import late_q, risk_q

# Listed as IN (…) rather than NOT IN (…) so the (site, status, created) index is used.
OPEN_STATUSES = [s for s in Status.values if s not in CLOSED_STATUSES]
TREND_DAYS = 30


@dataclass(frozen=True)
class Number:
    """A number on the dashboard and the queue filter that lists the cases behind it."""

    label: str
    value: int
    filters: dict[str, str] = field(default_factory=dict)
    late: int = 0  # of which overdue (open-case breakdowns)
    late_filters: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return queue_url(self.filters)

    @property
    def late_url(self) -> str:
        return queue_url(self.late_filters)


@dataclass(frozen=True)
class Duration:
    """An average over some cases (seconds; None when there are none) and where they are."""

    seconds: float | None
    cases: int
    filters: dict[str, str]

    @property
    def url(self) -> str:
        return queue_url(self.filters)


@dataclass(frozen=True)
class IntakeRow:
    """One channel today: the cases opened (linked to the queue) and consultations logged."""

    channel: str
    label: str
    cases: Number
    consultations: int


@dataclass
class Dashboard:
    today: date
    week_start: date
    opened_today: Number
    intake: list[IntakeRow]  # by channel, busiest first
    consultations_today: int  # not cases, so not in the queue: counted only
    open: Number
    late: Number
    at_risk: Number
    unassigned: Number
    major: Number
    by_step: list[Number]
    by_department: list[Number]
    first_response: Duration
    resolution: Duration
    trend: dict[str, Any]


def queue_url(filters: dict[str, str]) -> str:
    return reverse("web:queue") + ("?" + urlencode(filters) if filters else "")


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, datetime.min.time()))


def sites_of(actor: Actor) -> list[Site]:
    sites = Site.objects.all() if actor.superuser else Site.objects.filter(pk__in=actor.site_ids)
    return list(sites.order_by("name").only("id", "code", "name"))


def _intake(
    cases: QuerySet[Any], consultations: QuerySet[Any], base: dict[str, str]
) -> list[IntakeRow]:
    labels = dict(Channel.choices)
    opened = {r["channel"]: r["n"] for r in cases}
    asked = {r["channel"]: r["n"] for r in consultations}
    rows = [
        IntakeRow(
            ch,
            str(labels.get(ch, ch)),
            Number(str(labels.get(ch, ch)), opened.get(ch, 0), {**base, "channel": ch}),
            asked.get(ch, 0),
        )
        for ch in set(opened) | set(asked)
    ]
    return sorted(rows, key=lambda r: (-r.cases.value - r.consultations, r.channel))


def _fold(rows: list[dict[str, Any]], *keys: str) -> dict[tuple[Any, ...], tuple[int, int]]:
    out: dict[tuple[Any, ...], tuple[int, int]] = {}
    for r in rows:
        key = tuple(r[k] for k in keys)
        n, late = out.get(key, (0, 0))
        out[key] = (n + r["n"], late + r["late"])
    return out


def _steps(rows: list[dict[str, Any]], scope: dict[str, str], language: str) -> list[Number]:
    """Open cases per (procedure, step), named from the procedure's current version."""
    folded = _fold(rows, "procedure_key", "step")
    versions = {
        v.key: definition_of(v)
        for v in ProcedureVersion.objects.filter(
            key__in={key for key, _ in folded}, is_current=True
        )
    }
    out = []
    for (key, step_key), (n, late) in folded.items():
        procedure = versions.get(key)
        step = procedure.steps.get(step_key) if procedure else None
        label = (procedure.name.get(language) if procedure else key) + " · "
        label += step.name.get(language) if step else step_key
        filters = {**scope, "open": "true", "procedure": key, "step": step_key}
        out.append(Number(label, n, filters, late, {**filters, "overdue": "true"}))
    return sorted(out, key=lambda x: (-x.value, x.label))


def _departments(
    rows: list[dict[str, Any]], scope: dict[str, str], language: str, several_sites: bool
) -> list[Number]:
    folded = _fold(rows, "department_id")
    departments = Department.objects.filter(pk__in=[k[0] for k in folded]).select_related("site")
    out = []
    for d in departments:
        n, late = folded[(d.pk,)]
        name = (d.name_en if language.startswith("en") else "") or d.name
        if several_sites:
            name = f"{d.site.name} · {name}"
        filters = {**scope, "open": "true", "site": d.site.code, "department": d.code}
        out.append(Number(name, n, filters, late, {**filters, "overdue": "true"}))
    return sorted(out, key=lambda x: (-x.value, x.label))


def _per_day(cases: QuerySet[Case], column: str, bounds: list[datetime]) -> list[int]:
    """Cases per local day between consecutive bounds, counted in one pass.

    One filtered count per day rather than GROUP BY a date cast: the cast is a Python
    function per row on SQLite (ten times slower), and local midnights computed here are
    right across time-zone changes.
    """
    counts = cases.filter(**{f"{column}__gte": bounds[0], f"{column}__lt": bounds[-1]}).aggregate(
        **{
            f"d{i}": Count("id", filter=Q(**{f"{column}__gte": lo, f"{column}__lt": hi}))
            for i, (lo, hi) in enumerate(pairwise(bounds))
        }
    )
    return [counts[f"d{i}"] for i in range(len(bounds) - 1)]


def dashboard(
    actor: Actor, site: Site | None, language: str, now: datetime | None = None
) -> Dashboard:
    """All the dashboard's numbers for the actor's sites (or one of them)."""
    now = now or timezone.now()
    today = timezone.localtime(now).date()
    week_start = today - timedelta(days=today.weekday())
    first_day = today - timedelta(days=TREND_DAYS - 1)
    cases = actor.scope(Case.objects.all())
    consultations = actor.scope(Consultation.objects.all())
    scope: dict[str, str] = {}
    if site is not None:
        cases, consultations = cases.filter(site=site), consultations.filter(site=site)
        scope = {"site": site.code}
    several_sites = site is None and (actor.superuser or len(actor.site_ids) > 1)
    day = today.isoformat()
    todays = {**scope, "created_from": day, "created_to": day}

    # 1-2. Today's intake: cases opened and consultations logged, by channel.
    intake = _intake(
        cases.filter(created_at__gte=_day_start(today))
        .values("channel")
        .annotate(n=Count("id"))
        .order_by(),
        consultations.filter(at__gte=_day_start(today))
        .values("channel")
        .annotate(n=Count("id"))
        .order_by(),
        todays,
    )

    # 3. Open cases: how many, late, at risk, unassigned, major — one pass.
    open_cases = cases.filter(status__in=OPEN_STATUSES)
    totals = open_cases.aggregate(
        n=Count("id"),
        late=Count("id", filter=late_q(now)),
        risk=Count("id", filter=risk_q(now)),
        unassigned=Count("id", filter=Q(assignee__isnull=True)),
        major=Count("id", filter=Q(is_major=True)),
    )
    opened = {**scope, "open": "true"}

    # 4-5. Open cases by step and by department, with how many of them are late: one
    # GROUP BY over both, folded here (a handful of rows: steps × departments). `step` (not
    # indexed) comes first so SQLite finds the rows by site and status rather than walking
    # the whole procedure_key index for its order.
    groups = list(
        open_cases.values("step", "procedure_key", "department_id")
        .annotate(n=Count("id"), late=Count("id", filter=late_q(now)))
        .order_by()
    )
    # 6. This week: time to first response (cases opened this week) and to resolution (cases
    # resolved this week).
    since = _day_start(week_start)
    response = cases.filter(created_at__gte=since, first_response_at__isnull=False).aggregate(
        avg=Avg(
            ExpressionWrapper(
                F("first_response_at") - F("created_at"), output_field=DurationField()
            )
        ),
        n=Count("id"),
    )
    resolution = cases.filter(resolved_at__gte=since).aggregate(
        avg=Avg(
            ExpressionWrapper(F("resolved_at") - F("created_at"), output_field=DurationField())
        ),
        n=Count("id"),
    )

    # 7. Thirty days: opened and resolved per day.
    days = [first_day + timedelta(days=i) for i in range(TREND_DAYS)]
    bounds = [_day_start(d) for d in [*days, today + timedelta(days=1)]]
    opened_per_day = _per_day(cases, "created_at", bounds)
    resolved_per_day = _per_day(cases, "resolved_at", bounds)
    return Dashboard(
        today=today,
        week_start=week_start,
        opened_today=Number("", sum(r.cases.value for r in intake), todays),
        intake=intake,
        consultations_today=sum(r.consultations for r in intake),
        open=Number("", totals["n"], opened),
        late=Number("", totals["late"], {**scope, "overdue": "true", "ordering": "due"}),
        at_risk=Number("", totals["risk"], {**scope, "at_risk": "true", "ordering": "due"}),
        unassigned=Number("", totals["unassigned"], {**opened, "assignee": "none"}),
        major=Number("", totals["major"], {**opened, "major": "true"}),
        by_step=_steps(groups, scope, language),
        by_department=_departments(groups, scope, language, several_sites),
        first_response=Duration(
            _seconds(response["avg"]),
            response["n"],
            {**scope, "created_from": week_start.isoformat()},
        ),
        resolution=Duration(
            _seconds(resolution["avg"]),
            resolution["n"],
            {**scope, "resolved_from": week_start.isoformat()},
        ),
        trend={
            "days": [d.isoformat() for d in days],
            "opened": opened_per_day,
            "resolved": resolved_per_day,
        },
    )


def _seconds(value: timedelta | float | None) -> float | None:
    if value is None:
        return None
    # PostgreSQL averages intervals; SQLite averages the microseconds Django stores.
    return value.total_seconds() if isinstance(value, timedelta) else float(value) / 1e6
