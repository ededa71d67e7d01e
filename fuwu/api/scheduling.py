"""Workshop scheduling: capacity and availability per day, appointments booked against the
bookable hours (refused with `over_capacity`, `slot_full`, `booking_in_past`, `closed_day` …),
rebooked, marked arrived, cancelled or no-show."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from fuwu.api.common import READ_ERRORS, WRITE_ERRORS, actor, workshop_for
from fuwu.api.idempotency import idempotent
from fuwu.api.parts import PartReservationOut, reservation_out
from fuwu.core.actors import Actor
from fuwu.customers.models import Asset, Customer
from fuwu.procedures.engine.errors import EngineError, FieldError, NotFound
from fuwu.scheduling import booking
from fuwu.scheduling.capacity import DayCapacity, capacity
from fuwu.scheduling.models import Appointment, AppointmentStatus, Workshop, WorkType
from fuwu.scheduling.parts import PartAsk

router = Router(tags=["workshop scheduling"])
MAX_DAYS = 62


class WorkshopOut(Schema):
    id: int
    site: str
    department: str
    appointment_share: Decimal
    slot_minutes: int
    arrivals_per_slot: int
    settlement_hours: Decimal


class TechnicianDayOut(Schema):
    technician_id: int
    name: str
    hours: Decimal
    productivity: Decimal
    available: Decimal
    absence: str = Field(description="why the technician is not on shift, or empty")


class DayOut(Schema):
    day: date
    working: bool
    on_shift: int
    available: Decimal = Field(description="Σ technicians on shift × hours × productivity")
    bookable: Decimal = Field(description="available × the appointment share")
    booked: Decimal
    left: Decimal = Field(description="bookable − booked; below 0 after a manager's override")
    reserve: Decimal = Field(description="available − bookable: carry-overs, walk-ins, extra work")


class CapacityOut(DayOut):
    technicians: list[TechnicianDayOut]


class JobIn(Schema):
    operation: str = Field("", max_length=40, description="a code of the labour-time catalogue")
    name: str = Field("", max_length=200, description="a described job, with hours")
    hours: Decimal | None = Field(None, gt=0, le=100, description="the catalogue's by default")
    work_type: WorkType = WorkType.MAINTENANCE


class PartAskIn(Schema):
    number: str = Field(..., min_length=1, max_length=40, description="part number")
    quantity: Decimal = Field(..., gt=0, le=100000, max_digits=10, decimal_places=2)


class AppointmentIn(Schema):
    workshop: int
    customer: int
    asset: int | None = None
    starts_at: datetime
    jobs: list[JobIn] = Field(..., min_length=1, max_length=30)
    override_reason: str = Field(
        "", max_length=300, description="a manager's, to book over the limit"
    )
    note: str = Field("", max_length=500)
    walk_in: bool = False
    technician: int | None = Field(None, description="the technician planned for the job")
    parts: list[PartAskIn] = Field(
        [], max_length=30, description="parts beyond the jobs' usual ones, reserved too"
    )


class RebookIn(Schema):
    starts_at: datetime
    override_reason: str = Field("", max_length=300)


class StatusIn(Schema):
    status: AppointmentStatus


class LineOut(Schema):
    operation: str
    name: str
    hours: Decimal
    work_type: str


class AppointmentOut(Schema):
    id: int
    workshop: int
    customer: int
    asset: int | None
    advisor: str
    starts_at: datetime
    hours: Decimal
    status: str
    walk_in: bool
    technician: int | None
    override_reason: str
    overridden_by: str | None
    lines: list[LineOut]
    parts: list[PartReservationOut] = Field(
        description="its parts; `short` > 0 is a shortage (缺件)"
    )


def _workshop(who: Actor, workshop_id: int) -> Workshop:
    return workshop_for(who, workshop_id)


def _days(start: date, end: date | None) -> list[date]:
    end = end or start
    if end < start or (end - start).days >= MAX_DAYS:
        raise EngineError(
            "invalid_form", fields={"to": FieldError("bad_choice", options=f"≤ {MAX_DAYS}")}
        )
    return [start + timedelta(days=n) for n in range((end - start).days + 1)]


def _day_out(d: DayCapacity) -> dict[str, Any]:
    return {
        "day": d.day,
        "working": d.working,
        "on_shift": d.on_shift,
        "available": d.available,
        "bookable": d.bookable,
        "booked": d.booked,
        "left": d.left,
        "reserve": d.reserve,
    }


def appointment_out(a: Appointment) -> AppointmentOut:
    return AppointmentOut(
        id=a.pk,
        workshop=a.workshop_id,
        customer=a.customer_id,
        asset=a.asset_id,
        advisor=a.advisor.get_username(),
        starts_at=a.starts_at,
        hours=a.hours,
        status=a.status,
        walk_in=a.walk_in,
        technician=a.technician_id,
        override_reason=a.override_reason,
        overridden_by=a.overridden_by.get_username() if a.overridden_by else None,
        lines=[
            LineOut(
                operation=line.operation.code if line.operation else "",
                name=line.name,
                hours=line.hours,
                work_type=line.work_type,
            )
            for line in a.lines.all()
        ],
        parts=[reservation_out(r) for r in a.part_reservations.all()],
    )


def appointment_rows() -> Any:
    return Appointment.objects.select_related("advisor", "overridden_by").prefetch_related(
        "lines__operation", "part_reservations__part", "part_reservations__confirmed_by"
    )


@router.get("/workshops", response={200: list[WorkshopOut], **READ_ERRORS}, summary="Workshops")
def workshops(request: HttpRequest) -> list[WorkshopOut]:
    return [
        WorkshopOut(
            id=w.pk,
            site=w.department.site.code,
            department=w.department.code,
            appointment_share=w.appointment_share,
            slot_minutes=w.slot_minutes,
            arrivals_per_slot=w.arrivals_per_slot,
            settlement_hours=w.settlement_hours,
        )
        for w in booking.visible_workshops(actor(request)).order_by("pk")
    ]


@router.get(
    "/workshops/{int:workshop_id}/capacity",
    response={200: list[CapacityOut], **READ_ERRORS},
    summary="Capacity per day, with each technician's hours",
)
def workshop_capacity(
    request: HttpRequest, workshop_id: int, day: date, to: date | None = None
) -> list[CapacityOut]:
    workshop = _workshop(actor(request), workshop_id)
    return [
        CapacityOut(
            **_day_out(d),
            technicians=[
                TechnicianDayOut(
                    technician_id=t.technician_id,
                    name=t.name,
                    hours=t.hours,
                    productivity=t.productivity,
                    available=t.available,
                    absence=t.absence,
                )
                for t in d.technicians
            ],
        )
        for d in capacity(workshop, _days(day, to))
    ]


@router.get(
    "/workshops/{int:workshop_id}/availability",
    response={200: list[DayOut], **READ_ERRORS},
    summary="Bookable hours left per day (up to two months)",
)
def availability(
    request: HttpRequest, workshop_id: int, day: date, to: date | None = None
) -> list[DayOut]:
    workshop = _workshop(actor(request), workshop_id)
    return [DayOut(**_day_out(d)) for d in capacity(workshop, _days(day, to))]


@router.get(
    "/workshops/{int:workshop_id}/appointments",
    response={200: list[AppointmentOut], **READ_ERRORS},
    summary="A day's appointments, by time",
)
def appointments(request: HttpRequest, workshop_id: int, day: date) -> list[AppointmentOut]:
    workshop = _workshop(actor(request), workshop_id)
    zone = ZoneInfo(workshop.site.timezone)
    start = datetime.combine(day, datetime.min.time(), zone)
    rows = appointment_rows().filter(
        workshop=workshop, starts_at__gte=start, starts_at__lt=start + timedelta(days=1)
    )
    return [appointment_out(a) for a in rows.order_by("starts_at", "pk")]


@router.post(
    "/appointments",
    response={201: AppointmentOut, **WRITE_ERRORS},
    summary="Book an appointment against the day's bookable hours",
)
@idempotent
def book(request: HttpRequest, payload: AppointmentIn) -> Status[AppointmentOut]:
    who = actor(request)
    workshop = _workshop(who, payload.workshop)
    site_id = workshop.department.site_id
    customer = Customer.objects.live().filter(pk=payload.customer, site_id=site_id).first()
    if customer is None:
        raise EngineError("invalid_form", fields={"customer": FieldError("bad_choice", options="")})
    asset = None
    if payload.asset is not None:
        asset = Asset.objects.filter(pk=payload.asset, site_id=site_id).first()
        if asset is None:
            raise EngineError(
                "invalid_form", fields={"asset": FieldError("bad_choice", options="")}
            )
    if payload.starts_at.tzinfo is None:
        raise EngineError("invalid_form", fields={"starts_at": FieldError("not_datetime")})
    technician = None
    if payload.technician is not None:
        technician = workshop.technicians.filter(pk=payload.technician).first()
        if technician is None:
            raise EngineError(
                "invalid_form", fields={"technician": FieldError("bad_choice", options="")}
            )
    made = booking.book(
        who,
        workshop,
        customer=customer,
        asset=asset,
        starts_at=payload.starts_at,
        jobs=[
            booking.Job(code=j.operation, name=j.name, hours=j.hours, work_type=j.work_type)
            for j in payload.jobs
        ],
        override_reason=payload.override_reason,
        note=payload.note,
        walk_in=payload.walk_in,
        technician=technician,
        parts=[PartAsk(p.number, p.quantity) for p in payload.parts],
    )
    return Status(201, appointment_out(appointment_rows().get(pk=made.pk)))


def _visible(who: Actor, appointment_id: int) -> Appointment:
    found = (
        appointment_rows().select_related("workshop__department").filter(pk=appointment_id).first()
    )
    if found is None:
        raise NotFound("not_found", what="appointment")
    _workshop(who, found.workshop_id)
    return found


@router.get(
    "/appointments/{int:appointment_id}",
    response={200: AppointmentOut, **READ_ERRORS},
    summary="An appointment",
)
def appointment(request: HttpRequest, appointment_id: int) -> AppointmentOut:
    return appointment_out(_visible(actor(request), appointment_id))


@router.post(
    "/appointments/{int:appointment_id}/rebook",
    response={200: AppointmentOut, **WRITE_ERRORS},
    summary="Move an appointment to another time",
)
def rebook(request: HttpRequest, appointment_id: int, payload: RebookIn) -> AppointmentOut:
    who = actor(request)
    _visible(who, appointment_id)
    if payload.starts_at.tzinfo is None:
        raise EngineError("invalid_form", fields={"starts_at": FieldError("not_datetime")})
    booking.rebook(
        who, appointment_id, starts_at=payload.starts_at, override_reason=payload.override_reason
    )
    return appointment_out(appointment_rows().get(pk=appointment_id))


@router.post(
    "/appointments/{int:appointment_id}/status",
    response={200: AppointmentOut, **WRITE_ERRORS},
    summary="Mark arrived, cancelled or no-show",
)
def set_status(request: HttpRequest, appointment_id: int, payload: StatusIn) -> AppointmentOut:
    who = actor(request)
    _visible(who, appointment_id)
    booking.set_status(who, appointment_id, payload.status)
    return appointment_out(appointment_rows().get(pk=appointment_id))
