"""The parts store page (/workshop/parts/): the catalogue with its figures and the low-stock
filter, tomorrow's unconfirmed shortages confirmed from here or from the workshop's day page,
the movements, goods in for managers, in Chinese and English, and nothing for another site."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client

from fuwu.scheduling.booking import Job, book
from fuwu.scheduling.models import Appointment, PartReservation, Stock, Workshop
from fuwu.scheduling.parts import receive
from fuwu.scheduling.tests.crew import seed_workshop
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


@pytest.fixture
def shop(world: World) -> tuple[Workshop, Store]:
    workshop = seed_workshop(world)
    return workshop, seed_store(world, workshop, filters="1", oil="10")


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


def booked(world: World, workshop: Workshop, day: date, hh: int) -> Appointment:
    return book(
        world.actor("advisor"),
        workshop,
        customer=world.customers["driver"],
        asset=world.assets["car"],
        starts_at=datetime.combine(day, time(hh), SH),
        jobs=[Job(code="M10")],
    )


def cell(html: str, number: str, what: str) -> str:
    row = html.split(f'data-part="{number}"', 1)[1].split("</tr>", 1)[0]
    found = re.search(rf'data-testid="{what}"[^>]*>([^<]*)<', row)
    assert found, row
    return found.group(1).strip()


def test_the_catalogue_shows_the_figures_and_filters_low_stock(
    world: World, shop: tuple[Workshop, Store]
) -> None:
    workshop, store = shop
    receive(world.actor("as_manager"), store.oil, Decimal("10"))
    booked(world, workshop, tomorrow(world), 9)
    client = signed_in(world, "advisor")
    html = client.get("/workshop/parts/").content.decode()
    assert 'data-testid="parts-link"' in html  # in the menu
    # Oil: 20 L on hand, 4 reserved for the booking, 16 available.
    assert [
        cell(html, "08880-83717", k) for k in ("on-hand", "reserved", "issued", "available")
    ] == [
        "20",
        "4",
        "0",
        "16",
    ]
    assert cell(html, "90915-YZZD2", "available") == "0"
    assert 'data-part="90915-YZZD2" class="table-danger"' in html  # at or below its level
    low = client.get("/workshop/parts/?low=1").content.decode()
    assert 'data-part="90915-YZZD2"' in low and 'data-part="04465-02220"' in low
    assert 'data-part="08880-83717"' not in low  # oil: 16 available, level 8
    english = signed_in(world, "advisor", "en").get("/workshop/parts/").content.decode()
    assert "Parts store" in english and "Oil filter" in english and "Available" in english
    assert "配件库存" not in english


def test_tomorrows_shortage_is_listed_and_confirmed(
    world: World, shop: tuple[Workshop, Store]
) -> None:
    workshop, _store = shop
    day = tomorrow(world)
    booked(world, workshop, day, 9)  # takes the last filter
    short = booked(world, workshop, day, 10)  # short one filter
    client = signed_in(world, "advisor")
    html = client.get("/workshop/parts/").content.decode()
    section = html.split('data-testid="shortages"', 1)[1].split("</section>", 1)[0]
    assert f'data-appointment="{short.pk}"' in section
    assert "90915-YZZD2 机油滤清器 缺 1 个" in section
    assert 'data-testid="confirm-shortage"' in section
    # The workshop's day page shows it on the appointment, with the same button.
    day_page = client.get(f"/workshop/?day={day}").content.decode()
    row = day_page.split(f'data-appointment="{short.pk}"', 1)[1].split("</li>", 1)[0]
    assert 'data-testid="short-badge"' in row and 'data-testid="confirm-shortage"' in row
    assert "缺 1 个" in row
    response = client.post(
        f"/workshop/appointments/{short.pk}/parts/confirm/",
        {"note": "已向中心库调货", "next": f"/workshop/?day={day}"},
    )
    assert response.status_code == 302 and response["Location"] == f"/workshop/?day={day}"
    reservation = PartReservation.objects.get(appointment=short, part__number="90915-YZZD2")
    assert reservation.confirmed_by == world.users["advisor"]
    assert reservation.confirm_note == "已向中心库调货"
    day_page = client.get(f"/workshop/?day={day}").content.decode()
    assert "已确认 李强 的缺件情况。" in day_page
    row = day_page.split(f'data-appointment="{short.pk}"', 1)[1].split("</li>", 1)[0]
    assert 'data-testid="shortage-confirmed"' in row and "已向中心库调货" in row
    assert 'data-testid="confirm-shortage"' not in row
    html = client.get("/workshop/parts/").content.decode()
    assert 'data-testid="no-shortages"' in html
    assert 'data-kind="confirm"' in html  # in the movements
    # Confirming again says there is nothing to confirm; an outside site's agent gets a 404.
    again = client.post(f"/workshop/appointments/{short.pk}/parts/confirm/", {}, follow=True)
    assert "该预约没有待确认的缺件" in again.content.decode()
    outsider = signed_in(world, "agent")
    assert outsider.post(f"/workshop/appointments/{short.pk}/parts/confirm/").status_code == 404


def test_goods_in_for_managers_only(world: World, shop: tuple[Workshop, Store]) -> None:
    _workshop, store = shop
    advisor = signed_in(world, "advisor")
    assert 'data-testid="receive-form"' not in advisor.get("/workshop/parts/").content.decode()
    refused = advisor.post(
        "/workshop/parts/receive/", {"part": store.filter.pk, "quantity": "5"}, follow=True
    )
    assert "您不能办理该项目的配件" in refused.content.decode()
    manager = signed_in(world, "as_manager")
    page = manager.get(f"/workshop/parts/?part={store.filter.pk}").content.decode()
    assert 'data-testid="receive-form"' in page
    assert "配件流水 · 90915-YZZD2 机油滤清器" in page
    done = manager.post(
        "/workshop/parts/receive/",
        {"part": store.filter.pk, "quantity": "5", "note": "到货", "next": "/workshop/parts/"},
        follow=True,
    )
    assert "已入库 90915-YZZD2 5 个。" in done.content.decode()
    assert Stock.objects.get(part=store.filter).on_hand == Decimal("6")
    for bad in ("0", "abc", "-2", "NaN", "1e9"):
        r = manager.post(
            "/workshop/parts/receive/", {"part": store.filter.pk, "quantity": bad}, follow=True
        )
        assert "数量须大于 0" in r.content.decode(), bad
    other = manager.post("/workshop/parts/receive/", {"part": 999999, "quantity": "1"}, follow=True)
    assert "请选择本项目的配件。" in other.content.decode()
    assert Stock.objects.get(part=store.filter).on_hand == Decimal("6")


def test_another_sites_staff_see_no_parts(world: World, shop: tuple[Workshop, Store]) -> None:
    workshop, _store = shop
    outsider = signed_in(world, "agent")  # the property site's, which has no workshop
    html = outsider.get("/workshop/parts/").content.decode()
    assert 'data-testid="parts-empty"' in html and "90915" not in html
    assert outsider.get(f"/workshop/parts/?workshop={workshop.pk}").status_code == 404


def test_the_page_reads_the_same_number_of_queries_however_many_parts(
    world: World, shop: tuple[Workshop, Store]
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from fuwu.scheduling.models import Part

    workshop, _store = shop
    day = tomorrow(world)
    booked(world, workshop, day, 9)
    booked(world, workshop, day, 10)  # short
    client = signed_in(world, "as_manager")
    client.get("/workshop/parts/")  # warm the per-request caches (actor, calendar)

    def count() -> int:
        with CaptureQueriesContext(connection) as seen:
            assert client.get("/workshop/parts/").status_code == 200
        return len(seen)

    few = count()
    manager = world.actor("as_manager")
    for n in range(12):
        part = Part.objects.create(site=workshop.site, number=f"X-{n:02}", name=f"配件{n}")
        receive(manager, part, Decimal(n + 1))
    booked(world, workshop, day, 11)  # another short appointment
    assert count() == few


def test_booking_on_the_day_page_says_which_parts_are_short(
    world: World, shop: tuple[Workshop, Store]
) -> None:
    workshop, _store = shop
    day = tomorrow(world)
    booked(world, workshop, day, 9)  # takes the last filter
    form = {
        "day": day.isoformat(),
        "time": "10:00",
        "work_type": "repair",
        "customer": world.customers["driver"].pk,
        "operations": ["M10"],
    }
    page = signed_in(world, "advisor").post("/workshop/book/", form, follow=True)
    assert (
        "缺件：90915-YZZD2 机油滤清器 ×1 个。请在客户到店前确认零件情况。" in page.content.decode()
    )
    english = signed_in(world, "advisor", "en").post(
        "/workshop/book/", {**form, "time": "10:30"}, follow=True
    )
    assert (
        "Parts short: 90915-YZZD2 Oil filter ×1 个; 08880-83717 Engine oil 0W-20 ×2 升. "
        "Confirm the parts before the customer arrives."
    ) in english.content.decode()  # three services: 12 L of oil asked, 10 in stock
    pads = signed_in(world, "advisor").post(
        "/workshop/book/", {**form, "time": "11:00", "operations": ["B01"]}, follow=True
    )
    assert "04465-02220 前刹车片 ×1 套" in pads.content.decode()  # no pads in stock at all
    assert Appointment.objects.count() == 4
