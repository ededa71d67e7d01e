"""Parts: reserved at booking (the jobs' usual parts and parts named), a shortage shown and
confirmed before the customer comes, released when the booking is cancelled or missed, issued
to a repair order and returned, a low-stock list; the figures never go below zero and always
equal the sum of the movements, even when two advisors reserve the last part at once (threads
on PostgreSQL)."""

from __future__ import annotations

import os
import threading
from datetime import date, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fuwu.cases.models import Case
from fuwu.procedures.engine.errors import EngineError
from fuwu.scheduling import part_queries, parts
from fuwu.scheduling.booking import Job, book, mark_no_shows, set_status
from fuwu.scheduling.models import (
    Appointment,
    Part,
    PartMovement,
    PartReservation,
    Stock,
)
from fuwu.scheduling.parts import PartAsk
from fuwu.scheduling.tests.crew import seed_workshop
from fuwu.scheduling.tests.stores import repair_order, seed_store
from fuwu.testing.factories import World

SH = ZoneInfo("Asia/Shanghai")
TUESDAY = date(2025, 3, 4)
NOW = datetime(2025, 3, 3, 10, 0, tzinfo=SH)  # the Monday before
D = Decimal


def at(hh: int, mm: int = 0, day: date = TUESDAY) -> datetime:
    return datetime.combine(day, time(hh, mm), SH)


def figures(part: Part) -> tuple[Decimal, Decimal, Decimal, Decimal]:
    s = Stock.objects.get(part=part)
    return s.on_hand, s.reserved, s.issued, s.available


def balanced(*rows: Part) -> None:
    for part in rows:
        assert part_queries.drift(part) == {}, part


def refused(code: str, call: object) -> EngineError:
    before = (PartMovement.objects.count(), list(Stock.objects.order_by("pk").values()))
    with pytest.raises(EngineError) as caught:
        call()  # type: ignore[operator]
    assert caught.value.code == code, caught.value.code
    assert (PartMovement.objects.count(), list(Stock.objects.order_by("pk").values())) == before
    return caught.value


@pytest.mark.django_db
def test_booking_the_service_reserves_its_filter_and_4_litres_of_oil(world: World) -> None:
    workshop = seed_workshop(world)
    store = seed_store(world, workshop)
    advisor, driver = world.actor("advisor"), world.customers["driver"]
    made = book(
        advisor,
        workshop,
        customer=driver,
        starts_at=at(9),
        jobs=[Job(code="M10")],
        parts=[PartAsk("04465-02220", D("2"))],
        now=NOW,
    )
    held = {r.part.number: (r.quantity, r.held, r.short) for r in made.part_reservations.all()}
    assert held == {
        "90915-YZZD2": (D("1"), D("1"), D("0")),
        "08880-83717": (D("4"), D("4"), D("0")),
        "04465-02220": (D("2"), D("0"), D("2")),  # named, none in stock: short 2
    }
    assert figures(store.filter) == (D("10"), D("1"), D("0"), D("9"))
    assert figures(store.oil) == (D("40"), D("4"), D("0"), D("36"))
    # Booked twice, the service takes its parts twice.
    again = book(
        advisor, workshop, customer=driver, starts_at=at(10), jobs=[Job(code="M10")] * 2, now=NOW
    )
    assert sorted(r.quantity for r in again.part_reservations.all()) == [D("2"), D("8")]
    assert figures(store.oil) == (D("40"), D("12"), D("0"), D("28"))
    moves = PartMovement.objects.filter(part=store.filter).order_by("pk")
    assert [(m.kind, m.quantity, m.reserved, m.actor_id) for m in moves] == [
        ("receipt", D("10"), D("0"), world.users["as_manager"].pk),
        ("reserve", D("1"), D("1"), world.users["advisor"].pk),
        ("reserve", D("2"), D("2"), world.users["advisor"].pk),
    ]
    balanced(store.filter, store.oil, store.pads)
    # A part number not in the catalogue refuses the whole booking: nothing is written.
    before = Appointment.objects.count()
    with pytest.raises(EngineError) as caught:
        book(
            advisor,
            workshop,
            customer=driver,
            starts_at=at(11),
            jobs=[Job(code="M10")],
            parts=[PartAsk("NOPE-1", D("1"))],
            now=NOW,
        )
    assert caught.value.code == "unknown_part" and "NOPE-1" in caught.value.message("en")
    assert Appointment.objects.count() == before
    assert figures(store.filter) == (D("10"), D("3"), D("0"), D("7"))


@pytest.mark.django_db
def test_a_shortage_is_shown_confirmed_before_arrival_and_filled_by_goods_in(world: World) -> None:
    workshop = seed_workshop(world)
    store = seed_store(world, workshop, filters="1")
    advisor, driver = world.actor("advisor"), world.customers["driver"]
    first = book(
        advisor, workshop, customer=driver, starts_at=at(9), jobs=[Job(code="M10")], now=NOW
    )
    second = book(
        advisor, workshop, customer=driver, starts_at=at(10), jobs=[Job(code="M10")], now=NOW
    )
    assert figures(store.filter) == (D("1"), D("1"), D("0"), D("0"))
    short = part_queries.unconfirmed_shortages(workshop, TUESDAY)
    assert [a.pk for a in short] == [second.pk]
    assert [(r.part.number, r.short) for r in short[0].shortages] == [("90915-YZZD2", D("1"))]
    assert part_queries.unconfirmed_shortages(workshop, date(2025, 3, 5)) == []
    # Another site's agent cannot see it; a technician may not confirm for the advisors.
    refused("not_found", lambda: parts.confirm_shortage(world.actor("agent"), second.pk, now=NOW))
    refused(
        "may_not_handle_parts",
        lambda: parts.confirm_shortage(world.actor("workshop_tech"), second.pk, now=NOW),
    )
    refused("no_shortage", lambda: parts.confirm_shortage(advisor, first.pk, now=NOW))
    confirmed = parts.confirm_shortage(
        advisor, second.pk, note="已向中心库调货，周二早上到", now=NOW
    )
    assert [(r.confirmed_by, r.confirmed_at, r.confirm_note) for r in confirmed] == [
        (world.users["advisor"], NOW, "已向中心库调货，周二早上到")
    ]
    assert part_queries.unconfirmed_shortages(workshop, TUESDAY) == []
    refused("no_shortage", lambda: parts.confirm_shortage(advisor, second.pk, now=NOW))
    log = PartMovement.objects.filter(kind="confirm").get()
    assert (log.appointment_id, log.actor_id, log.quantity) == (
        second.pk,
        world.users["advisor"].pk,
        D("1"),
    )
    # Goods in fill the shortage; what is left over is available.
    parts.receive(world.actor("as_manager"), store.filter, D("5"), note="调货到", now=NOW)
    reservation = second.part_reservations.get(part=store.filter)
    assert (reservation.held, reservation.short) == (D("1"), D("0"))
    assert figures(store.filter) == (D("6"), D("2"), D("0"), D("4"))
    refused("may_not_handle_parts", lambda: parts.receive(advisor, store.filter, D("1")))
    refused("bad_quantity", lambda: parts.receive(world.actor("as_manager"), store.filter, D("0")))
    balanced(store.filter, store.oil)


@pytest.mark.django_db
def test_cancelled_and_missed_bookings_release_their_parts(world: World) -> None:
    workshop = seed_workshop(world)
    store = seed_store(world, workshop)
    advisor, driver = world.actor("advisor"), world.customers["driver"]
    cancelled = book(
        advisor, workshop, customer=driver, starts_at=at(9), jobs=[Job(code="M10")], now=NOW
    )
    missed = book(
        advisor, workshop, customer=driver, starts_at=at(10), jobs=[Job(code="M10")], now=NOW
    )
    came = book(
        advisor, workshop, customer=driver, starts_at=at(11), jobs=[Job(code="M10")], now=NOW
    )
    assert figures(store.oil) == (D("40"), D("12"), D("0"), D("28"))
    set_status(advisor, cancelled.pk, "cancelled", now=NOW)
    assert figures(store.oil) == (D("40"), D("8"), D("0"), D("32"))
    assert set(cancelled.part_reservations.values_list("status", "held")) == {("released", D("0"))}
    set_status(advisor, came.pk, "arrived", now=NOW)  # arriving keeps the parts held
    assert mark_no_shows(at(10, 30)) == 1
    assert figures(store.oil) == (D("40"), D("4"), D("0"), D("36"))
    assert figures(store.filter) == (D("10"), D("1"), D("0"), D("9"))
    release = PartMovement.objects.filter(kind="release", appointment=missed).first()
    assert release is not None and release.actor_id is None  # the system's sweep
    balanced(store.filter, store.oil)


@pytest.mark.django_db
def test_issue_to_a_repair_order_and_return_unused_parts(world: World) -> None:
    workshop = seed_workshop(world)
    store = seed_store(world, workshop, filters="3", oil="10")
    advisor, driver = world.actor("advisor"), world.customers["driver"]
    tech = world.actor("workshop_tech")
    made = book(
        advisor, workshop, customer=driver, starts_at=at(9), jobs=[Job(code="M10")], now=NOW
    )
    case = repair_order(world)
    oil = made.part_reservations.get(part=store.oil)
    # 4 L held; the car takes 4.5 L: half a litre more from the shelf.
    issued = parts.issue(
        tech, case_id=case.pk, reservation_id=oil.pk, quantity=D("4.5"), line="M10"
    )
    assert (issued.status, issued.issued, issued.held, issued.case_id, issued.line) == (
        "issued",
        D("4.5"),
        D("0"),
        case.pk,
        "M10",
    )
    assert figures(store.oil) == (D("5.5"), D("0"), D("4.5"), D("5.5"))
    # 0.5 L unused comes back; more than is out is refused.
    back = parts.return_parts(tech, oil.pk, D("0.5"), note="未用完", now=NOW)
    assert (back.status, back.returned, back.outstanding) == ("issued", D("0.5"), D("4"))
    assert figures(store.oil) == (D("6"), D("0"), D("4"), D("6"))
    error = refused("return_too_many", lambda: parts.return_parts(tech, oil.pk, D("4.5")))
    assert "4" in error.message("en") and "升" in error.message("zh-hans")
    parts.return_parts(tech, oil.pk, D("4"))
    oil.refresh_from_db()
    assert oil.status == "returned"
    refused("reservation_not_open", lambda: parts.return_parts(tech, oil.pk, D("1")))
    refused(
        "reservation_not_open", lambda: parts.issue(tech, case_id=case.pk, reservation_id=oil.pk)
    )
    # Straight from the shelf: 3 filters, 1 held for the booking, 2 available.
    error = refused(
        "insufficient_stock",
        lambda: parts.issue(tech, case_id=case.pk, part_id=store.filter.pk, quantity=D("3")),
    )
    assert error.message("zh-hans") == (
        "配件 90915-YZZD2 机油滤清器 库存不足：可用 2 个，需要 3 个"
    )
    parts.issue(tech, case_id=case.pk, part_id=store.filter.pk, quantity=D("2"))
    assert figures(store.filter) == (D("1"), D("1"), D("2"), D("0"))
    # The booking's own filter is still there for it.
    own = made.part_reservations.get(part=store.filter)
    parts.issue(tech, case_id=case.pk, reservation_id=own.pk)
    assert figures(store.filter) == (D("0"), D("0"), D("3"), D("0"))
    # Unknown part, another site's part, nobody's case, bad quantity, outsiders.
    other = Part.objects.create(site=world.sites["lanting"], number="L-1", name="灯泡")
    refused(
        "unknown_part",
        lambda: parts.issue(tech, case_id=case.pk, part_id=999999, quantity=D("1")),
    )
    refused(
        "other_site_part",
        lambda: parts.issue(world.actor("vp"), case_id=case.pk, part_id=other.pk, quantity=D("1")),
    )
    refused(
        "not_found",
        lambda: parts.issue(tech, case_id=999999, part_id=store.pads.pk, quantity=D("1")),
    )
    refused(
        "bad_quantity",
        lambda: parts.issue(tech, case_id=case.pk, part_id=store.oil.pk, quantity=D("-1")),
    )
    refused(
        "may_not_handle_parts",
        lambda: parts.issue(
            world.actor("cc_agent"), case_id=case.pk, part_id=store.oil.pk, quantity=D("1")
        ),
    )
    Case.objects.filter(pk=case.pk).update(status="closed")
    refused(
        "case_closed",
        lambda: parts.issue(tech, case_id=case.pk, part_id=store.oil.pk, quantity=D("1")),
    )
    balanced(store.filter, store.oil, store.pads)


@pytest.mark.django_db
def test_low_stock_lists_parts_at_or_below_their_reorder_level(world: World) -> None:
    workshop = seed_workshop(world)
    store = seed_store(world, workshop, filters="4", oil="40")
    advisor, driver = world.actor("advisor"), world.customers["driver"]
    everything = part_queries.parts_for(advisor)
    # Filters: 4 available, level 3; oil 40, level 8; pads never stocked, level 0.
    assert {p.number for p in part_queries.low_stock(everything)} == {"04465-02220"}
    book(advisor, workshop, customer=driver, starts_at=at(9), jobs=[Job(code="M10")], now=NOW)
    # One filter reserved: 3 available is at the level.
    assert {p.number for p in part_queries.low_stock(everything)} == {"04465-02220", "90915-YZZD2"}
    assert part_queries.parts_for(world.actor("agent")).count() == 0  # another site's staff
    Part.objects.filter(pk=store.pads.pk).update(active=False)
    assert {p.number for p in part_queries.low_stock(everything)} == {"90915-YZZD2"}


@pytest.mark.django_db
@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    rows=st.lists(
        st.tuples(
            st.one_of(st.none(), st.integers(0, 20)),  # on hand (None: never stocked)
            st.integers(0, 20),  # reserved (at most on hand)
            st.integers(0, 10),  # reorder level
            st.booleans(),  # in use
        ),
        min_size=1,
        max_size=8,
    )
)
def test_the_low_stock_rule_reads_the_same_in_sql_and_python(
    world: World, rows: list[tuple[int | None, int, int, bool]]
) -> None:
    site = world.sites["dealer"]
    Part.objects.filter(site=site).delete()
    for n, (on_hand, reserved, level, active) in enumerate(rows):
        part = Part.objects.create(
            site=site, number=f"P{n}", name="件", reorder_level=D(level), active=active
        )
        if on_hand is not None:
            Stock.objects.create(part=part, on_hand=D(on_hand), reserved=D(min(reserved, on_hand)))
    everything = Part.objects.filter(site=site).select_related("stock")
    assert {p.pk for p in part_queries.low_stock(everything)} == {
        p.pk for p in everything if part_queries.is_low(p)
    }


@pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgres"),
    reason="two connections at once: PostgreSQL (the SQLite test database is one in-memory connection)",
)
@pytest.mark.django_db(transaction=True)
def test_two_advisors_reserving_the_last_filter_at_once_never_oversell(world: World) -> None:
    workshop = seed_workshop(world)
    store = seed_store(world, workshop, filters="1", oil="40")
    driver = world.customers["driver"]
    case = repair_order(world)
    start = threading.Barrier(2)
    errors: list[str] = []

    def booking(persona: str, minute: int) -> None:
        try:
            start.wait()
            book(
                world.actor(persona),
                workshop,
                customer=driver,
                starts_at=at(9, minute),
                jobs=[Job(code="M10")],
                now=NOW,
            )
        except EngineError as error:
            errors.append(error.code)
        finally:
            connection.close()

    def issuing(persona: str) -> None:
        try:
            start.wait()
            parts.issue(
                world.actor(persona), case_id=case.pk, part_id=store.filter.pk, quantity=D("1")
            )
        except EngineError as error:
            errors.append(error.code)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=booking, args=(p, m)) for p, m in (("advisor", 0), ("cc_agent", 1))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    held = sorted(PartReservation.objects.filter(part=store.filter).values_list("held", flat=True))
    assert held == [D("0"), D("1")]  # one holds the filter, the other is short
    assert figures(store.filter) == (D("1"), D("1"), D("0"), D("0"))
    parts.receive(world.actor("as_manager"), store.filter, D("1"))  # fills the shortage
    parts.receive(world.actor("as_manager"), store.filter, D("1"))  # one free on the shelf
    threads = [threading.Thread(target=issuing, args=(p,)) for p in ("workshop_tech", "advisor")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == ["insufficient_stock"]
    assert figures(store.filter) == (D("2"), D("2"), D("1"), D("0"))
    balanced(store.filter, store.oil)
