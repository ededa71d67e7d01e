"""The workshop's KPIs (issue 11): per day and for a period, with the Toyota seed's guide
values, read by `fuwu.scheduling.kpis.report` (the definitions are in its docstring).

A period that ends before it starts or is longer than `kpis.MAX_DAYS` is refused with
`bad_kpi_period` (422); a workshop of another site is a 404."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING

from django.http import HttpRequest
from django.urls import reverse
from ninja import Field, Query, Router, Schema

from fuwu.api.common import READ_ERRORS, actor, workshop_for

if TYPE_CHECKING:
    from fuwu.scheduling import kpis

router = Router(tags=["workshop KPIs"])


class KpiPeriodIn(Schema):
    first: date = Field(alias="from", description="the first day (inclusive)")
    last: date = Field(alias="to", description="the last day (inclusive)")


class KpiDayOut(Schema):
    day: date
    working: bool
    customers: int = Field(
        description="arrived appointments (not walk-ins) + walk-ins + repair orders opened "
        "without an appointment"
    )
    appointment_customers: int = Field(description="arrived appointments, not walk-ins")
    appointment_rate: Decimal | None = Field(
        description="预约率 = appointment customers / customers"
    )
    appointments: int = Field(description="appointments due, not walk-ins, not cancelled")
    no_shows: int
    no_show_rate: Decimal | None = Field(description="失约率 = no-shows / appointments")
    walk_ins: int
    without_appointment: int
    repaired: int = Field(
        description="vehicles repaired: repair orders with a job finished that day or carried "
        "over from it"
    )
    carried: int = Field(description="unplanned carry-overs (滞留车) from that day")
    carry_over_rate: Decimal | None = Field(description="滞留车率 = carried / repaired")
    orders: int = Field(description="repair orders opened (their first job)")
    available: Decimal
    booked: Decimal = Field(description="hours held by live appointments")
    sold: Decimal = Field(description="standard hours of the jobs finished")
    clocked: Decimal
    attendance: Decimal
    idle: Decimal = Field(description="stretches of 30 minutes or more on shift with no job")
    productivity: Decimal | None = Field(description="clocked / attendance")
    efficiency: Decimal | None = Field(description="sold (standard) / clocked")


class KpiTechnicianOut(Schema):
    technician: int
    name: str
    attendance: Decimal
    clocked: Decimal
    sold: Decimal
    unsold: Decimal = Field(description="attendance − sold (未售出工时)")
    idle: Decimal
    productivity: Decimal | None
    efficiency: Decimal | None


class KpiAdvisorOut(Schema):
    advisor: int
    name: str
    orders: int
    working_days: int
    per_day: Decimal | None = Field(description="repair orders per working day (guide 15–20)")
    by_day: list[int] = Field(description="repair orders of each day of the period, in order")
    within_guide: bool


class KpiGuideOut(Schema):
    appointment_rate_at_least: Decimal
    carry_over_rate_below: Decimal
    orders_per_advisor_per_day: list[int]


class KpisOut(Schema):
    workshop: int
    first: date = Field(serialization_alias="from")
    last: date = Field(serialization_alias="to")
    working_days: int
    days: list[KpiDayOut]
    total: KpiDayOut = Field(description="the period's sums and rates; `day` is the first day")
    technicians: list[KpiTechnicianOut]
    advisors: list[KpiAdvisorOut]
    guide: KpiGuideOut
    page: str = Field(description="the staff page with the drill-downs")


def _day(d: kpis.Day) -> KpiDayOut:
    figures = d.figures
    return KpiDayOut(
        day=d.day,
        working=d.working,
        customers=d.customers,
        appointment_customers=d.count("appointment_customers"),
        appointment_rate=d.appointment_rate,
        appointments=d.count("appointments"),
        no_shows=d.count("no_shows"),
        no_show_rate=d.no_show_rate,
        walk_ins=d.count("walk_ins"),
        without_appointment=d.count("without_appointment"),
        repaired=d.count("repaired"),
        carried=d.count("carried"),
        carry_over_rate=d.carry_over_rate,
        orders=d.count("orders"),
        available=d.available,
        booked=d.booked,
        sold=d.sold,
        clocked=d.clocked,
        attendance=d.attendance,
        idle=d.idle,
        productivity=figures.productivity,
        efficiency=figures.efficiency,
    )


@router.get(
    "/workshops/{int:workshop_id}/kpis",
    response={200: KpisOut, **READ_ERRORS},
    url_name="workshop_kpis",
    summary="Workshop KPIs per day and for the period, with the Toyota seed's guide values",
    by_alias=True,
)
def workshop_kpis(request: HttpRequest, workshop_id: int, period: Query[KpiPeriodIn]) -> KpisOut:
    from fuwu.scheduling import kpis  # on first use: see fuwu.api (what a worker loads)

    workshop = workshop_for(actor(request), workshop_id)
    data = kpis.report(workshop, period.first, period.last)
    low, high = kpis.ORDERS_PER_ADVISOR_GUIDE
    return KpisOut(
        workshop=workshop.pk,
        first=data.first,
        last=data.last,
        working_days=data.working_days,
        days=[_day(d) for d in data.days],
        total=_day(data.total),
        technicians=[
            KpiTechnicianOut(
                technician=t.technician.pk,
                name=t.technician.staff.display_name,
                attendance=t.figures.attendance,
                clocked=t.figures.clocked,
                sold=t.figures.standard,
                unsold=t.unsold,
                idle=t.idle,
                productivity=t.figures.productivity,
                efficiency=t.figures.efficiency,
            )
            for t in data.technicians
        ],
        advisors=[
            KpiAdvisorOut(
                advisor=a.advisor_id,
                name=a.name,
                orders=a.orders,
                working_days=a.days,
                per_day=a.per_day,
                by_day=a.by_day,
                within_guide=a.within_guide,
            )
            for a in data.advisors
        ],
        guide=KpiGuideOut(
            appointment_rate_at_least=kpis.APPOINTMENT_RATE_GUIDE,
            carry_over_rate_below=kpis.CARRY_OVER_RATE_GUIDE,
            orders_per_advisor_per_day=[low, high],
        ),
        page=reverse("web:workshop-kpis", args=[workshop.pk])
        + f"?from={data.first.isoformat()}&to={data.last.isoformat()}",
    )
