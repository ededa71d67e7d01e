"""Lists read from the registers (登记簿) — each entry was written by its case's
`register_out` effect and is closed by `register_in`.

- `parking_expiring`: the parking permits still out whose lease ends in a month (seed 7: 客户中心
  定期统计费用到期车辆，以书面形式转至秩序维护部；秩序维护部根据清单在各出入口提醒业主续缴费用) —
  the guards' paper list: plate, space, permit, owner, lease end.
- `keys_overdue`: keys lent and not back by their due time (《钥匙借用表》), oldest first.

One query each (the `register_open` index: site, register, returned_at).
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.utils import timezone
from django.utils.translation import gettext

from fuwu.cases.models import case_number
from fuwu.procedures.engine.errors import FieldError, Unprocessable
from fuwu.registers.models import Entry, Register
from fuwu.reports.lists import Scope, option_labels
from fuwu.sheets.tables import Column, Kind, SimpleTable


def parse_month(raw: str | None, today: date) -> date:
    """`YYYY-MM` → the first of that month; empty → this month."""
    raw = (raw or "").strip()
    if not raw:
        return today.replace(day=1)
    try:
        year, month = raw.split("-")
        return date(int(year), int(month), 1)
    except ValueError:
        raise Unprocessable(
            "invalid_filters", fields={"month": FieldError("report_bad_month")}
        ) from None


def month_end(first: date) -> date:
    return first.replace(day=calendar.monthrange(first.year, first.month)[1])


@dataclass(frozen=True)
class Lease:
    entry_id: int
    case_id: int
    number: str
    plate: str
    permit: str
    space: str
    space_kind: str
    customer: str
    unit: str
    lease_end: date
    expired: bool
    step: str


def parking_expiring(scope: Scope, month: date) -> list[Lease]:
    """Permits out whose lease ends in the month (the month's first to last day, local), in
    order of the end date and plate."""
    start = datetime.combine(month, time(), scope.zone)
    end = datetime.combine(month_end(month) + timedelta(days=1), time(), scope.zone)
    rows = (
        Entry.objects.filter(
            site_id__in=scope.site_ids,
            register=Register.PARKING_PERMIT,
            returned_at__isnull=True,
            due_back__gte=start,
            due_back__lt=end,
        )
        .order_by("due_back", "item", "id")
        .values_list(
            "id",
            "case_id",
            "case__created_at",
            "item",
            "holder",
            "due_back",
            "case__data",
            "case__customer__name",
            "case__asset__label",
            "case__step",
        )
    )
    out = []
    for pk, case_id, created, item, holder, due, data, customer, unit, step in rows:
        data = data if isinstance(data, dict) else {}
        # `due_back` is the lease's last day, 23:59 (a date is due by the end of that day):
        # the lease has run out once that day is over.
        end_day = timezone.localtime(due, scope.zone).date()
        out.append(
            Lease(
                entry_id=pk,
                case_id=case_id,
                number=case_number(case_id, created),
                plate=item,
                permit=holder,
                space=str(data.get("space_no") or ""),
                space_kind=str(data.get("space_kind") or ""),
                customer=customer or "",
                unit=unit or "",
                lease_end=end_day,
                expired=end_day < scope.today,
                step=step,
            )
        )
    return out


def space_kind_labels(language: str) -> dict[str, str]:
    return option_labels("parking_lease", "space_kind", language)


@dataclass(frozen=True)
class Loan:
    entry_id: int
    case_id: int
    number: str
    key: str
    holder: str
    out_at: datetime
    due_back: datetime
    reminded_at: datetime | None
    days_overdue: int


def keys_overdue(scope: Scope, *, now: datetime | None = None) -> list[Loan]:
    """Keys out past their due time now, longest overdue first."""
    now = now or timezone.now()
    rows = (
        Entry.objects.filter(
            site_id__in=scope.site_ids,
            register=Register.KEY,
            returned_at__isnull=True,
            due_back__lt=now,
        )
        .order_by("due_back", "id")
        .values_list(
            "id",
            "case_id",
            "case__created_at",
            "item",
            "holder",
            "out_at",
            "due_back",
            "reminded_at",
        )
    )
    out = []
    for pk, case_id, created, item, holder, out_at, due, reminded in rows:
        if due is None:  # not possible under `due_back__lt`; narrows the type
            continue
        today = timezone.localtime(now, scope.zone).date()
        days = (today - timezone.localtime(due, scope.zone).date()).days
        number = case_number(case_id, created)
        out.append(Loan(pk, case_id, number, item, holder, out_at, due, reminded, days))
    return out


# -- as spreadsheets (fuwu.sheets' rows + columns protocol) --------------------------------------


def parking_sheet(rows: list[Lease], month: date, language: str) -> SimpleTable:
    """The guards' list of the month's expiring leases."""
    kinds = space_kind_labels(language)
    columns = [
        Column(gettext("车牌号码"), width=12),
        Column(gettext("车位编号"), width=10),
        Column(gettext("车位类型"), width=12),
        Column(gettext("停车证编号"), width=14),
        Column(gettext("业主"), width=14),
        Column(gettext("房号"), width=12),
        Column(gettext("租期止"), Kind.DATE, width=12),
        Column(gettext("已过期"), width=8),
        Column(gettext("工单号"), width=16),
    ]
    lines = [
        (
            r.plate,
            r.space,
            kinds.get(r.space_kind, r.space_kind),
            r.permit,
            r.customer,
            r.unit,
            r.lease_end,
            gettext("是") if r.expired else "",
            r.number,
        )
        for r in rows
    ]
    return SimpleTable(name=f"parking-{month:%Y-%m}", columns=columns, rows=lines)


def keys_sheet(rows: list[Loan]) -> SimpleTable:
    """The keys overdue, longest overdue first."""
    columns = [
        Column(gettext("钥匙"), width=16),
        Column(gettext("借用人"), width=14),
        Column(gettext("借出时间"), Kind.DATETIME, width=17),
        Column(gettext("应还时间"), Kind.DATETIME, width=17),
        Column(gettext("逾期天数"), Kind.INT, width=10),
        Column(gettext("提醒时间"), Kind.DATETIME, width=17),
        Column(gettext("工单号"), width=16),
    ]
    lines = [
        (r.key, r.holder, r.out_at, r.due_back, r.days_overdue, r.reminded_at, r.number)
        for r in rows
    ]
    return SimpleTable(name="keys-overdue", columns=columns, rows=lines)
