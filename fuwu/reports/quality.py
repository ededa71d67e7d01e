"""The quality report: first-time fix, comebacks (brought back, failed checks), return-visit
results, customer ratings, satisfaction by area, complaints by nature and responsible
department, and the monthly complaint trend — with the cases behind every number.

Counts come from the reporting model (`fuwu.reports.fold`: its quality measures), filtered by
`service_levels.Filters` like the service levels. Satisfaction by area is read per case from
what the procedures store today — the Toyota follow-up's seven yes/no areas (`sat_*` of the
return visit's form) and the opinion survey's topics with its satisfaction — by the two small
functions `toyota_answers` and `survey_answers`, which a surveys app may replace.

Definitions. First-time fix rate: resolutions with no comeback before them, over all
resolutions. A comeback is "returned" (reopened after its resolution) or "qc" (marked before
it: a failed check). A return visit is dissatisfied when a satisfaction field of its form is
false or it reopened the case. Complaints: cases of the procedures in
`fold.COMPLAINT_PROCEDURES`, counted the month they were taken in; the trend is "rising" when
each of the last `RISES` months had more than the month before it (`rising`).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from itertools import pairwise
from typing import Any

from django.db.models import Sum
from django.db.models.fields.json import KeyTransform
from django.utils.translation import gettext, gettext_lazy, pgettext

from fuwu.cases.models import Case, Event
from fuwu.procedures.engine.errors import FieldError, Unprocessable
from fuwu.procedures.models import ProcedureVersion
from fuwu.procedures.registry import definition_of
from fuwu.reports import drill as dr
from fuwu.reports.choices import Measure
from fuwu.reports.fold import COMPLAINT_PROCEDURES
from fuwu.reports.models import Fact
from fuwu.reports.service_levels import Filters, Occurrence
from fuwu.sheets.tables import Column, Kind, SimpleTable

RISES = 3  # consecutive monthly rises that make the complaint trend "rising"
TREND_MONTHS = 12
TOYOTA_AREAS = (
    "sat_courtesy",
    "sat_repair",
    "sat_price",
    "sat_timeliness",
    "sat_cleanliness",
    "sat_explanation",
    "sat_facilities",
)
TOYOTA_PROCEDURE = "toyota_seven_step"
SURVEY_PROCEDURE, SURVEY_STEP = "opinion_survey", "tally"
# The table's columns: (key, measure, detail); the key names the column in the drill-down.
COLUMNS = (
    ("fixed_first_time", Measure.FIXED_FIRST_TIME, None),
    ("fixed_after_comeback", Measure.FIXED_AFTER_COMEBACK, None),
    ("comeback_returned", Measure.COMEBACK, "returned"),
    ("comeback_qc", Measure.COMEBACK, "qc"),
    ("visit_satisfied", Measure.RETURN_VISIT, "satisfied"),
    ("visit_dissatisfied", Measure.RETURN_VISIT, "dissatisfied"),
)
# The columns' headings, as the page and the spreadsheet show them.
HEADINGS = (
    ("fixed_first_time", Measure.FIXED_FIRST_TIME.label),
    ("fixed_after_comeback", Measure.FIXED_AFTER_COMEBACK.label),
    ("comeback_returned", gettext_lazy("返修（客户带回）")),
    ("comeback_qc", gettext_lazy("返修（质检不合格）")),
    ("visit_satisfied", gettext_lazy("回访满意")),
    ("visit_dissatisfied", gettext_lazy("回访不满意")),
)
MEASURES = {str(m) for _k, m, _d in COLUMNS} | {
    str(Measure.RATED),
    str(Measure.COMPLAINT_NATURE),
    str(Measure.COMPLAINT_DEPARTMENT),
}
# Drill-downs that are not a measure of the model.
AREA, SURVEY, COMPLAINTS = "area", "survey", "complaints"
DRILLABLE = frozenset({*MEASURES, AREA, SURVEY, COMPLAINTS})


@dataclass
class Line:
    procedure: str
    label: str
    counts: dict[str, int] = field(default_factory=dict)

    def n(self, key: str) -> int:
        return self.counts.get(key, 0)

    @property
    def first_time_rate(self) -> float | None:
        return _rate(self.n("fixed_first_time"), self.n("fixed_after_comeback"))

    @property
    def visit_rate(self) -> float | None:
        return _rate(self.n("visit_satisfied"), self.n("visit_dissatisfied"))


@dataclass(frozen=True)
class Count:
    key: str
    label: str
    count: int


@dataclass(frozen=True)
class Area:
    key: str
    label: str
    yes: int
    no: int

    @property
    def rate(self) -> float | None:
        return _rate(self.yes, self.no)


@dataclass(frozen=True)
class Month:
    start: date
    end: date
    count: int

    @property
    def label(self) -> str:
        return self.start.strftime("%Y-%m")


@dataclass
class Report:
    filters: Filters
    lines: list[Line]
    total: Line
    ratings: list[Count]
    rating_average: float | None
    natures: list[Count]
    departments: list[Count]
    areas: list[Area]
    survey_levels: list[Count]
    survey: list[tuple[Count, list[Count]]]
    months: list[Month]
    rising: bool
    complaints: int  # taken in during the period


def _rate(yes: int, no: int) -> float | None:
    return round(100 * yes / (yes + no), 1) if yes + no else None


def rising(counts: list[int], rises: int = RISES) -> bool:
    """Each of the last `rises` numbers is greater than the one before it."""
    if len(counts) < rises + 1:
        return False
    tail = counts[-(rises + 1) :]
    return all(b > a for a, b in pairwise(tail))


def month_start(day: date, back: int = 0) -> date:
    index = day.year * 12 + day.month - 1 - back
    return date(index // 12, index % 12 + 1, 1)


def month_end(start: date) -> date:
    return month_start(start, -1) - timedelta(days=1)


def monthly_complaints(filters: Filters, last: date, months: int = TREND_MONTHS) -> list[Month]:
    """Complaints taken in per month, the `months` months ending with `last`'s (the period's
    site, department, procedure and person filters apply; its dates do not)."""
    first = month_start(last, months - 1)
    wide = replace(filters, start=first, end=month_end(month_start(last)))
    by_month: Counter[date] = Counter()
    facts = wide.facts(
        Fact.objects.filter(measure=Measure.INTAKE, procedure_key__in=COMPLAINT_PROCEDURES)
    )
    for day, n in facts.values_list("day").annotate(n=Sum("count")):
        by_month[month_start(day)] += n
    starts = [month_start(last, back) for back in range(months - 1, -1, -1)]
    return [Month(s, month_end(s), by_month[s]) for s in starts]


def complete(months: list[Month], today: date) -> list[Month]:
    """The months over by `today`'s end (a month's last day completes it)."""
    return [m for m in months if m.end <= today]


def option_labels(procedures: set[str], key: str, language: str) -> dict[str, str]:
    """The labels of a choice field's options, as the procedures' current versions name them."""
    out: dict[str, str] = {}
    for version in ProcedureVersion.objects.filter(key__in=procedures, is_current=True):
        procedure = definition_of(version)
        defs = [*procedure.fields]
        for step in procedure.steps.values():
            defs += step.form
            for transition in step.transitions:
                defs += transition.fields
        for d in defs:
            if d.key == key and d.options:
                for option in d.options:
                    out.setdefault(option.value, option.label.get(language))
    return out


def procedure_names(keys: set[str], language: str) -> dict[str, str]:
    en = language.startswith("en")
    names = {
        v.key: (v.name_en if en and v.name_en else v.name_zh)
        for v in ProcedureVersion.objects.filter(key__in=keys, is_current=True)
    }
    return {k: names.get(k, k) for k in keys}


# -- satisfaction by area: per-case ratings as the procedures store them today ------------


def toyota_answers(filters: Filters) -> list[tuple[Any, dict[str, bool]]]:
    """Each return visit of the Toyota follow-up in the filters with its seven areas' answers:
    (the occurrence's row, {area: satisfied}) — read from the visit's own event."""
    rows = list(
        dr.items(filters, [Measure.RETURN_VISIT], procedures=[TOYOTA_PROCEDURE])
        .order_by("day", "event_id")
        .values_list("event_id", "case_id", "day", "detail", "step", "department_id", "person_id")
    )
    values = dict(
        Event.objects.filter(pk__in=[r[0] for r in rows]).values_list("pk", "data__values")
    )
    out = []
    for row in rows:
        said = values.get(row[0]) or {}
        answers = {a: said[a] for a in TOYOTA_AREAS if isinstance(said.get(a), bool)}
        if answers:
            out.append((row[1:], answers))
    return out


def survey_answers(filters: Filters) -> list[tuple[Any, list[str], str]]:
    """Each opinion survey counted (its `tally` step done) in the filters: (the occurrence's
    row, the topics its opinions were about, its satisfaction) — read from the case."""
    rows = list(
        dr.items(filters, [Measure.STEP_DONE], procedures=[SURVEY_PROCEDURE], step=SURVEY_STEP)
        .order_by("day", "event_id")
        .values_list("case_id", "day", "detail", "step", "department_id", "person_id")
    )
    # Of each case's data only the two keys read here (a survey's data holds every answer).
    said = {
        pk: (level, topics)
        for pk, level, topics in Case.objects.filter(pk__in={r[0] for r in rows})
        .annotate(level=KeyTransform("satisfaction", "data"), topics=KeyTransform("topics", "data"))
        .values_list("pk", "level", "topics")
    }
    out = []
    for row in rows:
        level, topics = said.get(row[0], (None, None))
        if not level:
            continue
        topics = topics or []
        out.append((row, [str(t) for t in topics] or ["other"], str(level)))
    return out


def report(filters: Filters, *, language: str) -> Report:
    facts = filters.facts(Fact.objects.filter(measure__in=MEASURES))
    cells: dict[str, dict[str, int]] = defaultdict(dict)
    ratings: Counter[str] = Counter()
    natures: Counter[str] = Counter()
    departments: Counter[str] = Counter()
    column = {(str(m), d): k for k, m, d in COLUMNS}
    for key, measure, detail, n in facts.values_list("procedure_key", "measure", "detail").annotate(
        n=Sum("count")
    ):
        if measure == Measure.RATED:
            ratings[detail] += n
        elif measure == Measure.COMPLAINT_NATURE:
            natures[detail] += n
        elif measure == Measure.COMPLAINT_DEPARTMENT:
            departments[detail] += n
        name = column.get((measure, detail)) or column.get((measure, None))
        if name:
            cells[key][name] = cells[key].get(name, 0) + n
    names = procedure_names(set(cells), language)
    lines = sorted(
        (Line(k, names[k], dict(c)) for k, c in cells.items()), key=lambda line: line.label
    )
    total = Line("", "", {})
    for line in lines:
        for k, n in line.counts.items():
            total.counts[k] = total.counts.get(k, 0) + n
    scored = sum(int(s) * n for s, n in ratings.items() if s.isdigit())
    rated = sum(n for s, n in ratings.items() if s.isdigit())
    area_names = _field_labels(TOYOTA_PROCEDURE, TOYOTA_AREAS, language)
    tally: dict[str, list[int]] = {a: [0, 0] for a in TOYOTA_AREAS}
    for _row, answers in toyota_answers(filters):
        for a, yes in answers.items():
            tally[a][0 if yes else 1] += 1
    areas = [Area(a, area_names.get(a, a), *tally[a]) for a in TOYOTA_AREAS if sum(tally[a])]
    levels = option_labels({SURVEY_PROCEDURE}, "satisfaction", language)
    topics = option_labels({SURVEY_PROCEDURE}, "topics", language)
    grid: dict[str, Counter[str]] = defaultdict(Counter)
    for _row, about, level in survey_answers(filters):
        for topic in about:
            grid[topic][level] += 1
    survey = [
        (
            Count(t, topics.get(t, t), sum(grid[t].values())),
            [Count(level, levels.get(level, level), grid[t][level]) for level in levels],
        )
        for t in [*topics, *sorted(set(grid) - set(topics))]
        if t in grid
    ]
    nature_names = option_labels(set(COMPLAINT_PROCEDURES), "complaint_nature", language)
    dept_names = option_labels(set(COMPLAINT_PROCEDURES), "responsible_department", language)
    months = monthly_complaints(filters, filters.end)
    return Report(
        filters=filters,
        lines=lines,
        total=total,
        ratings=[Count(s, s, ratings[s]) for s in ("5", "4", "3", "2", "1")],
        rating_average=round(scored / rated, 2) if rated else None,
        natures=[Count(k, nature_names.get(k, k), n) for k, n in sorted(natures.items())],
        departments=[Count(k, dept_names.get(k, k), n) for k, n in departments.most_common()],
        areas=areas,
        survey_levels=[Count(k, v, 0) for k, v in levels.items()],
        survey=survey,
        months=months,
        rising=rising([m.count for m in complete(months, filters.end)]),
        complaints=filters.facts(
            Fact.objects.filter(measure=Measure.INTAKE, procedure_key__in=COMPLAINT_PROCEDURES)
        ).aggregate(n=Sum("count"))["n"]
        or 0,
    )


def _field_labels(procedure: str, keys: tuple[str, ...], language: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for version in ProcedureVersion.objects.filter(key=procedure, is_current=True):
        for step in definition_of(version).steps.values():
            for d in step.form:
                if d.key in keys:
                    out.setdefault(d.key, d.label.get(language))
    return out


def drill(
    filters: Filters,
    what: str,
    *,
    procedure: str | None = None,
    detail: str | None = None,
    day: date | None = None,
    window: dr.Window = dr.FIRST,
) -> tuple[int, list[Occurrence]]:
    """The occurrences behind one number (how many, and those of `window`). `what` is a column
    key of `COLUMNS`, a measure of `MEASURES`, or `area` (`detail` "area:yes|no"), `survey`
    ("topic:level"), `complaints`."""
    keyed = {k: (m, d) for k, m, d in COLUMNS}
    if what not in DRILLABLE and what not in keyed:
        raise Unprocessable(
            "invalid_filters", fields={"measure": FieldError("report_unknown_measure")}
        )
    if what == AREA:
        area, _, answer = (detail or "").partition(":")
        rows = [
            row
            for row, answers in toyota_answers(filters)
            if area in answers and answers[area] == (answer == "yes")
        ]
        return dr.picked(rows, window=window)
    if what == SURVEY:
        topic, _, level = (detail or "").partition(":")
        return dr.picked(
            [
                row
                for row, about, said in survey_answers(filters)
                if topic in about and said == level
            ],
            window=window,
        )
    if what == COMPLAINTS:
        chosen = dr.selection(filters, [Measure.INTAKE], procedures=COMPLAINT_PROCEDURES, day=day)
        return dr.occurrences(chosen, window=window)
    measure, fixed = keyed.get(what, (what, None))
    chosen = dr.selection(
        filters,
        [str(measure)],
        detail=fixed if fixed is not None else detail,
        procedures=[procedure] if procedure else None,
        day=day,
    )
    return dr.occurrences(chosen, window=window)


# -- as a spreadsheet (fuwu.sheets' rows + columns protocol) -------------------------------------


def sheet(result: Report) -> SimpleTable:
    """The report's main table, per procedure with its total line (the page's first table), with
    the page's other tables as secondary sheets (`secondary`)."""
    columns = [
        Column(gettext("服务程序"), width=24),
        *(Column(str(h), Kind.INT, width=12) for _k, h in HEADINGS),
        Column(gettext("一次修复率"), Kind.PERCENT, width=12),
        Column(gettext("回访满意率"), Kind.PERCENT, width=12),
    ]
    total = Line("", gettext("合计"), result.total.counts)
    rows = [
        (line.label, *(line.n(k) for k, _h in HEADINGS), line.first_time_rate, line.visit_rate)
        for line in [*result.lines, total]
    ]
    return SimpleTable(
        name="quality",
        columns=columns,
        rows=rows,
        title=pgettext("sheet", "按服务程序"),
        more=secondary(result),
    )


def _counts(name: str, title: str, header: str, counted: str, counts: list[Count]) -> SimpleTable:
    columns = [Column(header, width=24), Column(counted, Kind.INT, width=10)]
    rows = [(c.label, c.count) for c in counts]
    return SimpleTable(name=name, columns=columns, rows=rows, title=title)


def secondary(result: Report) -> list[SimpleTable]:
    """The page's other tables, in its order: complaints per month (the trend the chart draws),
    their nature and responsible department, the seven areas, the customers' scores and the
    opinion survey by what it was about."""
    months = SimpleTable(
        name="complaints-per-month",
        columns=[
            Column(gettext("月份"), width=10),
            Column(gettext("投诉数量"), Kind.INT, width=10),
        ],
        rows=[(m.label, m.count) for m in result.months],
        title=gettext("每月投诉数量"),
    )
    areas = SimpleTable(
        name="seven-areas",
        columns=[
            Column(gettext("区域"), width=24),
            Column(gettext("满意"), Kind.INT, width=10),
            Column(gettext("不满意"), Kind.INT, width=10),
            Column(gettext("满意率"), Kind.PERCENT, width=10),
        ],
        rows=[(a.label, a.yes, a.no, a.rate) for a in result.areas],
        title=pgettext("sheet", "七个区域满意度"),
    )
    survey = SimpleTable(
        name="survey-areas",
        columns=[
            Column(gettext("意见涉及方面"), width=20),
            *(Column(c.label, Kind.INT, width=12) for c in result.survey_levels),
        ],
        rows=[(topic.label, *(c.count for c in cells)) for topic, cells in result.survey],
        title=pgettext("sheet", "意见征询满意度"),
    )
    return [
        months,
        _counts(
            "complaint-natures",
            gettext("投诉性质"),
            gettext("投诉性质"),
            gettext("投诉数量"),
            result.natures,
        ),
        _counts(
            "complaint-departments",
            pgettext("sheet", "投诉责任部门"),
            gettext("责任部门"),
            gettext("投诉数量"),
            result.departments,
        ),
        areas,
        _counts(
            "ratings",
            gettext("客户评分"),
            gettext("评分"),
            gettext("评价数"),
            [replace(c, label=f"{c.label} ★") for c in result.ratings],
        ),
        survey,
    ]
