"""Tests for fuwu.sla.calendar: business-time arithmetic without Django.

The examples pin down real 2025/2026 Chinese holiday arrangements (including
make-up working days, 调休) and the conventions of the module; the Hypothesis
properties check the algebra the SLA engine relies on (add/elapsed are inverse,
monotonic and additive) over random calendars, zones and administrator days.
"""

from __future__ import annotations

import dataclasses
import time as perf
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fuwu.sla.calendar import Calendar, statutory_days

SH = ZoneInfo("Asia/Shanghai")
NY = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")
HOUR = 3600.0
ONE_US = timedelta(microseconds=1)
TOLERANCE = 1e-6  # one microsecond, in seconds


def sh(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """Shorthand for a Shanghai wall-clock datetime."""
    return datetime(year, month, day, hour, minute, tzinfo=SH)


@pytest.fixture(scope="module")
def cal() -> Calendar:
    return Calendar()


# --------------------------------------------------------------- holidays data


@pytest.mark.parametrize(
    "day",
    [date(2025, 1, 26), date(2025, 2, 8), date(2025, 4, 27), date(2025, 9, 28), date(2025, 10, 11)],
)
def test_2025_makeup_weekend_days_are_working_days(cal: Calendar, day: date) -> None:
    assert day.weekday() >= 5
    assert cal.is_working_day(day)


@pytest.mark.parametrize(
    ("first", "last"),
    [(date(2025, 1, 28), date(2025, 2, 4)), (date(2025, 10, 1), date(2025, 10, 8))],
)
def test_2025_spring_festival_and_national_day_are_off(
    cal: Calendar, first: date, last: date
) -> None:
    day = first
    while day <= last:
        assert not cal.is_working_day(day), day
        day += timedelta(days=1)
    assert cal.is_working_day(first - timedelta(days=1))
    assert cal.is_working_day(last + timedelta(days=1))


def test_2026_arrangement(cal: Calendar) -> None:
    # Jan 4 (Sun), Feb 14 and 28 (Sat), May 9 (Sat), Sep 20 (Sun), Oct 10 (Sat) are worked.
    for month, dom in [(1, 4), (2, 14), (2, 28), (5, 9), (9, 20), (10, 10)]:
        assert cal.is_working_day(date(2026, month, dom)), (month, dom)
    # Spring Festival Feb 15-23 and National Day Oct 1-7 are off.
    for first, last in [
        (date(2026, 2, 15), date(2026, 2, 23)),
        (date(2026, 10, 1), date(2026, 10, 7)),
    ]:
        day = first
        while day <= last:
            assert not cal.is_working_day(day), day
            day += timedelta(days=1)


def test_statutory_days_cross_new_year_swap() -> None:
    # 2002-01-02/03 were given off in exchange for 2001-12-29/30 (Sat/Sun):
    # the make-up days belong to 2001 although the swap is listed under 2002.
    _, makeup_2001 = statutory_days("CN", 2001)
    assert {date(2001, 12, 29), date(2001, 12, 30)} <= makeup_2001
    off_2002, makeup_2002 = statutory_days("CN", 2002)
    assert date(2002, 1, 2) in off_2002
    assert all(d.year == 2002 for d in off_2002 | makeup_2002)


def test_working_days_in_2025(cal: Calendar) -> None:
    # 261 weekdays - 18 weekday holidays + 5 make-up weekend days.
    assert cal.elapsed(sh(2025, 1, 1), sh(2026, 1, 1)) == 248 * 7.5 * HOUR


def test_is_working_day_accepts_aware_datetime(cal: Calendar) -> None:
    # 2025-01-25 17:00 UTC is Sunday 2025-01-26 01:00 in Shanghai: a make-up day.
    assert cal.is_working_day(datetime(2025, 1, 25, 17, tzinfo=UTC))
    with pytest.raises(ValueError, match="timezone-aware"):
        cal.is_working_day(datetime(2025, 1, 26, 9))


# ------------------------------------------------------------------- add/elapsed


def test_add_across_lunch_break(cal: Calendar) -> None:
    assert cal.add(sh(2025, 3, 3, 11), 2 * HOUR) == sh(2025, 3, 3, 14, 30)
    assert cal.elapsed(sh(2025, 3, 3, 11), sh(2025, 3, 3, 14, 30)) == 2 * HOUR


def test_add_exactly_to_period_end_returns_period_end(cal: Calendar) -> None:
    # Documented choice: the earliest moment the budget is spent, i.e. 12:00 not 13:30.
    assert cal.add(sh(2025, 3, 3, 11), HOUR) == sh(2025, 3, 3, 12)
    assert cal.add(sh(2025, 3, 3, 9), 7.5 * HOUR) == sh(2025, 3, 3, 18)
    assert cal.next_open(sh(2025, 3, 3, 12)) == sh(2025, 3, 3, 13, 30)


def test_add_across_weekend(cal: Calendar) -> None:
    assert cal.add(sh(2025, 3, 7, 17), 2 * HOUR) == sh(2025, 3, 10, 10)
    assert cal.add(sh(2025, 3, 8, 12), HOUR) == sh(2025, 3, 10, 10)


def test_add_across_spring_festival_2025(cal: Calendar) -> None:
    assert cal.add(sh(2025, 1, 27, 17), 2 * HOUR) == sh(2025, 2, 5, 10)
    assert cal.elapsed(sh(2025, 1, 27, 9), sh(2025, 2, 5, 9)) == 7.5 * HOUR


def test_add_onto_makeup_days(cal: Calendar) -> None:
    # Fri 2025-01-24 17:00 + 2 h: Saturday off, Sunday 26th is a make-up working day.
    assert cal.add(sh(2025, 1, 24, 17), 2 * HOUR) == sh(2025, 1, 26, 10)
    # Fri 2025-02-07 17:30 + 1 h: Saturday 8th is a make-up working day.
    assert cal.add(sh(2025, 2, 7, 17, 30), HOUR) == sh(2025, 2, 8, 9, 30)
    # Fri 2025-09-26 17:00 + 2 h: Sunday 28th is worked; National Day then Oct 9.
    assert cal.add(sh(2025, 9, 26, 17), 2 * HOUR) == sh(2025, 9, 28, 10)
    assert cal.add(sh(2025, 9, 30, 17), 2 * HOUR) == sh(2025, 10, 9, 10)


def test_add_zero_is_next_open(cal: Calendar) -> None:
    assert cal.add(sh(2025, 3, 8, 15), 0) == sh(2025, 3, 10, 9)  # Saturday
    assert cal.add(sh(2025, 3, 3, 10, 15), 0) == sh(2025, 3, 3, 10, 15)  # inside
    assert cal.add(sh(2025, 3, 3, 12), 0) == sh(2025, 3, 3, 13, 30)  # at period end
    assert cal.add(sh(2025, 3, 3, 18), 0) == sh(2025, 3, 4, 9)
    assert cal.next_open(sh(2025, 3, 3, 9)) == sh(2025, 3, 3, 9)


def test_other_input_zones_return_calendar_zone(cal: Calendar) -> None:
    start = datetime(2025, 3, 3, 1, tzinfo=UTC)  # 09:00 Shanghai
    result = cal.add(start, HOUR)
    assert result == sh(2025, 3, 3, 10)
    assert result.tzinfo == SH
    assert cal.next_open(datetime(2025, 3, 3, 2, tzinfo=UTC)).tzinfo == SH
    assert cal.elapsed(start, datetime(2025, 3, 3, 10, 0, tzinfo=SH)) == HOUR


def test_elapsed_is_zero_when_end_not_after_start(cal: Calendar) -> None:
    assert cal.elapsed(sh(2025, 3, 3, 11), sh(2025, 3, 3, 10)) == 0.0
    assert cal.elapsed(sh(2025, 3, 3, 11), sh(2025, 3, 3, 11)) == 0.0
    assert cal.elapsed(sh(2025, 3, 8, 9), sh(2025, 3, 9, 18)) == 0.0  # weekend


def test_negative_and_non_finite_seconds_rejected(cal: Calendar) -> None:
    for bad in (-1, -1e-9, float("nan"), float("inf")):
        with pytest.raises(ValueError):
            cal.add(sh(2025, 3, 3, 9), bad)


def test_naive_datetimes_rejected(cal: Calendar) -> None:
    naive = datetime(2025, 3, 3, 9)
    with pytest.raises(ValueError, match="timezone-aware"):
        cal.add(naive, 60)
    with pytest.raises(ValueError, match="timezone-aware"):
        cal.elapsed(naive, sh(2025, 3, 3, 10))
    with pytest.raises(ValueError, match="timezone-aware"):
        cal.elapsed(sh(2025, 3, 3, 10), naive)
    with pytest.raises(ValueError, match="timezone-aware"):
        cal.next_open(naive)
    with pytest.raises(ValueError, match="timezone-aware"):
        Calendar(always_open=True).add(naive, 60)


def test_always_open_calendar() -> None:
    cal = Calendar(always_open=True)
    start = sh(2025, 1, 27, 17)  # right before Spring Festival: irrelevant 24x7
    assert cal.add(start, 2 * HOUR) == sh(2025, 1, 27, 19)
    assert cal.add(start, 0) == start
    assert cal.elapsed(start, sh(2025, 2, 5, 17)) == 9 * 24 * HOUR
    assert cal.next_open(sh(2025, 2, 1, 3)) == sh(2025, 2, 1, 3)
    assert cal.is_working_day(date(2025, 1, 29))
    with pytest.raises(ValueError):
        cal.add(start, -1)


def test_always_open_uses_real_time_across_dst() -> None:
    cal = Calendar(always_open=True, tz="Europe/Berlin")
    start = datetime(2025, 3, 29, 12, tzinfo=BERLIN)
    end = cal.add(start, 24 * HOUR)
    assert end == datetime(2025, 3, 30, 13, tzinfo=BERLIN)  # 23-hour calendar day
    assert cal.elapsed(start, end) == 24 * HOUR


def test_business_calendar_across_dst() -> None:
    cal = Calendar(tz="America/New_York", country="US", periods=[(time(9), time(17))])
    # DST starts Sunday 2025-03-09; business time is unaffected.
    assert cal.add(datetime(2025, 3, 7, 16, tzinfo=NY), 2 * HOUR) == datetime(
        2025, 3, 10, 10, tzinfo=NY
    )
    # A round-the-clock period really is 23 h / 25 h long on transition days.
    full_day = Calendar(
        tz="Europe/Berlin",
        country=None,
        weekdays=range(7),
        periods=[(time(0), time(23, 59, 59, 999999))],
    )
    spring = full_day.elapsed(
        datetime(2025, 3, 30, tzinfo=BERLIN), datetime(2025, 3, 31, tzinfo=BERLIN)
    )
    autumn = full_day.elapsed(
        datetime(2025, 10, 26, tzinfo=BERLIN), datetime(2025, 10, 27, tzinfo=BERLIN)
    )
    assert spring == pytest.approx(23 * HOUR - 1e-6, abs=TOLERANCE)
    assert autumn == pytest.approx(25 * HOUR - 1e-6, abs=TOLERANCE)


# ------------------------------------------------------- administrator overrides


def test_extra_holiday_and_workday_override() -> None:
    cal = Calendar(
        extra_holidays={date(2025, 3, 5), date(2025, 1, 26), date(2025, 3, 8)},
        extra_workdays={date(2025, 10, 1), date(2025, 3, 8)},
    )
    assert not cal.is_working_day(date(2025, 3, 5))  # ordinary Wednesday off
    assert not cal.is_working_day(date(2025, 1, 26))  # beats the package make-up day
    assert cal.is_working_day(date(2025, 10, 1))  # beats National Day
    assert cal.is_working_day(date(2025, 3, 8))  # workday beats holiday and weekend
    assert cal.add(sh(2025, 3, 4, 17), 2 * HOUR) == sh(2025, 3, 6, 10)
    assert cal.add(sh(2025, 1, 24, 17), 2 * HOUR) == sh(2025, 1, 27, 10)
    assert cal.add(sh(2025, 9, 30, 17), 2 * HOUR) == sh(2025, 10, 1, 10)


def test_without_country_only_weekdays_and_extras_count() -> None:
    cal = Calendar(country=None)
    assert cal.is_working_day(date(2025, 10, 1))
    assert not cal.is_working_day(date(2025, 1, 26))


def test_six_day_week() -> None:
    cal = Calendar(weekdays=range(6))
    assert cal.add(sh(2025, 3, 7, 17), 2 * HOUR) == sh(2025, 3, 8, 10)


def test_calendar_that_stops_opening() -> None:
    cal = Calendar(weekdays=(), country=None, extra_workdays={date(2025, 3, 3)})
    assert cal.add(sh(2025, 3, 1, 12), HOUR) == sh(2025, 3, 3, 10)
    assert cal.elapsed(sh(2025, 1, 1), sh(2045, 1, 1)) == 7.5 * HOUR
    with pytest.raises(ValueError, match="never opens again"):
        cal.add(sh(2025, 3, 3, 17), 2 * HOUR)


def test_calendar_is_immutable_and_hashable() -> None:
    a = Calendar(extra_holidays=[date(2025, 3, 5)], country="cn")
    b = Calendar(extra_holidays={date(2025, 3, 5)}, country="CN")
    assert a == b
    assert hash(a) == hash(b)
    assert a.country == "CN"
    with pytest.raises(dataclasses.FrozenInstanceError):
        a.tz = "UTC"  # type: ignore[misc]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"periods": []},
        {"periods": [(time(12), time(9))]},
        {"periods": [(time(9), time(9))]},
        {"periods": [(time(13), time(18)), (time(9), time(12))]},
        {"periods": [(time(9), time(13)), (time(12), time(18))]},
        {"periods": [(time(9), time(12), time(13))]},
        {"periods": [("09:00", "12:00")]},
        {"periods": [(time(9, tzinfo=UTC), time(12, tzinfo=UTC))]},
        {"weekdays": [7]},
        {"weekdays": [-1]},
        {"weekdays": ["mon"]},
        {"weekdays": []},
        {"tz": "Mars/Olympus_Mons"},
        {"country": "XX"},
        {"extra_holidays": [datetime(2025, 3, 5, tzinfo=UTC)]},
        {"extra_workdays": ["2025-03-08"]},
    ],
)
def test_bad_configuration_rejected(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        Calendar(**kwargs)  # type: ignore[arg-type]


def test_touching_periods_and_workday_only_calendars_are_valid() -> None:
    Calendar(periods=[(time(9), time(12)), (time(12), time(18))])
    Calendar(weekdays=[], extra_workdays=[date(2025, 3, 8)])


def test_year_long_span_is_fast(cal: Calendar) -> None:
    start, end = sh(2024, 6, 1, 10), sh(2025, 6, 1, 10)
    total = cal.elapsed(start, end)
    began = perf.perf_counter()
    for _ in range(10):
        assert cal.elapsed(start, end) == total
        assert cal.add(start, total) <= end
    per_call = (perf.perf_counter() - began) / 20
    assert per_call < 0.02


# ----------------------------------------------------------------- properties

ZONES = [SH, ZoneInfo("UTC"), NY, BERLIN]
DAYS = st.dates(date(2024, 1, 1), date(2026, 12, 31))
STARTS = st.datetimes(
    min_value=datetime(2024, 1, 1),
    max_value=datetime(2026, 12, 31),
    timezones=st.sampled_from(ZONES),
)


@st.composite
def calendars(draw: st.DrawFn) -> tuple[Calendar, float]:
    """A random calendar and the length in seconds of one of its working days."""
    extra_holidays = draw(st.frozensets(DAYS, max_size=20))
    extra_workdays = draw(st.frozensets(DAYS, max_size=10))
    if draw(st.booleans()):
        return Calendar(extra_holidays=extra_holidays, extra_workdays=extra_workdays), 7.5 * HOUR
    n = draw(st.integers(1, 3))
    bounds = sorted(draw(st.lists(st.times(), min_size=2 * n, max_size=2 * n, unique=True)))
    periods = list(zip(bounds[::2], bounds[1::2], strict=True))
    day = sum(
        (datetime.combine(date.min, e) - datetime.combine(date.min, s)).total_seconds()
        for s, e in periods
    )
    cal = Calendar(
        tz=draw(st.sampled_from(["Asia/Shanghai", "Europe/Berlin", "America/New_York"])),
        periods=periods,
        weekdays=draw(st.frozensets(st.integers(0, 6), min_size=1)),
        country=draw(st.sampled_from(["CN", "DE", "US", None])),
        extra_holidays=extra_holidays,
        extra_workdays=extra_workdays,
    )
    return cal, day


@st.composite
def calendar_and_budget(draw: st.DrawFn) -> tuple[Calendar, float]:
    """A calendar and a budget of up to about 60 of its business days."""
    cal, day = draw(calendars())
    budget = draw(
        st.one_of(
            st.integers(0, round(60 * day)).map(float),
            st.floats(0, 60 * day, allow_nan=False, allow_infinity=False),
            st.sampled_from([0.0, day, 0.5 * day]),
        )
    )
    return cal, budget


PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def utc(moment: datetime) -> datetime:
    """Compare instants in UTC: Python compares same-zone datetimes on the wall
    clock and ignores `fold`, which misorders the repeated hour of a DST fall-back."""
    return moment.astimezone(UTC)


def _is_working_instant(cal: Calendar, moment: datetime) -> bool:
    return utc(cal.next_open(moment)) == utc(moment)


@PROPERTY
@given(calendar_and_budget(), STARTS)
def test_add_then_elapsed_round_trips(cb: tuple[Calendar, float], start: datetime) -> None:
    cal, seconds = cb
    due = cal.add(start, seconds)
    assert due.tzinfo == ZoneInfo(cal.tz)
    assert utc(due) >= utc(start)
    assert abs(cal.elapsed(start, due) - seconds) <= TOLERANCE
    if seconds == 0:
        assert utc(due) == utc(cal.next_open(start))
    else:
        # Never inside closed time; at most exactly at the end of a period.
        before = due.astimezone(UTC) - ONE_US
        assert _is_working_instant(cal, due) or cal.elapsed(before, due) == pytest.approx(1e-6)
        assert cal.is_working_day(due.date())


@PROPERTY
@given(calendar_and_budget(), STARTS, st.floats(0, 1))
def test_add_is_monotonic(cb: tuple[Calendar, float], start: datetime, ratio: float) -> None:
    cal, seconds = cb
    smaller = seconds * ratio
    zero, low, high = (utc(cal.add(start, s)) for s in (0, smaller, seconds))
    assert zero <= low <= high
    assert zero == utc(cal.next_open(start))


@PROPERTY
@given(calendars(), STARTS, st.lists(st.floats(0, 90 * 86400), min_size=2, max_size=2))
def test_elapsed_is_additive(cd: tuple[Calendar, float], a: datetime, offsets: list[float]) -> None:
    cal, _ = cd
    first, second = sorted(offsets)
    b = utc(a) + timedelta(seconds=first)  # real-time offsets, not wall-clock ones
    c = utc(a) + timedelta(seconds=second)
    ab, bc, ac = cal.elapsed(a, b), cal.elapsed(b, c), cal.elapsed(a, c)
    assert ab >= 0 and bc >= 0
    assert abs(ab + bc - ac) <= TOLERANCE
    assert ac <= (c - utc(a)).total_seconds() + TOLERANCE


@settings(max_examples=30, deadline=None)
@given(
    st.datetimes(datetime(2024, 1, 1), datetime(2026, 12, 28)).map(
        lambda d: d.replace(second=0, microsecond=0, tzinfo=SH)
    ),
    st.integers(0, 3 * 24 * 60),
    st.frozensets(DAYS, max_size=20),
    st.frozensets(DAYS, max_size=20),
)
def test_elapsed_matches_minute_by_minute_count(
    start: datetime, minutes: int, extra_holidays: frozenset[date], extra_workdays: frozenset[date]
) -> None:
    cal = Calendar(extra_holidays=extra_holidays, extra_workdays=extra_workdays)
    count = 0
    for i in range(minutes):
        m = start + timedelta(minutes=i)  # Shanghai has no DST: wall clock == real time
        if cal.is_working_day(m.date()) and any(s <= m.time() < e for s, e in cal.periods):
            count += 1
    assert cal.elapsed(start, start + timedelta(minutes=minutes)) == count * 60.0
