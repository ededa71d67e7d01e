"""Parts from the workshop's day page: a part held for a booked appointment by its number
(POST /workshop/appointments/<id>/parts/reserve/), and, once the car has arrived, its held parts
issued to its repair order (POST /workshop/reservations/<id>/issue/) by the store's people. An
unknown part, no quantity, an appointment without a repair order, someone outside the store and
another site's person are refused, and nothing changes."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client

from fuwu.scheduling.booking import Job, book, set_status
from fuwu.scheduling.models import Appointment, PartReservation, Stock, Workshop
from fuwu.scheduling.tests.crew import seed_workshop
from fuwu.scheduling.tests.shop import repair_order
from fuwu.scheduling.tests.stores import Store, seed_store
from fuwu.sla.clocks import site_calendar
from fuwu.testing.factories import World

pytestmark = pytest.mark.django_db

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 12, 3, 9, 0, tzinfo=SH)  # a Thursday


@pytest.fixture(autouse=True)
def frozen() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


def tomorrow(world: World) -> date:
    calendar = site_calendar(world.sites["dealer"])
    day = NOW.date() + timedelta(days=1)
    while not calendar.is_working_day(day):
        day += timedelta(days=1)
    return day


def signed_in(world: World, persona: str, language: str = "zh-hans") -> Client:
    client = Client()
    client.force_login(world.users[persona])
    if language != "zh-hans":
        client.post("/language/", {"language": language})
    return client


def arrived(world: World, workshop: Workshop, hh: int, *, with_case: bool) -> Appointment:
    case = repair_order(world) if with_case else None
    appointment = book(
        world.actor("advisor"),
        workshop,
        customer=world.customers["driver"],
        asset=world.assets["car"],
        starts_at=datetime.combine(tomorrow(world), time(hh), SH),
        jobs=[Job(code="M10")],
        case_id=case.pk if case else None,
    )
    return set_status(world.actor("advisor"), appointment.pk, "arrived")


def figures(store: Store) -> tuple[Decimal, Decimal, Decimal]:
    stock = Stock.objects.get(part=store.filter)
    return stock.on_hand, stock.reserved, stock.issued


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_advisor_issues_the_held_filter_to_the_repair_order(
    world: World, language: str
) -> None:
    workshop = seed_workshop(world)
    store = seed_store(world, workshop, filters="5", oil="10")
    appointment = arrived(world, workshop, 9, with_case=True)
    held = PartReservation.objects.get(appointment=appointment, part=store.filter)
    client = signed_in(world, "advisor", language)
    day_url = f"/workshop/?day={tomorrow(world)}"
    html = client.get(day_url).content.decode()
    assert f'data-testid="issue-{held.pk}"' in html  # the filter and the oil, each its button
    assert html.count('data-testid="issue-button"') == 2
    assert figures(store) == (5, 1, 0)

    r = client.post(f"/workshop/reservations/{held.pk}/issue/", {"next": day_url}, follow=True)
    text = r.content.decode()
    number = appointment.case.number  # type: ignore[union-attr]
    if language == "en":
        assert f"Issued 90915-YZZD2 Oil filter 1 个 to repair order {number}." in text
        assert "Issued 90915-YZZD2 1 个" in text
    else:
        assert f"已发料 90915-YZZD2 机油滤清器 1 个 到修理单 {number}。" in text
        assert "已发料 90915-YZZD2 1 个" in text
    held.refresh_from_db()
    assert (held.status, held.issued, held.case_id) == ("issued", 1, appointment.case_id)
    assert figures(store) == (4, 0, 1)
    assert text.count('data-testid="issue-button"') == 1  # the oil is still to issue

    # Twice: refused (it is issued already), nothing moves.
    r = client.post(f"/workshop/reservations/{held.pk}/issue/", {"next": day_url}, follow=True)
    assert "alert-danger" in r.content.decode()
    assert figures(store) == (4, 0, 1)


def test_no_repair_order_no_store_role_or_another_site_is_refused(world: World) -> None:
    workshop = seed_workshop(world)
    store = seed_store(world, workshop, filters="5", oil="10")
    walk_up = arrived(world, workshop, 9, with_case=False)
    held = PartReservation.objects.get(appointment=walk_up, part=store.filter)
    day_url = f"/workshop/?day={tomorrow(world)}"
    advisor = signed_in(world, "advisor")
    assert 'data-testid="issue-button"' not in advisor.get(day_url).content.decode()
    r = advisor.post(f"/workshop/reservations/{held.pk}/issue/", {"next": day_url}, follow=True)
    assert "该预约没有修理单，不能发料。" in r.content.decode()

    with_case = arrived(world, workshop, 10, with_case=True)
    other = PartReservation.objects.get(appointment=with_case, part=store.filter)
    r = signed_in(world, "dealer_finance").post(
        f"/workshop/reservations/{other.pk}/issue/", {"next": day_url}, follow=True
    )
    assert "alert-danger" in r.content.decode()
    r = signed_in(world, "dispatcher").post(f"/workshop/reservations/{other.pk}/issue/")
    assert r.status_code == 404  # a person of another site does not learn it exists
    r = advisor.get(f"/workshop/reservations/{other.pk}/issue/")
    assert r.status_code == 405
    assert figures(store) == (5, 2, 0)
    assert PartReservation.objects.filter(status="issued").count() == 0


def booked(world: World, workshop: Workshop) -> Appointment:
    return book(
        world.actor("advisor"),
        workshop,
        customer=world.customers["driver"],
        starts_at=datetime.combine(tomorrow(world), time(11), SH),
        jobs=[Job(name="检查异响", hours=Decimal("1"))],
    )


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_advisor_reserves_a_part_for_a_booking_by_its_number(
    world: World, language: str
) -> None:
    workshop = seed_workshop(world)
    store = seed_store(world, workshop, filters="3", oil="10")
    appointment = booked(world, workshop)
    client = signed_in(world, "advisor", language)
    day_url = f"/workshop/?day={tomorrow(world)}"
    assert 'data-testid="reserve-form"' in client.get(day_url).content.decode()
    url = f"/workshop/appointments/{appointment.pk}/parts/reserve/"
    r = client.post(url, {"part": " 90915-YZZD2 ", "quantity": "2", "next": day_url}, follow=True)
    text = r.content.decode()
    if language == "en":
        assert "Reserved 90915-YZZD2 Oil filter 2 个 for 李强." in text
    else:
        assert "已为 李强 预留 90915-YZZD2 机油滤清器 2 个。" in text
    assert figures(store) == (3, 2, 0)

    # Refused, nothing held: a number not in the catalogue, no quantity.
    r = client.post(url, {"part": "X-404", "quantity": "1", "next": day_url}, follow=True)
    assert ("No part X-404" if language == "en" else "配件目录中没有配件 X-404") in (
        r.content.decode()
    )
    r = client.post(url, {"part": "90915-YZZD2", "quantity": "0", "next": day_url}, follow=True)
    assert ("above 0" if language == "en" else "数量须大于 0") in r.content.decode()
    assert figures(store) == (3, 2, 0)
    # More than the shelf holds: held what there is, the rest a shortage to confirm.
    r = client.post(url, {"part": "90915-YZZD2", "quantity": "4", "next": day_url}, follow=True)
    assert 'data-testid="short-badge"' in r.content.decode()
    assert figures(store) == (3, 3, 0)
    assert PartReservation.objects.filter(appointment=appointment).count() == 2


def test_another_sites_person_cannot_reserve(world: World) -> None:
    workshop = seed_workshop(world)
    store = seed_store(world, workshop, filters="3", oil="10")
    appointment = booked(world, workshop)
    url = f"/workshop/appointments/{appointment.pk}/parts/reserve/"
    r = signed_in(world, "dispatcher").post(url, {"part": "90915-YZZD2", "quantity": "1"})
    assert r.status_code == 404
    r = signed_in(world, "dealer_finance").post(
        url, {"part": "90915-YZZD2", "quantity": "1"}, follow=True
    )
    assert "alert-danger" in r.content.decode()
    assert figures(store) == (3, 0, 0)
