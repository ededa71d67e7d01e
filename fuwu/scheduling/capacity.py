"""What a workshop can sell: available, bookable and booked labour hours per day, and when a job
must start to make its promised time (SPEC §5–6, the Toyota seed's steps 1 and 4).

    available = Σ technicians on shift × their working hours × productivity   (10 × 8 h × 100 % = 80 h)
    bookable  = available × the appointment share                               (80 % → 64 h)
    reserve   = available − bookable: carry-overs, walk-ins and extra work
    latest start = promised − (standard hours + settlement) of working time, breaks skipped
                                                   (13:30 − 2.3 h − 1.0 h lunch − 0.2 h = 10:00)

A technician is on shift on the site's working days (its calendar: statutory holidays and the
调休 make-up days) unless absent; the shift's hours are the staff record's shift, or the site's
hours, less the site's lunch break where it falls inside.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db import connections
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from fuwu.core.models import Shift, Site
from fuwu.scheduling.models import (
    HOLDING,
    Absence,
    Appointment,
    CarryOver,
    Technician,
    Workshop,
)
from fuwu.sla.clocks import site_calendar

HOUR = Decimal("0.01")
Period = tuple[datetime, datetime]


def hours_of(periods: Iterable[Period]) -> Decimal:
    seconds = sum((end - start).total_seconds() for start, end in periods)
    return (Decimal(seconds) / 3600).quantize(HOUR)


def shift_periods(site: Site, shift: Shift | None, day: date) -> tuple[Period, ...]:
    """The working periods of a shift on `day`: its hours (or the site's) less the site's lunch.
    A shift that ends at or before it starts runs past midnight."""
    zone = ZoneInfo(site.timezone)
    start_t, end_t = (shift.start, shift.end) if shift else (site.work_start, site.work_end)
    start = datetime.combine(day, start_t, zone)
    end = datetime.combine(day + timedelta(days=1) if end_t <= start_t else day, end_t, zone)
    lunch = (
        datetime.combine(day, site.lunch_start, zone),
        datetime.combine(day, site.lunch_end, zone),
    )
    if start < lunch[0] < lunch[1] < end:
        return ((start, lunch[0]), (lunch[1], end))
    return ((start, end),)


@dataclass(frozen=True)
class TechnicianDay:
    technician_id: int
    name: str
    periods: tuple[Period, ...]  # empty when absent or the workshop is closed
    hours: Decimal
    productivity: Decimal
    available: Decimal
    absence: str  # the absence's label, or ""


@dataclass(frozen=True)
class DayCapacity:
    day: date
    working: bool
    technicians: tuple[TechnicianDay, ...]
    available: Decimal
    bookable: Decimal
    booked: Decimal
    carried: Decimal = Decimal("0")  # carry-overs (滞留车) into this day: taken from the reserve

    @property
    def reserve(self) -> Decimal:
        return self.available - self.bookable

    @property
    def reserve_left(self) -> Decimal:
        """The reserve after the carry-overs into this day; below zero when they overflow it."""
        return self.reserve - self.carried

    @property
    def left(self) -> Decimal:
        """Bookable hours not yet booked; below zero when a manager has overridden the limit."""
        return self.bookable - self.booked

    @property
    def on_shift(self) -> int:
        return sum(1 for t in self.technicians if t.periods)


def technicians(workshop: Workshop) -> QuerySet[Technician]:
    return (
        workshop.technicians.filter(active=True, staff__user__is_active=True)
        .select_related("staff__shift")
        .order_by("staff__display_name", "pk")
    )


def aware(value: datetime | str) -> datetime:
    """A stored moment as the driver gives it (SQLite: naive UTC, or text) made aware."""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def booked_hours(
    workshop: Workshop, days: Sequence[date], *, exclude: int | None = None
) -> dict[date, Decimal]:
    """Hours held by live appointments, per local day of their start."""
    if not days:
        return {}
    zone = ZoneInfo(workshop.site.timezone)
    first = datetime.combine(min(days), time.min, zone)
    last = datetime.combine(max(days) + timedelta(days=1), time.min, zone)
    rows = Appointment.objects.filter(
        workshop=workshop, status__in=HOLDING, starts_at__gte=first, starts_at__lt=last
    )
    if exclude is not None:
        rows = rows.exclude(pk=exclude)
    # Read with the driver's own types: a month of a busy workshop is thousands of rows, and
    # Django's per-value converters took longer than the rest of the page.
    sql, params = rows.values_list("starts_at", "hours").query.get_compiler(rows.db).as_sql()
    booked: dict[date, Decimal] = defaultdict(Decimal)
    with connections[rows.db].cursor() as cursor:
        cursor.execute(sql, params)
        for starts_at, hours in cursor.fetchall():
            booked[aware(starts_at).astimezone(zone).date()] += Decimal(str(hours))
    return booked


def carried_hours(workshop: Workshop, days: Sequence[date]) -> dict[date, Decimal]:
    """Remaining hours of the cars carried over into each day (滞留车), which the day's reserve
    holds (the seed's "用于滞留车辆修理: 10 小时")."""
    if not days:
        return {}
    carried: dict[date, Decimal] = defaultdict(Decimal)
    for day, hours in CarryOver.objects.filter(
        workshop=workshop, to_date__gte=min(days), to_date__lte=max(days)
    ).values_list("to_date", "hours"):
        carried[day] += hours
    return carried


def capacity(
    workshop: Workshop, days: Sequence[date], *, exclude: int | None = None
) -> list[DayCapacity]:
    """Each day's capacity, in five queries however many days are asked for."""
    site = workshop.site
    calendar = site_calendar(site)
    crew = list(technicians(workshop))
    absent: dict[tuple[int, date], str] = {}
    if days:
        for row in Absence.objects.filter(
            technician__in=crew, date__gte=min(days), date__lte=max(days)
        ):
            absent[(row.technician_id, row.date)] = row.get_kind_display()
    booked = booked_hours(workshop, days, exclude=exclude)
    carried = carried_hours(workshop, days)
    share = workshop.appointment_share
    out = []
    for day in days:
        working = calendar.is_working_day(day)
        rows = []
        shifts: dict[int | None, tuple[tuple[Period, ...], Decimal]] = {}  # most share one
        for tech in crew:
            absence = absent.get((tech.pk, day), "") if working else _("休息日")
            periods: tuple[Period, ...] = ()
            hours = Decimal("0.00")
            if working and not absence:
                shift = tech.staff.shift
                key = shift.pk if shift else None
                if key not in shifts:
                    found = shift_periods(site, shift, day)
                    shifts[key] = (found, hours_of(found))
                periods, hours = shifts[key]
            rows.append(
                TechnicianDay(
                    technician_id=tech.pk,
                    name=tech.staff.display_name,
                    periods=periods,
                    hours=hours,
                    productivity=tech.productivity,
                    available=(hours * tech.productivity).quantize(HOUR),
                    absence=absence,
                )
            )
        available = sum((r.available for r in rows), Decimal("0")).quantize(HOUR)
        out.append(
            DayCapacity(
                day=day,
                working=working,
                technicians=tuple(rows),
                available=available,
                bookable=(available * share).quantize(HOUR),
                booked=booked.get(day, Decimal("0")).quantize(HOUR),
                carried=carried.get(day, Decimal("0")).quantize(HOUR),
            )
        )
    return out


def day_capacity(workshop: Workshop, day: date, *, exclude: int | None = None) -> DayCapacity:
    return capacity(workshop, [day], exclude=exclude)[0]


def latest_start(
    workshop: Workshop,
    promised: datetime,
    hours: Decimal,
    *,
    shift: Shift | None = None,
) -> datetime:
    """When a job of `hours` standard hours (QC and cleaning included) must start for the car to
    be settled and handed over at `promised`: that much working time and the workshop's
    settlement time before it, skipping breaks, closing hours and closed days."""
    site = workshop.site
    calendar = site_calendar(site)
    zone = ZoneInfo(site.timezone)
    need = (hours + workshop.settlement_hours) * 3600
    left = timedelta(seconds=float(need))
    day = promised.astimezone(zone).date()
    for _day in range(366):
        if calendar.is_working_day(day):
            for start, end in reversed(shift_periods(site, shift, day)):
                end = min(end, promised)
                if end <= start:
                    continue
                if end - start >= left:
                    return (end - left).astimezone(zone)
                left -= end - start
        day -= timedelta(days=1)
    raise ValueError("no working time within a year before the promised time")
