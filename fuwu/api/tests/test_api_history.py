"""GET /api/customers/{id}/cases and /api/assets/{id}/cases: newest first, paginated, only what
the caller may see (fuwu.cases.history)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from fuwu.cases import actions
from fuwu.cases.models import Case
from fuwu.customers.models import Customer

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def _repair(world, title, at):
    with time_machine.travel(at, tick=False):
        return actions.open_case(
            world.actor("agent"),
            procedure_key="property_repair",
            site_id=world.sites["lanting"].pk,
            channel="phone",
            title=title,
            customer_id=world.customers["owner"].pk,
            asset_id=world.assets["unit"].pk,
            data={"repair_item": title, "service_type": "free"},
        )


def _call(world, customer, title, at):
    with time_machine.travel(at, tick=False):
        return actions.open_case(
            world.actor("cc_agent"),
            procedure_key="after_sales_call_center",
            site_id=world.sites["dealer"].pk,
            channel="phone",
            title=title,
            customer_id=customer.pk,
            asset_id=world.assets["car"].pk,
            data={"request": title},
        )


def test_a_customers_cases_newest_first_in_pages(world, api):
    a = _repair(world, "门锁坏了", T0)
    b = _repair(world, "厨房漏水", T0 + timedelta(days=1))
    c = _repair(world, "灯不亮", T0 + timedelta(days=2))
    Case.objects.filter(pk=a.pk).update(status="closed", closed_at=T0 + timedelta(hours=5))
    owner = world.customers["owner"].pk
    first = api("agent").get(f"/api/customers/{owner}/cases", page_size=2)
    assert first.status_code == 200, first.content
    body = first.json()
    assert body["count"] == 3
    assert [row["id"] for row in body["items"]] == [c.pk, b.pk]
    assert body["items"][0]["number"] == c.number
    assert body["items"][0]["procedure"] == "property_repair"
    assert body["items"][0]["procedure_name"] == "物业报修"
    assert body["items"][0]["asset"]["label"] == "3栋2单元1502"
    second = api("agent").get(f"/api/customers/{owner}/cases", page_size=2, page=2).json()
    assert [(row["id"], row["open"], row["status"]) for row in second["items"]] == [
        (a.pk, False, "closed")
    ]
    english = api("agent", "en-us").get(f"/api/customers/{owner}/cases").json()
    assert english["items"][0]["procedure_name"] == "Property repair"


def test_a_vehicles_cases_include_those_of_its_earlier_owner(world, api):
    buyer = Customer.objects.create(site=world.sites["dealer"], name="赵敏", phone="13700001111")
    old = _call(world, world.customers["driver"], "异响", T0)
    new = _call(world, buyer, "保养预约", T0 + timedelta(days=30))
    car = world.assets["car"].pk
    rows = api("cc_agent").get(f"/api/assets/{car}/cases").json()["items"]
    assert [r["id"] for r in rows] == [new.pk, old.pk]
    mine = api("cc_agent").get(f"/api/customers/{buyer.pk}/cases").json()["items"]
    assert [r["id"] for r in mine] == [new.pk]


def test_others_sites_are_not_found(world, api):
    _call(world, world.customers["driver"], "异响", T0)
    driver, car = world.customers["driver"].pk, world.assets["car"].pk
    for path in (f"/api/customers/{driver}/cases", f"/api/assets/{car}/cases"):
        refused = api("agent").get(path)  # a Lanting agent: the dealer is not theirs
        assert refused.status_code == 404
        assert refused.json()["code"] == "not_found"
        assert api("vp").get(path).json()["count"] == 1  # the VP works at every site
    assert api(None).get(f"/api/customers/{driver}/cases").status_code == 401


def test_the_page_size_is_bounded_and_declared(world, api):
    owner = world.customers["owner"].pk
    assert api("agent").get(f"/api/customers/{owner}/cases", page=0).status_code == 422
    schema = api("agent").get("/api/openapi.json").json()
    for path in ("/api/customers/{customer_id}/cases", "/api/assets/{asset_id}/cases"):
        responses = schema["paths"][path]["get"]["responses"]
        assert {"200", "404", "422"} <= set(responses)
