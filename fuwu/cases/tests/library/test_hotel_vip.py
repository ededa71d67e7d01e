"""Hotel VIP reception (SPEC §9 row 13, hotel_vip.yaml) walked through the HTTP API.

Seed 酒店接待重点客人工作程序, seven steps: 接待信息收集 → 贵宾预住登记 → 贵宾住宿准备 (房务部, with the
welcome fruit and drinks from food & beverage, in parallel) → 入住流程 → 住宿服务 → 离店流程 (续住 /
延迟退房) → 贵宾跟进. The hotel runs 24×7, so every deadline is exactly "moment + limit".
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth import get_user_model

from fuwu.cases.models import Event
from fuwu.cases.replay import differences
from fuwu.core.models import Department, Role, Staff
from fuwu.customers import actions as customer_actions
from fuwu.customers.models import Customer
from fuwu.sla.escalation import fire_due
from fuwu.testing.scenario import at, complete, kinds, notes, refused, since, take, where

H, M = 3600, 60
PROCEDURE = "hotel_vip"


# -- helpers (each library test file is self-contained) ----------------------------------------


def add_fb_server(world) -> None:
    """The test world has nobody in 餐饮部; add one server (role technician) there."""
    user = get_user_model().objects.create_user("fb_server", "fb@example.com", "pw-fb")
    member = Staff.objects.create(
        user=user, display_name="fb_server", department=world.dept("hotel", "food_beverage")
    )
    member.sites.set([world.sites["hotel"]])
    member.roles.set([Role.objects.get(code="technician")])
    world.users["fb_server"] = user


def open_case(client, *, customer_id=None, priority=None, expect=201):
    body = {
        "procedure": PROCEDURE,
        "site": "hotel",
        "channel": "phone",
        "title": "张总一行贵宾接待",
        "data": {
            "guest_name": "张伟",
            "contact_phone": "13600001111",
            "arrival_at": "2026-10-08T15:00:00+08:00",
            "departure_at": "2026-10-10T12:00:00+08:00",
        },
    }
    if customer_id:
        body["customer_id"] = customer_id
    if priority:
        body["priority"] = priority
    r = client.post("/api/cases", body)
    assert r.status_code == expect, r.json()
    return r.json()


def path(case) -> list[tuple[str, str]]:
    return [
        (e.kind, e.data["to"])
        for e in Event.objects.filter(case_id=case["id"]).order_by("seq")
        if e.kind in ("transitioned", "joined", "timed_out") and "to" in e.data
    ]


def owners(case) -> list[str]:
    codes = dict(Department.objects.values_list("pk", "code"))
    return [
        codes[e.data["set"]["department"]]
        for e in Event.objects.filter(case_id=case["id"]).order_by("seq")
        if "department" in e.data.get("set", {})
    ]


PROFILE = {
    "gender": "male",
    "age": 52,
    "occupation": "企业董事长",
    "smoking": "non_smoking",
    "floor_preference": "高楼层",
    "bed_type": "king",
    "view_preference": "江景",
    "special_requests": "枕头偏低，早餐清淡",
}
PRE_REGISTRATION = {
    "payment_method": "credit_card",
    "nights": 2,
    "room_type": "行政江景大床房",
    "room_rate": "1280",
}
GREETED = {
    "greeted": True,
    "identity_confirmed": True,
    "policies_explained": True,
    "payment_verified": True,
}
ROOM_READY = {
    "room_cleaned": True,
    "linen_changed": True,
    "toiletries_replaced": True,
    "preferences_applied": True,
}
CHECK_IN = {
    "luggage_assisted": True,
    "facilities_explained": True,
    "surroundings_introduced": True,
    "room_rate_reconfirmed": True,
    "registration_signed": True,
    "room_card_ready": True,
}
CHECKED_OUT = {"departure_plan": "leave", "bill_amount": "2860.50", "bill_settled": True}


def walk_to_check_out(api, case):
    desk, housekeeper, fb = api("front_desk"), api("housekeeper"), api("fb_server")
    case = take(desk, case, "profile_done", PROFILE)
    case = take(desk, case, "arrived")
    case = take(desk, case, "pre_registered", PRE_REGISTRATION, GREETED)
    case = complete(housekeeper, case, "room", {"room_no": "2808"}, ROOM_READY)
    case = complete(
        fb, case, "amenities", checklist={"fruit_delivered": True, "drinks_delivered": True}
    )
    case = take(desk, case, "checked_in", checklist=CHECK_IN)
    case = take(housekeeper, case, "departing")  # in house: housekeeping's step
    where(case, "check_out", "open", "front_office")
    return case


# -- the seven steps, with an extension, a late check-out and a dissatisfied follow-up -----------


def test_vip_stay_extended_then_followed_up_and_made_good(world, api):
    add_fb_server(world)
    desk, housekeeper, fb, manager = (
        api("front_desk"),
        api("housekeeper"),
        api("fb_server"),
        api("hotel_manager"),
    )
    r = desk.post(
        "/api/customers",
        {
            "site": "hotel",
            "name": "张伟",
            "phone": "13600001111",
            "preferences": {"floor": "高楼层"},
        },
    )
    assert r.status_code == 201, r.json()
    case = open_case(desk, customer_id=r.json()["id"])
    # 第一步 接待信息收集 (before the booking): a VIP is high priority by default.
    where(case, "profile", "open", "front_office")
    assert case["priority"] == "high" and case["customer"]["name"] == "张伟"
    assert since(case, "response_due", "created_at") == 30 * M
    assert since(case, "resolution_due", "created_at") == 8 * H
    assert since(case, "step_due", "created_at") == 2 * H
    refused(desk, case, "profile_done", code="invalid_form", fields=["smoking", "bed_type"])
    refused(housekeeper, case, "profile_done", PROFILE, status=403, code="role_not_allowed")
    case = take(desk, case, "profile_done", PROFILE)
    # Waiting for the arrival: the hotel's clock pauses; housekeeping learns of the guest.
    where(case, "awaiting_arrival", "waiting", "front_office")
    assert case["paused"] and case["step_due"] is None
    assert notes(case) == ["housekeeper"]

    # 第二步 贵宾预住登记.
    case = take(desk, case, "arrived")
    where(case, "pre_registration", "open", "front_office")
    assert since(case, "step_due") == 15 * M and not case["paused"]
    refused(
        desk,
        case,
        "pre_registered",
        PRE_REGISTRATION,
        {**GREETED, "payment_verified": False},
        code="guard_failed",
    )
    refused(
        desk,
        case,
        "pre_registered",
        {"payment_method": "credit_card"},
        code="invalid_form",
        fields=["nights", "room_type", "room_rate", "checklist.greeted"],
    )
    # A VIP kept waiting at the desk: the step rung tells the front office manager.
    entered = at(case, "updated_at")
    fired = fire_due(case["id"], now=entered + timedelta(minutes=15, seconds=1))
    assert [k.rsplit(":", 1)[0] for k in fired] == ["step:1"]
    assert notes(case, "escalation") == ["hotel_manager"]
    case = desk.get(f"/api/cases/{case['id']}").json()
    case = take(desk, case, "pre_registered", PRE_REGISTRATION, GREETED)

    # 第三步 贵宾住宿准备: housekeeping's room and food & beverage's fruit and drinks, in parallel.
    where(case, "room_preparation", "open", "front_office")
    assert since(case, "step_due") == 30 * M  # high priority: the default 30 min
    assert {t["branch"]: t["department"] for t in case["tasks"]} == {
        "room": "housekeeping",
        "amenities": "food_beverage",
    }
    assert complete(desk, case, "room", {"room_no": "2808"}, ROOM_READY, expect=403)["code"] == (
        "branch_owned_elsewhere"
    )
    assert complete(housekeeper, case, "amenities", expect=403)["code"] == "branch_owned_elsewhere"
    bad = complete(housekeeper, case, "room", checklist=ROOM_READY, expect=400)
    assert set(bad["details"]["fields"]) == {"room_no"}
    case = complete(housekeeper, case, "room", {"room_no": "2808"}, ROOM_READY)
    where(case, "room_preparation", "open", "front_office")
    case = complete(
        fb, case, "amenities", checklist={"fruit_delivered": True, "drinks_delivered": True}
    )

    # 第四步 入住流程.
    where(case, "check_in", "open", "front_office")
    assert since(case, "step_due") == 30 * M and case["data"]["room_no"] == "2808"
    refused(
        desk,
        case,
        "checked_in",
        checklist={**CHECK_IN, "room_card_ready": False},
        code="guard_failed",
    )
    case = take(
        desk,
        case,
        "checked_in",
        {"parking_space": "B2-018", "restaurant_booking": "今晚 19:00 中餐厅 8 人包间"},
        CHECK_IN,
    )
    # 第五步 住宿服务: housekeeping owns the stay; the hotel clock pauses while the guest is in.
    where(case, "in_house", "waiting", "housekeeping")
    assert case["paused"] and notes(case) == ["fb_server", "housekeeper"]
    refused(
        housekeeper,
        case,
        "record_service",
        {"service_kind": "spa"},
        code="invalid_form",
        fields=["service_kind"],
    )
    case = take(housekeeper, case, "record_service", {"service_kind": "linen"})
    # The stay is housekeeping's step: F&B's welcome drink is recorded there, not by F&B.
    refused(
        fb,
        case,
        "record_service",
        {"service_kind": "welcome_drink"},
        status=403,
        code="step_owned_elsewhere",
    )
    case = take(
        housekeeper,
        case,
        "record_service",
        {"service_kind": "welcome_drink", "service_notes": "迎宾茶"},
    )
    where(case, "in_house", "waiting", "housekeeping")
    case = take(housekeeper, case, "departing")

    # 第六步 离店流程: reminded of the time; extends one night, then asks for a late check-out.
    where(case, "check_out", "open", "front_office")
    assert since(case, "step_due") == 30 * M
    refused(
        desk,
        case,
        "extend_stay",
        {"departure_plan": "extend"},
        {"departure_reminded": True},
        code="invalid_form",
        fields=["extended_to"],
    )
    refused(
        desk,
        case,
        "late_checkout",
        {"departure_plan": "extend", "late_checkout_until": "2026-10-11T14:00:00+08:00"},
        {"departure_reminded": True},
        code="guard_failed",
    )
    case = take(
        desk,
        case,
        "extend_stay",
        {"departure_plan": "extend", "extended_to": "2026-10-11T12:00:00+08:00"},
        {"departure_reminded": True},
    )
    where(case, "in_house", "waiting", "housekeeping")
    case = take(housekeeper, case, "departing")
    case = take(
        desk,
        case,
        "late_checkout",
        {"departure_plan": "late_checkout", "late_checkout_until": "2026-10-11T14:00:00+08:00"},
        {"departure_reminded": True},
    )
    where(case, "in_house", "waiting", "housekeeping")
    case = take(housekeeper, case, "departing")
    refused(
        desk,
        case,
        "checked_out",
        {"departure_plan": "leave"},
        {"departure_reminded": True},
        code="invalid_form",
        fields=["bill_amount", "bill_settled"],
    )
    refused(
        desk,
        case,
        "checked_out",
        {**CHECKED_OUT, "bill_settled": False},
        {"departure_reminded": True},
        code="guard_failed",
    )
    case = take(desk, case, "checked_out", CHECKED_OUT, {"departure_reminded": True})

    # 第七步 贵宾跟进: resolved; the follow-up is due in a day.
    where(case, "follow_up", "resolved", "front_office")
    assert since(case, "return_visit_due") == 24 * H and since(case, "step_due") == 24 * H
    unhappy = {"contact_method": "phone", "satisfaction": "dissatisfied", "profile_updated": True}
    refused(
        desk, case, "close", {**unhappy, "guest_feedback": "延迟退房时被催促"}, code="guard_failed"
    )
    refused(desk, case, "service_recovery", unhappy, code="invalid_form", fields=["guest_feedback"])
    case = take(desk, case, "service_recovery", {**unhappy, "guest_feedback": "延迟退房时被催促"})
    where(case, "recovery", "open", "front_office")
    assert case["comeback_count"] == 1 and case["resolved_at"] is None
    assert since(case, "step_due") == 8 * H and since(case, "resolution_due") == 8 * H
    assert "hotel_manager" in notes(case)
    refused(desk, case, "recovered", {"recovery_action": "x"}, status=403, code="role_not_allowed")
    case = take(
        manager,
        case,
        "recovered",
        {"recovery_action": "经理致电道歉，赠送下次入住房晚一间", "compensation": "1280"},
    )
    where(case, "closed", "closed", "front_office")

    assert path(case) == [
        ("transitioned", "awaiting_arrival"),
        ("transitioned", "pre_registration"),
        ("transitioned", "room_preparation"),
        ("joined", "check_in"),
        ("transitioned", "in_house"),
        ("transitioned", "in_house"),
        ("transitioned", "in_house"),
        ("transitioned", "check_out"),
        ("transitioned", "in_house"),
        ("transitioned", "check_out"),
        ("transitioned", "in_house"),
        ("transitioned", "check_out"),
        ("transitioned", "follow_up"),
        ("transitioned", "recovery"),
        ("transitioned", "closed"),
    ]
    assert owners(case) == [
        "front_office",
        "housekeeping",
        "front_office",
        "housekeeping",
        "front_office",
        "housekeeping",
        "front_office",
    ]
    k = kinds(case)
    assert k.count("paused") == 4 and k.count("resumed") == 4  # arrival wait + three stays
    assert k.count("task_completed") == 2 and k.count("return_visit_scheduled") == 1
    assert k.count("escalated") == 1
    assert differences() == []


def test_vip_satisfied_follow_up_closes(world, api):
    add_fb_server(world)
    desk = api("front_desk")
    case = walk_to_check_out(api, open_case(desk))
    case = take(desk, case, "checked_out", CHECKED_OUT, {"departure_reminded": True})
    happy = {"contact_method": "letter", "satisfaction": "very_satisfied"}
    refused(desk, case, "close", happy, code="invalid_form", fields=["profile_updated"])
    refused(desk, case, "close", {**happy, "profile_updated": False}, code="guard_failed")
    case = take(desk, case, "close", {**happy, "profile_updated": True})
    where(case, "closed", "closed", "front_office")
    assert case["comeback_count"] == 0 and case["return_visit_due"] is None
    assert [to for _, to in path(case)] == [
        "awaiting_arrival",
        "pre_registration",
        "room_preparation",
        "check_in",
        "in_house",
        "check_out",
        "follow_up",
        "closed",
    ]
    assert differences() == []


def test_booking_cancelled_before_or_after_the_profile(world, api):
    desk = api("front_desk")
    case = open_case(desk, priority="urgent")
    assert since(case, "response_due", "created_at") == 10 * M
    assert since(case, "step_due", "created_at") == 30 * M
    case = take(desk, case, "cancel", {"cancel_reason": "行程取消"})  # the profile is not demanded
    where(case, "cancelled", "cancelled", "front_office")

    case = open_case(desk)
    case = take(desk, case, "profile_done", PROFILE)
    refused(desk, case, "cancel", code="invalid_form", fields=["cancel_reason"])
    case = take(desk, case, "cancel", {"cancel_reason": "客人未到店（no-show）"})
    where(case, "cancelled", "cancelled", "front_office")
    assert case["paused"] is False and case["closed_at"]
    assert path(case) == [("transitioned", "awaiting_arrival"), ("transitioned", "cancelled")]
    assert differences() == []


# -- after the stay the guest's preferences are kept on the customer record ----------------------


def test_check_out_keeps_the_guests_preferences(world, api):
    add_fb_server(world)
    desk = api("front_desk")
    guest = customer_actions.create_customer(
        world.actor("front_desk"),
        site_id=world.sites["hotel"].pk,
        name="张伟",
        phone="13600001111",
        preferences={"floor": "low", "pillow": "荞麦枕"},
    )
    case = walk_to_check_out(api, open_case(desk, customer_id=guest.pk))
    case = take(desk, case, "checked_out", CHECKED_OUT, {"departure_reminded": True})
    guest = Customer.objects.get(pk=guest.pk)
    assert guest.preferences == {
        "floor": "高楼层",
        "pillow": "荞麦枕",  # what the stay did not ask about stays as it was
        "smoking": "non_smoking",
        "bed": "king",
        "view": "江景",
        "special_requests": "枕头偏低，早餐清淡",
    }
    event = Event.objects.get(case_id=case["id"], kind="customer_updated")
    assert event.data["record"] == guest.pk
    assert event.data["changes"]["floor"] == {"from": "low", "to": "高楼层"}
    assert differences() == []


def test_a_guest_without_a_customer_record_is_told_in_the_timeline(world, api):
    add_fb_server(world)
    desk = api("front_desk")
    case = walk_to_check_out(api, open_case(desk))
    case = take(desk, case, "checked_out", CHECKED_OUT, {"departure_reminded": True})
    event = Event.objects.get(case_id=case["id"], kind="customer_updated")
    assert event.data == {"skipped": "no_customer"}
