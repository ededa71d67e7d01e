"""Durations as procedure authors write them, and the deadlines they give on a calendar.

Units (docs/procedure-format.md, "Durations, calendars and limits"):

* `s`, `m`, `h` — business time on the procedure's calendar (`8h` is one working day);
* `d` — calendar days of 24 clock hours, whatever the calendar (`3d` is 72 clock hours);
* `w` — 7 calendar days; `mo` — calendar months (same wall-clock time, day clamped to the month);
* `wd` — working days of the site calendar: `3wd` is due at the close of business of the third
  working day after the start day (the start day itself never counts).

A limit is counted *from a start*; an offset from a date field (`appointment_at - 1d`) moves a
*point*, so there `s`/`m`/`h` are clock time too (a point plus a distance is a point), while `wd`
still counts working days. The arithmetic needs a calendar; this module only names what it
needs (`WorkingCalendar`) so the engine keeps importing nothing but the standard library.
"""

from __future__ import annotations

import calendar as _months
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Protocol
from zoneinfo import ZoneInfo


class Unit(StrEnum):
    SECOND = "s"
    MINUTE = "m"
    HOUR = "h"
    DAY = "d"
    WEEK = "w"
    MONTH = "mo"
    WORKDAY = "wd"


_BUSINESS = {Unit.SECOND: 1, Unit.MINUTE: 60, Unit.HOUR: 3600}
_CLOCK_DAYS = {Unit.DAY: 1, Unit.WEEK: 7}
_WHOLE = (Unit.MONTH, Unit.WORKDAY)  # counted in whole months / whole days only
_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(wd|mo|s|m|h|d|w)\s*$")
_FROM_FIELD_RE = re.compile(r"^\s*([a-z][a-z0-9_]{0,62})\s*(?:([+-])\s*(\S.*?))?\s*$")
FORMS = "s, m, h (business time), d, w, mo (calendar) or wd (working days)"


class WorkingCalendar(Protocol):
    """What deadlines need from a calendar (`fuwu.sla.calendar.Calendar` provides it)."""

    @property
    def tz(self) -> str: ...

    def add(self, start: datetime, seconds: float) -> datetime: ...

    def close_of_business(self, day: date) -> datetime: ...

    def working_day(self, day: date, n: int) -> date: ...


@dataclass(frozen=True)
class Span:
    """A parsed duration: `amount` of `unit`."""

    amount: Decimal
    unit: Unit

    @property
    def business_seconds(self) -> float | None:
        """Seconds of business time for `s`/`m`/`h`; None for the calendar units."""
        factor = _BUSINESS.get(self.unit)
        return None if factor is None else float(self.amount * factor)

    @property
    def clock_seconds(self) -> float | None:
        """Seconds of clock time for `s`/`m`/`h`/`d`/`w`; None for `mo` and `wd`."""
        if self.unit in _BUSINESS:
            return float(self.amount * _BUSINESS[self.unit])
        if self.unit in _CLOCK_DAYS:
            return float(self.amount * _CLOCK_DAYS[self.unit] * 86400)
        return None

    def after(self, start: datetime, calendar: WorkingCalendar) -> datetime:
        """The deadline of a limit of this span that starts at `start`."""
        seconds = self.business_seconds
        if seconds is not None:
            return calendar.add(start, seconds)
        return self.shift(start, calendar)

    def shift(self, point: datetime, calendar: WorkingCalendar, sign: int = 1) -> datetime:
        """`point` moved by this span as clock time (`wd`: working days, to a close of business)."""
        zone = ZoneInfo(calendar.tz)
        seconds = self.clock_seconds
        if seconds is not None:
            return (point + sign * timedelta(seconds=seconds)).astimezone(zone)
        n = int(self.amount) * sign
        local = point.astimezone(zone)
        if self.unit is Unit.MONTH:
            return add_months(local, n)
        return calendar.close_of_business(calendar.working_day(local.date(), n))


def add_months(moment: datetime, months: int) -> datetime:
    """The same wall-clock time `months` later, the day clamped to the month's length."""
    index = moment.year * 12 + moment.month - 1 + months
    year, month = divmod(index, 12)
    day = min(moment.day, _months.monthrange(year, month + 1)[1])
    naive = moment.replace(tzinfo=None, year=year, month=month + 1, day=day)
    return naive.replace(tzinfo=moment.tzinfo)


def parse_span(text: str) -> Span:
    """The span in `text`. Raises ValueError naming the accepted forms."""
    match = _RE.match(text) if isinstance(text, str) else None
    if not match:
        raise ValueError(
            f"'{text}' is not a duration: write a number and a unit {FORMS} (e.g. 30m, 2h, 3wd)"
        )
    amount, unit = Decimal(match.group(1)), Unit(match.group(2))
    if amount <= 0:
        raise ValueError(f"'{text}' must be longer than zero")
    if unit in _WHOLE and amount != amount.to_integral_value():
        raise ValueError(f"'{text}': months and working days are counted whole (e.g. 3wd, 2mo)")
    return Span(amount, unit)


@dataclass(frozen=True)
class FromField:
    """`<field> [+|- <duration>]`: a moment taken from a date or date-time field of the case."""

    field: str
    sign: int = 1
    span: Span | None = None

    def moment(self, value: object, calendar: WorkingCalendar) -> datetime | None:
        """The moment for the field's stored `value`; None when it is blank or not a date."""
        point = field_moment(value, calendar.tz)
        if point is None or self.span is None:
            return point
        return self.span.shift(point, calendar, self.sign)


def parse_from_field(text: str) -> FromField:
    """Parse `appointment_at`, `appointment_at - 1d`, `event_date + 2wd`."""
    match = _FROM_FIELD_RE.match(text) if isinstance(text, str) else None
    if not match:
        raise ValueError(
            f"'{text}' is not a moment: write a field key, optionally followed by + or - and"
            " a duration (e.g. appointment_at - 1d)"
        )
    name, sign, offset = match.groups()
    if sign is None:
        return FromField(name)
    return FromField(name, -1 if sign == "-" else 1, parse_span(offset))


def field_moment(value: object, tz: str) -> datetime | None:
    """A stored date or date-time value as an aware moment; a date is 00:00 of that day in `tz`."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime(value.year, value.month, value.day)
    elif isinstance(value, str) and value.strip():
        try:
            if len(value.strip()) == 10:
                moment = datetime.combine(date.fromisoformat(value.strip()), datetime.min.time())
            else:
                moment = datetime.fromisoformat(value.strip())
        except ValueError:
            return None
    else:
        return None
    zone = ZoneInfo(tz)
    return moment.replace(tzinfo=zone) if moment.tzinfo is None else moment.astimezone(zone)


def window_due(start: datetime, from_day: int, to_day: int, calendar: WorkingCalendar) -> datetime:
    """Due at the close of business of the last working day on or before `to_day` of the month.

    The month is the start's, unless this month's window has already closed at `start`: then
    it is next month's. `to_day` (and `from_day`) are clamped to the month's length, so
    "28th to 30th" ends on the 28th in a 28-day February.
    """
    local = start.astimezone(ZoneInfo(calendar.tz))
    year, month = local.year, local.month
    for _ in range(2):
        last = _months.monthrange(year, month)[1]
        end_day = date(year, month, min(to_day, last))
        due = calendar.close_of_business(calendar.working_day(end_day + timedelta(days=1), -1))
        if due > start:
            return due
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return due
