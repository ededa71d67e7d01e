"""Reports: the seeds' own lists (`fuwu.reports.lists`) — payment statistics and arrears, the
daily and weekly fee reports, parking leases expiring, the week's gas list, keys overdue, the
vacant-unit log and the opinion survey per area. Same rights (`fuwu.reports.lists.rights`:
managers; the finance clerks the fee lists, the guards the parking list and the keys overdue;
403 otherwise) and filters as the pages (`/reports/lists/…`); money as decimal strings in yuan."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest
from django.urls import reverse
from ninja import Field, Router, Schema

from fuwu.api.common import READ_ERRORS, ErrorOut, actor
from fuwu.procedures.engine.errors import FieldError, Unprocessable
from fuwu.reports.lists import fees as fee_lists
from fuwu.reports.lists import gas as gas_lists
from fuwu.reports.lists import parse_day, scope_from_params
from fuwu.reports.lists import registers as register_lists
from fuwu.reports.lists import rounds as round_lists

router = Router(tags=["reports"])
ERRORS = {**READ_ERRORS, 403: ErrorOut}


# -- The seeds' lists (fuwu.reports.lists): payment statistics and arrears, fee reports, parking
# leases expiring, the week's gas list, keys overdue. Same rights and filters as the pages
# (`/reports/lists/…`); money as decimal strings in yuan. --------------------------------------


class FeeBuildingOut(Schema):
    building: str = Field(description="the unit's building; empty for notices without a unit")
    households: int = Field(description="notices printed (billed) in the period")
    paid: int
    arrears: int
    unbilled: int = Field(description="notices opened but not printed yet (not in the sums)")
    due: Decimal
    received: Decimal = Field(description="received, up to the amount due")
    outstanding: Decimal
    arrears_amount: Decimal
    collection_rate_percent: float | None
    drill: dict[str, str] = Field(description="per state (and outstanding, all): the households")


class FeeStatisticsOut(Schema):
    start: date = Field(alias="from")
    end: date = Field(alias="to")
    buildings: list[FeeBuildingOut]
    total: FeeBuildingOut


class FeeHouseholdOut(Schema):
    case_id: int | None = Field(description="the notice's case; null for an opening balance")
    number: str
    opening_balance: bool = Field(description="an opening balance (imported), not a notice")
    unit: str
    building: str
    customer: str
    billing_period: str
    fee_type: str
    due: Decimal
    received: Decimal
    outstanding: Decimal
    pay_by: date | None
    state: str = Field(description="paid, not_due, arrears or unbilled")


class FeeHouseholdsOut(Schema):
    count: int
    due: Decimal
    received: Decimal
    outstanding: Decimal
    items: list[FeeHouseholdOut]


class FeePeriodOut(Schema):
    start: date
    end: date
    count: int
    total: Decimal
    by_kind: dict[str, Decimal] = Field(description="per fee type, and parking_lease")
    drill: str


class FeeReportOut(Schema):
    grain: str = Field(description="day (日报) or week (周报, Monday to Sunday)")
    start: date = Field(alias="from")
    end: date = Field(alias="to")
    periods: list[FeePeriodOut]
    total: FeePeriodOut


class FeePaymentOut(Schema):
    case_id: int
    number: str
    at: datetime
    day: date
    unit: str
    kind: str
    amount: Decimal
    receipt_no: str
    payment_method: str


class FeePaymentsOut(Schema):
    count: int
    total: Decimal
    items: list[FeePaymentOut]


class ParkingExpiringOut(Schema):
    case_id: int
    number: str
    plate: str
    permit: str
    space: str
    space_kind: str
    customer: str
    lease_end: date
    expired: bool


class ParkingListOut(Schema):
    month: str = Field(description="YYYY-MM")
    count: int
    items: list[ParkingExpiringOut]


class GasHouseholdOut(Schema):
    case_id: int
    number: str
    unit: str
    owner: str
    gas_meter_no: str
    activation_date: date | None
    activated_on: date | None
    state: str = Field(description="waiting, activated or absent (nobody at home)")


class GasWeekOut(Schema):
    monday: date
    sunday: date
    households: int = Field(description="the number told to the gas company")
    counts: dict[str, int]
    items: list[GasHouseholdOut]


class KeyOverdueOut(Schema):
    case_id: int
    number: str
    key: str
    holder: str
    out_at: datetime
    due_back: datetime
    reminded_at: datetime | None
    days_overdue: int


def _lists_url(name: str, scope: Any, **extra: str) -> str:
    return reverse(name) + "?" + urlencode({**scope.query(), **extra})


def _fee_line(scope: Any, line: fee_lists.BuildingLine, *, total: bool) -> FeeBuildingOut:
    where = {} if total else {"building": line.building or fee_lists.NO_BUILDING}
    return FeeBuildingOut(
        building=line.building,
        households=line.households,
        paid=line.paid,
        arrears=line.arrears,
        unbilled=line.unbilled,
        due=line.due,
        received=line.received,
        outstanding=line.outstanding,
        arrears_amount=line.arrears_amount,
        collection_rate_percent=line.rate,
        drill={
            s: _lists_url("api:report_fee_households", scope, state=s, **where)
            for s in sorted(fee_lists.STATE_FILTERS)
        },
    )


@router.get(
    "/reports/lists/fees",
    response={200: FeeStatisticsOut, **ERRORS},
    summary="Payment statistics by building: due, received, outstanding, collection rate",
    by_alias=True,
)
def fee_statistics(request: HttpRequest) -> FeeStatisticsOut:
    scope = scope_from_params(actor(request), request.GET, report="fees", month_to_date=True)
    stats = fee_lists.building_statistics(scope)
    return FeeStatisticsOut(
        **{"from": scope.start, "to": scope.end},
        buildings=[_fee_line(scope, line, total=False) for line in stats.lines],
        total=_fee_line(scope, stats.total, total=True),
    )


@router.get(
    "/reports/lists/fees/households",
    response={200: FeeHouseholdsOut, **ERRORS},
    summary="The household notices behind a figure: the arrears list (state=arrears, default)",
    url_name="report_fee_households",
)
def fee_households(request: HttpRequest, state: str = fee_lists.ARREARS) -> FeeHouseholdsOut:
    scope = scope_from_params(actor(request), request.GET, report="arrears", month_to_date=True)
    rows = fee_lists.household_rows(scope, state)
    return FeeHouseholdsOut(
        count=len(rows),
        due=sum((r.due for r in rows), start=Decimal(0)),
        received=sum((r.received for r in rows), start=Decimal(0)),
        outstanding=sum((r.outstanding for r in rows), start=Decimal(0)),
        items=[
            FeeHouseholdOut(
                case_id=r.case_id,
                number=r.number,
                opening_balance=r.opening,
                unit=r.unit,
                building=r.building,
                customer=r.customer,
                billing_period=r.billing_period,
                fee_type=r.fee_type,
                due=r.due,
                received=r.received,
                outstanding=r.outstanding,
                pay_by=r.pay_by,
                state=r.state,
            )
            for r in rows
        ],
    )


def _fee_period(scope: Any, p: fee_lists.Period) -> FeePeriodOut:
    span = {"from": p.start.isoformat(), "to": min(p.end, scope.end).isoformat()}
    return FeePeriodOut(
        start=p.start,
        end=p.end,
        count=p.count,
        total=p.total,
        by_kind=p.by_kind,
        drill=_lists_url("api:report_fee_payments", scope, **span),
    )


@router.get(
    "/reports/lists/fee-report",
    response={200: FeeReportOut, **ERRORS},
    summary="The daily (grain=day) or weekly (grain=week) fee report: payments received",
    by_alias=True,
)
def fee_report(request: HttpRequest, grain: str = "day") -> FeeReportOut:
    scope = scope_from_params(actor(request), request.GET, report="fee-reports", month_to_date=True)
    report = fee_lists.fee_report(scope, grain)
    return FeeReportOut(
        **{"from": scope.start, "to": scope.end},
        grain=report.grain,
        periods=[_fee_period(scope, p) for p in report.periods],
        total=_fee_period(scope, report.total),
    )


@router.get(
    "/reports/lists/fee-report/payments",
    response={200: FeePaymentsOut, **ERRORS},
    summary="The payments behind a fee-report figure (kind: a fee type or parking_lease)",
    url_name="report_fee_payments",
)
def fee_payments(request: HttpRequest, kind: str | None = None) -> FeePaymentsOut:
    scope = scope_from_params(actor(request), request.GET, report="fee-reports", month_to_date=True)
    found = fee_lists.payments(scope, kind=kind)
    return FeePaymentsOut(
        count=len(found),
        total=sum((p.amount for p in found), start=Decimal(0)),
        items=[
            FeePaymentOut(
                case_id=p.case_id,
                number=p.number,
                at=p.at,
                day=p.day,
                unit=p.unit,
                kind=p.kind,
                amount=p.amount,
                receipt_no=p.receipt_no,
                payment_method=p.method,
            )
            for p in found
        ],
    )


@router.get(
    "/reports/lists/parking-expiring",
    response={200: ParkingListOut, **ERRORS},
    summary="Parking permits out whose lease ends in a month (month=YYYY-MM, default this one)",
)
def parking_expiring(request: HttpRequest, month: str | None = None) -> ParkingListOut:
    scope = scope_from_params(actor(request), request.GET, report="parking")
    first = register_lists.parse_month(month, scope.today)
    rows = register_lists.parking_expiring(scope, first)
    return ParkingListOut(
        month=first.isoformat()[:7],
        count=len(rows),
        items=[
            ParkingExpiringOut(
                case_id=r.case_id,
                number=r.number,
                plate=r.plate,
                permit=r.permit,
                space=r.space,
                space_kind=r.space_kind,
                customer=r.customer,
                lease_end=r.lease_end,
                expired=r.expired,
            )
            for r in rows
        ],
    )


@router.get(
    "/reports/lists/gas-week",
    response={200: GasWeekOut, **ERRORS},
    summary="The week's gas-activation list and household count (week: any day of it)",
)
def gas_week(request: HttpRequest, week: str | None = None) -> GasWeekOut:
    scope = scope_from_params(actor(request), request.GET, report="gas")
    errors: dict[str, FieldError] = {}
    day = parse_day(request.GET, "week", errors)
    if errors:
        raise Unprocessable("invalid_filters", fields=errors)
    found = gas_lists.gas_week(scope, day or scope.today)
    return GasWeekOut(
        monday=found.monday,
        sunday=found.sunday,
        households=found.count(),
        counts={s: found.count(s) for s in gas_lists.STATES},
        items=[
            GasHouseholdOut(
                case_id=r.case_id,
                number=r.number,
                unit=r.unit,
                owner=r.owner,
                gas_meter_no=r.meter,
                activation_date=r.activation_date,
                activated_on=r.activated_on,
                state=r.state,
            )
            for r in found.rows
        ],
    )


@router.get(
    "/reports/lists/keys-overdue",
    response={200: list[KeyOverdueOut], **ERRORS},
    summary="Keys lent and not back by their due time, longest overdue first",
)
def keys_overdue(request: HttpRequest) -> list[KeyOverdueOut]:
    scope = scope_from_params(actor(request), request.GET, report="keys")
    return [
        KeyOverdueOut(
            case_id=r.case_id,
            number=r.number,
            key=r.key,
            holder=r.holder,
            out_at=r.out_at,
            due_back=r.due_back,
            reminded_at=r.reminded_at,
            days_overdue=r.days_overdue,
        )
        for r in register_lists.keys_overdue(scope)
    ]


class VacantInspectionOut(Schema):
    case_id: int
    number: str
    unit: str
    round_label: str
    inspected_at: datetime | None
    problem: str = Field(description="empty when the unit was found normal")
    responsible_department: str
    step: str
    status: str


class SurveyTallyAreaOut(Schema):
    building: str = Field(description="the area: the unit's building; empty without a unit")
    households: int
    handed_out: int
    returned: int
    not_returned: int
    return_rate_percent: float | None = Field(description="returned ÷ handed out")
    problems: int
    problems_by_department: dict[str, int]
    drill: dict[str, str] = Field(description="per measure (department:<key> too): households")


class SurveyTallyOut(Schema):
    start: date = Field(alias="from")
    end: date = Field(alias="to")
    areas: list[SurveyTallyAreaOut]
    total: SurveyTallyAreaOut


class SurveyHouseholdOut(Schema):
    case_id: int
    number: str
    unit: str
    building: str
    survey_method: str
    survey_round: str
    handed_out: bool
    returned: bool | None
    problem: bool
    responsible_department: str


@router.get(
    "/reports/lists/vacant-units",
    response={200: list[VacantInspectionOut], **ERRORS},
    summary="The vacant-unit inspection log: the rounds opened in the period",
)
def vacant_units(request: HttpRequest) -> list[VacantInspectionOut]:
    scope = scope_from_params(actor(request), request.GET, report="vacant", month_to_date=True)
    return [
        VacantInspectionOut(
            case_id=r.case_id,
            number=r.number,
            unit=r.unit,
            round_label=r.round_label,
            inspected_at=r.inspected_at,
            problem=r.problem,
            responsible_department=r.department,
            step=r.step,
            status=r.status,
        )
        for r in round_lists.vacant_log(scope)
    ]


def _survey_area(
    scope: Any,
    line: round_lists.AreaLine,
    departments: list[str],
    extra: dict[str, str],
    *,
    total: bool = False,
) -> SurveyTallyAreaOut:
    where = {} if total else {"building": line.building or "-"}
    keys = [*round_lists.MEASURES, *(round_lists.DEPARTMENT + d for d in departments)]
    return SurveyTallyAreaOut(
        building=line.building,
        households=line.households,
        handed_out=line.handed_out,
        returned=line.returned,
        not_returned=line.not_returned,
        return_rate_percent=line.return_rate,
        problems=line.problems,
        problems_by_department=line.by_department,
        drill={
            m: _lists_url("api:report_survey_households", scope, measure=m, **where, **extra)
            for m in keys
        },
    )


@router.get(
    "/reports/lists/surveys",
    response={200: SurveyTallyOut, **ERRORS},
    summary="The opinion survey per area: forms handed out and returned, problems by department",
    by_alias=True,
)
def survey_tally(request: HttpRequest, round: str | None = None) -> SurveyTallyOut:
    scope = scope_from_params(actor(request), request.GET, report="surveys", default_days=183)
    tally = round_lists.counted_tally(scope, round=round or None)
    extra = {"round": round} if round else {}
    return SurveyTallyOut(
        **{"from": scope.start, "to": scope.end},
        areas=[_survey_area(scope, line, tally.departments, extra) for line in tally.lines],
        total=_survey_area(scope, tally.total, tally.departments, extra, total=True),
    )


@router.get(
    "/reports/lists/surveys/households",
    response={200: list[SurveyHouseholdOut], **ERRORS},
    summary="The households behind a survey figure (measure: all, handed_out, returned, …)",
    url_name="report_survey_households",
)
def survey_households(
    request: HttpRequest, measure: str = round_lists.ALL, round: str | None = None
) -> list[SurveyHouseholdOut]:
    scope = scope_from_params(actor(request), request.GET, report="surveys", default_days=183)
    rows = round_lists.pick_survey(round_lists.surveyed(scope, round=round or None), measure)
    return [
        SurveyHouseholdOut(
            case_id=s.case_id,
            number=s.number,
            unit=s.unit,
            building=s.building,
            survey_method=s.method,
            survey_round=s.round,
            handed_out=s.handed_out,
            returned=s.returned,
            problem=s.problem,
            responsible_department=s.department,
        )
        for s in rows
    ]
