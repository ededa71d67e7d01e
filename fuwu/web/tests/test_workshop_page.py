"""The workshop's capacity page (/workshop/): the week's hours, a day's technicians and bookings,
booking through the form (refused with the reason and nothing written, or over the limit on the
manager's word), the status buttons, and nothing for another site's staff."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client

from fuwu.scheduling.models import Appointment, LabourOperation, Workshop, WorkType
from fuwu.scheduling.tests.crew import seed_workshop
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
def workshop(world: World) -> Workshop:
    shop = seed_workshop(world)
    LabourOperation.objects.create(
        site=world.sites["dealer"],
        code="OIL",
        name="更换机油",
        name_en="Oil change",
        standard_hours=Decimal("1.5"),
        work_type=WorkType.MAINTENANCE,
    )
    return shop


def working_day(world: World, after: date = NOW.date()) -> date:
    calendar = site_calendar(world.sites["dealer"])
    day = after + timedelta(days=1)
    while not calendar.is_working_day(day):
        day += timedelta(days=1)
    return day


def signed_in(world: World, persona: str, language: str = "zh-hans") -> Client:
    client = Client()
    client.force_login(world.users[persona])
    if language != "zh-hans":
        client.post("/language/", {"language": language})
    return client


def number(html: str, day: date, what: str) -> str:
    """A number of a day's card on the week page."""
    card = html.split(f'data-testid="day-{day:%Y-%m-%d}"', 1)[1].split("</section>", 1)[0]
    found = re.search(rf'data-testid="{what}"[^>]*>([^<]*)<', card)
    return found.group(1).strip() if found else ""


def card(html: str, day: date) -> str:
    return html.split(f'data-testid="day-{day:%Y-%m-%d}"', 1)[1].split("</section>", 1)[0]


def left_on(client: Client, day: date) -> str:
    html = client.get(f"/workshop/?day={day}").content.decode()
    summary = html.split('data-testid="day-summary"', 1)[1]
    found = re.search(r'data-testid="left"[^>]*>([^<]*)<', summary)
    assert found, summary[:500]
    return found.group(1).strip()


def booking(day: date, **fields: Any) -> dict[str, Any]:
    return {"day": day.isoformat(), "time": "09:00", "work_type": "repair", **fields}


def test_the_week_shows_the_hours_and_the_closed_days(world: World, workshop: Workshop) -> None:
    client = signed_in(world, "advisor")
    calendar = site_calendar(world.sites["dealer"])
    # A week to come with a working day and a closed day in it.
    monday = NOW.date() - timedelta(days=NOW.weekday()) + timedelta(days=7)
    days = [monday + timedelta(days=n) for n in range(7)]
    while not (
        any(calendar.is_working_day(d) for d in days)
        and any(not calendar.is_working_day(d) for d in days)
    ):
        days = [d + timedelta(days=7) for d in days]
    open_day = next(d for d in days if calendar.is_working_day(d))
    closed = next(d for d in days if not calendar.is_working_day(d))

    response = client.get(f"/workshop/?week={days[3]}")  # any day of the week
    assert response.status_code == 200
    html = response.content.decode()
    assert [r.day for r in response.context["rows"]] == days
    assert number(html, open_day, "available") == "80"
    assert number(html, open_day, "bookable") == "64"
    assert number(html, open_day, "left") == "64"
    assert number(html, open_day, "reserve") == "16"
    assert number(html, open_day, "on-shift") == "10"
    assert 'data-testid="closed"' in card(html, closed) and "休息日" in card(html, closed)
    assert 'data-testid="closed"' not in card(html, open_day)
    assert f"week={days[0] - timedelta(days=7)}" in html  # the previous week
    assert f"week={days[0] + timedelta(days=7)}" in html  # the next
    assert 'data-testid="workshop-link"' in html  # the menu links the page for an advisor

    english = signed_in(world, "advisor", "en").get(f"/workshop/?week={days[0]}")
    text = english.content.decode()
    assert "Workshop capacity" in text and "Bookable" in text
    assert "Day off" in text and "休息日" not in text


def test_booking_a_catalogue_job_takes_its_hours(world: World, workshop: Workshop) -> None:
    client = signed_in(world, "advisor")
    day = working_day(world)
    assert left_on(client, day) == "64"
    page = client.get(f"/workshop/?day={day}&q=13987654321").content.decode()
    assert "更换机油" in page and "1.5 小时" in page
    assert 'name="override_reason"' not in page  # an advisor may not override
    assert f'<option value="{world.customers["driver"].pk}" selected>李强' in page

    response = client.post(
        "/workshop/book/",
        booking(
            day,
            customer=world.customers["driver"].pk,
            asset=world.assets["car"].pk,
            operations=["OIL"],
        ),
    )
    assert response.status_code == 302 and response["Location"] == f"/workshop/?day={day}"
    appointment = Appointment.objects.get()
    assert appointment.hours == Decimal("1.5") and appointment.asset == world.assets["car"]
    assert appointment.starts_at == datetime.combine(day, datetime.min.time(), SH).replace(hour=9)
    page = client.get(f"/workshop/?day={day}").content.decode()
    assert "已为 李强 预约 09:00，1.5 小时。" in page
    assert "粤B·3K5X8" in page and 'data-testid="arrived"' in page
    assert left_on(client, day) == "62.5"


def test_an_over_capacity_booking_shows_why_and_writes_nothing(
    world: World, workshop: Workshop
) -> None:
    client = signed_in(world, "advisor")
    day = working_day(world)
    response = client.post(
        "/workshop/book/",
        booking(day, customer=world.customers["driver"].pk, job_name="大修", job_hours="65"),
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "可预约工时不足" in html and 'data-testid="form-error"' in html
    assert 'value="大修"' in html  # the form keeps what was typed
    assert Appointment.objects.count() == 0

    english = signed_in(world, "advisor", "en").post(
        "/workshop/book/",
        booking(day, customer=world.customers["driver"].pk, job_name="Overhaul", job_hours="65"),
    )
    assert "Not enough bookable hours" in english.content.decode()
    assert Appointment.objects.count() == 0


def test_the_manager_overrides_with_a_reason_an_advisor_may_not(
    world: World, workshop: Workshop
) -> None:
    day = working_day(world)
    over = booking(
        day,
        customer=world.customers["driver"].pk,
        job_name="事故车大修",
        job_hours="65",
        override_reason="老客户事故车，需当天进厂",
    )
    advisor = signed_in(world, "advisor")
    refused = advisor.post("/workshop/book/", over)
    assert refused.status_code == 400 and Appointment.objects.count() == 0
    assert "override_not_allowed" not in refused.content.decode()
    assert 'data-testid="form-error"' in refused.content.decode()

    manager = signed_in(world, "as_manager")
    assert 'name="override_reason"' in manager.get(f"/workshop/?day={day}").content.decode()
    assert manager.post("/workshop/book/", over).status_code == 302
    appointment = Appointment.objects.get()
    assert appointment.override_reason == "老客户事故车，需当天进厂"
    assert appointment.overridden_by == world.users["as_manager"]
    page = manager.get(f"/workshop/?day={day}").content.decode()
    assert 'data-testid="override-reason"' in page and "老客户事故车" in page
    assert left_on(manager, day) == "-1"


def test_the_status_buttons(world: World, workshop: Workshop) -> None:
    client = signed_in(world, "advisor")
    day = working_day(world)
    driver = world.customers["driver"].pk
    for moment in ("09:00", "10:00", "11:00"):
        client.post("/workshop/book/", booking(day, customer=driver, time=moment, operations="OIL"))
    first, second, third = Appointment.objects.order_by("starts_at")
    assert left_on(client, day) == "59.5"

    assert client.post(f"/workshop/appointments/{first.pk}/arrived/").status_code == 302
    assert client.post(f"/workshop/appointments/{second.pk}/no_show/").status_code == 302
    response = client.post(f"/workshop/appointments/{third.pk}/cancelled/", follow=True)
    assert [a.status for a in Appointment.objects.order_by("starts_at")] == [
        "arrived",
        "no_show",
        "cancelled",
    ]
    html = response.content.decode()
    assert "已取消" in html and 'data-testid="arrived"' not in html  # nothing left to mark
    assert left_on(client, day) == "62.5"  # the arrived car still holds its hours

    again = client.post(f"/workshop/appointments/{first.pk}/cancelled/", follow=True)
    assert Appointment.objects.get(pk=first.pk).status == "arrived"
    assert "alert-danger" in again.content.decode()
    assert client.get(f"/workshop/appointments/{first.pk}/arrived/").status_code == 405
    assert client.post(f"/workshop/appointments/{first.pk}/booked/").status_code == 404


def test_another_sites_staff_see_nothing(world: World, workshop: Workshop) -> None:
    client = signed_in(world, "advisor")
    day = working_day(world)
    client.post(
        "/workshop/book/",
        booking(day, customer=world.customers["driver"].pk, operations="OIL"),
    )
    appointment = Appointment.objects.get()

    outsider = signed_in(world, "agent")  # the Lanting site's call centre
    assert outsider.get(f"/workshop/?workshop={workshop.pk}").status_code == 404
    assert outsider.get(f"/workshop/?workshop={workshop.pk}&day={day}").status_code == 404
    page = outsider.get("/workshop/")
    assert page.status_code == 200 and 'data-testid="workshop-empty"' in page.content.decode()
    assert 'data-testid="workshop-link"' not in page.content.decode()
    assert outsider.post(f"/workshop/appointments/{appointment.pk}/cancelled/").status_code == 404
    booked = outsider.post(
        "/workshop/book/",
        {**booking(day, customer=world.customers["driver"].pk, operations="OIL")},
        QUERY_STRING=f"workshop={workshop.pk}",
    )
    assert booked.status_code == 404
    assert Appointment.objects.get().status == "booked" and Appointment.objects.count() == 1

    # Staff of the site who may not book see the hours but no form and no buttons.
    tech = signed_in(world, "workshop_tech")
    html = tech.get(f"/workshop/?day={day}").content.decode()
    assert 'data-testid="booking-form"' not in html and 'data-testid="arrived"' not in html
    assert 'data-testid="workshop-link"' not in html
