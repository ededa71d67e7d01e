"""The week's gas-activation list (seed 9、开通煤气: 定时与煤气公司联系并告之通气户数 → 整理本周
通气名单，在通气日交与煤气公司 → 对家中无人的业主以电话方式告知未开通煤气原因).

The list is the households whose activation date (`activation_date`, set when the date is agreed
with the gas company) falls in the week, Monday to Sunday: unit, owner, meter, date and where
each stands — waiting for the day, gas on, nobody at home. The household count is what the
service centre tells the gas company. One query (the `procedure_key` index narrows it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from django.utils.translation import gettext

from fuwu.cases.choices import Status
from fuwu.cases.models import Case, case_number
from fuwu.reports.lists import Scope, iso_day
from fuwu.sheets.tables import Column, Kind, SimpleTable

GAS = "gas_activation"
WAITING, ACTIVATED, ABSENT = "waiting", "activated", "absent"
STATES = (WAITING, ACTIVATED, ABSENT)
_ACTIVATED_STEPS = frozenset({"finance_summary", "done"})


@dataclass(frozen=True)
class Household:
    case_id: int
    number: str
    unit: str
    owner: str
    meter: str
    activation_date: date | None
    activated_on: date | None
    state: str


@dataclass
class GasWeek:
    monday: date
    sunday: date
    rows: list[Household]

    def count(self, state: str | None = None) -> int:
        return sum(1 for r in self.rows if state is None or r.state == state)


def gas_week(scope: Scope, day: date) -> GasWeek:
    """The list of the week holding `day`, by date and unit."""
    monday = day - timedelta(days=day.weekday())
    sunday = monday + timedelta(days=6)
    rows = (
        Case.objects.filter(site_id__in=scope.site_ids, procedure_key=GAS)
        .exclude(status__in=[Status.CANCELLED, Status.REJECTED])
        .filter(
            data__activation_date__gte=monday.isoformat(),
            data__activation_date__lte=sunday.isoformat(),
        )
        .values_list("id", "created_at", "step", "data", "asset__label")
    )
    out = []
    for pk, created, step, data, unit in rows:
        data = data if isinstance(data, dict) else {}
        state = ACTIVATED if step in _ACTIVATED_STEPS else ABSENT if step == "absent" else WAITING
        out.append(
            Household(
                case_id=pk,
                number=case_number(pk, created),
                unit=unit or "",
                owner=str(data.get("applicant_name") or ""),
                meter=str(data.get("gas_meter_no") or ""),
                activation_date=iso_day(data.get("activation_date")),
                activated_on=iso_day(data.get("activated_on")),
                state=state,
            )
        )
    out.sort(key=lambda h: (h.activation_date or monday, h.unit, h.number))
    return GasWeek(monday, sunday, out)


def state_labels() -> dict[str, str]:
    return {
        WAITING: gettext("待通气"),
        ACTIVATED: gettext("已开通"),
        ABSENT: gettext("家中无人未开通"),
    }


def sheet(week: GasWeek) -> SimpleTable:
    """The week's list as the gas company receives it."""
    states = state_labels()
    columns = [
        Column(gettext("通气日期"), Kind.DATE, width=12),
        Column(gettext("房号"), width=12),
        Column(gettext("业主"), width=14),
        Column(gettext("燃气表编号"), width=16),
        Column(gettext("状态"), width=14),
        Column(gettext("开通日期"), Kind.DATE, width=12),
        Column(gettext("工单号"), width=16),
    ]
    rows = [
        (
            r.activation_date,
            r.unit,
            r.owner,
            r.meter,
            states.get(r.state, r.state),
            r.activated_on,
            r.number,
        )
        for r in week.rows
    ]
    return SimpleTable(name=f"gas-{week.monday.isoformat()}", columns=columns, rows=rows)
