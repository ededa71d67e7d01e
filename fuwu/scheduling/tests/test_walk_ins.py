"""Walk-ins take the bookable hours left, then the reserve (available − bookable = 16 h of the
seed's 80 h), and are refused only when that is gone too."""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from fuwu.procedures.engine.errors import EngineError
from fuwu.scheduling.booking import Job, book
from fuwu.scheduling.capacity import day_capacity
from fuwu.scheduling.models import Appointment
from fuwu.scheduling.tests.crew import seed_workshop
from fuwu.scheduling.walk_ins import receive
from fuwu.testing.factories import World

SH = ZoneInfo("Asia/Shanghai")
TUESDAY = date(2025, 3, 4)


def at(hh: int, mm: int = 0) -> datetime:
    return datetime.combine(TUESDAY, time(hh, mm), SH)


def hours(h: str) -> list[Job]:
    return [Job(name="维修", hours=Decimal(h), work_type="repair")]


@pytest.mark.django_db
def test_walk_ins_fill_the_reserve_and_are_refused_when_it_is_gone(world: World) -> None:
    workshop = seed_workshop(world)
    advisor, driver = world.actor("advisor"), world.customers["driver"]
    book(advisor, workshop, customer=driver, starts_at=at(9), jobs=hours("60"), now=at(8))
    cap = day_capacity(workshop, TUESDAY)
    assert (cap.available, cap.bookable, cap.reserve, cap.left) == (80, 64, 16, 4)
    # An appointment may not take the reserve …
    with pytest.raises(EngineError) as over:
        book(advisor, workshop, customer=driver, starts_at=at(11), jobs=hours("6"), now=at(10))
    assert over.value.code == "over_capacity"
    # … a walk-in may: 6 h = the 4 h left and 2 h of the reserve.
    first = receive(
        advisor,
        workshop,
        customer=driver,
        jobs=hours("6"),
        now=at(
            10,
            7,
        ),
    )
    assert (first.walk_in, first.status, first.starts_at) == (True, "arrived", at(10, 7))
    assert day_capacity(workshop, TUESDAY).booked == Decimal("66.00")
    receive(advisor, workshop, customer=driver, jobs=hours("14"), now=at(10, 20))  # 80 h: all
    with pytest.raises(EngineError) as full:
        receive(advisor, workshop, customer=driver, jobs=hours("0.5"), now=at(10, 40))
    assert full.value.code == "reserve_used_up"
    assert "0.00" in full.value.message("zh-hans") and "reserve" in full.value.message("en")
    assert Appointment.objects.count() == 3


@pytest.mark.django_db
def test_a_walk_in_needs_the_workshop_open(world: World) -> None:
    workshop = seed_workshop(world)
    advisor, driver = world.actor("advisor"), world.customers["driver"]
    with pytest.raises(EngineError) as closed:
        receive(advisor, workshop, customer=driver, jobs=hours("1"), now=at(18, 0))
    assert closed.value.code == "outside_hours"
    saturday = datetime(2025, 3, 8, 10, 0, tzinfo=SH)
    with pytest.raises(EngineError) as weekend:
        receive(advisor, workshop, customer=driver, jobs=hours("1"), now=saturday)
    assert weekend.value.code == "closed_day"
    assert not Appointment.objects.exists()
