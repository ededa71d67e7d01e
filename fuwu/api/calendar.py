"""The appointment calendar's feed (a workshop's appointments and day hours between two dates, by
advisor or technician), walk-ins received into free hours or the reserve, and the follow-ups
no-shows leave (rebook or decline). Every write goes through `fuwu.scheduling`."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from ninja import Field, Router, Schema, Status

from fuwu.api.common import READ_ERRORS, WRITE_ERRORS, actor
from fuwu.api.scheduling import AppointmentOut, JobIn, _workshop, appointment_out, appointment_rows
from fuwu.core.actors import Actor
from fuwu.customers.models import Asset, Customer
from fuwu.procedures.engine.errors import EngineError, FieldError
from fuwu.scheduling import calendar_feed, followups, walk_ins
from fuwu.scheduling.booking import Job
from fuwu.scheduling.models import Appointment, FollowUp, Technician, Workshop

router = Router(tags=["appointment calendar"])


class CalendarEventOut(Schema):
    id: int
    title: str = Field(description="customer · plate · jobs")
    start: datetime
    end: datetime = Field(description="start + the labour hours of working time, lunch skipped")
    start_local: str = Field(description="start as the workshop's wall-clock time, no offset")
    end_local: str = Field(description="end as the workshop's wall-clock time, no offset")
    status: str
    status_label: str
    color: str = Field(description="the status's colour")
    walk_in: bool
    customer: str
    vehicle: str
    jobs: str
    hours: Decimal
    advisor_id: int
    advisor: str
    technician_id: int | None
    technician: str
    editable: bool = Field(description="may be dragged to another time (booked, to come)")
    case_url: str | None = Field(description="the case's staff page, when booked from a case")
    url: str = Field(description="the appointment's day on the workshop page")


class CalendarDayOut(Schema):
    day: date
    working: bool
    available: Decimal
    bookable: Decimal
    booked: Decimal
    left: Decimal
    reserve: Decimal


class CalendarOut(Schema):
    events: list[CalendarEventOut]
    days: list[CalendarDayOut]


class WalkInIn(Schema):
    workshop: int
    customer: int
    asset: int | None = None
    technician: int | None = None
    jobs: list[JobIn] = Field(..., min_length=1, max_length=30)
    override_reason: str = Field("", max_length=300, description="a manager's, beyond the reserve")
    note: str = Field("", max_length=500)


class FollowUpOut(Schema):
    id: int
    appointment: int
    customer: str
    vehicle: str
    missed_at: datetime
    advisor: str
    created_at: datetime
    outcome: str
    rebooked: int | None


class FollowUpRebookIn(Schema):
    starts_at: datetime
    override_reason: str = Field("", max_length=300)


def _name(user: object) -> str:
    staff = getattr(user, "staff", None)
    return getattr(staff, "display_name", "") or getattr(user, "username", "")


def _event(entry: calendar_feed.Entry, workshop: Workshop, english: bool) -> CalendarEventOut:
    a = entry.appointment
    vehicle = a.asset.label if a.asset else ""
    jobs = (", " if english else "、").join(
        line.name_in("en" if english else "zh-hans") for line in a.lines.all()
    )
    zone = ZoneInfo(workshop.site.timezone)
    day = a.starts_at.astimezone(zone).date()
    return CalendarEventOut(
        id=a.pk,
        title=" · ".join(part for part in (a.customer.name, vehicle, jobs) if part),
        start=entry.start,
        end=entry.end,
        start_local=f"{entry.start.astimezone(zone):%Y-%m-%dT%H:%M:%S}",
        end_local=f"{entry.end.astimezone(zone):%Y-%m-%dT%H:%M:%S}",
        status=a.status,
        status_label=str(a.get_status_display()),
        color=calendar_feed.STATUS_COLOURS[a.status],  # type: ignore[index]
        walk_in=a.walk_in,
        customer=a.customer.name,
        vehicle=vehicle,
        jobs=jobs,
        hours=a.hours,
        advisor_id=a.advisor_id,
        advisor=_name(a.advisor),
        technician_id=a.technician_id,
        technician=a.technician.staff.display_name if a.technician else "",
        editable=entry.movable,
        case_url=reverse("web:case", args=[a.case_id]) if a.case_id else None,
        url=f"{reverse('web:workshop')}?workshop={workshop.pk}&day={day.isoformat()}#appointment-{a.pk}",
    )


def _range(start: date, end: date) -> tuple[date, date]:
    """FullCalendar's range: `end` is exclusive."""
    last = end - timedelta(days=1)
    if last < start or (last - start).days >= calendar_feed.MAX_DAYS:
        raise EngineError(
            "invalid_form",
            fields={"end": FieldError("bad_choice", options=f"≤ {calendar_feed.MAX_DAYS}")},
        )
    return start, last


@router.get(
    "/workshops/{int:workshop_id}/calendar",
    response={200: CalendarOut, **READ_ERRORS},
    url_name="workshop_calendar",
    summary="The appointment calendar: appointments and day hours from start to end (exclusive)",
)
def calendar(
    request: HttpRequest,
    workshop_id: int,
    start: date,
    end: date,
    advisor: int | None = None,
    technician: int | None = None,
) -> CalendarOut:
    who = actor(request)
    workshop = _workshop(who, workshop_id)
    first, last = _range(start, end)
    english = (getattr(request, "LANGUAGE_CODE", "") or "").startswith("en")
    rows = calendar_feed.entries(
        who,
        workshop,
        first,
        last,
        advisor_id=advisor,
        technician_id=technician,
        now=timezone.now(),
    )
    return CalendarOut(
        events=[_event(e, workshop, english) for e in rows],
        days=[
            CalendarDayOut(
                day=d.day,
                working=d.working,
                available=d.available,
                bookable=d.bookable,
                booked=d.booked,
                left=d.left,
                reserve=d.reserve,
            )
            for d in calendar_feed.days(workshop, first, last)
        ],
    )


def _customer_and_asset(
    workshop: Workshop, customer_id: int, asset_id: int | None
) -> tuple[Customer, Asset | None]:
    site_id = workshop.department.site_id
    customer = Customer.objects.live().filter(pk=customer_id, site_id=site_id).first()
    if customer is None:
        raise EngineError("invalid_form", fields={"customer": FieldError("bad_choice", options="")})
    asset = None
    if asset_id is not None:
        asset = Asset.objects.filter(pk=asset_id, site_id=site_id, owner=customer).first()
        if asset is None:
            raise EngineError(
                "invalid_form", fields={"asset": FieldError("bad_choice", options="")}
            )
    return customer, asset


def technician_of(workshop: Workshop, technician_id: int | None) -> Technician | None:
    if technician_id is None:
        return None
    found = workshop.technicians.filter(pk=technician_id).first()
    if found is None:
        raise EngineError(
            "invalid_form", fields={"technician": FieldError("bad_choice", options="")}
        )
    return found


@router.post(
    "/walk-ins",
    response={201: AppointmentOut, **WRITE_ERRORS},
    summary="Receive a walk-in now, into the hours left or the reserve",
)
def walk_in(request: HttpRequest, payload: WalkInIn) -> Status[AppointmentOut]:
    who = actor(request)
    workshop = _workshop(who, payload.workshop)
    customer, asset = _customer_and_asset(workshop, payload.customer, payload.asset)
    made = walk_ins.receive(
        who,
        workshop,
        customer=customer,
        asset=asset,
        technician=technician_of(workshop, payload.technician),
        jobs=[
            Job(code=j.operation, name=j.name, hours=j.hours, work_type=j.work_type)
            for j in payload.jobs
        ],
        override_reason=payload.override_reason,
        note=payload.note,
    )
    return Status(201, appointment_out(appointment_rows().get(pk=made.pk)))


def _follow_up_out(f: FollowUp) -> FollowUpOut:
    a: Appointment = f.appointment
    return FollowUpOut(
        id=f.pk,
        appointment=a.pk,
        customer=a.customer.name,
        vehicle=a.asset.label if a.asset else "",
        missed_at=a.starts_at,
        advisor=_name(f.advisor),
        created_at=f.created_at,
        outcome=f.outcome,
        rebooked=f.rebooked_id,
    )


@router.get(
    "/workshops/{int:workshop_id}/follow-ups",
    response={200: list[FollowUpOut], **READ_ERRORS},
    summary="No-shows still to be called and rebooked",
)
def follow_ups(request: HttpRequest, workshop_id: int) -> list[FollowUpOut]:
    who: Actor = actor(request)
    workshop = _workshop(who, workshop_id)
    return [_follow_up_out(f) for f in followups.open_follow_ups(who, workshop.pk)]


@router.post(
    "/follow-ups/{int:follow_up_id}/rebook",
    response={201: AppointmentOut, **WRITE_ERRORS},
    summary="Book a no-show's customer again (same car and jobs) and close the follow-up",
)
def follow_up_rebook(
    request: HttpRequest, follow_up_id: int, payload: FollowUpRebookIn
) -> Status[AppointmentOut]:
    if payload.starts_at.tzinfo is None:
        raise EngineError("invalid_form", fields={"starts_at": FieldError("not_datetime")})
    made = followups.rebook_missed(
        actor(request),
        follow_up_id,
        starts_at=payload.starts_at,
        override_reason=payload.override_reason,
    )
    return Status(201, appointment_out(appointment_rows().get(pk=made.pk)))


@router.post(
    "/follow-ups/{int:follow_up_id}/decline",
    response={200: FollowUpOut, **WRITE_ERRORS},
    summary="The customer does not want a new appointment: close the follow-up",
)
def follow_up_decline(request: HttpRequest, follow_up_id: int) -> FollowUpOut:
    done = followups.decline(actor(request), follow_up_id)
    row = FollowUp.objects.select_related(
        "appointment__customer", "appointment__asset", "advisor__staff"
    ).get(pk=done.pk)
    return _follow_up_out(row)
