"""Cases for the document tests, opened through the actions, and a drawn signature."""

from __future__ import annotations

import io
from typing import Any

from PIL import Image, ImageDraw

from fuwu.cases import actions
from fuwu.cases.models import Case
from fuwu.testing.factories import World
from fuwu.web.tests.casesetup import move


def repair_case(world: World, **data: Any) -> Case:
    return actions.open_case(
        world.actor("agent"),
        procedure_key="property_repair",
        site_id=world.sites["lanting"].pk,
        channel="phone",
        title="厨房水管漏水",
        customer_id=world.customers["owner"].pk,
        asset_id=world.assets["unit"].pk,
        data={
            "repair_item": "厨房水管漏水",
            "location": "厨房水槽下",
            "service_type": "paid",
            **data,
        },
    )


def fee_case(world: World, *, notice: bool = False) -> Case:
    """A household's fee case; with `notice`, the notice's figures are entered (`printed`)."""
    case = actions.open_case(
        world.actor("agent"),
        procedure_key="fee_collection",
        site_id=world.sites["lanting"].pk,
        channel="system",
        title="2026年12月物业管理费",
        customer_id=world.customers["owner"].pk,
        asset_id=world.assets["unit"].pk,
        data={"billing_period": "2026年12月", "fee_type": "management_fee"},
    )
    if notice:
        form = {
            "notice_no": "2026-12-0815",
            "fee_basis": "area",
            "area": "80",
            "rate": "4.00",
            "fee_details": "80㎡ × 4.00 元/㎡",
            "pay_by": "2026-12-31",
        }
        case = move(world, case, "agent", "printed", form)
    return case


def signature_png(*, ink: bool = True, size: tuple[int, int] = (600, 200)) -> bytes:
    """A pad's PNG: transparent, with a stroke of dark ink unless `ink` is False."""
    image = Image.new("RGBA", size, (0, 0, 0, 0))
    if ink:
        draw = ImageDraw.Draw(image)
        draw.line(
            [(40, 150), (160, 40), (260, 140), (400, 60), (540, 120)],
            fill=(20, 20, 80, 255),
            width=6,
        )
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()
