"""Edits made in the Django admin still leave a row in the record history."""

from __future__ import annotations

import pytest

from fuwu.customers.models import Asset, RecordChange
from fuwu.testing.factories import World

pytestmark = pytest.mark.django_db


def test_an_admin_edit_of_an_asset_is_in_the_history(admin_client, world: World) -> None:
    car = world.assets["car"]
    response = admin_client.post(
        f"/admin/customers/asset/{car.pk}/change/",
        {
            "site": car.site_id,
            "kind": "vehicle",
            "label": "粤B·3K5X9",
            "owner": car.owner_id,
            "attributes": '{"vin": "LVGBE40K28G123456"}',
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Asset.objects.get(pk=car.pk).label == "粤B·3K5X9"
    row = RecordChange.objects.get(asset=car)
    assert row.action == "updated" and row.actor.is_superuser
    assert row.changes == {"label": {"from": "粤B·3K5X8", "to": "粤B·3K5X9"}}


def test_an_asset_added_in_the_admin_is_in_the_history(admin_client, world: World) -> None:
    response = admin_client.post(
        "/admin/customers/asset/add/",
        {
            "site": world.sites["lanting"].pk,
            "kind": "parking",
            "label": "B2-018",
            "owner": "",
            "attributes": "{}",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    asset = Asset.objects.get(label="B2-018")
    row = RecordChange.objects.get(asset=asset)
    assert row.action == "created"
    assert row.changes["label"] == {"from": None, "to": "B2-018"}
    assert row.changes["site"] == {"from": None, "to": world.sites["lanting"].pk}
