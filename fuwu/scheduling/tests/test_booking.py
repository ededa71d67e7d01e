"""Booking against the bookable hours: refused with a clear error and nothing written, or over
the limit on the workshop manager's word with a reason; reception slots; time checks; and the
bookable hours are never exceeded, however bookings are made (hypothesis) or raced (threads on
PostgreSQL)."""

from __future__ import annotations

import os
import threading
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fuwu.procedures.engine.errors import EngineError
from fuwu.scheduling.booking import Job, book, rebook, set_status
from fuwu.scheduling.capacity import day_capacity
from fuwu.scheduling.models import Appointment, LabourOperation
from fuwu.scheduling.tests.crew import seed_workshop
from fuwu.testing.factories import World

SH = ZoneInfo("Asia/Shanghai")
TUESDAY = date(2025, 3, 4)
NOW = datetime(2025, 3, 3, 10, 0, tzinfo=SH)  # the Monday before


def at(hh: int, mm: int = 0, day: date = TUESDAY) -> datetime:
    return datetime.combine(day, time(hh, mm), SH)


def hours(h: str) -> list[Job]:
    return [Job(name="保养", hours=Decimal(h))]


def refused(code: str, call: object) -> EngineError:
    before = Appointment.objects.count()
    with pytest.raises(EngineError) as caught:
        call()  # type: ignore[operator]
    assert caught.value.code == code, caught.value.code
    assert Appointment.objects.count() == before
    return caught.value


@pytest.mark.django_db
def test_bookings_take_hours_until_the_bookable_64_are_gone(world: World) -> None:
    workshop = seed_workshop(world)
    advisor, driver = world.actor("advisor"), world.customers["driver"]
    times = [at(8, 30), at(9, 0), at(9, 30), at(10, 0)]
    for moment in times:  # 4 × 15 h = 60 h
        book(advisor, workshop, customer=driver, starts_at=moment, jobs=hours("15"), now=NOW)
    assert day_capacity(workshop, TUESDAY).left == Decimal("4.00")
    error = refused(
        "over_capacity",
        lambda: book(
            advisor, workshop, customer=driver, starts_at=at(14), jobs=hours("4.5"), now=NOW
        ),
    )
    assert "4.00" in error.message("en") and "4.5" in error.message("zh-hans")
    book(advisor, workshop, customer=driver, starts_at=at(14), jobs=hours("4"), now=NOW)
    assert day_capacity(workshop, TUESDAY).left == 0


@pytest.mark.django_db
def test_only_the_workshop_manager_books_over_the_limit_and_the_reason_is_kept(
    world: World,
) -> None:
    workshop = seed_workshop(world)
    driver = world.customers["driver"]
    book(
        world.actor("advisor"),
        workshop,
        customer=driver,
        starts_at=at(9),
        jobs=hours("64"),
        now=NOW,
    )
    refused(
        "override_not_allowed",
        lambda: book(
            world.actor("advisor"),
            workshop,
            customer=driver,
            starts_at=at(10),
            jobs=hours("2"),
            override_reason="老客户",
            now=NOW,
        ),
    )
    workshop.department.manager = world.users["as_manager"]
    workshop.department.save()
    over = book(
        world.actor("as_manager"),
        workshop,
        customer=driver,
        starts_at=at(10),
        jobs=hours("2"),
        override_reason="老客户，发动机异响",
        now=NOW,
    )
    assert over.override_reason == "老客户，发动机异响"
    assert over.overridden_by == world.users["as_manager"]
    assert day_capacity(workshop, TUESDAY).left == Decimal("-2.00")


@pytest.mark.django_db
def test_catalogue_jobs_reception_slots_and_times(world: World) -> None:
    workshop = seed_workshop(world)
    site = workshop.site
    LabourOperation.objects.create(
        site=site,
        code="M10",
        name="一万公里保养",
        standard_hours=Decimal("1.5"),
        work_type="maintenance",
    )
    LabourOperation.objects.create(
        site=site, code="B01", name="更换刹车片", standard_hours=Decimal("0.8"), work_type="repair"
    )
    advisor, driver = world.actor("advisor"), world.customers["driver"]
    car = world.assets["car"]
    first = book(
        advisor,
        workshop,
        customer=driver,
        asset=car,
        starts_at=at(9, 0),
        jobs=[Job(code="M10"), Job(code="B01")],
        now=NOW,
    )
    assert first.hours == Decimal("2.30")
    assert [(line.name, line.work_type) for line in first.lines.order_by("pk")] == [
        ("一万公里保养", "maintenance"),
        ("更换刹车片", "repair"),
    ]
    # Two customers per advisor per 15 minutes (the default): the third in 09:00–09:15 waits.
    book(advisor, workshop, customer=driver, starts_at=at(9, 10), jobs=hours("1"), now=NOW)
    error = refused(
        "slot_full",
        lambda: book(
            advisor, workshop, customer=driver, starts_at=at(9, 14), jobs=hours("1"), now=NOW
        ),
    )
    assert "09:00–09:15" in error.message("en")
    book(advisor, workshop, customer=driver, starts_at=at(9, 15), jobs=hours("1"), now=NOW)
    # Another advisor has slots of their own.
    book(
        world.actor("as_manager"),
        workshop,
        customer=driver,
        starts_at=at(9, 5),
        jobs=hours("1"),
        now=NOW,
    )

    def trying(**given: object) -> object:
        ask: dict[str, object] = {
            "customer": driver,
            "starts_at": at(11),
            "jobs": hours("1"),
            "now": NOW,
        }
        actor = given.pop("actor", advisor)
        return lambda: book(actor, workshop, **{**ask, **given})  # type: ignore[arg-type]

    refused("unknown_operation", trying(jobs=[Job(code="X9")]))
    refused("no_hours", trying(jobs=hours("0")))
    refused("no_hours", trying(jobs=[]))
    refused("booking_in_past", trying(starts_at=at(9, day=date(2025, 3, 3))))
    refused("closed_day", trying(starts_at=at(9, day=date(2025, 3, 8))))  # a Saturday
    refused("outside_hours", trying(starts_at=at(18)))
    refused("may_not_book", trying(actor=world.actor("agent")))  # the property site's agent
    refused("may_not_book", trying(customer=world.customers["owner"]))  # another site's customer


@pytest.mark.django_db
def test_rebooking_cancelling_and_no_shows_free_or_move_the_hours(world: World) -> None:
    workshop = seed_workshop(world)
    advisor, driver = world.actor("advisor"), world.customers["driver"]
    booking = book(advisor, workshop, customer=driver, starts_at=at(9), jobs=hours("60"), now=NOW)
    # Moving it within the same day is not counted against itself.
    rebook(advisor, booking.pk, starts_at=at(14), now=NOW)
    wednesday = date(2025, 3, 5)
    book(
        advisor,
        workshop,
        customer=driver,
        starts_at=at(9, day=wednesday),
        jobs=hours("10"),
        now=NOW,
    )
    refused(
        "over_capacity",
        lambda: rebook(advisor, booking.pk, starts_at=at(9, 30, wednesday), now=NOW),
    )
    set_status(advisor, booking.pk, "no_show", now=NOW)
    assert day_capacity(workshop, TUESDAY).left == Decimal("64.00")
    refused("appointment_not_open", lambda: set_status(advisor, booking.pk, "arrived", now=NOW))


@pytest.mark.django_db
@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    asks=st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=2),  # which day
            st.decimals(min_value=Decimal("0.1"), max_value=Decimal("30"), places=1),
        ),
        min_size=1,
        max_size=12,
    )
)
def test_bookings_never_exceed_the_bookable_hours(
    world: World, asks: list[tuple[int, Decimal]]
) -> None:
    Appointment.objects.all().delete()
    from fuwu.scheduling.models import Workshop

    workshop = Workshop.objects.filter(
        department=world.dept("dealer", "workshop")
    ).first() or seed_workshop(world)
    advisor, driver = world.actor("advisor"), world.customers["driver"]
    days = [TUESDAY + timedelta(days=n) for n in range(3)]
    for n, (which, ask) in enumerate(asks):
        before = day_capacity(workshop, days[which])
        moment = at(8, 30, days[which]) + timedelta(minutes=15 * n)
        try:
            book(
                advisor, workshop, customer=driver, starts_at=moment, jobs=hours(str(ask)), now=NOW
            )
        except EngineError as error:
            assert error.code == "over_capacity" and ask > before.left
        else:
            assert ask <= before.left
    for day in days:
        capacity = day_capacity(workshop, day)
        assert 0 <= capacity.booked <= capacity.bookable == Decimal("64.00")


@pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgres"),
    reason="two connections at once: PostgreSQL (the SQLite test database is one in-memory connection)",
)
@pytest.mark.django_db(transaction=True)
def test_two_advisors_booking_the_last_hours_at_once_one_wins(world: World) -> None:
    workshop = seed_workshop(world)
    driver = world.customers["driver"]
    book(
        world.actor("advisor"),
        workshop,
        customer=driver,
        starts_at=at(9),
        jobs=hours("60"),
        now=NOW,
    )
    workshop.department.manager = world.users["as_manager"]
    workshop.department.save()
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def attempt(persona: str, minute: int) -> None:
        try:
            start.wait()
            book(
                world.actor(persona),
                workshop,
                customer=driver,
                starts_at=at(10, minute),
                jobs=hours("3"),
                now=NOW,
            )
            outcomes.append("booked")
        except EngineError as error:
            outcomes.append(error.code)
        finally:
            connection.close()  # this thread's own connection

    for _round in range(3):
        threads = [
            threading.Thread(target=attempt, args=(p, m))
            for p, m in (("advisor", 0), ("cc_agent", 1))
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert sorted(outcomes) == ["booked"] + ["over_capacity"] * 5
    assert day_capacity(workshop, TUESDAY).booked == Decimal("63.00")


@pytest.mark.django_db
def test_a_customer_not_come_30_minutes_after_the_slot_is_a_no_show_and_the_advisor_told(
    world: World,
) -> None:
    from fuwu.notifications.messages import render
    from fuwu.notifications.models import Notification
    from fuwu.scheduling.booking import mark_no_shows

    workshop = seed_workshop(world)
    advisor, driver, car = world.actor("advisor"), world.customers["driver"], world.assets["car"]
    late = book(
        advisor, workshop, customer=driver, asset=car, starts_at=at(9), jobs=hours("3"), now=NOW
    )
    came = book(advisor, workshop, customer=driver, starts_at=at(9, 15), jobs=hours("2"), now=NOW)
    set_status(advisor, came.pk, "arrived", now=NOW)
    assert mark_no_shows(at(9, 29)) == 0  # 29 minutes: still waited for
    assert mark_no_shows(at(9, 30)) == 1
    assert mark_no_shows(at(9, 45)) == 0  # once only
    late.refresh_from_db()
    assert late.status == "no_show"
    assert day_capacity(workshop, TUESDAY).booked == Decimal("2.00")  # its hours are free again
    told = Notification.objects.get(kind="no_show")
    assert told.recipient == world.users["advisor"]
    assert render(told.kind, told.data, "zh-hans") == (
        "客户 李强（粤B·3K5X8）未按 2025-03-04 09:00 的预约到店，已超过 30 分钟：请联系客户改约"
    )
    assert "call them to rebook" in render(told.kind, told.data, "en")
