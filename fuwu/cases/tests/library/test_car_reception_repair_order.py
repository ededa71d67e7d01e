"""Car after-sales reception & repair order (SPEC §9 row 21) walked through the HTTP API.

Seeds 售后服务工作流程 (FAW) and 轿车4s店售后服务工作流程 (BYD), 一、接待服务 1–10: preparation and
greeting, walk-around with the three-piece cover, questioning, fault confirmation against the
warranty rules (undetermined → full inspection; still undecided → the manufacturer's service
department), papers, parts stock, estimate and promised time, the signed repair order; extra
work only with the customer's authorisation. The test world runs 24×7: due = moment + limit.
"""

from __future__ import annotations

from typing import Any

from fuwu.cases.models import Event
from fuwu.cases.replay import differences
from fuwu.customers.models import RecordChange
from fuwu.testing.scenario import notes, owners, since, take

H = 3600
M = 60


def refused(client, case, key, form=None, checklist=None, *, status=400, code, fields=()):
    """A refused move: the status, the error code, every named field — and nothing changed."""
    body = take(client, case, key, form, checklist, expect=status)
    assert body["code"] == code, body
    for name in fields:
        assert name in body["details"].get("fields", {}), body
    after = client.get(f"/api/cases/{case['id']}").json()
    assert after["version"] == case["version"] and after["step"]["key"] == case["step"]["key"]
    return body


def where(case, step, department="aftersales", status="open"):
    assert case["step"]["key"] == step, case["step"]
    assert case["status"] == status, case["status"]
    assert case["department"]["code"] == department, case["department"]


def moves(case) -> list[str]:
    return [
        e.data["to"]
        for e in Event.objects.filter(case_id=case["id"], kind="transitioned").order_by("seq")
    ]


GREETED = {
    "advisor_groomed": True,
    "forms_tools_ready": True,
    "area_clean": True,
    "guided_parking": True,
    "standard_greeting": True,
    "reception_order": True,
}
WALKED = {
    "covers_fitted": True,
    "basic_info_entered": True,
    "walk_around_done": True,
    "check_in_sheet_filled": True,
}
PAPERS = {"licence_taken": True, "manual_taken": True, "seated_at_desk": True}
ORDER = {
    "payment_method": "card",
    "delivery_explained": True,
    "old_parts": "customer_takes",
    "free_wash": True,
    "extra_work_rule_told": True,
    "order_no": "RO-20260512-018",
    "customer_signed": True,
    "copies_handed": True,
}
PROMISED = "2026-05-12T16:30:00+08:00"


def open_reception(client, priority=None):
    body = {
        "procedure": "car_reception_repair_order",
        "site": "dealer",
        "channel": "walk_in",
        "title": "粤B·3K5X8 进站维修",
        "data": {"plate_no": "粤B·3K5X8"},
    }
    if priority:
        body["priority"] = priority
    r = client.post("/api/cases", body)
    assert r.status_code == 201, r.json()
    case = r.json()
    where(case, "greet")
    assert since(case, "step_due", "created_at") == 5 * M
    return case


def reception(adv, case, *, fault: dict[str, Any], confirm: str) -> dict[str, Any]:
    """Steps 1–6 of the seed: greeting, walk-around, questioning, fault confirmation, papers."""
    case = take(adv, case, "greeted", checklist=GREETED)
    where(case, "walk_around")
    assert since(case, "step_due") == 15 * M
    # The three-piece cover goes on in front of the customer; without it the check is not done.
    refused(
        adv,
        case,
        "checked",
        {"odometer": 48210, "check_in_sheet_no": "JC-0518"},
        {**WALKED, "covers_fitted": False},
        code="guard_failed",
    )
    case = take(
        adv,
        case,
        "checked",
        {
            "odometer": 48210,
            "fuel_level": "half",
            "body_damage": "右后门轻微划痕；车内无贵重物品",
            "check_in_sheet_no": "JC-0518",
        },
        WALKED,
    )
    where(case, "interview")
    case = take(
        adv,
        case,
        "asked",
        {"customer_concern": "刹车时有异响", "fault_description": "低速刹车时前轮吱吱响，已两周"},
    )
    where(case, "fault_confirm")
    assert since(case, "step_due") == 15 * M
    case = take(adv, case, confirm, fault)
    where(case, "documents")
    assert since(case, "step_due") == 10 * M
    refused(adv, case, "verified", {"vin": "LVGBE40K28G123456"}, code="invalid_form")
    body = refused(
        adv,
        case,
        "verified",
        {"vin": "LVGBE40K28G123456", "production_date": "去年"},
        PAPERS,
        code="invalid_form",
    )
    assert set(body["details"]["fields"]) == {"vehicle_model", "production_date"}
    case = take(
        adv,
        case,
        "verified",
        {
            "vin": "LVGBE40K28G123456",
            "vehicle_model": "比亚迪 秦PLUS",
            "production_date": "2021-08-02",
        },
        PAPERS,
    )
    assert case["data"]["vehicle_model"] == "比亚迪 秦PLUS"
    where(case, "parts_check")
    return case


def test_determined_fault_with_extra_work_asked_twice(world, api):
    adv, tech, cc, mgr = api("engineer"), api("workshop_tech"), api("cc_agent"), api("as_manager")
    case = open_reception(adv)
    assert since(case, "response_due", "created_at") == 10 * M
    assert since(case, "resolution_due", "created_at") == 16 * H
    # The workshop does not receive customers.
    refused(tech, case, "greeted", checklist=GREETED, status=403, code="role_not_allowed")
    refused(adv, case, "greeted", checklist={"advisor_groomed": True}, code="invalid_form")

    fault = {"fault_status": "determined", "warranty": "in_warranty", "explained": True}
    refused(adv, case, "decided", fault, code="unknown_transition")  # not a move on greet
    case = reception(adv, case, fault=fault, confirm="decided")
    assert case["first_response_at"] and case["data"]["warranty"] == "in_warranty"

    refused(adv, case, "checked", {"parts_status": "order_needed"}, code="guard_failed")
    case = take(adv, case, "checked", {"parts_status": "in_stock"})
    where(case, "estimate")
    estimate = {
        "recommended_items": "前刹车片磨损接近极限，建议同时更换",
        "labour_estimate": "180",
        "parts_estimate": "420.50",
        "entered_in_dms": True,
    }
    refused(adv, case, "estimated", estimate, code="invalid_form", fields=["promised_at"])
    refused(
        adv,
        case,
        "estimate_after_inspection",
        {"promised_at": PROMISED, "cost_after_inspection_told": True},
        code="guard_failed",
    )
    case = take(adv, case, "estimated", {**estimate, "promised_at": PROMISED})
    where(case, "repair_order")
    assert case["data"]["labour_estimate"] == "180.00" and case["data"]["promised_at"]

    # The customer's signature is required; the determined fault goes straight to repair.
    refused(adv, case, "to_workshop", {**ORDER, "customer_signed": False}, code="guard_failed")
    refused(adv, case, "to_diagnosis", ORDER, code="guard_failed")
    refused(
        adv,
        case,
        "to_workshop",
        {k: v for k, v in ORDER.items() if k != "order_no"},
        code="invalid_form",
        fields=["order_no"],
    )
    case = take(adv, case, "to_workshop", ORDER)
    where(case, "repair", "workshop")
    assert case["assignee"] is None and since(case, "step_due") == 4 * H
    assert notes(case) == ["as_manager"]  # the workshop's manager: a new order to dispatch

    # Extra work found: back to the advisor; nothing more is done without the customer's yes.
    refused(
        cc,
        case,
        "extra_work_found",
        {"extra_item": "x", "extra_cost": "1"},
        status=403,
        code="role_not_allowed",
    )
    refused(
        tech,
        case,
        "extra_work_found",
        {"extra_item": "前刹车盘磨损"},
        code="invalid_form",
        fields=["extra_cost"],
    )
    case = take(
        tech,
        case,
        "extra_work_found",
        {"extra_item": "前刹车盘磨损超限，需更换", "extra_cost": "680"},
    )
    where(case, "extra_work")
    assert since(case, "step_due") == 1 * H
    refused(
        tech,
        case,
        "extra_authorised",
        {"contact_method": "phone", "extra_authorised": True},
        status=403,
        code="role_not_allowed",
    )
    refused(
        adv,
        case,
        "extra_authorised",
        {"contact_method": "phone", "extra_authorised": False},
        code="guard_failed",
    )
    case = take(
        adv, case, "extra_authorised", {"contact_method": "phone", "extra_authorised": True}
    )
    where(case, "repair", "workshop")
    case = take(
        tech,
        case,
        "extra_work_found",
        {"extra_item": "空调滤芯脏污，建议更换", "extra_cost": "120"},
    )
    where(case, "extra_work")
    case = take(mgr, case, "extra_refused", {"contact_method": "phone", "extra_authorised": False})
    where(case, "repair", "workshop")
    assert (
        case["data"]["extra_item"] == "空调滤芯脏污，建议更换"
        and not case["data"]["extra_authorised"]
    )

    refused(
        tech,
        case,
        "done",
        {"work_done": "更换前刹车片及刹车盘"},
        code="invalid_form",
        fields=["labour_hours"],
    )
    case = take(tech, case, "done", {"work_done": "更换前刹车片及刹车盘", "labour_hours": 1.5})
    where(case, "handover", status="resolved")
    assert case["resolved_at"] == case["updated_at"] and since(case, "step_due") == 1 * H
    refused(
        adv,
        case,
        "delivered",
        {"final_amount": "1280.50", "work_explained": False},
        code="guard_failed",
    )
    case = take(adv, case, "delivered", {"final_amount": "1280.50", "work_explained": True})
    where(case, "delivered", status="closed")

    assert moves(case) == [
        "walk_around",
        "interview",
        "fault_confirm",
        "documents",
        "parts_check",
        "estimate",
        "repair_order",
        "repair",
        "extra_work",
        "repair",
        "extra_work",
        "repair",
        "handover",
        "delivered",
    ]
    assert owners(case) == [
        "aftersales",
        "workshop",
        "aftersales",
        "workshop",
        "aftersales",
        "workshop",
        "aftersales",
    ]
    assert notes(case) == ["as_manager"] * 3
    assert differences() == []


def test_undetermined_fault_is_inspected_before_the_cost_is_authorised(world, api):
    adv, tech, specialist = api("engineer"), api("workshop_tech"), api("specialist")
    case = open_reception(adv, priority="urgent")
    assert since(case, "response_due", "created_at") == 5 * M
    assert since(case, "resolution_due", "created_at") == 4 * H
    fault = {"fault_status": "undetermined", "explained": True}
    # BYD: the advisor consults a workshop technician or the technical director first.
    case = take(adv, case, "greeted", checklist=GREETED)
    case = take(
        adv,
        case,
        "checked",
        {"odometer": 132500, "check_in_sheet_no": "JC-0519"},
        WALKED,
    )
    case = take(adv, case, "asked", {"customer_concern": "发动机故障灯亮"})
    refused(adv, case, "decided", fault, code="invalid_form", fields=["warranty"])
    refused(adv, case, "needs_inspection", fault, code="invalid_form", fields=["workshop_contact"])
    refused(
        adv,
        case,
        "needs_inspection",
        {**fault, "workshop_contact": "nobody"},
        code="invalid_form",
        fields=["workshop_contact"],
    )
    case = take(adv, case, "needs_inspection", {**fault, "workshop_contact": "specialist"})
    where(case, "documents")
    case = take(
        adv, case, "verified", {"vin": "LVGBE40K28G654321", "vehicle_model": "一汽 奔腾B70"}, PAPERS
    )
    case = take(adv, case, "checked", {"parts_status": "after_inspection"})
    refused(
        adv,
        case,
        "estimated",
        {
            "promised_at": PROMISED,
            "labour_estimate": "0",
            "parts_estimate": "0",
            "entered_in_dms": True,
        },
        code="guard_failed",
    )
    refused(
        adv,
        case,
        "estimate_after_inspection",
        {"promised_at": PROMISED},
        code="invalid_form",
        fields=["cost_after_inspection_told"],
    )
    case = take(
        adv,
        case,
        "estimate_after_inspection",
        {"promised_at": PROMISED, "cost_after_inspection_told": True},
    )
    where(case, "repair_order")
    refused(adv, case, "to_workshop", ORDER, code="guard_failed")
    case = take(adv, case, "to_diagnosis", ORDER)
    where(case, "diagnosis", "workshop")
    assert since(case, "step_due") == 1 * H  # urgent

    refused(api("cc_agent"), case, "diagnosed", {}, status=403, code="role_not_allowed")
    diag = {"diagnosis_result": "氧传感器损坏", "warranty_conclusion": "out_of_warranty"}
    refused(
        tech, case, "diagnosed", diag, code="invalid_form", fields=["labour_cost", "parts_cost"]
    )
    refused(
        tech,
        case,
        "report_to_manufacturer",
        {**diag, "labour_cost": "150", "parts_cost": "560"},
        code="guard_failed",
    )
    # The workshop's step: its technician diagnoses (aftersales' specialist may not).
    refused(
        specialist,
        case,
        "diagnosed",
        {**diag, "labour_cost": "150", "parts_cost": "560"},
        status=403,
        code="step_owned_elsewhere",
    )
    case = take(tech, case, "diagnosed", {**diag, "labour_cost": "150", "parts_cost": "560"})
    where(case, "cost_approval")
    assert since(case, "step_due") == 30 * M
    refused(
        tech, case, "authorised", {"customer_authorised": True}, status=403, code="role_not_allowed"
    )
    refused(
        adv,
        case,
        "not_authorised",
        {"customer_authorised": True, "decline_reason": "x"},
        code="guard_failed",
    )
    case = take(adv, case, "authorised", {"customer_authorised": True})
    where(case, "repair", "workshop")
    assert since(case, "step_due") == 2 * H
    case = take(
        tech, case, "done", {"work_done": "更换前氧传感器，清除故障码", "labour_hours": 0.8}
    )
    case = take(adv, case, "delivered", {"final_amount": "710", "work_explained": True})
    where(case, "delivered", status="closed")
    assert moves(case) == [
        "walk_around",
        "interview",
        "fault_confirm",
        "documents",
        "parts_check",
        "estimate",
        "repair_order",
        "diagnosis",
        "cost_approval",
        "repair",
        "handover",
        "delivered",
    ]
    assert owners(case) == ["aftersales", "workshop", "aftersales", "workshop", "aftersales"]
    assert differences() == []


def test_undecided_warranty_waits_for_the_manufacturer_and_the_customer_declines(world, api):
    adv, tech, specialist = api("engineer"), api("workshop_tech"), api("specialist")
    case = open_reception(adv)
    fault = {"fault_status": "determined", "warranty": "unclear", "explained": True}
    case = take(adv, case, "greeted", checklist=GREETED)
    case = take(adv, case, "checked", {"odometer": 61000, "check_in_sheet_no": "JC-0520"}, WALKED)
    case = take(adv, case, "asked", {"customer_concern": "变速箱换挡冲击"})
    refused(adv, case, "decided", fault, code="guard_failed")
    case = take(adv, case, "warranty_unclear", fault)
    case = take(
        adv, case, "verified", {"vin": "LVGBE40K28G777777", "vehicle_model": "一汽 奔腾B70"}, PAPERS
    )
    refused(adv, case, "checked", {"parts_status": "order_needed"}, code="guard_failed")
    case = take(
        adv,
        case,
        "checked",
        {"parts_status": "order_needed", "parts_eta": "2026-05-15T10:00:00+08:00"},
    )
    case = take(
        adv,
        case,
        "estimated",
        {
            "labour_estimate": "600",
            "parts_estimate": "3200",
            "entered_in_dms": True,
            "promised_at": PROMISED,
        },
    )
    refused(adv, case, "to_workshop", ORDER, code="guard_failed")  # warranty still unclear
    case = take(adv, case, "to_diagnosis", ORDER)
    where(case, "diagnosis", "workshop")

    diag = {"diagnosis_result": "阀体电磁阀卡滞，疑似制造缺陷", "warranty_conclusion": "unclear"}
    refused(
        tech,
        case,
        "diagnosed",
        {**diag, "labour_cost": "600", "parts_cost": "3200"},
        code="guard_failed",
    )
    case = take(tech, case, "report_to_manufacturer", diag)
    where(case, "manufacturer_ruling")
    assert case["status"] == "open" and since(case, "step_due") == 16 * H
    refused(tech, case, "ruling_received", {}, status=403, code="role_not_allowed")
    refused(
        specialist,
        case,
        "ruling_received",
        {"manufacturer_ref": "BYD-SR-5521", "manufacturer_ruling": "warranty_refused"},
        code="invalid_form",
        fields=["labour_cost", "parts_cost"],
    )
    case = take(
        specialist,
        case,
        "ruling_received",
        {
            "manufacturer_ref": "BYD-SR-5521",
            "manufacturer_ruling": "warranty_refused",
            "labour_cost": "600",
            "parts_cost": "3200",
        },
    )
    where(case, "cost_approval")
    refused(
        adv,
        case,
        "not_authorised",
        {"customer_authorised": False},
        code="invalid_form",
        fields=["decline_reason"],
    )
    case = take(
        adv,
        case,
        "not_authorised",
        {"customer_authorised": False, "decline_reason": "费用过高，顾客自行处理"},
    )
    where(case, "declined", status="rejected")
    assert case["closed_at"] and case["resolved_at"] is None
    assert moves(case)[-4:] == ["diagnosis", "manufacturer_ruling", "cost_approval", "declined"]
    assert owners(case) == ["aftersales", "workshop", "aftersales"]
    assert notes(case) == ["as_manager", "as_manager"]
    assert differences() == []


def test_customer_leaves_or_does_not_sign(world, api):
    adv = api("engineer")
    case = open_reception(adv)
    refused(adv, case, "customer_left", {}, code="invalid_form", fields=["cancel_reason"])
    case = take(adv, case, "customer_left", {"cancel_reason": "排队太久，顾客离店"})
    where(case, "cancelled", status="cancelled")

    other = open_reception(adv)
    fault = {"fault_status": "determined", "warranty": "out_of_warranty", "explained": True}
    other = reception(adv, other, fault=fault, confirm="decided")
    other = take(adv, other, "checked", {"parts_status": "in_stock"})
    other = take(
        adv,
        other,
        "estimated",
        {
            "labour_estimate": "80",
            "parts_estimate": "0",
            "entered_in_dms": True,
            "promised_at": PROMISED,
        },
    )
    other = take(adv, other, "customer_declines", {"decline_reason": "顾客认为价格偏高，暂不维修"})
    where(other, "declined", status="rejected")
    assert moves(case) == ["cancelled"] and moves(other)[-2:] == ["repair_order", "declined"]
    assert differences() == []


# -- the walk-around reading goes to the vehicle -------------------------------------------------


def test_the_walk_around_writes_the_vehicles_mileage(world, api):
    adv = api("specialist")
    car = world.assets["car"]
    body = {
        "procedure": "car_reception_repair_order",
        "site": "dealer",
        "channel": "walk_in",
        "title": "粤B·3K5X8 进站维修",
        "customer_id": world.customers["driver"].pk,
        "asset_id": car.pk,
        "data": {"plate_no": "粤B·3K5X8"},
    }
    r = adv.post("/api/cases", body)
    assert r.status_code == 201, r.json()
    case = take(adv, r.json(), "greeted", checklist=GREETED)
    case = take(adv, case, "checked", {"odometer": 48210, "check_in_sheet_no": "JC-0518"}, WALKED)
    where(case, "interview")
    car.refresh_from_db()
    assert car.attributes == {"vin": "LVGBE40K28G123456", "odometer_km": 48210}
    event = Event.objects.get(case_id=case["id"], kind="asset_updated")
    assert event.data == {
        "record": car.pk,
        "changes": {"odometer_km": {"from": None, "to": 48210}},
    }
    assert RecordChange.objects.get(asset=car).case_id == case["id"]
    assert differences() == []
