"""Duration units, moments from date fields and monthly windows on a real calendar (no database).

The site calendar is Asia/Shanghai 9:00–12:00, 13:30–18:00 with Chinese statutory holidays and
调休: in 2026 Sunday 20 September is a make-up working day, Friday 25 September (Mid-Autumn)
and 1–7 October (National Day, except Sunday 4 October) are days off, Saturday 10 October works.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fuwu.procedures.engine.durations import (
    Span,
    Unit,
    add_months,
    field_moment,
    parse_from_field,
    parse_span,
    window_due,
)
from fuwu.sla.calendar import Calendar

SH = ZoneInfo("Asia/Shanghai")
SITE = Calendar(periods=((time(9), time(12)), (time(13, 30), time(18))))
ALWAYS = Calendar(always_open=True)


def at(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=SH)


# -- parsing -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "amount", "unit"),
    [
        ("30s", "30", Unit.SECOND),
        ("15m", "15", Unit.MINUTE),
        ("1.5h", "1.5", Unit.HOUR),
        ("3d", "3", Unit.DAY),
        ("2w", "2", Unit.WEEK),
        ("6mo", "6", Unit.MONTH),
        ("3wd", "3", Unit.WORKDAY),
        (" 3 wd ", "3", Unit.WORKDAY),
    ],
)
def test_parse_span_reads_every_unit(text: str, amount: str, unit: Unit) -> None:
    assert parse_span(text) == Span(Decimal(amount), unit)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("3 days", "is not a duration"),
        ("5 parsecs", "is not a duration"),
        ("0h", "must be longer than zero"),
        ("1.5wd", "counted whole"),
        ("0.5mo", "counted whole"),
    ],
)
def test_parse_span_refuses_bad_text(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_span(text)


@pytest.mark.parametrize(
    ("text", "field", "sign", "span"),
    [
        ("appointment_at", "appointment_at", 1, None),
        ("appointment_at - 1d", "appointment_at", -1, "1d"),
        ("appointment_at+30m", "appointment_at", 1, "30m"),
        ("event_date - 1wd", "event_date", -1, "1wd"),
    ],
)
def test_parse_from_field(text: str, field: str, sign: int, span: str | None) -> None:
    parsed = parse_from_field(text)
    assert (parsed.field, parsed.sign) == (field, sign)
    assert parsed.span == (parse_span(span) if span else None)


@pytest.mark.parametrize("text", ["", "Appointment", "appointment_at -", "a * 2", "a - 3 days"])
def test_parse_from_field_refuses_bad_text(text: str) -> None:
    with pytest.raises(ValueError, match="is not"):
        parse_from_field(text)


# -- each unit on the site calendar ---------------------------------------------------------------


def test_hours_are_business_time() -> None:
    # Friday 17:00 + 8h: one working hour on Friday, the rest from Saturday's successor, the
    # make-up working Sunday 20 September 2026.
    assert parse_span("8h").after(at(2026, 9, 18, 17), SITE) == at(2026, 9, 20, 17, 30)


def test_days_are_calendar_days_even_on_a_site_calendar() -> None:
    assert parse_span("3d").after(at(2026, 9, 18, 17), SITE) == at(2026, 9, 21, 17)


def test_working_days_end_at_the_close_of_business_and_follow_调休() -> None:
    # Friday 18 Sep 17:00: Saturday off, Sunday 20 works (调休), Monday 21, Tuesday 22.
    assert parse_span("3wd").after(at(2026, 9, 18, 17), SITE) == at(2026, 9, 22, 18)
    # Thursday 24 Sep: Friday 25 is Mid-Autumn, then Monday 28, Tuesday 29, Wednesday 30.
    assert parse_span("3wd").after(at(2026, 9, 24, 8), SITE) == at(2026, 9, 30, 18)
    # Across National Day: 30 Sep → Thursday 8 Oct, Friday 9, Saturday 10 (调休).
    assert parse_span("3wd").after(at(2026, 9, 30, 10), SITE) == at(2026, 10, 10, 18)


def test_a_working_day_on_24x7_is_a_day_ending_at_midnight() -> None:
    assert parse_span("1wd").after(at(2026, 9, 18, 17), ALWAYS) == at(2026, 9, 20)


def test_weeks_and_months_are_calendar_time() -> None:
    assert parse_span("1w").after(at(2026, 9, 18, 17), SITE) == at(2026, 9, 25, 17)
    assert parse_span("1mo").after(at(2026, 1, 31, 10), SITE) == at(2026, 2, 28, 10)
    assert parse_span("13mo").after(at(2026, 1, 31, 10), SITE) == at(2027, 2, 28, 10)
    assert add_months(at(2027, 12, 15, 9), -12) == at(2026, 12, 15, 9)


# -- invariants ---------------------------------------------------------------------------------

starts = st.datetimes(
    min_value=datetime(2025, 1, 1), max_value=datetime(2027, 12, 1), timezones=st.just(UTC)
)


@settings(max_examples=200, deadline=None)
@given(start=starts, n=st.integers(1, 15))
def test_d_wd_and_h_keep_their_meaning(start: datetime, n: int) -> None:
    days = parse_span(f"{n}d").after(start, SITE)
    assert days - start == timedelta(days=n)  # d: clock time, whatever the calendar

    hours = parse_span(f"{n}h").after(start, SITE)
    assert SITE.elapsed(start, hours) == pytest.approx(n * 3600)  # h: business time

    due = parse_span(f"{n}wd").after(start, SITE)
    local = due.astimezone(SH)
    assert SITE.is_working_day(local.date()) and local.time() == time(18)
    first = start.astimezone(SH).date()
    counted = [
        first + timedelta(days=i)
        for i in range(1, (local.date() - first).days + 1)
        if SITE.is_working_day(first + timedelta(days=i))
    ]
    assert len(counted) == n  # exactly n working days after the start day, the last one whole
    assert due >= hours  # n working hours never outlast n working days


# -- moments from fields ---------------------------------------------------------------------------


def test_a_date_field_means_midnight_in_the_site_zone() -> None:
    assert field_moment("2026-10-09", "Asia/Shanghai") == at(2026, 10, 9)
    assert field_moment(date(2026, 10, 9), "Asia/Shanghai") == at(2026, 10, 9)
    assert field_moment("2026-10-09T10:30:00+00:00", "Asia/Shanghai") == at(2026, 10, 9, 18, 30)
    assert field_moment("2026-10-09T10:30", "Asia/Shanghai") == at(2026, 10, 9, 10, 30)
    assert field_moment("", "Asia/Shanghai") is None
    assert field_moment(None, "Asia/Shanghai") is None
    assert field_moment("next week", "Asia/Shanghai") is None


def test_offsets_from_a_field_are_clock_time_except_working_days() -> None:
    appointment = "2026-09-21T10:00:00+08:00"  # a Monday
    assert parse_from_field("appointment_at - 1d").moment(appointment, SITE) == at(2026, 9, 20, 10)
    assert parse_from_field("appointment_at + 30m").moment(appointment, SITE) == at(
        2026, 9, 21, 10, 30
    )
    # The working day before Thursday 8 October is Wednesday 30 September (National Day).
    assert parse_from_field("event_date - 1wd").moment("2026-10-08", SITE) == at(2026, 9, 30, 18)
    assert parse_from_field("event_date").moment(None, SITE) is None


# -- monthly windows -------------------------------------------------------------------------------


def test_a_window_is_due_at_the_close_of_its_last_working_day() -> None:
    # September 2026: the 30th is a Wednesday.
    assert window_due(at(2026, 9, 3, 10), 28, 30, SITE) == at(2026, 9, 30, 18)
    # February 2026 has 28 days and the 28th is a make-up working Saturday.
    assert window_due(at(2026, 2, 2, 10), 28, 30, SITE) == at(2026, 2, 28, 18)
    # May 2026: the 30th is a Saturday, so Friday the 29th.
    assert window_due(at(2026, 5, 6, 10), 28, 30, SITE) == at(2026, 5, 29, 18)
    # Once this month's window has closed, next month's.
    assert window_due(at(2026, 9, 30, 18, 1), 28, 30, SITE) == at(2026, 10, 30, 18)
    assert window_due(at(2026, 12, 31, 9), 28, 30, SITE) == at(2027, 1, 29, 18)
