"""Workshop scheduling through HTTP: capacity and availability, booking against the bookable
hours with clear errors in both languages, rebooking and status changes, and who may see what."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from fuwu.scheduling.models import Appointment, LabourOperation
from fuwu.scheduling.tests.crew import seed_workshop
from fuwu.sla.clocks import site_calendar

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")


def next_working_day(site, after: date) -> date:
    day = after + timedelta(days=1)
    while not site_calendar(site).is_working_day(day):
        day += timedelta(days=1)
    return day


def at(day: date, hh: int, mm: int = 0) -> str:
    return datetime.combine(day, time(hh, mm), SH).isoformat()


@pytest.fixture
def shop(world):
    workshop = seed_workshop(world)
    LabourOperation.objects.create(
        site=workshop.site,
        code="M10",
        name="一万公里保养",
        name_en="10,000 km service",
        standard_hours=Decimal("1.5"),
        work_type="maintenance",
    )
    day = next_working_day(workshop.site, datetime.now(SH).date())
    return workshop, day


def test_capacity_and_availability_read_the_seeds_figures(api, shop):
    workshop, day = shop
    advisor = api("advisor")
    listed = advisor.get("/api/workshops").json()
    assert [w["id"] for w in listed] == [workshop.pk]
    week = advisor.get(
        f"/api/workshops/{workshop.pk}/availability",
        day=day.isoformat(),
        to=(day + timedelta(days=6)).isoformat(),
    ).json()
    assert len(week) == 7
    first = week[0]
    assert (first["available"], first["bookable"], first["left"], first["reserve"]) == (
        "80.00",
        "64.00",
        "64.00",
        "16.00",
    )
    assert any(not d["working"] and d["available"] == "0.00" for d in week)  # the weekend
    detail = advisor.get(f"/api/workshops/{workshop.pk}/capacity", day=day.isoformat()).json()
    assert len(detail[0]["technicians"]) == 10 and detail[0]["on_shift"] == 10
    too_long = advisor.get(
        f"/api/workshops/{workshop.pk}/availability",
        day=day.isoformat(),
        to=(day + timedelta(days=90)).isoformat(),
    )
    assert too_long.status_code == 400


def test_booking_rebooking_and_the_errors(api, shop, world):
    workshop, day = shop
    advisor, en = api("advisor"), api("advisor", "en")
    driver, car = world.customers["driver"], world.assets["car"]
    body = {
        "workshop": workshop.pk,
        "customer": driver.pk,
        "asset": car.pk,
        "starts_at": at(day, 9),
        "jobs": [{"operation": "M10"}, {"name": "检查异响", "hours": "0.5", "work_type": "repair"}],
    }
    made = advisor.post("/api/appointments", body)
    assert made.status_code == 201, made.json()
    booked = made.json()
    assert booked["hours"] == "2.00" and booked["advisor"] == "advisor"
    assert [line["operation"] for line in booked["lines"]] == ["M10", ""]
    left = advisor.get(f"/api/workshops/{workshop.pk}/availability", day=day.isoformat()).json()[0][
        "left"
    ]
    assert left == "62.00"

    over = en.post(
        "/api/appointments",
        {**body, "starts_at": at(day, 10), "jobs": [{"name": "大修", "hours": "63"}]},
    )
    assert over.status_code == 409
    assert over.json()["code"] == "over_capacity"
    assert "62.00 h left" in over.json()["message"]
    zh = advisor.post(
        "/api/appointments",
        {**body, "starts_at": at(day, 10), "jobs": [{"name": "大修", "hours": "63"}]},
    )
    assert "还剩 62.00 小时" in zh.json()["message"]
    refused = advisor.post(
        "/api/appointments",
        {
            **body,
            "starts_at": at(day, 10),
            "jobs": [{"name": "大修", "hours": "63"}],
            "override_reason": "急",
        },
    )
    assert refused.status_code == 403 and refused.json()["code"] == "override_not_allowed"

    past = advisor.post("/api/appointments", {**body, "starts_at": at(date(2020, 3, 3), 9)})
    assert past.status_code == 422 and past.json()["code"] == "booking_in_past"
    saturday = day + timedelta(days=(5 - day.weekday()) % 7 or 7)
    if not site_calendar(workshop.site).is_working_day(saturday):
        closed = advisor.post("/api/appointments", {**body, "starts_at": at(saturday, 9)})
        assert closed.status_code == 422 and closed.json()["code"] == "closed_day"
    unknown = advisor.post("/api/appointments", {**body, "jobs": [{"operation": "NOPE"}]})
    assert unknown.status_code == 422 and unknown.json()["code"] == "unknown_operation"
    naive = advisor.post("/api/appointments", {**body, "starts_at": f"{day.isoformat()}T09:00:00"})
    assert naive.status_code == 400
    assert Appointment.objects.count() == 1

    moved = advisor.post(f"/api/appointments/{booked['id']}/rebook", {"starts_at": at(day, 14)})
    assert moved.status_code == 200
    assert datetime.fromisoformat(moved.json()["starts_at"]) == datetime.fromisoformat(at(day, 14))
    gone = advisor.post(f"/api/appointments/{booked['id']}/status", {"status": "no_show"})
    assert gone.status_code == 200 and gone.json()["status"] == "no_show"
    again = advisor.post(f"/api/appointments/{booked['id']}/status", {"status": "arrived"})
    assert again.status_code == 409 and again.json()["code"] == "appointment_not_open"
    day_list = advisor.get(f"/api/workshops/{workshop.pk}/appointments", day=day.isoformat()).json()
    assert [a["status"] for a in day_list] == ["no_show"]


def test_other_sites_staff_and_customers_see_nothing(api, shop, world):
    workshop, day = shop
    agent = api("agent")  # the property site's
    assert agent.get("/api/workshops").json() == []
    assert (
        agent.get(f"/api/workshops/{workshop.pk}/capacity", day=day.isoformat()).status_code == 404
    )
    made = (
        api("advisor")
        .post(
            "/api/appointments",
            {
                "workshop": workshop.pk,
                "customer": world.customers["driver"].pk,
                "starts_at": at(day, 9),
                "jobs": [{"operation": "M10"}],
            },
        )
        .json()
    )
    assert agent.get(f"/api/appointments/{made['id']}").status_code == 404
    assert (
        agent.post(f"/api/appointments/{made['id']}/status", {"status": "cancelled"}).status_code
        == 404
    )
    wrong = api("advisor").post(
        "/api/appointments",
        {
            "workshop": workshop.pk,
            "customer": world.customers["owner"].pk,
            "starts_at": at(day, 9),
            "jobs": [{"operation": "M10"}],
        },
    )
    assert wrong.status_code == 400 and "customer" in wrong.json()["details"]["fields"]


def test_a_merged_customer_record_is_not_booked(api, shop, world):
    from fuwu.customers.models import Customer

    workshop, day = shop
    kept = world.customers["driver"]
    old = Customer.objects.create(
        site=kept.site, name="李强", phone="13987654322", merged_into=kept
    )
    r = api("advisor").post(
        "/api/appointments",
        {
            "workshop": workshop.pk,
            "customer": old.pk,
            "starts_at": at(day, 9),
            "jobs": [{"operation": "M10"}],
        },
    )
    assert r.status_code == 400 and "customer" in r.json()["details"]["fields"]
    assert not Appointment.objects.exists()
