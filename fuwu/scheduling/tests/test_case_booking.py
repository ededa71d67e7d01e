"""The Toyota seven-step case books real labour hours: its `book` and `rebook` moves take the
day's bookable hours (refused, and the case stays put, when they are gone), a no-show frees
them and arrival is recorded on the appointment; a site with no workshop set up keeps working
without one, and says so on the timeline."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from fuwu.cases.models import Event
from fuwu.scheduling.capacity import day_capacity
from fuwu.scheduling.models import Appointment
from fuwu.scheduling.tests.crew import seed_workshop
from fuwu.sla.clocks import site_calendar
from fuwu.testing.scenario import refused, take

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")


def working_days(site, count: int) -> list[date]:
    days, day = [], datetime.now(SH).date()
    while len(days) < count:
        day += timedelta(days=1)
        if site_calendar(site).is_working_day(day):
            days.append(day)
    return days


def at(day: date, hh: int) -> str:
    return datetime.combine(day, time(hh), SH).isoformat()


def open_visit(world, client):
    r = client.post(
        "/api/cases",
        {
            "procedure": "toyota_seven_step",
            "site": "dealer",
            "channel": "phone",
            "title": "粤B·3K5X8 4万公里保养",
            "customer_id": world.customers["driver"].pk,
            "asset_id": world.assets["car"].pk,
            "data": {"plate_no": "粤B·3K5X8", "customer_request": "4万公里保养"},
        },
    )
    assert r.status_code == 201, r.json()
    return r.json()


def booking(day: date, hours: float, hh: int = 9) -> dict:
    return {
        "visit_type": "appointment",
        "job_type": "maintenance",
        "appointment_at": at(day, hh),
        "booked_hours": hours,
    }


def test_a_case_books_the_workshops_hours_and_is_refused_when_they_are_gone(world, api):
    workshop = seed_workshop(world)
    first, second, third = working_days(workshop.site, 3)
    advisor = api("advisor")
    case = take(advisor, open_visit(world, advisor), "book", booking(first, 60))
    appointment = Appointment.objects.get(case_id=case["id"])
    assert (appointment.hours, appointment.status) == (Decimal("60.00"), "booked")
    assert day_capacity(workshop, first).left == Decimal("4.00")

    other = open_visit(world, advisor)
    body = refused(
        advisor, other, "book", booking(first, 5, hh=10), status=409, code="over_capacity"
    )
    assert "4.00" in body["message"]
    assert not Appointment.objects.filter(case_id=other["id"]).exists()
    other = take(advisor, other, "book", booking(second, 5, hh=10))
    assert Event.objects.filter(case_id=other["id"], kind="appointment").exists()

    # No-show: the hours are free again; the rebooking takes them on the new day.
    case = take(advisor, case, "no_show")
    appointment.refresh_from_db()
    assert appointment.status == "no_show"
    assert day_capacity(workshop, first).left == Decimal("64.00")
    note = {"no_show_note": "客户出差"}
    refused(  # 5 h are already booked on the second day: 60 more do not fit
        advisor,
        case,
        "rebook",
        {**note, "appointment_at": at(second, 14)},
        status=409,
        code="over_capacity",
    )
    case = take(advisor, case, "rebook", {**note, "appointment_at": at(third, 14)})
    again = Appointment.objects.get(case_id=case["id"], status="booked")
    assert again.hours == Decimal("60.00") and again.pk != appointment.pk
    assert day_capacity(workshop, third).left == Decimal("4.00")

    # The customer comes: the appointment is marked arrived and keeps its hours.
    case = take(advisor, case, "arrived", {"parts_confirmed": True, "reminded": True})
    again.refresh_from_db()
    assert again.status == "arrived"
    assert day_capacity(workshop, third).booked == Decimal("60.00")


def test_a_site_without_a_workshop_books_no_hours_and_says_so(world, api):
    advisor = api("advisor")
    day = datetime.now(SH).date() + timedelta(days=3)
    case = take(advisor, open_visit(world, advisor), "book", booking(day, 2))
    assert not Appointment.objects.exists()
    event = Event.objects.get(case_id=case["id"], kind="appointment")
    assert event.data == {"skipped": "no_workshop"}
