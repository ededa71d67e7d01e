"""The parts catalogue in the Django admin: the list shows the stock figures, which are
read-only there; an operation lists its usual parts, only parts of its own site."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from fuwu.scheduling.models import OperationPart, Part
from fuwu.scheduling.tests.crew import seed_workshop
from fuwu.scheduling.tests.stores import seed_store
from fuwu.testing.factories import World

pytestmark = pytest.mark.django_db


def test_the_part_list_shows_the_figures(admin_client: Any, world: World) -> None:
    workshop = seed_workshop(world)
    store = seed_store(world, workshop, filters="7", oil="40")
    Part.objects.create(site=workshop.site, number="NEW-1", name="新配件")  # never stocked
    html = admin_client.get("/admin/scheduling/part/").content.decode()
    assert "90915-YZZD2" in html and "NEW-1" in html and "在库" in html
    page = admin_client.get(f"/admin/scheduling/part/{store.filter.pk}/change/").content.decode()
    assert "7.00" in page and 'name="stock-0-on_hand"' not in page  # shown, not editable


def _operation_form(operation: Any, part: Part) -> dict[str, Any]:
    return {
        "site": operation.site_id,
        "code": operation.code,
        "name": operation.name,
        "name_en": operation.name_en,
        "standard_hours": "1.5",
        "work_type": operation.work_type,
        "skill": "",
        "parts-TOTAL_FORMS": "1",
        "parts-INITIAL_FORMS": "0",
        "parts-MIN_NUM_FORMS": "0",
        "parts-MAX_NUM_FORMS": "1000",
        "parts-0-part": part.pk,
        "parts-0-quantity": "2",
    }


def test_an_operations_usual_parts_are_its_own_sites(admin_client: Any, world: World) -> None:
    workshop = seed_workshop(world)
    store = seed_store(world, workshop)
    other = Part.objects.create(site=world.sites["lanting"], number="L-1", name="灯泡")
    url = f"/admin/scheduling/labouroperation/{store.brakes.pk}/change/"
    refused = admin_client.post(url, _operation_form(store.brakes, other))
    assert refused.status_code == 200
    assert "配件须属于工时项目所在的项目。" in refused.content.decode()
    assert not OperationPart.objects.filter(part=other).exists()
    OperationPart.objects.filter(operation=store.brakes).delete()
    done = admin_client.post(url, _operation_form(store.brakes, store.filter))
    assert done.status_code == 302, done.content.decode()[:2000]
    usual = OperationPart.objects.get(operation=store.brakes)
    assert (usual.part, usual.quantity) == (store.filter, Decimal("2"))
