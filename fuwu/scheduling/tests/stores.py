"""The dealer's parts store for the parts tests: oil filters and engine oil, which the 10,000 km
service (M10) takes as an oil filter ×1 and oil 4 L, and brake pads for the brake job (B01)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from fuwu.cases import actions
from fuwu.cases.models import Case
from fuwu.scheduling.models import LabourOperation, OperationPart, Part, Workshop
from fuwu.scheduling.parts import receive
from fuwu.testing.factories import World


@dataclass
class Store:
    filter: Part
    oil: Part
    pads: Part
    service: LabourOperation
    brakes: LabourOperation


def seed_store(world: World, workshop: Workshop, filters: str = "10", oil: str = "40") -> Store:
    site = workshop.site
    store = Store(
        filter=Part.objects.create(
            site=site,
            number="90915-YZZD2",
            name="机油滤清器",
            name_en="Oil filter",
            unit="个",
            price=Decimal("45.00"),
            reorder_level=Decimal("3"),
        ),
        oil=Part.objects.create(
            site=site,
            number="08880-83717",
            name="全合成机油 0W-20",
            name_en="Engine oil 0W-20",
            unit="升",
            reorder_level=Decimal("8"),
        ),
        pads=Part.objects.create(
            site=site, number="04465-02220", name="前刹车片", name_en="Front brake pads", unit="套"
        ),
        service=LabourOperation.objects.create(
            site=site,
            code="M10",
            name="一万公里保养",
            name_en="10,000 km service",
            standard_hours=Decimal("1.5"),
            work_type="maintenance",
        ),
        brakes=LabourOperation.objects.create(
            site=site,
            code="B01",
            name="更换刹车片",
            standard_hours=Decimal("0.8"),
            work_type="repair",
        ),
    )
    OperationPart.objects.create(operation=store.service, part=store.filter, quantity=Decimal("1"))
    OperationPart.objects.create(operation=store.service, part=store.oil, quantity=Decimal("4"))
    OperationPart.objects.create(operation=store.brakes, part=store.pads, quantity=Decimal("1"))
    manager = world.actor("as_manager")
    if Decimal(filters):
        receive(manager, store.filter, Decimal(filters), note="期初")
    if Decimal(oil):
        receive(manager, store.oil, Decimal(oil), note="期初")
    return store


def repair_order(world: World, title: str = "粤B·3K5X8 1万公里保养") -> Case:
    """An open repair order (the Toyota seven-step case) at the dealer."""
    return actions.open_case(
        world.actor("advisor"),
        procedure_key="toyota_seven_step",
        site_id=world.sites["dealer"].pk,
        channel="phone",
        title=title,
        customer_id=world.customers["driver"].pk,
        asset_id=world.assets["car"].pk,
        data={"plate_no": "粤B·3K5X8", "customer_request": "保养"},
    )
