"""The seeds' amounts and rows, computed by the procedures and walked through the HTTP API.

Line items (`type: lines`) go in and come out of the API as lists of rows; their computed columns
and the computed fields (charges, fees, outstanding amounts, totals) are the engine's, never the
client's. Bad rows come back as errors per row and column (`materials.1.quantity`), in the
caller's language, and change nothing. The sites run on their real working calendar.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
import time_machine

from fuwu.cases.models import Event
from fuwu.sla.clocks import forget_calendars
from fuwu.testing.factories import World, build_world
from fuwu.testing.scenario import refused, take, where

MONDAY_10 = datetime.fromisoformat("2026-12-07T10:00:00+08:00")  # a working morning


@pytest.fixture
def world(library: None) -> World:
    forget_calendars()
    return build_world(always_open=False)


@pytest.fixture(autouse=True)
def _working_morning() -> Any:
    with time_machine.travel(MONDAY_10, tick=False):
        yield


def open_case(world: World, client: Any, procedure: str, data: dict[str, Any], **extra: Any) -> Any:
    body = {
        "procedure": procedure,
        "site": "lanting",
        "channel": "phone",
        "title": "测试",
        "customer_id": world.customers["owner"].pk,
        "asset_id": world.assets["unit"].pk,
        "data": data,
        **extra,
    }
    r = client.post("/api/cases", body)
    assert r.status_code == 201, r.json()
    return r.json()


# -- property repair: the charge is labour + materials -------------------------------------------

LABOUR = [{"work": "更换角阀", "hours": 1.5, "rate": "60.00"}]
MATERIALS = [
    {"item": "角阀 DN15", "quantity": 2, "unit_price": "35.50"},
    {"item": "生料带", "quantity": 1, "unit_price": "3.00"},
]


def repaired(world: World, api: Any) -> tuple[Any, Any]:
    agent, dispatcher, tech = api("agent"), api("dispatcher"), api("technician")
    case = open_case(
        world,
        agent,
        "property_repair",
        {"repair_item": "卫生间角阀漏水", "service_type": "paid"},
    )
    case = take(agent, case, "issue_work_order", {"details_confirmed": True})
    case = take(dispatcher, case, "repair_now", {"repair_mode": "immediate"})
    case = take(
        tech,
        case,
        "complete",
        {"diagnosis": "角阀老化", "solution": "更换角阀", "owner_agreed": True},
        {"fault_fixed": True, "site_clean": True},
    )
    where(case, "record_result", "resolved", "engineering")
    return tech, case


def test_paid_repair_charge_is_computed_from_labour_and_materials(world, api):
    tech, case = repaired(world, api)
    form = api("technician").get(f"/api/cases/{case['id']}/transitions").json()["form"]
    lines = {f["key"]: f for f in form}
    assert lines["materials"]["type"] == "lines"
    assert [c["key"] for c in lines["materials"]["columns"]] == [
        "item",
        "quantity",
        "unit_price",
        "amount",
    ]
    assert lines["materials"]["columns"][3]["computed"] and lines["charge"]["computed"]

    # No lines: no charge, so the paid path cannot go to finance yet.
    refused(tech, case, "to_finance", {"result": "已更换"}, code="invalid_form", fields=["charge"])
    case = take(
        tech,
        case,
        "to_finance",
        # A computed column sent back (as read from the API) is ignored and recomputed.
        {
            "result": "已更换",
            "labour": LABOUR,
            "materials": [MATERIALS[0] | {"amount": "1.00"}, MATERIALS[1]],
        },
    )
    where(case, "finance_entry", "resolved", "finance")
    data = case["data"]
    assert data["labour"] == [
        {"work": "更换角阀", "hours": 1.5, "rate": "60.00", "amount": "90.00"}
    ]
    assert [row["amount"] for row in data["materials"]] == ["71.00", "3.00"]
    assert data["charge"] == "164.00"  # 1.5 h × ¥60 + 2 × ¥35.50 + ¥3.00
    event = Event.objects.filter(case_id=case["id"], kind="transitioned").order_by("-seq").first()
    assert event is not None and event.data["computed"] == {"charge": "164.00"}

    case = take(api("finance"), case, "entered", {"receipt_no": "SJ-2026-0012"})
    case = take(api("agent"), case, "archive", {"visit_method": "phone", "satisfied": True})
    where(case, "archived", "closed", "service_center")
    assert case["data"]["charge"] == "164.00"


def test_bad_rows_are_refused_per_row_and_column_in_both_languages(world, api):
    tech, case = repaired(world, api)
    bad = [
        {"item": "角阀", "quantity": -2, "unit_price": "35.50"},
        {"quantity": 1, "unit_price": "3.00"},
        {"item": "胶", "quantity": 1, "unit_price": "3.00", "colour": "白"},
    ]
    body = refused(
        tech,
        case,
        "to_finance",
        {"result": "已更换", "materials": bad},
        code="invalid_form",
        fields=["materials.0.quantity", "materials.1.item", "materials.2.colour"],
    )
    assert body["details"]["fields"]["materials.0.quantity"] == "不能小于 0"
    assert body["details"]["fields"]["materials.1.item"] == "必填"
    english = refused(
        api("technician", "en"),
        case,
        "to_finance",
        {"result": "done", "materials": bad},
        code="invalid_form",
    )
    assert english["details"]["fields"]["materials.0.quantity"] == "Must be at least 0"
    assert english["details"]["fields"]["materials.2.colour"] == "The rows have no such column"
    too_many = [{"work": "x", "hours": 1, "rate": "1.00"}] * 21
    body = refused(tech, case, "to_finance", {"labour": too_many}, code="invalid_form")
    assert body["details"]["fields"]["labour"] == "最多 20 行"
    body = refused(tech, case, "to_finance", {"result": "x", "charge": "1.00"}, code="invalid_form")
    assert body["details"]["fields"] == {"charge": "此项自动计算,不能填写"}
    assert "materials" not in api("technician").get(f"/api/cases/{case['id']}").json()["data"]


# -- fee collection: area × rate or readings × rate; partial payments -----------------------------

NOTICE = {"notice_no": "JF-202612-1502", "fee_details": "物业管理费", "pay_by": "2026-12-31"}
PAYMENT = {"receipt_no": "SJ-0001", "payment_method": "mobile"}


def handed_out(world: World, api: Any, notice: dict[str, Any]) -> Any:
    agent = api("agent")
    case = open_case(
        world,
        agent,
        "fee_collection",
        {"billing_period": "2026年12月", "fee_type": "management_fee"},
        channel="walk_in",
    )
    form = {f["key"]: f for f in agent.get(f"/api/cases/{case['id']}/transitions").json()["form"]}
    assert {"area", "rate", "last_reading", "reading"} <= set(form)
    case = take(agent, case, "printed", {**NOTICE, **notice})
    case = take(api("finance"), case, "correct", {"notice_correct": True})
    return take(agent, case, "handed_out", {"hand_out_method": "in_person"})


def test_fee_is_area_times_rate(world, api):
    case = handed_out(world, api, {"fee_basis": "area", "area": 120, "rate": "2.50"})
    assert case["data"]["amount_due"] == "300.00"  # 120 m² × ¥2.50, the seed's example


def test_fee_is_readings_times_rate_and_a_typed_amount_stands(world, api):
    case = handed_out(
        world, api, {"fee_basis": "meter", "last_reading": 1203.5, "reading": 1350, "rate": "0.62"}
    )
    assert case["data"]["amount_due"] == "90.83"  # (1350 − 1203.5) × ¥0.62 = 90.83
    typed = handed_out(
        world, api, {"fee_basis": "area", "area": 120, "rate": "2.50", "amount_due": "280.00"}
    )
    assert typed["data"]["amount_due"] == "280.00"


def test_a_fee_that_cannot_be_computed_must_be_typed(world, api):
    agent = api("agent")
    case = open_case(
        world,
        agent,
        "fee_collection",
        {"billing_period": "2026年12月", "fee_type": "utilities"},
        channel="walk_in",
    )
    # A reading below the last one gives no (negative) fee: the amount is asked for.
    refused(
        agent,
        case,
        "printed",
        {**NOTICE, "fee_basis": "meter", "last_reading": 500, "reading": 400, "rate": "1.00"},
        code="invalid_form",
        fields=["amount_due"],
    )


def test_partial_payments_until_nothing_is_outstanding(world, api):
    agent = api("agent")
    case = handed_out(world, api, {"fee_basis": "area", "area": 120, "rate": "2.50"})
    assert case["data"]["outstanding"] == "300.00"
    case = take(agent, case, "part_paid", {**PAYMENT, "amount_paid": "100.00"})
    where(case, "awaiting_payment", "waiting", "service_center")
    assert case["data"]["amount_received"] == "100.00"
    assert case["data"]["outstanding"] == "200.00"
    # Paying less than the outstanding amount is not "paid"; paying all of it is not "part".
    refused(agent, case, "paid", {**PAYMENT, "amount_paid": "150.00"}, code="guard_failed")
    refused(agent, case, "part_paid", {**PAYMENT, "amount_paid": "200.00"}, code="guard_failed")
    case = take(agent, case, "paid", {**PAYMENT, "receipt_no": "SJ-0002", "amount_paid": "200.00"})
    where(case, "statistics", "resolved", "finance")
    assert case["data"]["amount_received"] == "300.00"
    assert case["data"]["outstanding"] == "0.00"
    assert case["data"]["in_arrears"] is False
