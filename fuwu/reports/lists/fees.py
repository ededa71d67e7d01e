"""Fee collection by the numbers (seed 4、收费管理规程: 催收欠费 → 缴费情况统计; seed 7: 客户中心向
公司财务上报收费报表（日报和周报）).

- `households`: one row per household notice (a `fee_collection` case opened in the period):
  amount due, received, outstanding and its state — paid, not yet due, in arrears (recorded in
  arrears, being chased, or past its pay-by date with money outstanding) or not billed yet (no
  notice printed). The arrears list is these rows in arrears. An opening balance
  (`registers.OpeningBalance`, the old books' balance of a unit and fee item) whose date falls
  in the period is a row too: due = outstanding + paid, received = paid, its date as the
  pay-by date; in arrears while anything is outstanding, otherwise paid. It has no case.
- `statistics`: the same rows summed by building: households billed, due, received,
  outstanding, collection rate (received ÷ due), households in arrears and their amount.
- `payments` / `fee_report`: every payment received (not an opening balance's paid part: that
  money came in before, in the old books) — `paid` / `part_paid` on a notice,
  `paid` / `paid_renewal` on a parking lease — from the case's events, summed per day or per
  week (Monday to Sunday) of the site's calendar and per kind of fee.

The lists of rows (`households`, `payments`) are read into Python, one query each; the figures
over every row of a period — `building_statistics` and `fee_report` — are summed by the
database in one grouped query (the money fields extracted from the JSON and cast to decimals),
with the same rules as the Python ones (`statistics` over `households`, which the tests hold
them to).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Case as Choose
from django.db.models import (
    CharField,
    Count,
    DecimalField,
    ExpressionWrapper,
    F,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.fields.json import KeyTextTransform, KeyTransform
from django.db.models.functions import Cast, Coalesce, NullIf, Substr, TruncDate
from django.utils.translation import gettext

from fuwu.cases.choices import EventKind, Status
from fuwu.cases.models import Case, Event, case_number
from fuwu.procedures.engine.errors import FieldError, Unprocessable
from fuwu.registers.models import OpeningBalance
from fuwu.reports.lists import (
    Scope,
    building_label,
    building_of,
    iso_day,
    money,
    option_labels,
    procedure_name,
)
from fuwu.sheets.tables import Column, Kind, SimpleTable

FEES = "fee_collection"
PARKING = "parking_lease"
# The transitions that receive money, per procedure (their `amount_paid` is the payment).
PAYING = {FEES: ("paid", "part_paid"), PARKING: ("paid", "paid_renewal")}
PAID, NOT_DUE, ARREARS, UNBILLED = "paid", "not_due", "arrears", "unbilled"
STATES = (PAID, NOT_DUE, ARREARS, UNBILLED)
OUTSTANDING = "outstanding"  # a drill-down filter: not due + arrears
ALL = "all"
STATE_FILTERS = frozenset({*STATES, OUTSTANDING, ALL})
GRAINS = ("day", "week")
NO_BUILDING = "-"  # the building filter's value for notices without a unit


@dataclass(frozen=True)
class Household:
    case_id: int | None  # None: an opening balance
    number: str
    title: str
    unit: str
    building: str
    customer: str
    billing_period: str
    fee_type: str
    due: Decimal
    received: Decimal
    pay_by: date | None
    state: str
    step: str
    opening: bool = False  # an opening balance (期初余额), not a notice

    @property
    def outstanding(self) -> Decimal:
        return max(self.due - self.received, Decimal(0))


def _state(data: dict[str, Any], step: str, status: str, today: date) -> str:
    if "amount_due" not in data:
        return UNBILLED
    due, received = money(data.get("amount_due")), money(data.get("amount_received"))
    if received >= due:
        return PAID
    pay_by = iso_day(data.get("pay_by"))
    if data.get("in_arrears") is True or step == "chase" or (pay_by is not None and pay_by < today):
        return ARREARS
    if status in (Status.CLOSED, Status.RESOLVED) and data.get("in_arrears") is not False:
        return ARREARS
    return NOT_DUE


def households(scope: Scope) -> list[Household]:
    """Every household notice opened in the period on the scope's sites, and every opening balance
    dated in it (building filter applied), in building and unit order. Two queries."""
    start, end = scope.bounds()
    rows = (
        Case.objects.filter(
            site_id__in=scope.site_ids,
            procedure_key=FEES,
            created_at__gte=start,
            created_at__lt=end,
        )
        .exclude(status__in=[Status.CANCELLED, Status.REJECTED])
        .values_list(
            "id",
            "created_at",
            "title",
            "step",
            "status",
            "data",
            "asset__label",
            "asset__attributes",
            "customer__name",
        )
    )
    out = []
    for pk, created, title, step, status, data, unit, attributes, customer in rows:
        data = data if isinstance(data, dict) else {}
        building = building_of(attributes)
        if scope.building is not None and (building or NO_BUILDING) != scope.building:
            continue
        out.append(
            Household(
                case_id=pk,
                number=case_number(pk, created),
                title=title,
                unit=unit or "",
                building=building,
                customer=customer or "",
                billing_period=str(data.get("billing_period") or ""),
                fee_type=str(data.get("fee_type") or ""),
                due=money(data.get("amount_due")),
                received=money(data.get("amount_received")),
                pay_by=iso_day(data.get("pay_by")),
                state=_state(data, step, status, scope.today),
                step=step,
            )
        )
    out += _opening_balances(scope)
    out.sort(key=lambda h: (_building_order(h.building), h.unit, h.opening is False, h.number))
    return out


def _opening_balances(scope: Scope) -> list[Household]:
    rows = OpeningBalance.objects.filter(
        site_id__in=scope.site_ids, as_of__gte=scope.start, as_of__lte=scope.end
    ).values_list(
        "pk",
        "fee_type",
        "as_of",
        "billing_period",
        "outstanding",
        "paid",
        "asset__label",
        "asset__attributes",
        "asset__owner__name",
    )
    out = []
    for _pk, fee_type, as_of, period, outstanding, paid, unit, attributes, owner in rows:
        building = building_of(attributes)
        if scope.building is not None and (building or NO_BUILDING) != scope.building:
            continue
        out.append(
            Household(
                case_id=None,
                number="",
                title="",
                unit=unit,
                building=building,
                customer=owner or "",
                billing_period=period,
                fee_type=fee_type,
                due=outstanding + paid,
                received=paid,
                pay_by=as_of,
                state=ARREARS if outstanding > 0 else PAID,
                step="",
                opening=True,
            )
        )
    return out


def _building_order(building: str) -> tuple[int, int, str]:
    if not building:
        return (2, 0, "")
    return (0, int(building), "") if building.isdigit() else (1, 0, building)


def pick(rows: list[Household], state: str) -> list[Household]:
    """The rows of one drill-down: a state, `outstanding` (not due or in arrears) or `all`."""
    if state not in STATE_FILTERS:
        raise Unprocessable("invalid_filters", fields={"state": FieldError("report_bad_state")})
    if state == ALL:
        return rows
    if state == OUTSTANDING:
        return [r for r in rows if r.state in (NOT_DUE, ARREARS)]
    return [r for r in rows if r.state == state]


@dataclass
class BuildingLine:
    building: str
    households: int = 0
    unbilled: int = 0
    paid: int = 0
    arrears: int = 0
    due: Decimal = Decimal(0)
    received: Decimal = Decimal(0)
    outstanding: Decimal = Decimal(0)
    arrears_amount: Decimal = Decimal(0)

    @property
    def rate(self) -> float | None:
        """The collection rate, received ÷ due, in percent (one decimal)."""
        if not self.due:
            return None
        return float(round(100 * min(self.received, self.due) / self.due, 1))

    def add(self, h: Household) -> None:
        if h.state == UNBILLED:
            self.unbilled += 1
            return
        self.households += 1
        self.due += h.due
        self.received += min(h.received, h.due)
        self.outstanding += h.outstanding
        if h.state == PAID:
            self.paid += 1
        if h.state == ARREARS:
            self.arrears += 1
            self.arrears_amount += h.outstanding


@dataclass
class Statistics:
    lines: list[BuildingLine]
    total: BuildingLine


def statistics(rows: list[Household]) -> Statistics:
    """The payment statistics by building (received counted up to the amount due)."""
    lines: dict[str, BuildingLine] = {}
    total = BuildingLine("")
    for h in rows:
        lines.setdefault(h.building, BuildingLine(h.building)).add(h)
        total.add(h)
    ordered = sorted(lines.values(), key=lambda line: _building_order(line.building))
    return Statistics(ordered, total)


# -- the same figures summed by the database ----------------------------------------------------

MONEY = DecimalField(max_digits=16, decimal_places=2)
ZERO = Value(Decimal(0), output_field=MONEY)
CENT = Decimal("0.01")


def _cents(value: Decimal) -> Decimal:
    """A sum from the database in cents: PostgreSQL's numeric(16, 2) has them; SQLite sums
    in floating point (its 15 digits exact for any sum of cents a list reaches)."""
    return Decimal(value).quantize(CENT)


def json_text(key: str, json_field: str) -> Coalesce:
    """A JSON key's value as text, "" when absent (what `str(value or "")` reads)."""
    return Coalesce(Cast(KeyTextTransform(key, json_field), CharField()), Value(""))


def _money_of(text: KeyTextTransform) -> Coalesce:
    """A money value kept as text in JSON (`money`: absent or empty is 0), as a decimal. The
    procedures' `money` fields are validated numbers, so the cast does not fail."""
    return Coalesce(Cast(NullIf(text, Value("")), MONEY), ZERO, output_field=MONEY)


def in_building(qs: QuerySet[Any], scope: Scope, attributes: str) -> QuerySet[Any]:
    """`qs` narrowed to the scope's building (`attributes`: the unit's JSON attributes):
    `building_of`'s value, and for `NO_BUILDING` the rows without one."""
    if scope.building is None:
        return qs
    wanted = [scope.building, ""] if scope.building == NO_BUILDING else [scope.building]
    return qs.alias(building=json_text("building", attributes)).filter(building__in=wanted)


def _notices(scope: Scope) -> QuerySet[Any]:  # Any: the annotations are not seen by the stubs
    """The household notices of `households` (period, sites, building), with their state
    (`state`: `_state`'s rules in SQL), `due`, `received`, what counts of the received
    (`capped`), the outstanding amount (`owed`) and the building (`building_text`)."""
    start, end = scope.bounds()
    notices = Case.objects.filter(
        site_id__in=scope.site_ids,
        procedure_key=FEES,
        created_at__gte=start,
        created_at__lt=end,
    ).exclude(status__in=[Status.CANCELLED, Status.REJECTED])
    notices = in_building(notices, scope, "asset__attributes")
    billed = Q(data__has_key="amount_due")
    covered = Q(received__gte=F("due"))
    return (
        notices.alias(
            due=_money_of(KeyTextTransform("amount_due", "data")),
            received=_money_of(KeyTextTransform("amount_received", "data")),
            pay_by=Substr(KeyTextTransform("pay_by", "data"), 1, 10),
        )
        .alias(
            state=Choose(
                When(billed & covered, then=Value(PAID)),
                When(
                    billed
                    & (
                        Q(data__in_arrears=True)
                        | Q(step="chase")
                        | Q(pay_by__lt=scope.today.isoformat())
                    ),
                    then=Value(ARREARS),
                ),
                When(billed & Q(data__in_arrears=False), then=Value(NOT_DUE)),
                When(billed & Q(status__in=[Status.CLOSED, Status.RESOLVED]), then=Value(ARREARS)),
                When(billed, then=Value(NOT_DUE)),
                default=Value(UNBILLED),
                output_field=CharField(),
            ),
            capped=Choose(When(covered, then=F("due")), default=F("received"), output_field=MONEY),
            owed=Choose(
                When(covered, then=ZERO),
                default=ExpressionWrapper(F("due") - F("received"), output_field=MONEY),
                output_field=MONEY,
            ),
        )
        .annotate(building_text=json_text("building", "asset__attributes"))
    )


def _wanted(state: str) -> list[str]:
    if state not in STATE_FILTERS:
        raise Unprocessable("invalid_filters", fields={"state": FieldError("report_bad_state")})
    return {ALL: list(STATES), OUTSTANDING: [NOT_DUE, ARREARS]}.get(state, [state])


def household_rows(scope: Scope, state: str) -> list[Household]:
    """`pick(households(scope), state)`, the state chosen by the database: only the notices of
    that state are read, and of their data only the keys a row shows. Two queries."""
    wanted = _wanted(state)
    rows = (
        _notices(scope)
        .filter(state__in=wanted)
        .annotate(
            state_text=F("state"),
            due_text=KeyTextTransform("amount_due", "data"),
            received_text=KeyTextTransform("amount_received", "data"),
            pay_by_text=KeyTextTransform("pay_by", "data"),
            period_text=json_text("billing_period", "data"),
            fee_type_text=json_text("fee_type", "data"),
        )
        .values_list(
            "id",
            "created_at",
            "title",
            "step",
            "asset__label",
            "building_text",
            "customer__name",
            "period_text",
            "fee_type_text",
            "due_text",
            "received_text",
            "pay_by_text",
            "state_text",
        )
    )
    out = [
        Household(
            case_id=pk,
            number=case_number(pk, created),
            title=title,
            unit=unit or "",
            building=building,
            customer=customer or "",
            billing_period=period,
            fee_type=fee_type,
            due=money(due),
            received=money(received),
            pay_by=iso_day(pay_by),
            state=row_state,
            step=step,
        )
        for (
            pk,
            created,
            title,
            step,
            unit,
            building,
            customer,
            period,
            fee_type,
            due,
            received,
            pay_by,
            row_state,
        ) in rows
    ]
    out += [h for h in _opening_balances(scope) if h.state in wanted]
    out.sort(key=lambda h: (_building_order(h.building), h.unit, h.opening is False, h.number))
    return out


def building_statistics(scope: Scope) -> Statistics:
    """`statistics(households(scope))`, summed by the database: one grouped query over the
    period's notices (their state decided in SQL by `_state`'s rules), and the opening
    balances (few: an import's) added in Python."""
    notices = _notices(scope)
    counted = ~Q(state=UNBILLED)

    def total(expression: str, where: Q) -> Coalesce:
        return Coalesce(Sum(expression, filter=where), ZERO, output_field=MONEY)

    grouped = (
        notices.order_by()
        .values_list("building_text")
        .annotate(
            n_households=Count("id", filter=counted),
            n_unbilled=Count("id", filter=Q(state=UNBILLED)),
            n_paid=Count("id", filter=Q(state=PAID)),
            n_arrears=Count("id", filter=Q(state=ARREARS)),
            sum_due=total("due", counted),
            sum_received=total("capped", counted),
            sum_outstanding=total("owed", counted),
            sum_arrears=total("owed", Q(state=ARREARS)),
        )
    )
    lines: dict[str, BuildingLine] = {}
    for building, households, unbilled, paid, arrears, *sums in grouped:
        due, received, outstanding, arrears_amount = (_cents(v) for v in sums)
        lines[building] = BuildingLine(
            building,
            households,
            unbilled,
            paid,
            arrears,
            due,
            received,
            outstanding,
            arrears_amount,
        )
    summed = BuildingLine("")
    for line in lines.values():
        for name in ("households", "unbilled", "paid", "arrears"):
            setattr(summed, name, getattr(summed, name) + getattr(line, name))
        for name in ("due", "received", "outstanding", "arrears_amount"):
            setattr(summed, name, getattr(summed, name) + getattr(line, name))
    for h in _opening_balances(scope):
        lines.setdefault(h.building, BuildingLine(h.building)).add(h)
        summed.add(h)
    ordered = sorted(lines.values(), key=lambda line: _building_order(line.building))
    return Statistics(ordered, summed)


@dataclass(frozen=True)
class Payment:
    event_id: int
    at: datetime
    day: date
    case_id: int
    number: str
    title: str
    unit: str
    kind: str  # a fee_collection fee type, or "parking_lease"
    amount: Decimal
    receipt_no: str
    method: str


def payment_events(scope: Scope, *, kind: str | None = None) -> QuerySet[Event]:
    """The payment events of the period (the building and `kind` filters applied in SQL),
    oldest first, with their kind of fee (`fee_kind`) and amount (`amount`) annotated; the
    `event_kind_at` index."""
    start, end = scope.bounds()
    # Every paying transition of either procedure: a transition's key is one of its own
    # procedure's (the engine refuses others), so no notice has a `paid_renewal` nor a lease a
    # `part_paid` (an OR per procedure here made PostgreSQL misjudge the rows 20-fold).
    events = Event.objects.filter(
        kind=EventKind.TRANSITIONED,
        at__gte=start,
        at__lt=end,
        case__site_id__in=scope.site_ids,
        case__procedure_key__in=list(PAYING),
        data__transition__in=sorted({t for ts in PAYING.values() for t in ts}),
    )
    events = in_building(events, scope, "case__asset__attributes").annotate(
        fee_kind=Choose(
            When(case__procedure_key=PARKING, then=Value(PARKING)),
            default=json_text("fee_type", "case__data"),
            output_field=CharField(),
        ),
        amount=_money_of(KeyTextTransform("amount_paid", KeyTransform("values", "data"))),
    )
    if kind is not None:
        events = events.filter(fee_kind=kind)  # type: ignore[misc]  # annotated just above
    return events.order_by("at", "id")


def payment_total(events: QuerySet[Event]) -> tuple[int, Decimal]:
    """(how many, their sum) of `payment_events`, summed by the database."""
    got = events.order_by().aggregate(n=Count("id"), total=Coalesce(Sum("amount"), ZERO))
    return got["n"], _cents(got["total"])


def payment_rows(scope: Scope, events: QuerySet[Event]) -> list[Payment]:
    """`payment_events` (or a slice of them) as payments: one query."""
    rows = events.values_list(  # type: ignore[misc]  # `fee_kind`: payment_events annotates it
        "id",
        "at",
        "data",
        "case_id",
        "case__created_at",
        "case__title",
        "fee_kind",
        "case__asset__label",
    )
    out = []
    for pk, at, data, case_id, created, title, fee_kind, unit in rows:
        values = (data if isinstance(data, dict) else {}).get("values") or {}
        out.append(
            Payment(
                event_id=pk,
                at=at,
                day=scope.local_day(at),
                case_id=case_id,
                number=case_number(case_id, created),
                title=title,
                unit=unit or "",
                kind=fee_kind,
                amount=money(values.get("amount_paid")),
                receipt_no=str(values.get("receipt_no") or ""),
                method=str(values.get("payment_method") or ""),
            )
        )
    return out


def payments(scope: Scope, *, kind: str | None = None) -> list[Payment]:
    """Every payment received in the period, oldest first. One query."""
    return payment_rows(scope, payment_events(scope, kind=kind))


def week_of(day: date) -> date:
    """The Monday of the day's week."""
    return day - timedelta(days=day.weekday())


@dataclass
class Period:
    start: date
    end: date
    count: int = 0
    total: Decimal = Decimal(0)
    by_kind: dict[str, Decimal] = field(default_factory=dict)


@dataclass
class FeeReport:
    grain: str
    periods: list[Period]
    kinds: list[str]
    total: Period


def fee_report(scope: Scope, grain: str) -> FeeReport:
    """The fee report: payments per day (日报) or per week (周报), every day or week of the
    period listed (an empty one with zeros), by kind of fee. One grouped query: the count and
    sum per day of the site's calendar and kind of fee."""
    if grain not in GRAINS:
        raise Unprocessable("invalid_filters", fields={"grain": FieldError("report_bad_grain")})
    periods: dict[date, Period] = {}
    first = scope.start if grain == "day" else week_of(scope.start)
    step = timedelta(days=1 if grain == "day" else 7)
    cursor = first
    while cursor <= scope.end:
        periods[cursor] = Period(cursor, cursor + step - timedelta(days=1))
        cursor += step
    total = Period(scope.start, scope.end)
    kinds: set[str] = set()
    by_day = (
        payment_events(scope)
        .annotate(day=TruncDate("at", tzinfo=scope.zone))
        .order_by()
        .values_list("day", "fee_kind")
        .annotate(n=Count("id"), sum=Coalesce(Sum("amount"), ZERO))
    )
    for day, kind, n, summed in by_day:
        amount = _cents(summed)
        key = day if grain == "day" else week_of(day)
        for line in (periods[key], total):
            line.count += n
            line.total += amount
            line.by_kind[kind] = line.by_kind.get(kind, Decimal(0)) + amount
        kinds.add(kind)
    return FeeReport(grain, list(periods.values()), sorted(kinds), total)


def kind_labels(language: str) -> dict[str, str]:
    """Names of the kinds of fee: the notice's fee types and the parking lease."""
    labels = option_labels(FEES, "fee_type", language)
    labels[PARKING] = procedure_name(PARKING, language)
    labels[""] = "—"
    return labels


def method_labels(language: str) -> dict[str, str]:
    return option_labels(FEES, "payment_method", language)


def state_labels() -> dict[str, str]:
    """The states and drill-down filters of the arrears list, named in the reader's language."""
    return {
        ARREARS: gettext("欠费"),
        NOT_DUE: gettext("未到期未缴"),
        PAID: gettext("已缴清"),
        UNBILLED: gettext("未出通知单"),
        OUTSTANDING: gettext("未缴（含未到期）"),
        ALL: gettext("全部"),
    }


# -- as spreadsheets (fuwu.sheets' rows + columns protocol) --------------------------------------


def _money(header: str) -> Column:
    return Column(header, Kind.DECIMAL, width=14)


def statistics_sheet(stats: Statistics) -> SimpleTable:
    """The payment statistics by building, with the total line."""
    columns = [
        Column(gettext("楼栋"), width=12),
        Column(gettext("出单户数"), Kind.INT, width=10),
        Column(gettext("已缴清"), Kind.INT, width=10),
        _money(gettext("应缴（元）")),
        _money(gettext("实收（元）")),
        _money(gettext("未收（元）")),
        Column(gettext("收缴率"), Kind.PERCENT, width=10),
        Column(gettext("欠费户数"), Kind.INT, width=10),
        _money(gettext("欠费金额（元）")),
        Column(gettext("未出通知单"), Kind.INT, width=10),
    ]
    rows = [
        (
            label,
            line.households,
            line.paid,
            line.due,
            line.received,
            line.outstanding,
            line.rate,
            line.arrears,
            line.arrears_amount,
            line.unbilled,
        )
        for line, label in [
            *((line, building_label(line.building)) for line in stats.lines),
            (stats.total, gettext("合计")),
        ]
    ]
    return SimpleTable(name="fees", columns=columns, rows=rows)


def arrears_sheet(rows: list[Household], language: str) -> SimpleTable:
    """The household notices of one state (the arrears list), as the page lists them."""
    fee_types, states = kind_labels(language), state_labels()
    columns = [
        Column(gettext("房号"), width=12),
        Column(gettext("业主"), width=14),
        Column(gettext("收费期间"), width=14),
        Column(gettext("收费项目"), width=14),
        _money(gettext("应缴（元）")),
        _money(gettext("实收（元）")),
        _money(gettext("未收（元）")),
        Column(gettext("缴费截止日期"), Kind.DATE, width=12),
        Column(gettext("状态"), width=12),
        Column(gettext("工单号"), width=16),
    ]
    lines = [
        (
            h.unit,
            h.customer,
            h.billing_period,
            fee_types.get(h.fee_type, h.fee_type),
            h.due,
            h.received,
            h.outstanding,
            h.pay_by,
            states.get(h.state, h.state),
            gettext("期初余额") if h.opening else h.number,
        )
        for h in rows
    ]
    return SimpleTable(name="arrears", columns=columns, rows=lines)


def fee_report_sheet(result: FeeReport, language: str) -> SimpleTable:
    """The daily or weekly fee report: a line per day (week), a column per kind of fee."""
    names = kind_labels(language)
    week = result.grain == "week"
    columns = [
        Column(gettext("周") if week else gettext("日期"), Kind.DATE, width=12),
        *(_money(names.get(k, k)) for k in result.kinds),
        Column(gettext("笔数"), Kind.INT, width=8),
        _money(gettext("合计（元）")),
    ]
    rows: list[tuple[Any, ...]] = [
        (p.start, *(p.by_kind.get(k, Decimal(0)) for k in result.kinds), p.count, p.total)
        for p in result.periods
    ]
    total = result.total
    rows.append(
        (
            gettext("合计"),
            *(total.by_kind.get(k, Decimal(0)) for k in result.kinds),
            total.count,
            total.total,
        )
    )
    return SimpleTable(name=f"fee-report-{result.grain}", columns=columns, rows=rows)
