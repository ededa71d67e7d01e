"""The workload report: intake by channel and hour, the backlog now by step and department,
each person's cases, steps and repair orders a day, and agent scorecards per week — with the
cases behind every number.

Counts come from the reporting model (`fuwu.reports.fold`) under `service_levels.Filters`; the
backlog is read from the cases as they stand (not closed, cancelled or rejected). Definitions:
- intake by channel and hour: cases taken in, by their channel and the local hour they came in;
- per person a day: over the days in the period on which the person did anything counted, the
  cases they took in, the steps they completed and the repair orders they wrote (a completed
  step whose form gave an `order_no`), on average and at most; a day above `ORDERS_A_DAY`'s
  upper bound (the seed: a service advisor writes 15–20 repair orders a day) is counted;
- scorecard (per person and ISO week, Monday first): resolutions on time and late (the on-time
  rate), comebacks and return visits judging their work, and the customers' ratings.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Count, DateField, Q, Sum
from django.db.models.functions import TruncWeek
from django.utils.translation import gettext, pgettext

from fuwu.cases.choices import CLOSED_STATUSES, Channel
from fuwu.cases.models import Case
from fuwu.core.models import Department
from fuwu.procedures.engine.errors import FieldError, Unprocessable
from fuwu.reports import drill as dr
from fuwu.reports.choices import Measure
from fuwu.reports.models import Fact, FactTotal
from fuwu.reports.service_levels import Filters, Occurrence, labels
from fuwu.sheets.tables import Column, Kind, SimpleTable

ORDERS_A_DAY = (15, 20)
BACKLOG = "backlog"
PER_DAY = (Measure.INTAKE, Measure.STEP_DONE, Measure.REPAIR_ORDER)
SCORED = (
    Measure.RESOLVED_ON_TIME,
    Measure.RESOLVED_LATE,
    Measure.COMEBACK,
    Measure.RETURN_VISIT,
    Measure.RATED,
)
DRILLABLE = frozenset({*(str(m) for m in PER_DAY), *(str(m) for m in SCORED), BACKLOG})


@dataclass
class ChannelRow:
    channel: str
    label: str
    hours: list[int]

    @property
    def total(self) -> int:
        return sum(self.hours)


@dataclass(frozen=True)
class Backlog:
    procedure: str
    step: str
    label: str
    department_id: int | None
    count: int


@dataclass
class PersonDay:
    person_id: int | None
    totals: dict[str, int] = field(default_factory=dict)
    most: dict[str, int] = field(default_factory=dict)
    days: int = 0
    busy_days: int = 0  # days with more repair orders than the seed's upper bound

    def average(self, measure: str) -> float:
        return round(self.totals.get(measure, 0) / self.days, 1) if self.days else 0.0


@dataclass
class Score:
    person_id: int | None
    week: date
    counts: dict[str, int] = field(default_factory=dict)
    rating_sum: int = 0

    def n(self, key: str) -> int:
        return self.counts.get(key, 0)

    @property
    def on_time_rate(self) -> float | None:
        on, late = self.n(Measure.RESOLVED_ON_TIME), self.n(Measure.RESOLVED_LATE)
        return round(100 * on / (on + late), 1) if on + late else None

    @property
    def rating(self) -> float | None:
        n = self.n(Measure.RATED)
        return round(self.rating_sum / n, 2) if n else None


@dataclass
class Report:
    filters: Filters
    channels: list[ChannelRow]
    hours: list[int]
    backlog: list[Backlog]
    people: list[PersonDay]
    scores: list[Score]


def week_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def report(filters: Filters, *, language: str) -> Report:
    facts = filters.facts(Fact.objects.all())
    by_channel: dict[str, list[int]] = defaultdict(lambda: [0] * 24)
    for detail, n in (
        facts.filter(measure=Measure.INTAKE).values_list("detail").annotate(n=Sum("count"))
    ):
        channel, _, hour = detail.partition(":")
        if hour.isdigit() and 0 <= int(hour) < 24:
            by_channel[channel][int(hour)] += n
    names = dict(Channel.choices)
    channels = sorted(
        (ChannelRow(c, str(names.get(c, c)), h) for c, h in by_channel.items()),
        key=lambda r: -r.total,
    )
    hours = [sum(r.hours[h] for r in channels) for h in range(24)]

    open_cases = filters.cases(Case.objects.exclude(status__in=CLOSED_STATUSES))
    # Counted per site too: in the order of the open cases' index (site, procedure, step,
    # department), so the database counts each group as it reads it instead of hashing a
    # third of a million rows; the sites' counts are added here.
    per_site = open_cases.values_list("site_id", "procedure_key", "step", "department_id")
    counted: Counter[tuple[str, str, int | None]] = Counter()
    for _site, k, s, d, n in per_site.annotate(n=Count("id")):
        counted[(k, s, d)] += n
    steps = labels({(k, s) for k, s, _d in counted}, language)
    backlog = sorted(
        (Backlog(k, s, steps[(k, s)], d, n) for (k, s, d), n in counted.items()),
        key=lambda b: (-b.count, b.label),
    )

    # Per person a day needs no detail: the totals (the intakes' channels and hours summed),
    # a row per person and day with the three measures side by side.
    people: dict[int | None, PersonDay] = {}
    per_day = {str(m): Sum("count", filter=Q(measure=str(m))) for m in PER_DAY}
    for person, _day, *sums in (
        filters.facts(FactTotal.objects.filter(measure__in=[str(m) for m in PER_DAY]))
        .values_list("person_id", "day")
        .annotate(**per_day)
        .values_list("person_id", "day", *per_day)
    ):
        p = people.setdefault(person, PersonDay(person))
        p.days += 1
        for m, n in zip(per_day, sums, strict=True):
            if n:
                p.totals[m] = p.totals.get(m, 0) + n
                p.most[m] = max(p.most.get(m, 0), n)
        if (sums[PER_DAY.index(Measure.REPAIR_ORDER)] or 0) > ORDERS_A_DAY[1]:
            p.busy_days += 1

    # The scorecards by ISO week (Monday first), summed by the database.
    scores: dict[tuple[int | None, date], Score] = {}
    for person, week, measure, detail, n in (
        facts.filter(measure__in=[str(m) for m in SCORED])
        .annotate(week=TruncWeek("day", output_field=DateField()))
        .values_list("person_id", "week", "measure", "detail")
        .annotate(n=Sum("count"))
    ):
        s = scores.setdefault((person, week), Score(person, week))
        key = f"{measure}:{detail}" if measure == Measure.RETURN_VISIT else measure
        s.counts[key] = s.counts.get(key, 0) + n
        if measure == Measure.RATED and detail.isdigit():
            s.rating_sum += int(detail) * n
    return Report(
        filters=filters,
        channels=channels,
        hours=hours,
        backlog=backlog,
        people=sorted(
            (p for p in people.values() if p.person_id is not None),
            key=lambda p: -sum(p.totals.values()),
        ),
        scores=sorted(
            (s for s in scores.values() if s.person_id is not None),
            key=lambda s: (s.person_id or 0, s.week),
        ),
    )


def users(ids: set[int | None]) -> dict[int, Any]:
    return get_user_model().objects.select_related("staff").in_bulk({i for i in ids if i})


def drill(
    filters: Filters,
    what: str,
    *,
    procedure: str | None = None,
    step: str | None = None,
    detail: str | None = None,
    channel: str | None = None,
    hour: int | None = None,
    day: date | None = None,
    window: dr.Window = dr.FIRST,
) -> tuple[int, list[Occurrence]]:
    """The occurrences behind one number (`what` a measure of `DRILLABLE`), or the open cases
    behind a backlog figure (`backlog`, by procedure and step; the department is a filter):
    how many, and those of `window`."""
    if what not in DRILLABLE or (hour is not None and not 0 <= hour < 24):
        field_name = "measure" if what not in DRILLABLE else "hour"
        raise Unprocessable(
            "invalid_filters", fields={field_name: FieldError("report_unknown_measure")}
        )
    if what == BACKLOG:
        cases = filters.cases(Case.objects.exclude(status__in=CLOSED_STATUSES))
        return dr.now(cases.filter(dr.where(procedure, step)), window=window)
    chosen = dr.selection(
        filters,
        [what],
        detail=detail,
        detail_prefix=f"{channel}:" if channel else None,
        detail_suffix=f":{hour:02d}" if hour is not None else None,
        procedures=[procedure] if procedure else None,
        step=step,
        day=day,
    )
    return dr.occurrences(chosen, window=window)


def person_name(user: Any) -> str:
    if user is None:
        return ""
    staff = getattr(user, "staff", None)
    return staff.display_name if staff else user.get_full_name() or user.username


# -- as a spreadsheet (fuwu.sheets' rows + columns protocol) -------------------------------------


def sheet(result: Report, language: str = "zh-hans") -> SimpleTable:
    """The agents' scorecards (per person and week) as the page's last table shows them, with
    the page's other tables as secondary sheets (`secondary`)."""
    people = users({s.person_id for s in result.scores} | {p.person_id for p in result.people})
    visit = str(Measure.RETURN_VISIT)
    columns = [
        Column(gettext("人员"), width=16),
        Column(gettext("周（周一）"), Kind.DATE, width=12),
        Column(gettext("按时解决率"), Kind.PERCENT, width=12),
        Column(gettext("按时解决"), Kind.INT, width=10),
        Column(gettext("超时解决"), Kind.INT, width=10),
        Column(gettext("返修"), Kind.INT, width=10),
        Column(gettext("回访满意"), Kind.INT, width=10),
        Column(gettext("回访不满意"), Kind.INT, width=10),
        Column(gettext("评价数"), Kind.INT, width=10),
        Column(gettext("平均评分"), Kind.DECIMAL, width=10),
    ]
    rows = [
        (
            person_name(people.get(s.person_id or 0)),
            s.week,
            s.on_time_rate,
            s.n(Measure.RESOLVED_ON_TIME),
            s.n(Measure.RESOLVED_LATE),
            s.n(Measure.COMEBACK),
            s.n(f"{visit}:satisfied"),
            s.n(f"{visit}:dissatisfied"),
            s.n(Measure.RATED),
            s.rating,
        )
        for s in result.scores
    ]
    return SimpleTable(
        name="workload",
        columns=columns,
        rows=rows,
        title=pgettext("sheet", "人员质量记分卡"),
        more=secondary(result, people, language),
    )


def secondary(result: Report, people: dict[int, Any], language: str) -> list[SimpleTable]:
    """The page's other tables, in its order: intake by channel and hour (every hour of the day),
    the backlog by step and department, and each person's work a day."""
    hour = pgettext("hour", "时")
    total = gettext("合计")
    intake = SimpleTable(
        name="intake",
        columns=[
            Column(gettext("渠道"), width=14),
            Column(total, Kind.INT, width=8),
            *(Column(f"{h:02d}{hour}", Kind.INT, width=6) for h in range(24)),
        ],
        rows=[
            *((c.label, c.total, *c.hours) for c in result.channels),
            (total, sum(result.hours), *result.hours),
        ],
        title=gettext("按渠道与时段受理"),
    )
    departments = Department.objects.in_bulk(
        {b.department_id for b in result.backlog if b.department_id}
    )
    en = language.lower().startswith("en")

    def department(pk: int | None) -> str:
        found = departments.get(pk or 0)
        if found is None:
            return ""
        return str(found.name_en) if en and found.name_en else str(found.name)

    backlog = SimpleTable(
        name="backlog",
        columns=[
            Column(gettext("服务程序 · 步骤"), width=36),
            Column(gettext("部门"), width=16),
            Column(gettext("工单数"), Kind.INT, width=10),
        ],
        rows=[
            *((b.label, department(b.department_id), b.count) for b in result.backlog),
            (total, "", sum(b.count for b in result.backlog)),
        ],
        title=pgettext("sheet", "当前积压"),
    )
    measures = (gettext("受理工单"), gettext("完成步骤"), gettext("修理单"))
    parts = (gettext("合计"), gettext("日均"), gettext("单日最多"))
    per_day = SimpleTable(
        name="per-person-a-day",
        columns=[
            Column(gettext("人员"), width=16),
            Column(gettext("工作天数"), Kind.INT, width=10),
            *(
                Column(f"{m} · {p}", Kind.DECIMAL if i == 1 else Kind.INT, width=12)
                for m in measures
                for i, p in enumerate(parts)
            ),
            Column(gettext("修理单超过 %(most)s 张的天数") % {"most": ORDERS_A_DAY[1]}, Kind.INT),
        ],
        rows=[
            (
                person_name(people.get(p.person_id or 0)),
                p.days,
                *(x for m in PER_DAY for x in (p.totals.get(m, 0), p.average(m), p.most.get(m, 0))),
                p.busy_days,
            )
            for p in result.people
        ],
        title=gettext("每人每天的工作量"),
    )
    return [intake, backlog, per_day]
