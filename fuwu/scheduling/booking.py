"""Booking labour hours: every write to an appointment goes through here, checked and locked.

A booking is checked, in this order, against: who books (advisors, agents and managers of the
workshop's site); a time to come, on an open day, within opening hours; at least one job with
hours; the advisor's reception slot (at most `arrivals_per_slot` customers each
`slot_minutes`, "控制客户数量防止拥塞"); and the day's bookable hours left. Over the bookable
hours only the workshop's manager may book, with a reason, which is kept on the appointment.

The capacity check runs with the workshop day's `BookingDay` row locked (SELECT … FOR UPDATE on
PostgreSQL; SQLite's IMMEDIATE transactions take the write lock at the start), so two advisors
booking the last hours at once are checked one after the other: one wins, the other is told.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from fuwu.core.actors import SYSTEM, Actor
from fuwu.customers.models import Asset, Customer
from fuwu.procedures.engine.errors import Conflict, EngineError, Forbidden, Unprocessable
from fuwu.scheduling.capacity import HOUR, day_capacity
from fuwu.scheduling.models import (
    HOLDING,
    Appointment,
    AppointmentLine,
    AppointmentStatus,
    BookingDay,
    FollowUp,
    LabourOperation,
    Technician,
    Workshop,
    WorkType,
)
from fuwu.scheduling.reminders import channel_of, remind_at
from fuwu.sla.clocks import site_calendar

if TYPE_CHECKING:
    from fuwu.scheduling.parts import PartAsk

BOOKING_ROLES = frozenset({"service_advisor", "agent", "manager", "vp", "admin"})


@dataclass(frozen=True)
class Job:
    """One job asked for: an operation code from the catalogue, or a name with hours."""

    code: str = ""
    name: str = ""
    hours: Decimal | None = None
    work_type: str = WorkType.MAINTENANCE


def operation_codes(value: Any) -> list[str]:
    """The catalogue codes a case names for its booking ("MNT-40K, BRK-F" or one a line): in the
    order written, a code named twice booked twice."""
    if not isinstance(value, str):
        return []
    return [code for code in re.split(r"[\s,，、;；]+", value.strip()) if code]


def case_jobs(title: str, hours: Any, codes: Sequence[str]) -> list[Job]:
    """A case's booking: the catalogue's operations it names (their standard hours and usual
    parts), and the hours typed as one described job named after the case."""
    jobs = [Job(code=code) for code in codes]
    if hours not in (None, ""):
        jobs.append(Job(name=title[:200], hours=Decimal(str(hours))))
    return jobs


def visible_workshops(actor: Actor) -> QuerySet[Workshop]:
    """The workshops this person sees: staff of the workshop's site (all for a superuser), in a
    stable order. The API and the staff page read the same rule."""
    rows = Workshop.objects.select_related("department__site").order_by(
        "department__site__name", "department__name", "pk"
    )
    if actor.superuser:
        return rows
    if not actor.is_staff:
        return rows.none()
    return rows.filter(department__site_id__in=actor.site_ids)


def may_book(actor: Actor, workshop: Workshop) -> bool:
    return actor.superuser or (
        workshop.department.site_id in actor.site_ids and bool(actor.roles & BOOKING_ROLES)
    )


def may_override(actor: Actor, workshop: Workshop) -> bool:
    """The workshop's manager (its department's manager, a manager of that department, or a VP
    of the site) may book beyond the bookable hours."""
    if actor.superuser:
        return True
    if workshop.department.site_id not in actor.site_ids:
        return False
    return (
        workshop.department.manager_id == actor.user_id
        or "vp" in actor.roles
        or ("manager" in actor.roles and actor.department_id == workshop.department_id)
    )


def _lines(workshop: Workshop, jobs: Sequence[Job]) -> list[AppointmentLine]:
    codes = {job.code for job in jobs if job.code}
    catalogue = {
        op.code: op
        for op in LabourOperation.objects.filter(
            site_id=workshop.department.site_id, code__in=codes
        )
    }
    lines = []
    for job in jobs:
        if job.code:
            op = catalogue.get(job.code)
            if op is None:
                raise Unprocessable("unknown_operation", operation=job.code)
            hours = job.hours if job.hours is not None else op.standard_hours
            lines.append(
                AppointmentLine(operation=op, name=op.name, hours=hours, work_type=op.work_type)
            )
        elif job.name and job.hours is not None:
            lines.append(AppointmentLine(name=job.name, hours=job.hours, work_type=job.work_type))
    if not lines or any(line.hours <= 0 for line in lines):
        raise Unprocessable("no_hours")
    return lines


def _check_time(workshop: Workshop, starts_at: datetime, now: datetime) -> date:
    site = workshop.site
    zone = ZoneInfo(site.timezone)
    local = starts_at.astimezone(zone)
    if starts_at <= now:
        raise Unprocessable("booking_in_past")
    day = local.date()
    if not site_calendar(site).is_working_day(day):
        raise Unprocessable("closed_day", day=day.isoformat())
    if not site.work_start <= local.time() < site.work_end:
        raise Unprocessable(
            "outside_hours", opens=f"{site.work_start:%H:%M}", closes=f"{site.work_end:%H:%M}"
        )
    return day


def _check_slot(workshop: Workshop, advisor: Any, starts_at: datetime, exclude: int | None) -> None:
    zone = ZoneInfo(workshop.site.timezone)
    local = starts_at.astimezone(zone)
    minutes = local.hour * 60 + local.minute
    start = local.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(
        minutes=minutes - minutes % workshop.slot_minutes
    )
    end = start + timedelta(minutes=workshop.slot_minutes)
    taken = Appointment.objects.filter(
        advisor=advisor, status__in=HOLDING, starts_at__gte=start, starts_at__lt=end
    )
    if exclude is not None:
        taken = taken.exclude(pk=exclude)
    if taken.count() >= workshop.arrivals_per_slot:
        raise Conflict(
            "slot_full",
            advisor=getattr(getattr(advisor, "staff", None), "display_name", "")
            or advisor.get_username(),
            slot=f"{start:%H:%M}–{end:%H:%M}",
            limit=workshop.arrivals_per_slot,
        )


def _check_capacity(
    actor: Actor,
    workshop: Workshop,
    day: date,
    hours: Decimal,
    override_reason: str,
    exclude: int | None,
    walk_in: bool = False,
) -> bool:
    """Lock the day and check its hours; True when the booking goes over on a manager's word.
    A walk-in is received into the bookable hours left, then into the reserve (available −
    bookable, held for walk-ins and extra work); only when both are used up is it refused."""
    BookingDay.objects.get_or_create(workshop=workshop, date=day)
    BookingDay.objects.select_for_update().get(workshop=workshop, date=day)
    cap = day_capacity(workshop, day, exclude=exclude)
    left = cap.left
    if hours <= left:
        return False
    if walk_in:
        free = cap.available - cap.booked
        if hours <= free:
            return False
        if not override_reason.strip():
            raise Conflict("reserve_used_up", free=str(max(free, Decimal(0))), hours=str(hours))
    if not override_reason.strip():
        raise Conflict(
            "over_capacity", day=day.isoformat(), left=str(max(left, Decimal(0))), hours=str(hours)
        )
    if not may_override(actor, workshop):
        raise Forbidden("override_not_allowed")
    return True


def book(
    actor: Actor,
    workshop: Workshop,
    *,
    customer: Customer,
    starts_at: datetime,
    jobs: Sequence[Job],
    asset: Asset | None = None,
    advisor: Any = None,
    override_reason: str = "",
    note: str = "",
    walk_in: bool = False,
    case_id: int | None = None,
    authorised: bool = False,
    parts: Sequence[PartAsk] = (),
    now: datetime | None = None,
    technician: Technician | None = None,
) -> Appointment:
    """Book a customer (and car) into the workshop; raises an EngineError and writes nothing
    when the booking is refused. `authorised`: the caller has already decided who may book (a
    case's transition, by the roles its procedure names). A walk-in (received now) skips the
    reception slot and may take the day's reserve. The jobs' usual parts and the `parts` named
    are reserved in the same transaction (`fuwu.scheduling.parts.reserve_for`); what is not in
    stock is a shortage on the appointment, not a refusal."""
    from fuwu.scheduling import parts as stock  # parts reads this module's rights

    now = now or timezone.now()
    if not authorised and not may_book(actor, workshop):
        raise Forbidden("may_not_book")
    site_id = workshop.department.site_id
    if customer.site_id != site_id or (asset is not None and asset.site_id != site_id):
        raise Forbidden("may_not_book")
    advisor = advisor or actor.user
    if technician is not None and (technician.workshop_id != workshop.pk or not technician.active):
        raise Unprocessable("not_a_technician_here")
    lines = _lines(workshop, jobs)
    hours = sum((line.hours for line in lines), Decimal(0)).quantize(HOUR)
    day = _check_time(workshop, starts_at, now - timedelta(minutes=1) if walk_in else now)
    with transaction.atomic():
        if not walk_in:
            _check_slot(workshop, advisor, starts_at, None)
        over = _check_capacity(actor, workshop, day, hours, override_reason, None, walk_in)
        appointment = Appointment.objects.create(
            workshop=workshop,
            customer=customer,
            asset=asset,
            advisor=advisor,
            starts_at=starts_at,
            hours=hours,
            walk_in=walk_in,
            override_reason=override_reason.strip() if over else "",
            overridden_by=actor.user if over else None,
            note=note,
            case_id=case_id,
            created_by=actor.user,
            created_at=now,
            changed_at=now,
            technician=technician,
            remind_at=None
            if walk_in or case_id
            else remind_at(workshop, starts_at, now, channel=channel_of(customer)),
        )
        for line in lines:
            line.appointment = appointment
        AppointmentLine.objects.bulk_create(lines)
        stock.reserve_for(actor, appointment, lines, parts, now=now)
    return appointment


def _open(appointment_id: int) -> Appointment:
    appointment = (
        Appointment.objects.select_for_update()
        .select_related("workshop__department__site", "advisor")
        .get(pk=appointment_id)
    )
    if appointment.status != AppointmentStatus.BOOKED:
        raise Conflict("appointment_not_open", status=appointment.get_status_display())
    return appointment


def rebook(
    actor: Actor,
    appointment_id: int,
    *,
    starts_at: datetime,
    override_reason: str = "",
    authorised: bool = False,
    now: datetime | None = None,
) -> Appointment:
    """Move a booked appointment to another time (a no-show's follow-up books anew instead);
    the reminder is due again for the new time."""
    now = now or timezone.now()
    with transaction.atomic():
        appointment = _open(appointment_id)
        workshop = appointment.workshop
        if not authorised and not may_book(actor, workshop):
            raise Forbidden("may_not_book")
        day = _check_time(workshop, starts_at, now)
        _check_slot(workshop, appointment.advisor, starts_at, appointment.pk)
        over = _check_capacity(
            actor, workshop, day, appointment.hours, override_reason, appointment.pk
        )
        appointment.starts_at = starts_at
        appointment.override_reason = override_reason.strip() if over else ""
        appointment.overridden_by = actor.user if over else None
        appointment.changed_at = now
        appointment.reminded_at = None
        appointment.reminder_channel = ""
        if not appointment.case_id:
            channel = channel_of(appointment.customer)
            appointment.remind_at = remind_at(workshop, starts_at, now, channel=channel)
        appointment.save(
            update_fields=[
                *("starts_at", "override_reason", "overridden_by", "changed_at"),
                *("remind_at", "reminded_at", "reminder_channel"),
            ]
        )
    return appointment


def set_status(
    actor: Actor, appointment_id: int, status: str, *, now: datetime | None = None
) -> Appointment:
    """Arrived, cancelled or no-show: the hours of a cancelled or missed booking are free again,
    and so are the parts it held."""
    from fuwu.scheduling import parts  # parts reads this module's rights

    if status not in (
        AppointmentStatus.ARRIVED,
        AppointmentStatus.CANCELLED,
        AppointmentStatus.NO_SHOW,
    ):
        raise EngineError("invalid_form")
    now = now or timezone.now()
    with transaction.atomic():
        appointment = _open(appointment_id)
        if not actor.is_system and not may_book(actor, appointment.workshop):
            raise Forbidden("may_not_book")
        appointment.status = status
        appointment.changed_at = now
        appointment.save(update_fields=["status", "changed_at"])
        if status != AppointmentStatus.ARRIVED:
            parts.release_for(actor, appointment, now=now)
    return appointment


def mark_no_shows(now: datetime | None = None, *, grace: timedelta = timedelta(minutes=30)) -> int:
    """Booked appointments whose customer has not arrived `grace` after the time (the seed's
    30 minutes) become no-shows by themselves, their hours free again, and the advisor is told
    to call and rebook. Run by the worker's sweep; each appointment is claimed by a conditional
    UPDATE, so two workers never mark or tell twice. An appointment without a case gets a
    follow-up task (`FollowUp`); a case's own procedure has its no-show step."""
    from fuwu.notifications.services import notify
    from fuwu.scheduling import parts

    now = now or timezone.now()
    missed = Appointment.objects.filter(
        status=AppointmentStatus.BOOKED, walk_in=False, starts_at__lte=now - grace
    ).select_related("customer", "asset", "advisor", "workshop__department__site")[:500]
    marked = 0
    for appointment in missed:
        with transaction.atomic():
            if not Appointment.objects.filter(
                pk=appointment.pk, status=AppointmentStatus.BOOKED
            ).update(status=AppointmentStatus.NO_SHOW, changed_at=now):
                continue  # arrived meanwhile, or another worker took it
            appointment.status = AppointmentStatus.NO_SHOW
            parts.release_for(SYSTEM, appointment, now=now)
            zone = ZoneInfo(appointment.workshop.site.timezone)
            notify(
                [appointment.advisor],
                case=appointment.case,
                kind="no_show",
                data={
                    "appointment": appointment.pk,
                    "customer": appointment.customer.name,
                    "vehicle": appointment.asset.label if appointment.asset else "—",
                    "at": f"{appointment.starts_at.astimezone(zone):%Y-%m-%d %H:%M}",
                },
            )
            if appointment.case_id is None:
                FollowUp.objects.create(
                    appointment=appointment, advisor=appointment.advisor, created_at=now
                )
            marked += 1
    return marked
