"""The service-levels report: response and resolution on time per procedure and step, overdue
now, escalations per rung and level — with the cases behind every number.

Figures come from the reporting model (`Fact`, per day), the drill-down from its occurrences
(`FactItem`), both filtered by the same `Filters`, so a drill-down lists exactly what was
counted: one row per occurrence (a case resolved late twice is listed twice). "Overdue now" is
read from the cases themselves with the one lateness rule (`fuwu.sla.lateness.late_q`).
Managers (and VPs, administrators) see the sites they work for; anyone else is refused.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, TypedDict, Unpack
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext

from fuwu.cases.models import Case
from fuwu.core.actors import Actor
from fuwu.core.models import Department, Site
from fuwu.procedures.engine.errors import EngineError, FieldError, Forbidden, Unprocessable
from fuwu.procedures.models import ProcedureVersion
from fuwu.procedures.registry import definition_of
from fuwu.reports.choices import Measure
from fuwu.reports.models import Fact, FactTotal
from fuwu.sheets.tables import Column, Kind, SimpleTable
from fuwu.sla.lateness import late_q

MAX_DAYS = 366
DEFAULT_DAYS = 30
OVERDUE = "overdue"  # the drill-down's name for "overdue now" (not a measure of the model)
COLUMNS = (
    Measure.INTAKE,
    Measure.RESPONDED_ON_TIME,
    Measure.RESPONDED_LATE,
    Measure.RESOLVED_ON_TIME,
    Measure.RESOLVED_LATE,
    Measure.RESOLVED_NO_LIMIT,
    Measure.CLOSED,
    Measure.REOPENED,
    Measure.COMEBACK,
    Measure.ESCALATED,
)
DRILLABLE = frozenset({*(str(m) for m in COLUMNS), OVERDUE})


@dataclass(frozen=True)
class Filters:
    site_ids: tuple[int, ...]
    start: date
    end: date
    department_id: int | None = None
    procedure: str | None = None
    person_id: int | None = None
    site_code: str | None = None

    def facts(self, qs: QuerySet[Any]) -> QuerySet[Any]:
        """The same conditions on `Fact`, `FactTotal` and `FactItem` (all carry the grain's
        columns, but for the totals' detail)."""
        qs = qs.filter(site_id__in=self.site_ids, day__gte=self.start, day__lte=self.end)
        if self.department_id is not None:
            qs = qs.filter(department_id=self.department_id)
        if self.procedure:
            qs = qs.filter(procedure_key=self.procedure)
        if self.person_id is not None:
            qs = qs.filter(person_id=self.person_id)
        return qs

    def cases(self, qs: QuerySet[Case]) -> QuerySet[Case]:
        """The same conditions on cases as they stand now (person: the assignee)."""
        qs = qs.filter(site_id__in=self.site_ids)
        if self.department_id is not None:
            qs = qs.filter(department_id=self.department_id)
        if self.procedure:
            qs = qs.filter(procedure_key=self.procedure)
        if self.person_id is not None:
            qs = qs.filter(assignee_id=self.person_id)
        return qs

    def query(self) -> dict[str, str]:
        """The filters as query parameters (for links)."""
        out = {"from": self.start.isoformat(), "to": self.end.isoformat()}
        if self.site_code:
            out["site"] = self.site_code
        if self.department_id is not None:
            out["department"] = str(self.department_id)
        if self.procedure:
            out["procedure"] = self.procedure
        if self.person_id is not None:
            out["person"] = str(self.person_id)
        return out


def may_read(actor: Actor) -> bool:
    """The service-levels, quality and workload reports: managers (and VPs, specialists,
    administrators) only. Who reads the seeds' lists is `fuwu.reports.lists.rights`'s."""
    return actor.is_manager


def sites_of(actor: Actor) -> list[Site]:
    """The sites a person works for (every site for a superuser), by name."""
    sites = Site.objects.all() if actor.superuser else Site.objects.filter(pk__in=actor.site_ids)
    return list(sites.order_by("name").only("id", "code", "name", "timezone"))


def visible_sites(actor: Actor) -> list[Site]:
    """The sites whose reports this person may read: none unless a manager."""
    return sites_of(actor) if may_read(actor) else []


class Asked(TypedDict, total=False):
    """The filters a reader asks for, each of which may be left out (the report's defaults)."""

    site: str | None
    department: int | None
    procedure: str | None
    person: int | None
    start: date | None
    end: date | None
    now: datetime | None


def resolve(actor: Actor, **asked: Unpack[Asked]) -> Filters:
    """Check the filters against what the person may see; refuses with a field error each."""
    if not may_read(actor):
        raise Forbidden("forbidden")
    return within(visible_sites(actor), **asked)


def within(sites: list[Site], **asked: Unpack[Asked]) -> Filters:
    """Check the filters against the sites a report may be read for (the caller decided which:
    `resolve` here, `fuwu.reports.lists.scope_from_params` for the lists); a field error each."""
    site, department, procedure = asked.get("site"), asked.get("department"), asked.get("procedure")
    start, end, now = asked.get("start"), asked.get("end"), asked.get("now")
    chosen = sites
    errors: dict[str, FieldError] = {}
    if site:
        chosen = [s for s in sites if s.code == site]
        if not chosen:
            errors["site"] = FieldError("report_unknown_site", site=site)
    if (
        department is not None
        and not Department.objects.filter(pk=department, site__in=[s.pk for s in chosen]).exists()
    ):
        errors["department"] = FieldError("department_not_on_site")
    if procedure and not ProcedureVersion.objects.filter(key=procedure).exists():
        errors["procedure"] = FieldError("report_unknown_procedure", procedure=procedure)
    zone = ZoneInfo(chosen[0].timezone if chosen else settings.TIME_ZONE)
    today = timezone.localtime(now or timezone.now(), zone).date()
    end = end or today
    start = start or (end - timedelta(days=DEFAULT_DAYS - 1))
    if start > end:
        errors["from"] = FieldError("report_period_reversed")
    elif (end - start).days + 1 > MAX_DAYS:
        errors["to"] = FieldError("report_period_too_long", max=MAX_DAYS)
    if errors:
        raise Unprocessable("invalid_filters", fields=errors)
    return Filters(
        site_ids=tuple(s.pk for s in chosen),
        start=start,
        end=end,
        department_id=department,
        procedure=procedure or None,
        person_id=asked.get("person"),
        site_code=site or None,
    )


@dataclass
class Line:
    """One procedure step's figures; `counts` by measure, `overdue` now."""

    procedure: str
    step: str
    label: str
    counts: dict[str, int] = field(default_factory=dict)
    overdue: int = 0

    def n(self, measure: str) -> int:
        return self.counts.get(measure, 0)

    @property
    def response_rate(self) -> float | None:
        return _rate(self.n(Measure.RESPONDED_ON_TIME), self.n(Measure.RESPONDED_LATE))

    @property
    def resolution_rate(self) -> float | None:
        return _rate(self.n(Measure.RESOLVED_ON_TIME), self.n(Measure.RESOLVED_LATE))


@dataclass(frozen=True)
class Rung:
    clock: str
    percent: int | None
    level: int | None
    detail: str
    count: int


@dataclass
class Report:
    filters: Filters
    lines: list[Line]
    total: Line
    escalations: list[Rung]
    days: list[date]
    series: dict[str, list[int]]


def _rate(on_time: int, late: int) -> float | None:
    return round(100 * on_time / (on_time + late), 1) if on_time + late else None


def labels(keys: set[tuple[str, str]], language: str) -> dict[tuple[str, str], str]:
    """ "Procedure · step" named from each procedure's current version."""
    versions = {
        v.key: definition_of(v)
        for v in ProcedureVersion.objects.filter(key__in={k for k, _ in keys}, is_current=True)
    }
    out = {}
    for key, step_key in keys:
        procedure = versions.get(key)
        step = procedure.steps.get(step_key) if procedure else None
        out[(key, step_key)] = (
            (procedure.name.get(language) if procedure else key)
            + " · "
            + (step.name.get(language) if step else step_key)
        )
    return out


def report(filters: Filters, *, language: str, now: datetime | None = None) -> Report:
    """The figures: three grouped reads of the model and one of the open cases."""
    now = now or timezone.now()
    # The figures need no detail: the totals (`FactTotal`, a row per channel and hour of the
    # intakes fewer); the rungs need it (`Fact`).
    facts = filters.facts(Fact.objects.filter(measure__in=[str(m) for m in COLUMNS]))
    summed = filters.facts(FactTotal.objects.filter(measure__in=[str(m) for m in COLUMNS]))
    cells: dict[tuple[str, str], dict[str, int]] = defaultdict(dict)
    for key, step, measure, n in summed.values_list("procedure_key", "step", "measure").annotate(
        n=Sum("count")
    ):
        cells[(key, step)][measure] = cells[(key, step)].get(measure, 0) + n
    overdue = {
        (key, step): n
        for key, step, n in filters.cases(Case.objects.filter(late_q(now)))
        .values_list("procedure_key", "step")
        .annotate(n=Count("id"))
    }
    names = labels(set(cells) | set(overdue), language)
    lines = [
        Line(
            key,
            step,
            names[(key, step)],
            dict(cells.get((key, step), {})),
            overdue.get((key, step), 0),
        )
        for key, step in set(cells) | set(overdue)
    ]
    lines.sort(key=lambda line: line.label)
    total = Line("", "", "", {}, sum(line.overdue for line in lines))
    for line in lines:
        for m, n in line.counts.items():
            total.counts[m] = total.counts.get(m, 0) + n
    rungs = [
        _rung(detail, n)
        for detail, n in facts.filter(measure=Measure.ESCALATED)
        .values_list("detail")
        .annotate(n=Sum("count"))
        .order_by("detail")
    ]
    days = [
        filters.start + timedelta(days=i) for i in range((filters.end - filters.start).days + 1)
    ]
    plotted = (
        Measure.RESPONDED_LATE,
        Measure.RESOLVED_ON_TIME,
        Measure.RESOLVED_LATE,
    )
    by_day: dict[tuple[date, str], int] = {
        (d, m): n
        for d, m, n in summed.filter(measure__in=[str(m) for m in plotted])
        .values_list("day", "measure")
        .annotate(n=Sum("count"))
    }
    series = {str(m): [by_day.get((d, str(m)), 0) for d in days] for m in plotted}
    rungs.sort(key=lambda r: (r.clock, r.percent if r.percent is not None else -1, r.level or 0))
    return Report(filters, lines, total, rungs, days, series)


def _rung(detail: str, count: int) -> Rung:
    clock, percent, level = [*detail.split(":"), "", ""][:3]
    return Rung(
        clock=clock,
        percent=int(percent.rstrip("%")) if percent.rstrip("%").isdigit() else None,
        level=int(level) if level.isdigit() else None,
        detail=detail,
        count=count,
    )


@dataclass(frozen=True)
class Occurrence:
    """One counted occurrence behind a number (or one case overdue now): where it was counted
    — the step, department and person of the model's grain (for overdue now: the case's own)."""

    case: Case
    day: date | None
    detail: str
    step: str
    department_id: int | None
    person_id: int | None


def drill(
    filters: Filters,
    measure: str,
    *,
    procedure: str | None = None,
    step: str | None = None,
    detail: str | None = None,
    day: date | None = None,
    now: datetime | None = None,
    offset: int = 0,
    limit: int = 500,
) -> tuple[int, list[Occurrence]]:
    """The occurrences behind one number: (how many, `limit` of them from `offset`). The cases
    are read without their procedure data, which no drill-down shows."""
    if measure not in DRILLABLE:
        raise Unprocessable(
            "invalid_filters", fields={"measure": FieldError("report_unknown_measure")}
        )
    where = Q()
    if procedure is not None:
        where &= Q(procedure_key=procedure)
    if step is not None:
        where &= Q(step=step)
    related = ("site", "department", "assignee__staff")
    if measure == OVERDUE:
        cases = filters.cases(Case.objects.filter(late_q(now or timezone.now())).filter(where))
        count = cases.count()
        rows = (
            cases.select_related(*related)
            .defer("data")
            .order_by("next_due", "id")[offset : offset + limit]
        )
        return count, [
            Occurrence(c, None, "", c.step, c.department_id, c.assignee_id) for c in rows
        ]
    # The occurrences behind a figure: `drill`'s (which imports this module's `Filters`).
    from fuwu.reports import drill as dr

    chosen = dr.selection(
        filters,
        [measure],
        procedures=[procedure] if procedure is not None else None,
        step=step,
        detail=detail,
        day=day,
    )
    return dr.occurrences(chosen, window=dr.Window(offset, limit))


def from_params(actor: Actor, params: Mapping[str, str], *, now: datetime | None = None) -> Filters:
    """The filters from query parameters (`site`, `department`, `procedure`, `person`, `from`,
    `to`), as the page and the API receive them: a malformed one is a field error in the
    caller's language, like a forbidden one (`resolve`)."""
    errors: dict[str, FieldError] = {}

    def number(name: str) -> int | None:
        raw = (params.get(name) or "").strip()
        if not raw:
            return None
        if not raw.isdigit() or len(raw) > 18:
            errors[name] = FieldError("report_bad_number")
            return None
        return int(raw)

    def day(name: str) -> date | None:
        raw = (params.get(name) or "").strip()
        if not raw:
            return None
        try:
            return date.fromisoformat(raw)
        except ValueError:
            errors[name] = FieldError("report_bad_date")
            return None

    department, person = number("department"), number("person")
    start, end = day("from"), day("to")
    try:
        filters = resolve(
            actor,
            site=(params.get("site") or "").strip() or None,
            department=department,
            procedure=(params.get("procedure") or "").strip() or None,
            person=person,
            start=start,
            end=end,
            now=now,
        )
    except EngineError as exc:
        if exc.code != "invalid_filters":
            raise
        errors = {**exc.fields, **errors}
    if errors:
        raise Unprocessable("invalid_filters", fields=errors)
    return filters


@dataclass(frozen=True)
class Named:
    """An occurrence with its step, department and person named for a reader."""

    occurrence: Occurrence
    step: str
    department: Department | None
    person: Any


def named(found: list[Occurrence], language: str) -> list[Named]:
    """Three small queries whatever the number of rows."""
    from django.contrib.auth import get_user_model

    steps = labels({(o.case.procedure_key, o.step) for o in found}, language)
    departments = Department.objects.in_bulk({o.department_id for o in found if o.department_id})
    people = (
        get_user_model()
        .objects.select_related("staff")
        .in_bulk({o.person_id for o in found if o.person_id})
    )
    return [
        Named(
            o,
            steps[(o.case.procedure_key, o.step)].split(" · ", 1)[-1],
            departments.get(o.department_id) if o.department_id else None,
            people.get(o.person_id) if o.person_id else None,
        )
        for o in found
    ]


# -- as a spreadsheet (fuwu.sheets' rows + columns protocol) -------------------------------------


def sheet(result: Report) -> SimpleTable:
    """The report's table per procedure step, with its total line, as the exporter reads it."""
    measures = [m for m in COLUMNS if m != Measure.RESOLVED_NO_LIMIT]
    columns = [
        Column(gettext("服务程序 · 步骤"), width=32),
        *(Column(str(m.label), Kind.INT, width=10) for m in measures),
        Column(gettext("当前超时"), Kind.INT, width=10),
        Column(gettext("按时响应率"), Kind.PERCENT, width=12),
        Column(gettext("按时解决率"), Kind.PERCENT, width=12),
    ]
    total = Line("", "", gettext("合计"), result.total.counts, result.total.overdue)
    rows = [
        (
            line.label,
            *(line.n(m) for m in measures),
            line.overdue,
            line.response_rate,
            line.resolution_rate,
        )
        for line in [*result.lines, total]
    ]
    return SimpleTable(name="service-levels", columns=columns, rows=rows)
