"""The seed's capacity figures (Toyota step 1) and the latest start (step 4), on the site's real
working calendar: 10 × 8 h × 100 % = 80 h available, 80 % → 64 h bookable; promised 13:30 with
2.3 h of work, the 1.0 h lunch and 0.2 h settlement → start by 10:00."""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from fuwu.core.models import Shift
from fuwu.scheduling.capacity import capacity, day_capacity, latest_start, shift_periods
from fuwu.scheduling.models import Absence, Technician, Workshop
from fuwu.scheduling.tests.crew import seed_workshop
from fuwu.testing.factories import World

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
MONDAY = date(2025, 3, 3)


def at(day: date, hh: int, mm: int = 0) -> datetime:
    return datetime.combine(day, time(hh, mm), SH)


def test_the_seeds_day_is_80_hours_available_and_64_bookable(world: World) -> None:
    workshop = seed_workshop(world)
    day = day_capacity(workshop, MONDAY)
    assert day.working and day.on_shift == 10
    assert {t.hours for t in day.technicians} == {Decimal("8.00")}
    assert day.available == Decimal("80.00")
    assert day.bookable == Decimal("64.00")
    assert day.reserve == Decimal("16.00")
    assert day.booked == 0 and day.left == Decimal("64.00")


def test_productivity_leave_and_the_share_change_the_figures(world: World) -> None:
    workshop = seed_workshop(world)
    techs = list(Technician.objects.filter(workshop=workshop).order_by("pk"))
    Technician.objects.filter(pk__in=[techs[0].pk, techs[1].pk]).update(
        productivity=Decimal("0.95")
    )
    Absence.objects.create(technician=techs[2], date=MONDAY, kind="leave")
    Workshop.objects.filter(pk=workshop.pk).update(appointment_share=Decimal("0.70"))
    workshop.refresh_from_db()
    day = day_capacity(workshop, MONDAY)
    # 7 × 8 h × 100 % + 2 × 8 h × 95 % = 56 + 15.2 = 71.2 h; 70 % of it is 49.84 h.
    assert day.on_shift == 9
    assert day.available == Decimal("71.20")
    assert day.bookable == Decimal("49.84")
    assert [t.absence for t in day.technicians if not t.periods] == ["请假"]
    # The next day the technician is back.
    assert day_capacity(workshop, date(2025, 3, 4)).available == Decimal("79.20")


def test_shifts_that_cross_lunch_lose_it_and_those_after_lunch_keep_their_hours(
    world: World,
) -> None:
    workshop = seed_workshop(world, technicians=3)
    site = workshop.site
    early = Shift.objects.create(name="早班", start=time(7, 0), end=time(15, 0))  # 8 h − 1 h lunch
    late = Shift.objects.create(name="晚班", start=time(13, 0), end=time(21, 0))  # after lunch
    techs = list(Technician.objects.filter(workshop=workshop).select_related("staff"))
    for tech, shift in zip(techs, [early, late], strict=False):
        tech.staff.shift = shift
        tech.staff.save(update_fields=["shift"])
    assert shift_periods(site, early, MONDAY) == (
        (at(MONDAY, 7), at(MONDAY, 12)),
        (at(MONDAY, 13), at(MONDAY, 15)),
    )
    day = day_capacity(workshop, MONDAY)
    assert sorted(t.hours for t in day.technicians) == [
        Decimal("7.00"),
        Decimal("8.00"),
        Decimal("8.00"),
    ]
    assert day.available == Decimal("23.00")


def test_the_statutory_calendar_and_its_make_up_days(world: World) -> None:
    workshop = seed_workshop(world)
    days = [date(2025, 1, 25), date(2025, 1, 26), date(2025, 1, 29), date(2025, 2, 8)]
    figures = {d.day.day: (d.working, d.available) for d in capacity(workshop, days)}
    assert figures[25] == (False, 0)  # an ordinary Saturday
    assert figures[26] == (True, Decimal("80.00"))  # Sunday 26 Jan 2025: 调休 make-up day
    assert figures[29] == (False, 0)  # Spring Festival
    assert figures[8] == (True, Decimal("80.00"))  # Saturday 8 Feb 2025: make-up day


def test_the_seeds_latest_start_is_ten(world: World) -> None:
    workshop = seed_workshop(world)
    assert workshop.settlement_hours == Decimal("0.20")
    start = latest_start(workshop, at(MONDAY, 13, 30), Decimal("2.3"))
    assert start == at(MONDAY, 10, 0)


@pytest.mark.parametrize(
    ("promised", "hours", "expected"),
    [
        (at(MONDAY, 17, 30), Decimal("1.8"), at(MONDAY, 15, 30)),  # no break in between
        (at(MONDAY, 12, 0), Decimal("0.3"), at(MONDAY, 11, 30)),  # just before lunch
        (at(MONDAY, 12, 40), Decimal("0.3"), at(MONDAY, 11, 30)),  # promised during lunch
        # Monday 09:30 with 3.8 h (+ 0.2 h): 1 h on Monday, 3 h on Friday (a weekend between).
        (at(MONDAY, 9, 30), Decimal("3.8"), at(date(2025, 2, 28), 14, 30)),
    ],
)
def test_latest_start_skips_breaks_nights_and_days_off(
    world: World, promised: datetime, hours: Decimal, expected: datetime
) -> None:
    workshop = seed_workshop(world, technicians=1)
    assert latest_start(workshop, promised, hours) == expected
