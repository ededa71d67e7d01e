"""The demo walker walks the repairs that book on-site visits (book_visit): on sites with no field
team they go on without one (the timeline says so), and with a field team and places on the
units and cars they book visits that the day's routes can plan. Nothing goes wrong either way,
and every case replays from its events."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from random import Random
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from fuwu.cases.models import Event
from fuwu.cases.replay import differences
from fuwu.core.models import Staff
from fuwu.customers.models import Asset
from fuwu.demo.data import load_library
from fuwu.demo.walker import Walker
from fuwu.demo.world import World
from fuwu.procedures.models import ProcedureVersion
from fuwu.scheduling.models import FieldBase, Technician, Visit, Workshop

pytestmark = [pytest.mark.django_db, pytest.mark.sqlite_once]
SH = ZoneInfo("Asia/Shanghai")
SUNDAY_EVENING = datetime(2026, 12, 6, 20, 0, tzinfo=SH)  # the walker books for "tomorrow"
REPAIRS = ("property_repair", "product_repair")
BASE = (Decimal("22.540000"), Decimal("113.950000"))


def field_teams(world: World) -> None:
    """Field teams for 兰亭苑's engineering and the dealer's after-sales and workshop, with
    their technicians, and a place for every unit and car (a few hundred metres apart)."""
    for key in ("lanting/engineering", "dealer/aftersales", "dealer/workshop"):
        workshop = Workshop.objects.create(department=world.departments[key])
        FieldBase.objects.create(workshop=workshop, lat=BASE[0], lon=BASE[1])
        for staff in Staff.objects.filter(department=workshop.department).exclude(
            technician__isnull=False
        ):
            Technician.objects.create(staff=staff, workshop=workshop)
    for n, asset in enumerate(Asset.objects.filter(kind__in=["unit", "vehicle"]).order_by("pk")):
        offset = Decimal("0.003") * (n % 7)
        asset.attributes = {
            **asset.attributes,
            "lat": str(BASE[0] + offset),
            "lon": str(BASE[1] + offset),
        }
        asset.save()


def walk(*, teams: bool) -> Walker:
    load_library()
    with time_machine.travel(SUNDAY_EVENING, tick=False):
        world = World(Random(11), timezone.now())
        world.organisation()
        world.people()
        world.customers()
        if teams:
            field_teams(world)
        walker = Walker(world, 11)
        for _ in range(3):  # several walks, so a booked visit is among them
            for key in REPAIRS:
                walker.walk_procedure(ProcedureVersion.objects.get(key=key, is_current=True))
    return walker


def visit_events() -> list[dict]:
    return list(
        Event.objects.filter(kind="field_visit", case__procedure_key__in=REPAIRS).values_list(
            "data", flat=True
        )
    )


def test_without_field_teams_the_repairs_are_walked_and_book_no_visit() -> None:
    walker = walk(teams=False)
    assert walker.problems == []
    booked = visit_events()
    assert booked and all(e.get("skipped") == "no_workshop" for e in booked)
    assert not Visit.objects.exists()
    assert differences() == []


def test_with_field_teams_the_repairs_book_visits_at_their_places() -> None:
    walker = walk(teams=True)
    assert walker.problems == []
    visits = list(Visit.objects.select_related("case"))
    assert visits and {v.case.procedure_key for v in visits} <= set(REPAIRS)
    for v in visits:
        assert v.case.asset is not None and v.lat == Decimal(v.case.asset.attributes["lat"])
        assert v.workshop.department.site_id == v.case.site_id
    assert any("visit" in e for e in visit_events())
    assert differences() == []
