"""A field team on 兰亭苑's engineering department and a property repair booked for it, for the
tests of the `book_visit` effect (scheduling) and of the case page (web)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine

from fuwu.core.choices import CalendarKind
from fuwu.core.models import Staff
from fuwu.customers.models import Asset
from fuwu.scheduling.models import FieldBase, Technician, Workshop
from fuwu.sla.clocks import forget_calendars
from fuwu.testing.factories import World
from fuwu.testing.scenario import take

SH = ZoneInfo("Asia/Shanghai")
MONDAY = datetime(2026, 12, 7, 9, 0, tzinfo=SH)  # a working day on the site's calendar
TUESDAY = date(2026, 12, 8)
SUNDAY = date(2026, 12, 13)
BASE = (Decimal("22.543100"), Decimal("114.057900"))
UNIT = (Decimal("22.561086"), Decimal("114.057900"))  # 2 km north of the base: 4 minutes


@pytest.fixture
def monday() -> Iterator[None]:
    with time_machine.travel(MONDAY, tick=True):
        yield


def engineering(world: World, *, base: bool = True, technicians: int = 2) -> Workshop:
    """兰亭苑's engineering department as a field team: 08:30–17:30, lunch 12:00–13:00, on the
    site's real working calendar; the persona `technician` and a colleague; a base 2 km south of
    the owner's unit (30 km/h, so 4 minutes' drive)."""
    site = world.sites["lanting"]
    site.calendar_kind = CalendarKind.WORKING
    site.work_start, site.lunch_start = time(8, 30), time(12, 0)
    site.lunch_end, site.work_end = time(13, 0), time(17, 30)
    site.save()
    forget_calendars()
    workshop = Workshop.objects.create(department=world.dept("lanting", "engineering"))
    crew = Staff.objects.filter(department=workshop.department, roles__code="technician")
    for staff in crew.order_by("pk")[:technicians]:
        Technician.objects.create(staff=staff, workshop=workshop)
    if base:
        FieldBase.objects.create(workshop=workshop, name="兰亭苑工程部", lat=BASE[0], lon=BASE[1])
    return workshop


def place(asset: Asset, lat: Decimal = UNIT[0], lon: Decimal = UNIT[1]) -> None:
    asset.attributes = {**asset.attributes, "lat": str(lat), "lon": str(lon)}
    asset.save()


def open_repair(world: World, client: Any) -> dict[str, Any]:
    r = client.post(
        "/api/cases",
        {
            "procedure": "property_repair",
            "site": "lanting",
            "channel": "phone",
            "title": "卫生间地漏堵塞",
            "customer_id": world.customers["owner"].pk,
            "asset_id": world.assets["unit"].pk,
            "data": {"repair_item": "卫生间地漏堵塞", "service_type": "free"},
        },
    )
    assert r.status_code == 201, r.json()
    return take(client, r.json(), "issue_work_order", {"details_confirmed": True})


def booked(
    day: date = TUESDAY, hh: int = 9, latest: str | None = "t1100", minutes: int = 90
) -> dict[str, Any]:
    form: dict[str, Any] = {
        "repair_mode": "booked",
        "appointment_at": datetime.combine(day, time(hh), SH).isoformat(),
        "visit_minutes": minutes,
    }
    if latest:
        form["visit_latest"] = latest
    return form
