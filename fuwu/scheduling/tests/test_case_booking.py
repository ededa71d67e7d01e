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
from fuwu.scheduling.models import (
    Appointment,
    LabourOperation,
    OperationPart,
    Part,
    PartReservation,
    Stock,
)
from fuwu.scheduling.part_queries import unconfirmed_shortages
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


def test_a_case_books_catalogue_operations_and_their_parts_are_reserved(world, api):
    """Seed step 1: the job lines from the labour-time catalogue; their usual parts are
    reserved at booking and what is missing is a shortage to confirm before arrival."""
    workshop = seed_workshop(world)
    site = workshop.site
    (day,) = working_days(site, 1)
    oil_change = LabourOperation.objects.create(
        site=site,
        code="MNT-40K",
        name="4万公里保养",
        standard_hours=Decimal("1.5"),
        work_type="maintenance",
    )
    pads = LabourOperation.objects.create(
        site=site,
        code="BRK-F",
        name="更换前刹车片",
        standard_hours=Decimal("1.2"),
        work_type="repair",
    )
    oil_filter = Part.objects.create(site=site, number="90915-YZZD4", name="机油滤清器")
    pad_set = Part.objects.create(site=site, number="04465-02220", name="前刹车片")
    Stock.objects.create(part=oil_filter, on_hand=Decimal("5"))
    Stock.objects.create(part=pad_set, on_hand=Decimal("0"))
    OperationPart.objects.create(operation=oil_change, part=oil_filter, quantity=Decimal("1"))
    OperationPart.objects.create(operation=pads, part=pad_set, quantity=Decimal("1"))
    advisor = api("advisor")

    form = {**booking(day, 0), "booked_operations": "MNT-40K，BRK-F"}
    del form["booked_hours"]
    unknown = refused(
        advisor,
        open_visit(world, advisor),
        "book",
        {**form, "booked_operations": "NOPE-1"},
        status=422,
        code="unknown_operation",
    )
    assert "NOPE-1" in unknown["message"]
    none = refused(
        advisor,
        open_visit(world, advisor),
        "book",
        {**form, "booked_operations": ""},
        status=422,
        code="no_hours",
    )
    assert none["message"] == "预约至少要有一项作业，工时大于 0"
    assert not PartReservation.objects.exists()

    # Two operations and half an hour of described work: 1.5 + 1.2 + 0.5 h.
    case = take(advisor, open_visit(world, advisor), "book", {**form, "booked_hours": 0.5})
    appointment = Appointment.objects.get(case_id=case["id"])
    assert appointment.hours == Decimal("3.20")
    assert {(x.operation_id, x.name, x.hours) for x in appointment.lines.all()} == {
        (oil_change.pk, "4万公里保养", Decimal("1.50")),
        (pads.pk, "更换前刹车片", Decimal("1.20")),
        (None, "粤B·3K5X8 4万公里保养", Decimal("0.50")),
    }
    held = {r.part.number: (r.quantity, r.held) for r in appointment.part_reservations.all()}
    assert held == {"90915-YZZD4": (1, 1), "04465-02220": (1, 0)}  # the pads are short
    assert [a.pk for a in unconfirmed_shortages(workshop, day)] == [appointment.pk]
