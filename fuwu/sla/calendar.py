"""Business-time arithmetic for service-level (SLA) clocks.

An SLA such as "first reply within 8 business hours" must not tick at night, at
weekends or during statutory holidays, and in China it *must* tick on the
make-up working days (调休) that the State Council moves onto a Saturday or a
Sunday.  :class:`Calendar` answers the three questions the SLA engine needs:

* :meth:`Calendar.add` -- when is a deadline, given a start and a budget?
* :meth:`Calendar.elapsed` -- how much business time has been consumed?
* :meth:`Calendar.next_open` -- when does the clock actually start running?

Design notes (the *why*):

* **Absolute time.**  All arithmetic happens on integer microseconds since the
  Unix epoch.  Working periods are wall-clock times in the calendar's zone and
  are converted to instants day by day, so daylight-saving transitions are
  honoured (a shortened day really is shorter) and integer maths keeps
  ``elapsed(start, add(start, s)) == s`` exact to the microsecond.
* **Speed.**  SLA clocks are recomputed very often, so the walk is done a
  working *period* at a time (never second by second): a non-working day costs
  a couple of set look-ups and a working day costs one cached look-up of its
  period instants (zone conversions are the expensive part, so they are
  memoised per ``(tz, periods, day)``).  Statutory days are fetched from the
  ``holidays`` package once per ``(country, year)`` and cached as well; China's
  come from a table of the package's answers (``fuwu.sla.statutory``).
* **Half-open periods.**  A period ``09:00-12:00`` contains 09:00 but not
  12:00.  When a budget runs out *exactly* at the end of a period, :meth:`add`
  returns that end (e.g. 12:00, not 13:30): it is the earliest moment at which
  the budget is spent, which is what a deadline means.  This is the only case
  where :meth:`add` returns a moment outside working time.
* **Comparing results.**  Results are aware datetimes in the calendar's zone.
  Python compares two datetimes that share a tzinfo on the *wall clock* and
  ignores ``fold``, so in a zone with DST the repeated autumn hour can compare
  in the wrong order; compare ``.astimezone(UTC)`` values there (no issue for
  Asia/Shanghai, which has no DST).
* **No Django.**  This module is pure Python so it can be tested and reasoned
  about without a database; persistence of the configuration lives elsewhere.
"""

from __future__ import annotations

import functools
import itertools
import math
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fuwu.sla import statutory

# A running deadline is "at risk" in the last fifth of its window, and always in its last hour:
# the badges on the pages (fuwu.web.timeleft) and the queue's at_risk filter (SQL) both use it.
RISK_SHARE = 0.2
RISK_FLOOR_SECONDS = 3600.0

__all__ = ["Calendar", "statutory_days"]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_ONE_US = timedelta(microseconds=1)
_ONE_DAY = timedelta(days=1)
_US_PER_SECOND = 1_000_000
# A calendar whose last working day lies in the past (e.g. no regular weekdays,
# only a few administrator-entered workdays) would make `add` search forever.
# Ten years without a single working day is treated as "never opens again".
_MAX_CLOSED_DAYS = 3660

_DEFAULT_PERIODS: tuple[tuple[time, time], ...] = (
    (time(9), time(12)),
    (time(13, 30), time(18)),
)


@functools.lru_cache(maxsize=512)
def statutory_days(country: str, year: int) -> tuple[frozenset[date], frozenset[date]]:
    """Return ``(days_off, makeup_workdays)`` of ``country`` in ``year``.

    ``days_off`` are the public holidays of the ``holidays`` package (for China
    this already includes the weekdays given off in exchange for a make-up day,
    labelled 休息日（由 … 调休）).  ``makeup_workdays`` are the weekend days that
    are working days; the package records them in ``HolidayBase.weekend_workdays``
    while it populates the *substituted holidays* of a year.

    The following year is populated too, because a swap can cross New Year
    (e.g. 2002-01-02 off in exchange for Saturday 2001-12-29), and that make-up
    day is only recorded when the later year is built.  Cached because building
    a year costs milliseconds while SLA clocks ask about days constantly.
    """
    # China's years come from the table shipped with Fuwu (fuwu.sla.statutory): the package
    # itself is imported only for another country or a year outside the table.
    return statutory.known(country, year) or statutory.computed(country, year)


def _to_us(moment: datetime) -> int:
    """Convert an aware datetime to integer microseconds since the epoch.

    Subtracting a UTC datetime forces a real (offset-aware) difference, unlike
    subtracting two datetimes that share a tzinfo, which Python does on the wall
    clock and would be wrong across a DST change.
    """
    return (moment - _EPOCH) // _ONE_US


@functools.lru_cache(maxsize=16384)
def _period_instants(
    tz: str, periods: tuple[tuple[time, time], ...], day: date
) -> tuple[tuple[int, int], ...]:
    """Return the epoch-µs bounds of each wall-clock period of ``day`` in zone ``tz``.

    Zone conversion is the dominant cost of a walk, and the same days are
    walked over and over by every open case of a site, so the result is cached
    (16k entries is decades of days for a handful of distinct configurations).
    """
    zone = ZoneInfo(tz)
    return tuple(
        (
            _to_us(datetime.combine(day, start, tzinfo=zone)),
            _to_us(datetime.combine(day, end, tzinfo=zone)),
        )
        for start, end in periods
    )


def _require_aware(moment: datetime, name: str) -> None:
    """Reject naive datetimes: their instant is ambiguous, so any answer would be a guess."""
    if not isinstance(moment, datetime):
        raise TypeError(f"{name} must be a datetime, got {type(moment).__name__}")
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(
            f"{name} must be a timezone-aware datetime (got naive {moment.isoformat()}); "
            "attach a tzinfo, e.g. datetime(..., tzinfo=ZoneInfo('Asia/Shanghai'))"
        )


def _seconds_to_us(seconds: float) -> int:
    """Validate a business-time budget and convert it to whole microseconds."""
    if isinstance(seconds, bool) or not isinstance(seconds, int | float):
        raise TypeError(f"seconds must be a number, got {type(seconds).__name__}")
    if math.isnan(seconds) or math.isinf(seconds):
        raise ValueError(f"seconds must be finite, got {seconds!r}")
    if seconds < 0:
        raise ValueError(f"seconds must not be negative, got {seconds!r}")
    return round(seconds * _US_PER_SECOND)


def _date_set(values: Iterable[date], name: str) -> frozenset[date]:
    """Freeze administrator-entered dates, refusing datetimes.

    ``datetime`` is a subclass of ``date`` but never compares equal to one, so a
    datetime in the set would silently never match; better to fail loudly.
    """
    result: set[date] = set()
    for value in values:
        if isinstance(value, datetime) or not isinstance(value, date):
            raise ValueError(f"{name} must contain datetime.date values, got {value!r}")
        result.add(value)
    return frozenset(result)


@dataclass(frozen=True, init=False)
class Calendar:
    """Working-time calendar of one site: zone, opening periods and days off.

    Immutable and hashable so that it can be shared between threads and used as
    a cache key.  See the module docstring for the arithmetic conventions.
    """

    tz: str
    always_open: bool
    periods: tuple[tuple[time, time], ...]
    weekdays: frozenset[int]
    country: str | None
    extra_holidays: frozenset[date]
    extra_workdays: frozenset[date]
    _zone: ZoneInfo = field(repr=False, compare=False)

    def __init__(
        self,
        *,
        tz: str = "Asia/Shanghai",
        always_open: bool = False,
        periods: Sequence[tuple[time, time]] = _DEFAULT_PERIODS,
        weekdays: Iterable[int] = (0, 1, 2, 3, 4),
        country: str | None = "CN",
        extra_holidays: Iterable[date] = (),
        extra_workdays: Iterable[date] = (),
    ) -> None:
        """Validate and freeze the configuration.

        Configuration comes from administrators, so every mistake is reported
        here with a ValueError instead of surfacing later as a wrong deadline.
        The whole configuration is validated even when ``always_open`` makes
        parts of it irrelevant, so that a stored bad value cannot lurk unnoticed.
        """
        try:
            zone = ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError, TypeError) as exc:
            raise ValueError(f"unknown time zone {tz!r}") from exc

        frozen_periods: list[tuple[time, time]] = []
        for period in periods:
            if len(period) != 2:
                raise ValueError(f"a period is a (start, end) pair, got {period!r}")
            frozen_periods.append((period[0], period[1]))
        if not frozen_periods:
            raise ValueError("at least one working period is required")
        for start, end in frozen_periods:
            if not isinstance(start, time) or not isinstance(end, time):
                raise ValueError(f"period bounds must be datetime.time values: {(start, end)!r}")
            if start.tzinfo is not None or end.tzinfo is not None:
                raise ValueError("period bounds must be naive times (wall clock in `tz`)")
            if not start < end:
                raise ValueError(f"period start must be before its end: {start}-{end}")
        for (_, prev_end), (next_start, _) in itertools.pairwise(frozen_periods):
            if next_start < prev_end:
                raise ValueError(
                    f"periods must be sorted and non-overlapping: {next_start} < {prev_end}"
                )

        frozen_weekdays = frozenset(weekdays)
        for day in frozen_weekdays:
            if isinstance(day, bool) or not isinstance(day, int) or not 0 <= day <= 6:
                raise ValueError(f"weekdays must be integers 0 (Monday) to 6, got {day!r}")

        holidays_set = _date_set(extra_holidays, "extra_holidays")
        workdays_set = _date_set(extra_workdays, "extra_workdays")
        if not frozen_weekdays and not workdays_set:
            raise ValueError("a calendar needs at least one weekday or one extra workday")

        if country is not None:
            country = country.upper()
            if country not in statutory.countries():
                import holidays

                try:
                    holidays.country_holidays(country)
                except NotImplementedError as exc:
                    raise ValueError(f"country {country!r} is not known to `holidays`") from exc

        object.__setattr__(self, "tz", tz)
        object.__setattr__(self, "always_open", bool(always_open))
        object.__setattr__(self, "periods", tuple(frozen_periods))
        object.__setattr__(self, "weekdays", frozen_weekdays)
        object.__setattr__(self, "country", country)
        object.__setattr__(self, "extra_holidays", holidays_set)
        object.__setattr__(self, "extra_workdays", workdays_set)
        object.__setattr__(self, "_zone", zone)

    # ------------------------------------------------------------------ days

    def is_working_day(self, d: date) -> bool:
        """Tell whether the clock may run at all on local date ``d``.

        Precedence, strongest first: administrator workday > administrator
        holiday > statutory make-up day (调休) > statutory holiday > weekday.
        The administrator's word wins because the package can lag behind the
        official announcement or not know a future year at all.  An aware
        datetime is accepted and converted to the calendar's local date.
        """
        if isinstance(d, datetime):
            _require_aware(d, "d")
            d = d.astimezone(self._zone).date()
        if self.always_open or d in self.extra_workdays:
            return True
        if d in self.extra_holidays:
            return False
        if self.country is not None:
            days_off, makeup = statutory_days(self.country, d.year)
            if d in makeup:
                return True
            if d in days_off:
                return False
        return d.weekday() in self.weekdays

    def _intervals(
        self, first_day: date, last_day: date | None = None
    ) -> Iterator[tuple[int, int]]:
        """Yield disjoint, increasing ``[start, end)`` working intervals in epoch µs.

        Starts at local date ``first_day`` and stops after ``last_day`` (or
        never).  Around a DST gap a wall-clock period can map to instants that
        precede the previous period's end; each interval is therefore clipped to
        start no earlier than the previous one ended, which keeps the intervals
        disjoint so no instant is ever counted twice.
        """
        tz = self.tz
        periods = self.periods
        floor: int | None = None
        closed_run = 0
        day = first_day
        while last_day is None or day <= last_day:
            if self.is_working_day(day):
                closed_run = 0
                for start, end in _period_instants(tz, periods, day):
                    if floor is not None and start < floor:
                        start = floor
                    if end > start:
                        yield start, end
                        floor = end
            elif last_day is None:
                closed_run += 1
                if closed_run > _MAX_CLOSED_DAYS:
                    raise ValueError(
                        f"calendar has no working day in the {_MAX_CLOSED_DAYS} days "
                        f"after {day - closed_run * _ONE_DAY}; it never opens again"
                    )
            try:
                day += _ONE_DAY
            except OverflowError as exc:
                raise ValueError("business time runs past the last representable date") from exc

    def _local_day_before(self, moment: datetime) -> date:
        """Local date of the day before ``moment``: where every walk starts.

        Starting one day early makes the walk independent of DST oddities that
        could put a period's instant just before local midnight.
        """
        local = moment.astimezone(self._zone).date()
        return local - _ONE_DAY if local > date.min else local

    def _from_us(self, us: int) -> datetime:
        """Convert epoch microseconds to an aware datetime in the calendar's zone."""
        return (_EPOCH + timedelta(microseconds=us)).astimezone(self._zone)

    # ------------------------------------------------------------ public API

    def next_open(self, moment: datetime) -> datetime:
        """Return ``moment`` if the clock runs then, else the next opening.

        SLA clocks "start when working time starts": a case filed on Saturday
        evening is due relative to Monday 09:00.  A moment exactly at a period
        end (12:00) is *not* working time, so the answer is the next start.
        """
        _require_aware(moment, "moment")
        if self.always_open:
            return moment.astimezone(self._zone)
        t = _to_us(moment)
        for start, end in self._intervals(self._local_day_before(moment)):
            if end <= t:
                continue
            return moment.astimezone(self._zone) if start <= t else self._from_us(start)
        raise AssertionError("unreachable: _intervals is infinite or raises")  # pragma: no cover

    def add(self, start: datetime, seconds: float) -> datetime:
        """Return the moment when ``seconds`` of business time have elapsed after ``start``.

        This is the *earliest* such moment, hence a period end (e.g. 12:00) when
        the budget runs out exactly there.  ``add(start, 0)`` is
        ``next_open(start)``: a zero budget is due when work can begin.
        """
        _require_aware(start, "start")
        remaining = _seconds_to_us(seconds)
        if self.always_open:
            return self._from_us(_to_us(start) + remaining)
        if remaining == 0:
            return self.next_open(start)
        t = _to_us(start)
        for begin, end in self._intervals(self._local_day_before(start)):
            if end <= t:
                continue
            begin = max(begin, t)
            available = end - begin
            if remaining <= available:
                return self._from_us(begin + remaining)
            remaining -= available
        raise AssertionError("unreachable: _intervals is infinite or raises")  # pragma: no cover

    def elapsed(self, start: datetime, end: datetime) -> float:
        """Return the business seconds between ``start`` and ``end`` (0 if ``end <= start``).

        Never negative, so a clock paused "in the past" cannot earn credit.
        """
        _require_aware(start, "start")
        _require_aware(end, "end")
        t0, t1 = _to_us(start), _to_us(end)
        if t1 <= t0:
            return 0.0
        if self.always_open:
            return (t1 - t0) / _US_PER_SECOND
        total = 0
        last_day = end.astimezone(self._zone).date()
        for begin, stop in self._intervals(self._local_day_before(start), last_day):
            if stop <= t0:
                continue
            if begin >= t1:
                break
            total += min(stop, t1) - max(begin, t0)
        return total / _US_PER_SECOND

    def close_of_business(self, day: date) -> datetime:
        """The end of the last working period of local date ``day`` (the next midnight on 24×7).

        A ``wd`` deadline ("within three working days") is due then: the whole of the last
        working day is the customer's, not only the hour at which the case was opened.
        """
        if self.always_open:
            return datetime.combine(day + _ONE_DAY, time(), tzinfo=self._zone)
        return self._from_us(_period_instants(self.tz, self.periods, day)[-1][1])

    def working_day(self, day: date, n: int) -> date:
        """The ``n``-th working day after local date ``day`` (before it when ``n`` is negative).

        ``day`` itself never counts, so ``working_day(d, -1)`` of the day after ``d`` is the
        last working day on or before ``d``. Every day is a working day on a 24×7 calendar.
        """
        if n == 0:
            raise ValueError("n must not be zero")
        step = _ONE_DAY if n > 0 else -_ONE_DAY
        left = abs(n)
        closed_run = 0
        while left:
            day += step
            if self.is_working_day(day):
                left -= 1
                closed_run = 0
            else:
                closed_run += 1
                if closed_run > _MAX_CLOSED_DAYS:
                    raise ValueError(f"calendar has no working day near {day}; it never opens")
        return day
