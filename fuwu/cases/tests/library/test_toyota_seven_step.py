"""Toyota seven-step service (SPEC §9 row 22, toyota_seven_step.yaml) walked through the HTTP API.

Seed 服务程序(七步法服务程序): appointment, reception, repair order, dispatch & production, quality
control (a failure goes back to the technician as an internal comeback), delivery (estimate
against actual, payment), follow-up within three days on the seven areas. The test world runs
24×7, so every deadline is exactly "moment + limit".
"""

from __future__ import annotations

from fuwu.cases.models import Event
from fuwu.cases.replay import differences
from fuwu.customers import actions as customer_actions
from fuwu.customers.models import RecordChange
from fuwu.notifications.models import Notification
from fuwu.testing.scenario import assign, kinds, notes, owners, since, take

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


def where(case, step, department="aftersales", status="open", assignee=None):
    assert case["step"]["key"] == step, case["step"]
    assert case["status"] == status, case["status"]
    assert case["department"]["code"] == department, case["department"]
    assert (case["assignee"] or {}).get("username") == assignee, case["assignee"]


def moves(case) -> list[str]:
    return [
        e.data["to"]
        for e in Event.objects.filter(case_id=case["id"], kind="transitioned").order_by("seq")
    ]


RECEIVED = {
    "greeted": True,
    "history_reviewed": True,
    "covers_fitted": True,
    "walk_around": True,
    "explained": True,
    "valuables_checked": True,
    "parts_inspection_asked": True,
    "customer_signed": True,
}
ORDER = {
    "order_no": "RO-000318",
    "vin": "LVGBE40K28G123456",
    "registration_date": "2022-03-15",
    "vehicle_model": "卡罗拉 1.8L CVT",
    "production_date": "2022-01-20",
    "payment_method": "card",
    "work_type": "maintenance",
    "estimate": "1200",
    "promised_at": "2026-05-12T13:30:00+08:00",
    "follow_up_method": "phone",
    "keep_old_parts": False,
}
QC_OK = {
    "request_done": True,
    "work_described": True,
    "parts_checked": True,
    "vehicle_clean": True,
    "road_test": "路试10公里，制动无异响",
    "signed": True,
}
SATISFIED = {
    "contact_method": "phone",
    "sat_courtesy": True,
    "sat_repair": True,
    "sat_price": True,
    "sat_timeliness": True,
    "sat_cleanliness": True,
    "sat_explanation": True,
    "sat_facilities": True,
}
WORK = {
    "work_performed": "更换机油机滤；前刹车片更换",
    "cause": "刹车片磨损到限",
    "labour_hours": 2.3,
}


def open_visit(world, client, priority=None):
    body = {
        "procedure": "toyota_seven_step",
        "site": "dealer",
        "channel": "phone",
        "title": "粤B·3K5X8 4万公里保养",
        "customer_id": world.customers["driver"].pk,
        "asset_id": world.assets["car"].pk,
        "data": {"plate_no": "粤B·3K5X8", "customer_request": "4万公里保养；低速刹车有异响"},
    }
    if priority:
        body["priority"] = priority
    r = client.post("/api/cases", body)
    assert r.status_code == 201, r.json()
    case = r.json()
    where(case, "appointment")
    assert since(case, "step_due", "created_at") == 15 * M
    return case


def receive(adv, case):
    """Steps 2 and 3: reception, then the repair order released to the workshop."""
    where(case, "reception")
    assert since(case, "step_due") == 15 * M
    refused(
        adv,
        case,
        "received",
        {"odometer": 40120, "key_tag": "K-17 / P-05"},
        {**RECEIVED, "covers_fitted": False},
        code="guard_failed",
    )
    case = take(adv, case, "received", {"odometer": 40120, "key_tag": "K-17 / P-05"}, RECEIVED)
    where(case, "repair_order")
    assert since(case, "step_due") == 15 * M
    refused(
        adv, case, "release", {**ORDER, "estimate": None}, code="invalid_form", fields=["estimate"]
    )
    # 车辆明细: the model is required, the production date must be a date.
    refused(
        adv,
        case,
        "release",
        {**ORDER, "vehicle_model": None, "production_date": "2022-13-01"},
        code="invalid_form",
        fields=["vehicle_model", "production_date"],
    )
    # Built after it was registered: a typing error the advisor must confirm or correct.
    body = refused(
        adv, case, "release", {**ORDER, "production_date": "2022-05-01"}, code="confirm_warnings"
    )
    assert body["details"]["warnings"] == ["生产日期晚于车辆登记日期，请核对行驶证"], body
    case = take(adv, case, "release", ORDER)
    assert case["data"]["vehicle_model"] == "卡罗拉 1.8L CVT"
    assert case["data"]["production_date"] == "2022-01-20"
    where(case, "dispatch", "workshop")
    assert since(case, "step_due") == 30 * M
    return case


def dispatch(controller, case, tech_name="workshop_tech"):
    case = assign(controller, case, tech_name)  # one job at a time, to one technician
    case = take(
        controller,
        case,
        "start",
        {
            "technician": tech_name,
            "planned_hours": 2.3,
            "latest_start": "2026-05-12T10:00:00+08:00",
        },
    )
    where(case, "production", "workshop", assignee=tech_name)
    return case


def deliver(adv, fin, case, actual="1200"):
    """Step 6: delivery preparation, explanation, payment, hand-over."""
    where(case, "delivery_prep")
    assert since(case, "step_due") == 15 * M
    case = take(
        adv,
        case,
        "call_customer",
        {"actual_amount": actual},
        {"qc_confirmed": True, "request_met": True},
    )
    where(case, "delivery")
    assert since(case, "step_due") == 30 * M
    case = take(
        adv,
        case,
        "to_cashier",
        {"follow_up_method": "phone", "next_service": "5000公里或6个月后保养"},
        {"greeted_warmly": True, "parts_shown": True, "work_charges_explained": True},
    )
    where(case, "payment", "finance")
    assert since(case, "step_due") == 15 * M
    refused(
        adv,
        case,
        "paid",
        {"amount_paid": actual, "receipt_no": "R1"},
        status=403,
        code="role_not_allowed",
    )
    refused(
        fin, case, "paid", {"amount_paid": "100", "receipt_no": "FP-88120"}, code="guard_failed"
    )
    case = take(fin, case, "paid", {"amount_paid": actual, "receipt_no": "FP-88120"})
    where(case, "handover")
    case = take(
        adv,
        case,
        "handed_over",
        checklist={"car_handed_over": True, "covers_removed": True, "thanked": True},
    )
    where(case, "follow_up", status="resolved")
    # Follow-up within three days (24 business hours on the site calendar).
    assert case["resolved_at"] == case["updated_at"]
    # 三天内联系顾客: three calendar days.
    assert since(case, "return_visit_due") == 72 * H and since(case, "step_due") == 72 * H
    return case


def test_appointment_to_follow_up_with_a_quality_control_failure(world, api):
    cc, adv, qc, tech, fin = (
        api(p) for p in ("cc_agent", "engineer", "workshop_qc", "workshop_tech", "dealer_finance")
    )
    case = open_visit(world, cc)
    assert since(case, "response_due", "created_at") == 15 * M
    assert since(case, "resolution_due", "created_at") == 16 * H

    # Step 1: the call centre opens it; aftersales' advisor books against the technicians' hours
    # (the appointment step is aftersales').
    refused(tech, case, "book", {"visit_type": "appointment"}, status=403, code="role_not_allowed")
    booking = {"visit_type": "appointment", "job_type": "maintenance"}
    refused(adv, case, "book", booking, code="invalid_form", fields=["appointment_at"])
    refused(adv, case, "walk_in", booking, code="guard_failed")
    case = take(
        adv,
        case,
        "book",
        {
            **booking,
            "appointment_at": "2026-05-12T08:00:00+08:00",
            "booked_hours": 2.3,
            "parts_needed": "机滤、前刹车片",
        },
    )
    where(case, "await_arrival", status="waiting")
    assert case["paused"] and case["step_due"] is None
    due = case["resolution_due"]
    refused(adv, case, "arrived", {}, code="invalid_form", fields=["parts_confirmed", "reminded"])
    refused(adv, case, "arrived", {"parts_confirmed": False, "reminded": True}, code="guard_failed")
    case = take(adv, case, "arrived", {"parts_confirmed": True, "reminded": True})
    assert not case["paused"] and case["resolution_due"] >= due

    refused(
        tech,
        case,
        "received",
        {"odometer": 1, "key_tag": "x"},
        RECEIVED,
        status=403,
        code="role_not_allowed",
    )
    case = receive(adv, case)
    assert notes(case) == ["as_manager"]

    # Step 4: the controller dispatches; the technician works and reports a delay in advance.
    refused(
        tech,
        case,
        "start",
        {"technician": "workshop_tech", "planned_hours": 2.3},
        status=403,
        code="role_not_allowed",
    )
    case = dispatch(qc, case)
    assert since(case, "step_due") == 4 * H
    refused(
        tech,
        case,
        "delay",
        {"promised_at": "2026-05-12T15:00:00+08:00"},
        code="invalid_form",
        fields=["delay_reason"],
    )
    case = take(
        tech,
        case,
        "delay",
        {
            "promised_at": "2026-05-12T15:00:00+08:00",
            "delay_reason": "刹车片需调货",
            "carry_over": False,
        },
    )
    where(case, "production", "workshop", assignee="workshop_tech")
    assert case["data"]["promised_at"] == "2026-05-12T15:00:00+08:00"
    assert notes(case) == ["as_manager", "as_manager"]  # the driver has no portal account
    case = take(tech, case, "stop", {"stop_reason": "parts"})
    where(case, "work_stopped", "workshop", assignee="workshop_tech")
    assert not case["paused"]  # waiting for parts is the dealer's time, not the customer's
    case = take(tech, case, "resume")
    refused(
        tech,
        case,
        "done",
        {"work_performed": "x"},
        code="invalid_form",
        fields=["cause", "labour_hours"],
    )
    case = take(tech, case, "done", WORK)
    where(case, "qc", "workshop", assignee="workshop_tech")
    assert since(case, "step_due") == 30 * M

    # Step 5: QC fails the job back to the technician — an internal comeback.
    refused(
        tech,
        case,
        "pass",
        {"qc_priority": "brakes_suspension"},
        QC_OK,
        status=403,
        code="role_not_allowed",
    )
    refused(
        qc,
        case,
        "pass",
        {"qc_priority": "brakes_suspension"},
        {**QC_OK, "vehicle_clean": False},
        code="guard_failed",
    )
    refused(qc, case, "fail", {}, code="invalid_form", fields=["qc_fail_reason"])
    case = take(
        qc, case, "fail", {"qc_fail_reason": "车内有油污，方向盘未清洁"}, {"vehicle_clean": False}
    )
    where(case, "production", "workshop", assignee="workshop_tech")
    assert case["comeback_count"] == 1 and case["status"] == "open"
    assert sorted(
        Notification.objects.filter(
            case_id=case["id"], kind="notify", data__step="production"
        ).values_list("recipient__username", flat=True)
    ) == ["as_manager", "as_manager", "workshop_tech"]
    case = take(tech, case, "done", WORK)
    case = take(qc, case, "pass", {"qc_priority": "brakes_suspension"}, QC_OK)
    where(case, "delivery_prep")
    assert case["checks"]["qc"]["vehicle_clean"] == {"value": True, "passed": True}

    # Step 6: the actual is above the estimate — only once the customer has agreed to it.
    refused(
        adv,
        case,
        "call_customer",
        {"actual_amount": "1350"},
        {"qc_confirmed": True, "request_met": True},
        code="guard_failed",
    )
    case = take(
        adv,
        case,
        "call_customer",
        {"actual_amount": "1350", "variance_agreed": True},
        {"qc_confirmed": True, "request_met": True},
    )
    case = take(
        adv,
        case,
        "to_cashier",
        {"follow_up_method": "phone", "next_service": "5000公里或6个月后保养"},
        {"greeted_warmly": True, "parts_shown": True, "work_charges_explained": True},
    )
    case = take(fin, case, "paid", {"amount_paid": "1350", "receipt_no": "FP-88120"})
    case = take(
        adv,
        case,
        "handed_over",
        checklist={"car_handed_over": True, "covers_removed": True, "thanked": True},
    )
    where(case, "follow_up", status="resolved")
    assert since(case, "return_visit_due") == 72 * H

    # Step 7: all seven areas satisfied.
    refused(adv, case, "close", {**SATISFIED, "sat_facilities": False}, code="guard_failed")
    refused(
        adv, case, "repair_comeback", SATISFIED, code="invalid_form", fields=["customer_comments"]
    )
    case = take(adv, case, "close", {**SATISFIED, "customer_comments": "服务很好"})
    where(case, "closed", status="closed")
    assert case["comeback_count"] == 1 and not case["is_major"]

    assert moves(case) == [
        "await_arrival",
        "reception",
        "repair_order",
        "dispatch",
        "production",
        "production",
        "work_stopped",
        "production",
        "qc",
        "production",
        "qc",
        "delivery_prep",
        "delivery",
        "payment",
        "handover",
        "follow_up",
        "closed",
    ]
    assert owners(case) == ["aftersales", "workshop", "aftersales", "finance", "aftersales"]
    k = kinds(case)
    assert k[:2] == ["opened", "transitioned"] and k.count("assigned") == 1
    assert k.count("paused") == 1 and k.count("resumed") == 1
    assert k.count("return_visit_scheduled") == 1
    assert case["data"]["visit_type"] == "appointment" and case["data"]["booked_hours"] == 2.3
    assert differences() == []


def test_walk_in_with_a_comeback_and_a_concern_for_the_vp(world, api):
    adv, qc, tech, fin, mgr = (
        api(p) for p in ("engineer", "workshop_qc", "workshop_tech", "dealer_finance", "as_manager")
    )
    case = open_visit(world, adv, priority="high")
    assert since(case, "resolution_due", "created_at") == 8 * H
    refused(adv, case, "book", {"visit_type": "walk_in", "job_type": "repair"}, code="invalid_form")
    case = take(adv, case, "walk_in", {"visit_type": "walk_in", "job_type": "repair"})
    assert "paused" not in kinds(case)
    case = receive(adv, case)
    case = dispatch(qc, case)
    case = take(tech, case, "done", WORK)
    case = take(qc, case, "pass", {"qc_priority": "brakes_suspension"}, QC_OK)
    case = deliver(adv, fin, case)

    # The repair did not hold: reopened to dispatch, a comeback, served first.
    refused(
        adv,
        case,
        "concern",
        {**SATISFIED, "sat_repair": False, "customer_comments": "x"},
        code="guard_failed",
    )
    case = take(
        adv,
        case,
        "repair_comeback",
        {**SATISFIED, "sat_repair": False, "customer_comments": "刹车异响又出现"},
    )
    where(case, "dispatch", "workshop")
    assert case["comeback_count"] == 1 and case["resolved_at"] is None
    assert case["return_visit_due"] is None and since(case, "resolution_due") == 8 * H
    assert notes(case) == ["as_manager", "as_manager"]  # the order, then the comeback
    case = dispatch(qc, case)
    case = take(tech, case, "done", {**WORK, "work_performed": "打磨刹车盘，涂抹消音脂"})
    case = take(qc, case, "pass", {"qc_priority": "comeback"}, QC_OK)
    case = deliver(adv, fin, case)

    # Now the repair is fine but the price is not: the service manager follows it up.
    unhappy = {**SATISFIED, "sat_price": False, "customer_comments": "工时费偏高"}
    refused(adv, case, "close", unhappy, code="guard_failed")
    refused(adv, case, "repair_comeback", unhappy, code="guard_failed")
    case = take(adv, case, "concern", unhappy)
    where(case, "concern_follow_up", status="resolved")
    assert since(case, "step_due") == 16 * H
    refused(
        adv,
        case,
        "settled",
        {"concern_action": "x", "customer_accepts": True},
        status=403,
        code="role_not_allowed",
    )
    case = take(
        mgr, case, "escalate", {"concern_action": "解释工时标准", "customer_accepts": False}
    )
    where(case, "concern_follow_up", status="resolved")
    assert case["is_major"] and notes(case, "major") == ["vp"]
    refused(mgr, case, "settled", {"concern_action": "x"}, code="guard_failed")
    case = take(
        mgr, case, "settled", {"concern_action": "赠送下次保养工时券", "customer_accepts": True}
    )
    where(case, "closed", status="closed")
    assert case["comeback_count"] == 1

    assert moves(case) == [
        "reception",
        "repair_order",
        "dispatch",
        "production",
        "qc",
        "delivery_prep",
        "delivery",
        "payment",
        "handover",
        "follow_up",
        "dispatch",
        "production",
        "qc",
        "delivery_prep",
        "delivery",
        "payment",
        "handover",
        "follow_up",
        "concern_follow_up",
        "concern_follow_up",
        "closed",
    ]
    assert owners(case) == [
        "aftersales",
        "workshop",
        "aftersales",
        "finance",
        "aftersales",
        "workshop",
        "aftersales",
        "finance",
        "aftersales",
    ]
    k = kinds(case)
    assert k.count("major_flagged") == 1 and k.count("return_visit_scheduled") == 2
    assert differences() == []


def test_no_show_is_followed_up_rebooked_and_lost(world, api):
    cc, adv = api("cc_agent"), api("engineer")
    case = open_visit(world, cc)
    case = take(
        adv,
        case,
        "book",
        {
            "visit_type": "appointment",
            "job_type": "repair",
            "appointment_at": "2026-05-12T09:00:00+08:00",
            "booked_hours": 1.5,
        },
    )
    case = take(adv, case, "no_show")
    where(case, "no_show_follow_up")
    assert case["data"]["no_show"] is True and not case["paused"]
    assert case["data"]["appointment_at"] is None  # the missed time stays in the `book` event
    assert since(case, "step_due") == 8 * H
    refused(
        adv,
        case,
        "rebook",
        {"no_show_note": "客户临时出差"},
        code="invalid_form",
        fields=["appointment_at"],
    )
    case = take(
        adv,
        case,
        "rebook",
        {"no_show_note": "客户临时出差", "appointment_at": "2026-05-14T09:00:00+08:00"},
    )
    where(case, "await_arrival", status="waiting")
    assert case["data"]["appointment_at"] == "2026-05-14T09:00:00+08:00"
    case = take(adv, case, "no_show")
    case = take(adv, case, "lost", {"no_show_note": "两次失约，客户表示去其他店"})
    where(case, "lost", status="cancelled")
    assert moves(case) == [
        "await_arrival",
        "no_show_follow_up",
        "await_arrival",
        "no_show_follow_up",
        "lost",
    ]
    assert kinds(case).count("paused") == 2 and kinds(case).count("resumed") == 2

    other = open_visit(world, cc)
    refused(adv, other, "cancel", {}, code="invalid_form", fields=["cancel_reason"])
    other = take(adv, other, "cancel", {"cancel_reason": "客户车辆已出售"})
    where(other, "cancelled", status="cancelled")
    assert differences() == []


# -- the reception's odometer reading goes to the vehicle ----------------------------------------


def test_reception_writes_the_vehicles_mileage(world, api):
    adv = api("engineer")
    car = world.assets["car"]
    customer_actions.update_asset(
        world.actor("as_manager"), car.pk, attributes={"odometer_km": 38000}
    )
    case = open_visit(world, adv)
    case = take(adv, case, "walk_in", {"visit_type": "walk_in", "job_type": "maintenance"})
    case = take(adv, case, "received", {"odometer": 40120, "key_tag": "K-17 / P-05"}, RECEIVED)
    where(case, "repair_order")
    car.refresh_from_db()
    assert car.attributes["odometer_km"] == 40120
    event = Event.objects.get(case_id=case["id"], kind="asset_updated")
    assert event.data["changes"] == {"odometer_km": {"from": 38000, "to": 40120}}
    history = RecordChange.objects.filter(asset=car).order_by("pk")
    assert [(h.case_id, h.changes) for h in history] == [
        (None, {"attributes.odometer_km": {"from": None, "to": 38000}}),
        (case["id"], {"attributes.odometer_km": {"from": 38000, "to": 40120}}),
    ]
    assert differences() == []
