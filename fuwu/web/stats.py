"""The managers' dashboard numbers: a handful of aggregate queries over the cases in scope.

Every number comes with the `CaseFilter` query parameters that list exactly those cases on
the queue page, so the two can never disagree: the late/at-risk rules and the day boundaries
are the ones `fuwu.cases.queries` applies (`late_q`, `risk_q`, `created_from` …).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from django.db.models import Avg, Count, DurationField, ExpressionWrapper, F, Q, QuerySet
from django.db.models.functions import TruncDate
from django.urls import reverse
from django.utils import timezone

from fuwu.cases.choices import CLOSED_STATUSES, Channel, Status
from fuwu.cases.models import Case, Consultation
from fuwu.cases.queries import late_q, risk_q
from fuwu.core.actors import Actor
from fuwu.core.models import Site
from fuwu.procedures.models import ProcedureVersion
from fuwu.procedures.registry import definition_of

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


def _steps(rows: list[dict[str, Any]], scope: dict[str, str], language: str) -> list[Number]:
    """Open cases per (procedure, step), named from the version each case runs on."""
    versions = {
        v.pk: definition_of(v)
        for v in ProcedureVersion.objects.filter(pk__in={r["procedure_id"] for r in rows})
    }
    merged: dict[tuple[str, str], list[Any]] = {}
    for r in rows:
        procedure = versions[r["procedure_id"]]
        step = procedure.steps.get(r["step"])
        label = (
            procedure.name.get(language) + " · " + (step.name.get(language) if step else r["step"])
        )
        entry = merged.setdefault((r["procedure_key"], r["step"]), [label, 0, 0])
        entry[1] += r["n"]
        entry[2] += r["late"]
    out = []
    for (key, step_key), (label, n, late) in merged.items():
        filters = {**scope, "open": "true", "procedure": key, "step": step_key}
        out.append(Number(label, n, filters, late, {**filters, "overdue": "true"}))
    return sorted(out, key=lambda x: (-x.value, x.label))


def _departments(
    rows: list[dict[str, Any]], scope: dict[str, str], language: str, several_sites: bool
) -> list[Number]:
    out = []
    for r in rows:
        name = (r["department__name_en"] if language.startswith("en") else "") or r[
            "department__name"
        ]
        if several_sites:
            name = f"{r['site__name']} · {name}"
        filters = {
            **scope,
            "open": "true",
            "site": r["site__code"],
            "department": r["department__code"],
        }
        out.append(Number(name, r["n"], filters, r["late"], {**filters, "overdue": "true"}))
    return sorted(out, key=lambda x: (-x.value, x.label))


def _series(rows: QuerySet[Any], days: list[date]) -> list[int]:
    counts = {r["day"]: r["n"] for r in rows}
    return [counts.get(d, 0) for d in days]


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

    # 4-5. Open cases by step and by department, with how many of them are late.
    late_count = Count("id", filter=late_q(now))
    step_rows = list(
        open_cases.values("procedure_id", "procedure_key", "step")
        .annotate(n=Count("id"), late=late_count)
        .order_by()
    )
    department_rows = list(
        open_cases.values(
            "department_id",
            "department__code",
            "department__name",
            "department__name_en",
            "site__code",
            "site__name",
        )
        .annotate(n=Count("id"), late=late_count)
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
    start = _day_start(first_day)
    opened_per_day = (
        cases.filter(created_at__gte=start)
        .annotate(day=TruncDate("created_at"))
        .values("day")
        .annotate(n=Count("id"))
        .order_by()
    )
    resolved_per_day = (
        cases.filter(resolved_at__gte=start)
        .annotate(day=TruncDate("resolved_at"))
        .values("day")
        .annotate(n=Count("id"))
        .order_by()
    )
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
        by_step=_steps(step_rows, scope, language),
        by_department=_departments(department_rows, scope, language, several_sites),
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
            "opened": _series(opened_per_day, days),
            "resolved": _series(resolved_per_day, days),
        },
    )


def _seconds(value: timedelta | float | None) -> float | None:
    if value is None:
        return None
    # PostgreSQL averages intervals; SQLite averages the microseconds Django stores.
    return value.total_seconds() if isinstance(value, timedelta) else float(value) / 1e6
