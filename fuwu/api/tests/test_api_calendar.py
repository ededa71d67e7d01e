"""The appointment calendar's feed, walk-ins and no-show follow-ups through HTTP: who sees
which workshop, the date range, the advisor and technician filters, the reserve, the errors."""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine

from fuwu.scheduling.booking import Job, book, mark_no_shows
from fuwu.scheduling.models import Appointment, FollowUp
from fuwu.scheduling.tests.crew import seed_workshop

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
MONDAY, TUESDAY = date(2025, 3, 3), date(2025, 3, 4)
BEFORE = datetime(2025, 2, 27, 9, 0, tzinfo=SH)


def at(day: date, hh: int, mm: int = 0) -> datetime:
    return datetime.combine(day, time(hh, mm), SH)


@pytest.fixture
def week(world):
    """Monday: two bookings by the advisor (one for technician 00), one by the manager."""
    workshop = seed_workshop(world)
    tech = workshop.technicians.order_by("staff__display_name").first()
    advisor, manager = world.actor("advisor"), world.actor("as_manager")
    driver, car = world.customers["driver"], world.assets["car"]
    first = book(
        advisor,
        workshop,
        customer=driver,
        asset=car,
        starts_at=at(MONDAY, 11),
        jobs=[Job(name="更换刹车片", hours=Decimal("2"), work_type="repair")],
        technician=tech,
        now=BEFORE,
    )
    second = book(
        advisor,
        workshop,
        customer=driver,
        starts_at=at(MONDAY, 9),
        jobs=[Job(name="保养", hours=Decimal("1"))],
        now=BEFORE,
    )
    third = book(
        manager,
        workshop,
        customer=driver,
        starts_at=at(TUESDAY, 14),
        jobs=[Job(name="保养", hours=Decimal("1.5"))],
        now=BEFORE,
    )
    return workshop, tech, (first, second, third)


def test_the_feed_lists_a_weeks_appointments_with_their_hours_and_days(api, week):
    workshop, tech, (first, second, third) = week
    with time_machine.travel(BEFORE, tick=False):
        got = api("advisor").get(
            f"/api/workshops/{workshop.pk}/calendar", start="2025-03-03", end="2025-03-10"
        )
    assert got.status_code == 200, got.content
    body = got.json()
    events = {e["id"]: e for e in body["events"]}
    assert list(events) == [second.pk, first.pk, third.pk]  # by time
    brakes = events[first.pk]
    assert brakes["title"] == "李强 · 粤B·3K5X8 · 更换刹车片"
    # 11:00 + 2 h of working time: one hour before lunch, one after → 14:00.
    assert datetime.fromisoformat(brakes["start"]) == at(MONDAY, 11)
    assert datetime.fromisoformat(brakes["end"]) == at(MONDAY, 14)
    assert (brakes["start_local"], brakes["end_local"]) == (
        "2025-03-03T11:00:00",
        "2025-03-03T14:00:00",
    )
    assert (brakes["status"], brakes["color"], brakes["editable"]) == ("booked", "#0d6efd", True)
    assert brakes["technician_id"] == tech.pk and brakes["technician"] == "技师00"
    assert brakes["case_url"] is None
    assert brakes["url"].endswith(f"day=2025-03-03#appointment-{first.pk}")
    assert len(body["days"]) == 7
    monday = body["days"][0]
    assert (monday["bookable"], monday["booked"], monday["left"]) == ("64.00", "3.00", "61.00")
    assert body["days"][5]["working"] is False  # Saturday


def test_the_feed_filters_by_advisor_and_technician_and_keeps_its_range(api, week, world):
    workshop, tech, (first, second, third) = week
    advisor = api("advisor")
    url = f"/api/workshops/{workshop.pk}/calendar"
    mine = advisor.get(url, start="2025-03-03", end="2025-03-10", advisor=world.users["advisor"].pk)
    assert [e["id"] for e in mine.json()["events"]] == [second.pk, first.pk]
    techs = advisor.get(url, start="2025-03-03", end="2025-03-10", technician=tech.pk)
    assert [e["id"] for e in techs.json()["events"]] == [first.pk]
    tuesday = advisor.get(url, start="2025-03-04", end="2025-03-05")  # end is exclusive
    assert [e["id"] for e in tuesday.json()["events"]] == [third.pk]
    assert advisor.get(url, start="2025-03-03", end="2025-06-03").status_code == 400
    assert advisor.get(url, start="2025-03-05", end="2025-03-03").status_code == 400


def test_only_staff_of_the_workshops_site_see_its_calendar(api, week):
    workshop = week[0]
    url = f"/api/workshops/{workshop.pk}/calendar"
    assert api("agent").get(url, start="2025-03-03", end="2025-03-10").status_code == 404
    assert api(None).get(url, start="2025-03-03", end="2025-03-10").status_code == 401
    past = api("advisor").get(url, start="2025-03-03", end="2025-03-04").json()["events"]
    assert all(e["editable"] is False for e in past)  # today is after that Monday


def test_a_walk_in_takes_the_reserve_and_is_refused_when_it_is_gone(api, world):
    workshop = seed_workshop(world)
    driver = world.customers["driver"]
    book(
        world.actor("advisor"),
        workshop,
        customer=driver,
        starts_at=at(TUESDAY, 9),
        jobs=[Job(name="大修", hours=Decimal("64"), work_type="repair")],
        now=BEFORE,
    )
    body = {
        "workshop": workshop.pk,
        "customer": driver.pk,
        "asset": world.assets["car"].pk,
        "jobs": [{"name": "补胎", "hours": "10", "work_type": "repair"}],
    }
    with time_machine.travel(at(TUESDAY, 10, 5), tick=False):
        made = api("advisor").post("/api/walk-ins", body)
        assert made.status_code == 201, made.content
        assert (made.json()["walk_in"], made.json()["status"]) == (True, "arrived")
        body["jobs"] = [{"name": "洗车", "hours": "6.5", "work_type": "repair"}]
        refused = api("advisor", "en").post("/api/walk-ins", body)
        assert refused.status_code == 409
        assert refused.json()["code"] == "reserve_used_up"
        assert "6.00 h free" in refused.json()["message"]
        other = api("agent").post("/api/walk-ins", body)
        assert other.status_code == 404
    assert Appointment.objects.filter(walk_in=True).count() == 1


def test_follow_ups_are_listed_rebooked_and_declined(api, world):
    workshop = seed_workshop(world)
    driver = world.customers["driver"]
    for hh in (9, 10):
        book(
            world.actor("advisor"),
            workshop,
            customer=driver,
            starts_at=at(MONDAY, hh),
            jobs=[Job(name="保养", hours=Decimal("1"))],
            now=BEFORE,
        )
    assert mark_no_shows(at(MONDAY, 11)) == 2
    advisor = api("advisor")
    listed = advisor.get(f"/api/workshops/{workshop.pk}/follow-ups").json()
    assert [f["customer"] for f in listed] == ["李强", "李强"]
    assert api("agent").get(f"/api/workshops/{workshop.pk}/follow-ups").status_code == 404
    with time_machine.travel(at(MONDAY, 12), tick=False):
        made = advisor.post(
            f"/api/follow-ups/{listed[0]['id']}/rebook",
            {"starts_at": at(TUESDAY, 9).isoformat()},
        )
        assert made.status_code == 201, made.content
        again = advisor.post(
            f"/api/follow-ups/{listed[0]['id']}/rebook",
            {"starts_at": at(TUESDAY, 10).isoformat()},
        )
        assert again.status_code == 409 and again.json()["code"] == "follow_up_done"
        closed = advisor.post(f"/api/follow-ups/{listed[1]['id']}/decline")
        assert closed.status_code == 200 and closed.json()["outcome"] == "declined"
    assert FollowUp.objects.filter(done_at__isnull=True).count() == 0
    assert advisor.get(f"/api/workshops/{workshop.pk}/follow-ups").json() == []
    assert Appointment.objects.filter(starts_at=at(TUESDAY, 9)).count() == 1


def test_the_calendar_is_in_the_openapi_document(api):
    doc = api("advisor").get("/api/openapi.json").json()
    for path in (
        "/api/workshops/{workshop_id}/calendar",
        "/api/walk-ins",
        "/api/workshops/{workshop_id}/follow-ups",
        "/api/follow-ups/{follow_up_id}/rebook",
        "/api/follow-ups/{follow_up_id}/decline",
    ):
        assert path in doc["paths"], path


def test_the_feed_reads_a_fixed_number_of_queries_however_many_appointments(api, week, world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    workshop = week[0]
    advisor = api("advisor")
    url = f"/api/workshops/{workshop.pk}/calendar"

    def count() -> int:
        with CaptureQueriesContext(connection) as seen:
            assert advisor.get(url, start="2025-03-03", end="2025-03-10").status_code == 200
        return len(seen)

    count()  # the first request also fills the cache (the actor, the site's calendar)
    before = count()
    for hh in (13, 14, 15, 16):
        book(
            world.actor("advisor"),
            workshop,
            customer=world.customers["driver"],
            asset=world.assets["car"],
            starts_at=at(TUESDAY, hh),
            jobs=[Job(name="保养", hours=Decimal("1"))],
            now=BEFORE,
        )
    assert count() == before
