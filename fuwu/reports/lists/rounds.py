"""Rounds and surveys across a compound.

- `vacant_log`: the vacant-unit inspection log (seed 3、空房管理规程: 空房巡视 → 房屋土建、房屋配套、
  钥匙管理、卫生情况 → 情况正常 / 发现问题通知相关部门整改 → 跟踪整改情况 → 记录归档): the rounds
  opened in the period, when each unit was inspected, normal or the problem found, whose
  department and where the rectification stands.
- `survey_tally`: the opinion survey counted per area (the unit's building; seed 2、意见征询
  管理规程: 发放征询表 → 回收征询表 → 问题分析 → 本部门 / 其他部门 → 统计征询表): households, forms
  handed out and returned, the return rate, problems raised and the problems per responsible
  department — every figure with the households behind it (`pick_survey`).

One query each.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import Case as Choose
from django.db.models import CharField, Count, Q, QuerySet, Value, When
from django.db.models.fields.json import KeyTransform
from django.db.models.functions import TruncDate
from django.utils.translation import gettext

from fuwu.cases.choices import Status
from fuwu.cases.models import Case, case_number
from fuwu.procedures.engine.errors import FieldError, Unprocessable
from fuwu.reports.lists import Scope, building_label, building_of, option_labels
from fuwu.reports.lists.fees import in_building, json_text
from fuwu.sheets.tables import Column, Kind, SimpleTable

VACANT = "vacant_unit_inspection"
SURVEY = "opinion_survey"


@dataclass(frozen=True)
class Inspection:
    case_id: int
    number: str
    unit: str
    round_label: str
    inspected_at: datetime | None
    problem: str  # empty when the unit was found normal (or is not inspected yet)
    department: str
    step: str
    status: str


def vacant_log(scope: Scope) -> list[Inspection]:
    """The vacant-unit rounds opened in the period, by inspection time then unit."""
    start, end = scope.bounds()
    rows = (
        Case.objects.filter(
            site_id__in=scope.site_ids,
            procedure_key=VACANT,
            created_at__gte=start,
            created_at__lt=end,
        )
        .exclude(status__in=[Status.CANCELLED, Status.REJECTED])
        .values_list(
            "id", "created_at", "step", "status", "data", "asset__label", "asset__attributes"
        )
    )
    out = []
    for pk, created, step, status, data, unit, attributes in rows:
        data = data if isinstance(data, dict) else {}
        if scope.building is not None and (building_of(attributes) or "-") != scope.building:
            continue
        out.append(
            Inspection(
                case_id=pk,
                number=case_number(pk, created),
                unit=unit or "",
                round_label=str(data.get("round_label") or ""),
                inspected_at=_moment(data.get("inspected_at")),
                problem=str(data.get("problem_description") or ""),
                department=str(data.get("responsible_department") or ""),
                step=step,
                status=status,
            )
        )
    far = datetime.max.replace(tzinfo=scope.zone)
    out.sort(key=lambda i: (i.inspected_at or far, i.unit, i.number))
    return out


def _moment(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


@dataclass(frozen=True)
class Surveyed:
    case_id: int
    created: datetime
    unit: str
    building: str
    method: str
    round: str
    handed_out: bool
    returned: bool | None  # None: not handed out, or not back yet
    problem: bool
    department: str
    step: str

    @property
    def number(self) -> str:
        # Derived when shown (a page of households), not for each of the tally's thousands.
        return case_number(self.case_id, self.created)


ALL, HANDED_OUT, RETURNED, NOT_RETURNED, PROBLEMS = (
    "all",
    "handed_out",
    "returned",
    "not_returned",
    "problems",
)
MEASURES = (ALL, HANDED_OUT, RETURNED, NOT_RETURNED, PROBLEMS)
DEPARTMENT = "department:"  # a drill-down measure: the problems of one responsible department


SURVEY_KEYS = (
    "survey_method",
    "survey_round",
    "form_no",
    "form_returned",
    "problem_found",
    "responsible_department",
)


def _surveys(scope: Scope, round: str | None) -> QuerySet[Case]:
    start, end = scope.bounds()
    qs = Case.objects.filter(
        site_id__in=scope.site_ids, procedure_key=SURVEY, created_at__gte=start, created_at__lt=end
    ).exclude(status__in=[Status.CANCELLED, Status.REJECTED])
    if round:
        qs = qs.filter(data__survey_round=round)
    return qs


def counted_tally(scope: Scope, *, round: str | None = None) -> Tally:
    """`survey_tally(surveyed(scope, round=round))` counted by the database: one grouped query
    by building and (for the households with a problem) responsible department."""
    problem = Q(data__problem_found=True)
    grouped = (
        in_building(_surveys(scope, round), scope, "asset__attributes")
        .annotate(
            building_text=json_text("building", "asset__attributes"),
            department_text=Choose(
                When(problem, then=json_text("responsible_department", "data")),
                default=Value(""),
                output_field=CharField(),
            ),
            form_text=json_text("form_no", "data"),
        )
        .order_by()
        .values_list("building_text", "department_text")
        .annotate(
            n=Count("id"),
            handed_out=Count("id", filter=~Q(form_text="")),
            returned=Count("id", filter=Q(data__form_returned=True)),
            not_returned=Count("id", filter=Q(data__form_returned=False)),
            problems=Count("id", filter=problem),
        )
    )
    lines: dict[str, AreaLine] = {}
    total = AreaLine("")
    for building, department, n, handed_out, returned, not_returned, problems in grouped:
        for line in (lines.setdefault(building, AreaLine(building)), total):
            line.households += n
            line.handed_out += handed_out
            line.returned += returned
            line.not_returned += not_returned
            line.problems += problems
            if department:
                line.by_department[department] = line.by_department.get(department, 0) + n
    ordered = sorted(lines.values(), key=lambda line: _order(line.building))
    return Tally(ordered, total, sorted(total.by_department))


def surveyed(
    scope: Scope, *, round: str | None = None, ids: list[int] | None = None
) -> list[Surveyed]:
    """The households surveyed in the period (a case each), optionally of one round (and only
    the cases `ids`)."""
    qs = _surveys(scope, round)
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    out = []
    # Of the procedure data only the keys read here (a survey's data holds every answer).
    keys = SURVEY_KEYS
    # The local day each was taken in (the active time zone's, as `case_number` writes it):
    # with the id, the order of the case numbers without making one per row.
    rows = qs.annotate(
        local_day=TruncDate("created_at"), **{f"k_{k}": KeyTransform(k, "data") for k in keys}
    ).values_list(
        "id",
        "created_at",
        "local_day",
        "step",
        "asset__label",
        "asset__attributes",
        *(f"k_{k}" for k in keys),
    )
    numbered: dict[int, tuple[Any, str]] = {}
    for pk, created, local_day, step, unit, attributes, *values in rows:
        numbered[pk] = (local_day, f"{pk:06d}")
        data = {k: v for k, v in zip(keys, values, strict=True) if v is not None}
        building = building_of(attributes)
        if scope.building is not None and (building or "-") != scope.building:
            continue
        returned = data.get("form_returned")
        out.append(
            Surveyed(
                case_id=pk,
                created=created,
                unit=unit or "",
                building=building,
                method=str(data.get("survey_method") or ""),
                round=str(data.get("survey_round") or ""),
                handed_out=bool(data.get("form_no")),
                returned=returned if isinstance(returned, bool) else None,
                problem=data.get("problem_found") is True,
                department=str(data.get("responsible_department") or "")
                if data.get("problem_found") is True
                else "",
                step=step,
            )
        )
    # By area and unit, then case number ("YYYYMMDD-000123": the local day, then the id as
    # six or more digits, compared as text).
    out.sort(key=lambda s: (_order(s.building), s.unit, *numbered[s.case_id]))
    return out


def _picked_q(measure: str) -> Q:
    """`pick_survey`'s tests as conditions on the cases, with `counted_tally`'s expressions
    (so a figure and the households behind it agree by construction)."""
    problem = Q(data__problem_found=True)
    if measure.startswith(DEPARTMENT):
        return problem & Q(department_text=measure[len(DEPARTMENT) :])
    conditions = {
        ALL: Q(),
        HANDED_OUT: ~Q(form_text=""),
        RETURNED: Q(data__form_returned=True),
        NOT_RETURNED: Q(data__form_returned=False),
        PROBLEMS: problem,
    }
    if measure not in conditions:
        raise Unprocessable(
            "invalid_filters", fields={"measure": FieldError("report_unknown_measure")}
        )
    return conditions[measure]


def surveyed_order(scope: Scope, measure: str, *, round: str | None = None) -> list[int]:
    """The cases of `pick_survey(surveyed(scope, round=round), measure)`, in its order: chosen
    by the database and put in order from four light columns each, no procedure data decoded
    (that was most of the time for half a year's surveys); `in_order` reads a page of them."""
    if measure == DEPARTMENT:  # the households with no department named: as `pick_survey` says
        return [s.case_id for s in pick_survey(surveyed(scope, round=round), measure)]
    chosen = (
        in_building(_surveys(scope, round), scope, "asset__attributes")
        .alias(
            form_text=json_text("form_no", "data"),
            department_text=json_text("responsible_department", "data"),
        )
        .filter(_picked_q(measure))
        .annotate(
            local_day=TruncDate("created_at"),
            building_text=json_text("building", "asset__attributes"),
        )
        .values_list("id", "local_day", "asset__label", "building_text")
    )
    # `surveyed`'s order: area, unit, then the case number ("YYYYMMDD-000123": the local day,
    # then the id as six or more digits, compared as text).
    order = sorted(
        (_order(building), unit or "", local_day, f"{pk:06d}", pk)
        for pk, local_day, unit, building in chosen
    )
    return [key[-1] for key in order]


def in_order(scope: Scope, ids: list[int], *, round: str | None = None) -> list[Surveyed]:
    """The households `ids` (a page of `surveyed_order`), in that order. One query."""
    rows = {s.case_id: s for s in surveyed(scope, round=round, ids=ids)}
    return [rows[pk] for pk in ids if pk in rows]


def _order(building: str) -> tuple[int, int, str]:
    if not building:
        return (2, 0, "")
    return (0, int(building), "") if building.isdigit() else (1, 0, building)


@dataclass
class AreaLine:
    building: str
    households: int = 0
    handed_out: int = 0
    returned: int = 0
    not_returned: int = 0
    problems: int = 0
    by_department: dict[str, int] = field(default_factory=dict)

    @property
    def return_rate(self) -> float | None:
        """Forms returned ÷ forms handed out, in percent."""
        return round(100 * self.returned / self.handed_out, 1) if self.handed_out else None

    def add(self, s: Surveyed) -> None:
        self.households += 1
        self.handed_out += s.handed_out
        self.returned += s.returned is True
        self.not_returned += s.returned is False
        self.problems += s.problem
        if s.department:
            self.by_department[s.department] = self.by_department.get(s.department, 0) + 1


@dataclass
class Tally:
    lines: list[AreaLine]
    total: AreaLine
    departments: list[str]


def survey_tally(rows: list[Surveyed]) -> Tally:
    lines: dict[str, AreaLine] = {}
    total = AreaLine("")
    for s in rows:
        lines.setdefault(s.building, AreaLine(s.building)).add(s)
        total.add(s)
    ordered = sorted(lines.values(), key=lambda line: _order(line.building))
    return Tally(ordered, total, sorted(total.by_department))


def pick_survey(rows: list[Surveyed], measure: str) -> list[Surveyed]:
    """The households behind one figure of the tally."""
    if measure.startswith(DEPARTMENT):
        key = measure[len(DEPARTMENT) :]
        return [s for s in rows if s.department == key]
    tests = {
        ALL: lambda s: True,
        HANDED_OUT: lambda s: s.handed_out,
        RETURNED: lambda s: s.returned is True,
        NOT_RETURNED: lambda s: s.returned is False,
        PROBLEMS: lambda s: s.problem,
    }
    if measure not in tests:
        raise Unprocessable(
            "invalid_filters", fields={"measure": FieldError("report_unknown_measure")}
        )
    return [s for s in rows if tests[measure](s)]


# -- as spreadsheets (fuwu.sheets' rows + columns protocol) --------------------------------------


def vacant_sheet(rows: list[Inspection], steps: dict[str, str], language: str) -> SimpleTable:
    """The vacant-unit inspection log; `steps` names the procedure's steps."""
    departments = option_labels(VACANT, "responsible_department", language)
    columns = [
        Column(gettext("巡视时间"), Kind.DATETIME, width=17),
        Column(gettext("房号"), width=12),
        Column(gettext("巡视批次"), width=14),
        Column(gettext("巡视结果"), width=28),
        Column(gettext("责任部门"), width=14),
        Column(gettext("处理进度"), width=14),
        Column(gettext("工单号"), width=16),
    ]
    lines = [
        (
            r.inspected_at,
            r.unit,
            r.round_label,
            r.problem or (gettext("情况正常") if r.inspected_at else ""),
            departments.get(r.department, r.department),
            steps.get(r.step, r.step),
            r.number,
        )
        for r in rows
    ]
    return SimpleTable(name="vacant-units", columns=columns, rows=lines)


def survey_sheet(tally: Tally, language: str) -> SimpleTable:
    """The opinion survey counted per area, a column per responsible department, the total."""
    names = option_labels(SURVEY, "responsible_department", language)
    columns = [
        Column(gettext("区域"), width=12),
        Column(gettext("征询户数"), Kind.INT, width=10),
        Column(gettext("发放征询表"), Kind.INT, width=10),
        Column(gettext("回收"), Kind.INT, width=8),
        Column(gettext("未回收"), Kind.INT, width=8),
        Column(gettext("回收率"), Kind.PERCENT, width=10),
        Column(gettext("反映问题"), Kind.INT, width=10),
        *(Column(names.get(d, d), Kind.INT, width=12) for d in tally.departments),
    ]
    rows = [
        (
            label,
            line.households,
            line.handed_out,
            line.returned,
            line.not_returned,
            line.return_rate,
            line.problems,
            *(line.by_department.get(d, 0) for d in tally.departments),
        )
        for line, label in [
            *((line, building_label(line.building)) for line in tally.lines),
            (tally.total, gettext("合计")),
        ]
    ]
    return SimpleTable(name="surveys", columns=columns, rows=rows)
