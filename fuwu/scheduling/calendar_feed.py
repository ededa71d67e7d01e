"""The appointment calendar's data: a workshop's appointments between two days, for one advisor
or one technician if asked, and each day's hours, read by the API feed and the calendar page.

An appointment is drawn from its arrival time for its labour hours of the site's working time
(lunch skipped), ending at closing at the latest: many technicians share a long job, and the
calendar shows when the car is in the workshop, not every technician's share. The technician
view is the appointments planned for that technician (`Appointment.technician`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db.models import QuerySet

from fuwu.core.actors import Actor
from fuwu.core.models import Site
from fuwu.scheduling.booking import may_book
from fuwu.scheduling.capacity import DayCapacity, capacity, shift_periods
from fuwu.scheduling.models import Appointment, AppointmentStatus, Workshop

MAX_DAYS = 42  # six weeks: a month view with its spill-over days

# Bootstrap's colours, so the calendar reads like the rest of the staff pages.
STATUS_COLOURS = {
    AppointmentStatus.BOOKED: "#0d6efd",
    AppointmentStatus.ARRIVED: "#198754",
    AppointmentStatus.NO_SHOW: "#dc3545",
    AppointmentStatus.CANCELLED: "#6c757d",
}


@dataclass(frozen=True)
class Entry:
    appointment: Appointment
    start: datetime
    end: datetime
    movable: bool  # booked, in the future, and this person may rebook it


def shown_until(site: Site, start: datetime, hours: Decimal) -> datetime:
    """`hours` of working time from `start` on its day (lunch skipped), closing at the latest;
    at least 15 minutes so that a short job can be seen and clicked."""
    zone = ZoneInfo(site.timezone)
    local = start.astimezone(zone)
    left = timedelta(hours=float(hours))
    end = local
    for period_start, period_end in shift_periods(site, None, local.date()):
        begin = max(period_start, local)
        if period_end <= begin:
            continue
        if period_end - begin >= left:
            end = begin + left
            left = timedelta(0)
            break
        left -= period_end - begin
        end = period_end
    return max(end, local + timedelta(minutes=15))


def appointments_between(
    workshop: Workshop,
    first: date,
    last: date,
    *,
    advisor_id: int | None = None,
    technician_id: int | None = None,
) -> QuerySet[Appointment]:
    zone = ZoneInfo(workshop.site.timezone)
    rows = Appointment.objects.filter(
        workshop=workshop,
        starts_at__gte=datetime.combine(first, time.min, zone),
        starts_at__lt=datetime.combine(last + timedelta(days=1), time.min, zone),
    )
    if advisor_id is not None:
        rows = rows.filter(advisor_id=advisor_id)
    if technician_id is not None:
        rows = rows.filter(technician_id=technician_id)
    return (
        rows.select_related("customer", "asset", "advisor__staff", "technician__staff", "case")
        .prefetch_related("lines__operation")
        .order_by("starts_at", "pk")
    )


def entries(
    actor: Actor,
    workshop: Workshop,
    first: date,
    last: date,
    *,
    advisor_id: int | None = None,
    technician_id: int | None = None,
    now: datetime,
) -> list[Entry]:
    site = workshop.site
    movable = may_book(actor, workshop)
    return [
        Entry(
            appointment=a,
            start=a.starts_at,
            end=shown_until(site, a.starts_at, a.hours),
            movable=movable and a.status == AppointmentStatus.BOOKED and a.starts_at > now,
        )
        for a in appointments_between(
            workshop, first, last, advisor_id=advisor_id, technician_id=technician_id
        )
    ]


def days(workshop: Workshop, first: date, last: date) -> list[DayCapacity]:
    return capacity(workshop, [first + timedelta(days=n) for n in range((last - first).days + 1)])
