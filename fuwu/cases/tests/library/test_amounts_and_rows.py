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

from fuwu.cases.models import Case, Event
from fuwu.sla.clocks import forget_calendars
from fuwu.testing.factories import World, build_world
from fuwu.testing.scenario import refused, take, where

# Also on PostgreSQL (line items and amounts summed): fuwu.testing.placement.runs_on_postgres.
pytestmark = pytest.mark.postgres_too

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
    assert body["details"]["fields"] == {"charge": "此项自动计算，不能填写"}
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


# -- hot-pot: the order lines make the dish count and dishes per person ----------------------------


def test_order_lines_count_the_dishes_per_person(world, api):
    from fuwu.cases.tests.library import test_hotpot_table_service as hotpot

    waiter = api("waiter")
    case = hotpot.seat_and_pour(waiter, hotpot.open_table(waiter, "9"), guests=4)
    order = hotpot.lines("毛肚 大份 2", "鸭肠 - 3", "肥牛 小份 4", "土豆 - 1")
    bad = [*order[:1], {"dish": "虾滑", "quantity": 0}]
    body = refused(
        waiter,
        case,
        "read_back",
        {"soup_base": "红汤锅", "order_items": bad},
        hotpot.SUGGESTED,
        code="invalid_form",
        fields=["order_items.1.quantity"],
    )
    assert body["details"]["fields"]["order_items.1.quantity"] == "不能小于 1"
    case = take(
        waiter, case, "read_back", {"soup_base": "红汤锅", "order_items": order}, hotpot.SUGGESTED
    )
    assert case["data"]["dish_count"] == 10  # 2 + 3 + 4 + 1
    assert case["data"]["dishes_per_person"] == 2.5  # within the seed's 2–3 a person


# -- 4S reception: the estimate as lines, the amount charged against it at delivery -----------------


def test_estimate_lines_and_the_amount_charged_against_them(world, api):
    from fuwu.cases.tests.library import test_car_reception_repair_order as car

    adv, tech = api("engineer"), api("workshop_tech")
    case = car.open_reception(adv)
    fault = {"fault_status": "determined", "warranty": "in_warranty", "explained": True}
    case = car.reception(adv, case, fault=fault, confirm="decided")
    case = take(adv, case, "checked", {"parts_status": "in_stock"})
    lines = [
        {"kind": "labour", "item": "更换前刹车片", "quantity": 1.5, "unit_price": "120.00"},
        {"kind": "parts", "item": "前刹车片", "quantity": 1, "unit_price": "420.50"},
        {"kind": "parts", "item": "刹车油 DOT4", "quantity": 2, "unit_price": "35.00"},
    ]
    refused(
        adv,
        case,
        "estimated",
        {"estimate_lines": [{**lines[0], "kind": "paint"}], "entered_in_dms": True},
        code="invalid_form",
        fields=["estimate_lines.0.kind"],
    )
    case = take(
        adv,
        case,
        "estimated",
        {"estimate_lines": lines, "entered_in_dms": True, "promised_at": car.PROMISED},
    )
    data = case["data"]
    assert [row["amount"] for row in data["estimate_lines"]] == ["180.00", "420.50", "70.00"]
    assert data["labour_estimate"] == "180.00" and data["parts_estimate"] == "490.50"
    assert data["estimate_total"] == "670.50"
    case = take(adv, case, "to_workshop", car.ORDER)
    case = take(tech, case, "done", {"work_done": "更换前刹车片、刹车油", "labour_hours": 1.5})
    case = take(adv, case, "delivered", {"final_amount": "720.50", "work_explained": True})
    assert case["data"]["final_vs_estimate"] == "50.00"  # ¥720.50 charged, ¥670.50 estimated


# -- Toyota: the estimate added up from its lines; actual against estimate -------------------------


def test_toyota_estimate_from_lines(world, api):
    from fuwu.cases.tests.library import test_toyota_seven_step as toyota

    adv = api("engineer")
    case = toyota.open_visit(world, adv)
    case = take(adv, case, "walk_in", {"visit_type": "walk_in", "job_type": "repair"})
    case = take(
        adv, case, "received", {"odometer": 40120, "key_tag": "K-17 / P-05"}, toyota.RECEIVED
    )
    lines = [
        {"kind": "labour", "item": "4万公里保养", "quantity": 2.3, "unit_price": "150.00"},
        {"kind": "parts", "item": "机油 5W-30 4L", "quantity": 1, "unit_price": "389.00"},
        {"kind": "parts", "item": "机滤", "quantity": 1, "unit_price": "65.00"},
    ]
    order = {k: v for k, v in toyota.ORDER.items() if k != "estimate"}
    case = take(adv, case, "release", {**order, "estimate_lines": lines})
    assert case["data"]["estimate"] == "799.00"  # 2.3 h × ¥150 + ¥389 + ¥65


def test_toyota_actual_against_the_estimate_on_the_definition():
    from pathlib import Path

    from fuwu.procedures.engine.computed import recompute
    from fuwu.procedures.engine.validate import load_file

    library = Path(__file__).resolve().parents[3] / "procedures" / "library"
    toyota = load_file(library / "toyota_seven_step.yaml").procedure
    assert toyota is not None
    assert recompute(toyota, {"estimate": "799.00", "actual_amount": "856.50"}, None) == {
        "variance": "57.50"
    }


# -- opinion survey: declared answers the campaign summary counts ----------------------------------


def test_survey_campaign_counts_the_topics_chosen(world, api):
    from fuwu.customers.models import Asset

    for floor in (1, 2, 3):
        Asset.objects.create(
            site=world.sites["lanting"],
            kind="unit",
            label=f"9栋{floor}01",
            owner=world.customers["owner"],
            attributes={"building": "9"},
        )
    agent = api("agent")
    r = agent.post(
        "/api/campaigns",
        {
            "procedure": "opinion_survey",
            "site": "lanting",
            "title": "2026年下半年意见征询",
            "asset_kind": "unit",
            "where": {"building": "9"},
            "data": {"survey_method": "area_walk", "survey_round": "2026年下半年"},
        },
    )
    assert r.status_code == 201, r.json()
    campaign = r.json()
    ids = (
        Case.objects.filter(campaign_id=campaign["id"]).order_by("pk").values_list("pk", flat=True)
    )
    answers = [["cleaning", "parking"], ["parking"], ["greenery", "parking"]]
    for case_id, topics in zip(ids, answers, strict=True):
        case = agent.get(f"/api/cases/{case_id}").json()
        case = take(agent, case, "visited")
        record = {"opinions": "车位紧张", "problem_found": False, "topics": topics}
        case = take(agent, case, "no_problem", record)
        assert case["data"]["topics"] == [t for t in TOPICS if t in topics]
    bad = take(
        agent,
        agent.get(f"/api/cases/{ids[0]}").json(),
        "archive",
        {"satisfaction": "x"},
        expect=400,
    )
    assert bad["code"] == "invalid_form"
    progress = agent.get(f"/api/campaigns/{campaign['id']}").json()["progress"]
    assert progress["answers"]["topics"] == {"parking": 3, "cleaning": 1, "greenery": 1}
    assert progress["answers"]["problem_found"] == {"false": 3}


TOPICS = ["security", "cleaning", "greenery", "repairs", "fees", "facilities", "parking"]


# -- gas activation: the week's household list as rows ---------------------------------------------


def test_gas_week_list_rows_count_the_households(world, api):
    agent = api("agent")
    case = open_case(
        world,
        agent,
        "gas_activation",
        {"applicant_name": "王芳", "contact_phone": "13812345678"},
        channel="walk_in",
    )
    case = take(agent, case, "registered", {}, {"owner_verified": True})
    week = [
        {"unit_no": "3栋2单元1502", "owner_name": "王芳", "phone": "13812345678"},
        {"unit_no": "3栋2单元1601", "owner_name": "李强"},
        {"unit_no": "5栋1单元0802", "owner_name": "陈静", "gas_meter_no": "RQ-0802"},
    ]
    refused(
        agent,
        case,
        "date_set",
        {"activation_date": "2026-12-11", "week_list": [week[0], {"unit_no": "3栋2单元1601"}]},
        code="invalid_form",
        fields=["week_list.1.owner_name"],
    )
    case = take(agent, case, "date_set", {"activation_date": "2026-12-11", "week_list": week})
    assert case["data"]["households_reported"] == 3
    assert case["data"]["week_list"][1] == {
        "unit_no": "3栋2单元1601",
        "owner_name": "李强",
        "phone": None,
        "gas_meter_no": None,
    }


# -- house handover: the family members as rows ------------------------------------------------------


def test_handover_family_members_as_rows(world, api):
    from fuwu.cases.tests.library import test_house_handover as handover
    from fuwu.testing.scenario import complete

    handover.add_sales_clerk(world)
    agent = api("agent")
    case = handover.to_prerequisites(world, api)
    case = take(agent, case, "proceed", checklist=handover.ALL_DONE)
    members = [
        {"name": "王芳", "relation": "owner", "id_number": "440301198805061234"},
        {"name": "张伟", "relation": "spouse"},
        {"name": "张小雨", "relation": "child"},
    ]
    bad = complete(
        agent,
        case,
        "registration",
        {
            "members": [*members, {"name": "王阿姨", "relation": "nanny"}],
            "id_copies": 3,
            "photos": 6,
        },
        {"registration_form_filled": True},
        expect=400,
    )
    assert "members.3.relation" in bad["details"]["fields"]
    case = complete(
        agent,
        case,
        "registration",
        {"members": members, "id_copies": 3, "photos": 6},
        {"registration_form_filled": True},
    )
    assert case["data"]["family_members"] == 3  # counted from the rows
    assert [m["relation"] for m in case["data"]["members"]] == ["owner", "spouse", "child"]


# -- community event: the registrants as rows ------------------------------------------------------


def test_event_registrants_add_up_to_the_participants(world, api):
    from fuwu.cases.tests.library import test_community_event as event
    from fuwu.testing.scenario import complete

    agent, vp = api("agent"), api("vp")
    case = event.open_case(world, agent)
    case = take(agent, case, "submit", event.PLAN)
    case = take(vp, case, "approve", {"approval_note": "同意"})
    case = take(agent, case, "start_preparation", event.ARRANGE)
    registrants = [
        {"unit_no": "3栋1502", "name": "王芳", "people": 3},
        {"unit_no": "5栋0802", "name": "陈静", "people": 2, "phone": "13900000000"},
    ]
    bad = complete(
        agent,
        case,
        "registration",
        {"registrants": [{"unit_no": "1栋", "name": "x", "people": 0}]},
        expect=400,
    )
    assert bad["details"]["fields"]["registrants.0.people"] == "不能小于 1"
    case = complete(agent, case, "registration", {"registrants": registrants})
    assert case["data"]["registered_participants"] == 5
