"""Hot-pot table service (SPEC §9 row 16, hotpot_table_service.yaml) walked through the HTTP API.

Seed 火锅服务员工作流程: greet, seat within 60 s, tea within 1 min, order suggestions, the
2–3 dishes a person check, the order read back (changed gladly and read back again), the kitchen
preparing while the waiter collects towels and puts on chair covers. The test world runs 24×7,
so every deadline is exactly "moment + limit".
"""

from __future__ import annotations

from datetime import timedelta

from fuwu.cases.models import Case, Event
from fuwu.cases.replay import differences
from fuwu.sla.escalation import fire_due
from fuwu.testing.scenario import allowed, assign, kinds, notes, owners, since, take

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


def complete(client, case, branch, checklist=None, form=None, expect=200):
    r = client.post(
        f"/api/cases/{case['id']}/tasks/{branch}/complete",
        {"version": case["version"], "form": form or {}, "checklist": checklist or {}},
    )
    assert r.status_code == expect, r.json()
    return r.json()


def where(case, step, status, department="floor"):
    assert case["step"]["key"] == step, case["step"]
    assert case["status"] == status, case["status"]
    assert case["department"]["code"] == department, case["department"]


def moves(case) -> list[str]:
    return [
        e.data["to"]
        for e in Event.objects.filter(case_id=case["id"]).order_by("seq")
        if e.kind in ("transitioned", "joined", "timed_out") and "to" in e.data
    ]


GREETED = {
    "welcomed": True,
    "led_the_way": True,
    "chair_pulled_quietly": True,
    "helped_elderly_children": True,
}
TEA = {"tea_seven_tenths": True, "sleeves_removed": True, "chopsticks_on_plate": True}
SUGGESTED = {
    "asked_to_order": True,
    "suggestion_sequence": True,
    "priority_items": True,
    "specific_suggestions": True,
    "no_repeat": True,
    "stopped_on_request": True,
}
READ_BACK = {"repeated_clearly": True, "please_wait": True, "tea_topped_up": True}


def lines(*items):
    """Order lines from "品名 规格 数量" ("-" for no size)."""
    rows = []
    for item in items:
        dish, size, quantity = item.split(" ")
        rows.append(
            {"dish": dish, "size": None if size == "-" else size, "quantity": int(quantity)}
        )
    return rows


SIMPLE = ("虾滑 - 1", "土豆 - 1", "豆腐 - 1", "藕片 - 1")
SEVEN = lines("毛肚 - 1", "鸭肠 - 1", "肥牛 - 5")  # still more than 3 a person for two


def open_table(client, table="8"):
    r = client.post(
        "/api/cases",
        {
            "procedure": "hotpot_table_service",
            "site": "hotpot",
            "channel": "walk_in",
            "title": f"{table}号桌",
            "data": {"table_no": table},
        },
    )
    assert r.status_code == 201, r.json()
    case = r.json()
    where(case, "greet_and_seat", "open")
    # Opening the case is the greeting ("欢迎光临!"): no response deadline.
    assert case["first_response_at"] == case["created_at"] and case["response_due"] is None
    assert since(case, "step_due", "created_at") == 60  # seated within 60 s
    assert since(case, "resolution_due", "created_at") == 40 * M
    return case


def seat_and_pour(waiter, case, guests, children=0):
    case = take(waiter, case, "seated", {"guests": guests, "children": children}, GREETED)
    where(case, "serve_tea", "open")
    assert since(case, "step_due") == 60  # tea within 1 minute
    case = take(waiter, case, "tea_served", checklist=TEA)
    where(case, "take_order", "open")
    assert since(case, "step_due") == 15 * M
    return case


def serve(waiter, cook, case):
    """The kitchen and the floor work at once; the case moves on when both are done."""
    where(case, "prepare", "open")
    assert since(case, "step_due") == 20 * M
    assert {(t["branch"], t["department"], t["state"]) for t in case["tasks"]} == {
        ("kitchen", "kitchen", "open"),
        ("floor_wait", "floor", "open"),
    }
    assert notes(case, "notify") == ["cook"]  # the kitchen gets the order
    # Only the kitchen completes the kitchen's branch.
    r = waiter.post(
        f"/api/cases/{case['id']}/tasks/kitchen/complete",
        {"version": case["version"], "form": {}, "checklist": {"dishes_ready": True}},
    )
    assert r.status_code == 403 and r.json()["code"] == "branch_owned_elsewhere"
    bad = complete(waiter, case, "floor_wait", {"towels_collected": True}, expect=400)
    assert bad["code"] == "invalid_form" and "checklist.chair_covers_on" in bad["details"]["fields"]
    case = complete(waiter, case, "floor_wait", {"towels_collected": True, "chair_covers_on": True})
    where(case, "prepare", "open")
    case = complete(cook, case, "kitchen", {"dishes_ready": True}, {"kitchen_note": "鸭肠换鹅肠"})
    where(case, "serve_dishes", "open")
    assert since(case, "step_due") == 5 * M
    assert case["data"]["kitchen_note"] == "鸭肠换鹅肠"
    refused(
        cook,
        case,
        "served",
        checklist={"served_as_ordered": True},
        status=403,
        code="role_not_allowed",
    )
    case = take(waiter, case, "served", checklist={"served_as_ordered": True})
    where(case, "served", "closed")
    assert case["closed_at"] == case["updated_at"] == case["resolved_at"]
    return case


def test_table_served_with_the_order_changed_and_read_back_again(world, api):
    waiter, cook, manager = api("waiter"), api("cook"), api("floor_manager")
    case = open_table(waiter)
    assert allowed(cook, case) == {"seated": False, "guests_left": False}
    refused(cook, case, "seated", {"guests": 4}, GREETED, status=403, code="role_not_allowed")
    case = assign(waiter, case, "waiter")
    refused(waiter, case, "seated", {}, GREETED, code="invalid_form", fields=["guests"])
    refused(
        waiter,
        case,
        "seated",
        {"guests": 4},
        {"welcomed": True},
        code="invalid_form",
        fields=["checklist.led_the_way", "checklist.chair_pulled_quietly"],
    )
    case = seat_and_pour(waiter, case, guests=4, children=1)

    order = {
        "soup_base": "鸳鸯锅(特辣/菌汤)",
        "order_items": lines(
            "毛肚 大份 1", "鸭肠 大份 1", "肥牛 小份 2", *SIMPLE, "黄喉 - 1", "午餐肉 - 1"
        ),
        "drinks": "酸梅汤 1扎",
        "staples": "红糖糍粑 1",
        "suggestions": "本周促销:毛肚大份;鸭肠大份;酸梅汤1扎",
    }
    incomplete = {k: v for k, v in SUGGESTED.items() if k != "no_repeat"}
    refused(
        waiter,
        case,
        "read_back",
        order,
        incomplete,
        code="invalid_form",
        fields=["checklist.no_repeat"],
    )
    case = take(waiter, case, "read_back", order, {**SUGGESTED, "no_child_suggestion": True})
    where(case, "read_back", "open")
    assert since(case, "step_due") == 3 * M

    # The read-back is a required yes/no: the order does not go to the kitchen unconfirmed.
    refused(waiter, case, "confirm", {}, READ_BACK, code="invalid_form", fields=["order_confirmed"])
    refused(waiter, case, "confirm", {"order_confirmed": False}, READ_BACK, code="guard_failed")
    refused(waiter, case, "change_order", {}, code="invalid_form", fields=["change_request"])
    case = take(
        waiter,
        case,
        "change_order",
        {"order_confirmed": False, "change_request": "不要黄喉，加一份鸭血"},
    )
    where(case, "amend_order", "open")
    assert case["data"]["order_confirmed"] is None  # must be confirmed again
    assert since(case, "step_due") == 5 * M
    refused(
        waiter,
        case,
        "read_back_again",
        {},
        code="invalid_form",
        fields=["checklist.glad_to_change"],
    )
    case = take(
        waiter,
        case,
        "read_back_again",
        {
            "order_items": [
                r | {"dish": "鸭血"} if r["dish"] == "黄喉" else r for r in order["order_items"]
            ]
        },
        {"glad_to_change": True},
    )
    where(case, "read_back", "open")
    assert "鸭血" in [row["dish"] for row in case["data"]["order_items"]]
    assert case["data"]["dish_count"] == 10 and case["data"]["dishes_per_person"] == 2.5
    # The manager may also act on the floor; the cook may not.
    assert allowed(manager, case) == {"confirm": True, "change_order": True}
    refused(
        cook,
        case,
        "confirm",
        {"order_confirmed": True},
        READ_BACK,
        status=403,
        code="role_not_allowed",
    )
    case = take(waiter, case, "confirm", {"order_confirmed": True}, READ_BACK)
    case = serve(waiter, cook, case)

    assert moves(case) == [
        "serve_tea",
        "take_order",
        "read_back",
        "amend_order",
        "read_back",
        "prepare",
        "serve_dishes",
        "served",
    ]
    assert owners(case) == ["floor"]
    assert kinds(case) == [
        "opened",
        "assigned",
        "transitioned",
        "transitioned",
        "transitioned",
        "transitioned",
        "transitioned",
        "transitioned",
        "task_completed",
        "task_completed",
        "joined",
        "transitioned",
    ]
    checks = case["checks"]
    assert checks["take_order"]["no_child_suggestion"] == {"value": True, "passed": True}
    assert checks["amend_order"]["glad_to_change"]["passed"]
    assert case["data"]["guests"] == 4 and case["data"]["children"] == 1
    assert not Event.objects.filter(case_id=case["id"], kind="escalated").exists()
    assert differences() == []


def test_too_many_dishes_are_advised_before_the_read_back(world, api):
    waiter, cook = api("waiter"), api("cook")
    case = seat_and_pour(waiter, open_table(waiter, "3"), guests=2)
    order = {"soup_base": "红汤锅", "order_items": lines("毛肚 - 1", "鸭肠 - 1", "肥牛 - 6")}
    # 2 guests, 8 dishes: more than 3 a person; the order cannot be read back as it stands.
    refused(waiter, case, "read_back", order, SUGGESTED, code="guard_failed")
    case = take(waiter, case, "too_many", order, SUGGESTED)
    where(case, "advise_quantity", "open")
    assert since(case, "step_due") == 2 * M
    refused(
        waiter,
        case,
        "reduce",
        {"guest_decision": "reduce"},
        code="invalid_form",
        fields=["quantity_advised"],
    )
    refused(
        waiter,
        case,
        "reduce",
        {"quantity_advised": True, "guest_decision": "keep"},
        code="guard_failed",
    )
    case = take(waiter, case, "reduce", {"quantity_advised": True, "guest_decision": "reduce"})
    where(case, "amend_order", "open")
    # Still 7 dishes for 2: advised again; this time the guests keep their order.
    refused(
        waiter,
        case,
        "read_back_again",
        {"order_items": SEVEN},
        {"glad_to_change": True},
        code="guard_failed",
    )
    case = take(waiter, case, "too_many", {"order_items": SEVEN}, {"glad_to_change": True})
    where(case, "advise_quantity", "open")
    case = take(waiter, case, "keep", {"quantity_advised": True, "guest_decision": "keep"})
    where(case, "read_back", "open")
    case = take(waiter, case, "confirm", {"order_confirmed": True}, READ_BACK)
    case = serve(waiter, cook, case)
    assert moves(case) == [
        "serve_tea",
        "take_order",
        "advise_quantity",
        "amend_order",
        "advise_quantity",
        "read_back",
        "prepare",
        "serve_dishes",
        "served",
    ]
    assert case["data"]["dish_count"] == 7 and case["data"]["guest_decision"] == "keep"
    assert differences() == []


def test_guests_who_leave_end_the_sitting(world, api):
    waiter = api("waiter")
    case = seat_and_pour(waiter, open_table(waiter, "12"), guests=3)
    refused(waiter, case, "guests_left", {}, code="invalid_form", fields=["left_reason"])
    case = take(waiter, case, "guests_left", {"left_reason": "等位太久，顾客改去别家"})
    where(case, "left", "cancelled")
    assert case["closed_at"] and case["resolved_at"] is None
    assert notes(case, "notify") == ["floor_manager"]
    assert moves(case) == ["serve_tea", "take_order", "left"]
    assert differences() == []


def test_too_few_dishes_are_a_warning_the_waiter_confirms(world, api):
    waiter = api("waiter", "en")
    case = seat_and_pour(waiter, open_table(waiter, "6"), guests=4)
    order = {"soup_base": "清汤锅", "order_items": lines("肥牛 - 1", "土豆 - 1", "豆腐 - 1")}
    body = refused(waiter, case, "read_back", order, SUGGESTED, code="confirm_warnings")
    assert body["details"]["warnings"] == ["Check the quantity: 2–3 dishes per person is usual"]
    r = waiter.post(
        f"/api/cases/{case['id']}/transitions/read_back",
        {"version": case["version"], "form": order, "checklist": SUGGESTED, "confirm": True},
    )
    assert r.status_code == 200, r.json()
    where(r.json(), "read_back", "open")
    event = Event.objects.filter(case_id=case["id"], kind="transitioned").order_by("seq").last()
    assert event.data["confirmed_warnings"] == ["请确认菜品数量：一般按1人2—3份菜品为宜"]
    assert differences() == []


def test_second_level_standards_escalate_to_the_floor_manager(world, api):
    waiter = api("waiter")
    case = open_table(waiter, "5")
    # The API gives times to the millisecond; the clocks run on the stored microseconds.
    opened = Case.objects.get(pk=case["id"]).step_start
    assert fire_due(case["id"], now=opened + timedelta(seconds=47)) == []
    # 80 % of 60 s: the waiter is reminded (nobody assigned yet → the floor manager).
    assert fire_due(case["id"], now=opened + timedelta(seconds=48)) == ["step:0:1"]
    # 60 s passed and the guests are not seated: the floor manager is told, once.
    assert fire_due(case["id"], now=opened + timedelta(seconds=60)) == ["step:1:1"]
    assert fire_due(case["id"], now=opened + timedelta(seconds=90)) == []
    assert notes(case, "escalation") == ["floor_manager", "floor_manager"]

    case = waiter.get(f"/api/cases/{case['id']}").json()
    case = assign(waiter, case, "waiter")
    case = take(waiter, case, "seated", {"guests": 2}, GREETED)
    where(case, "serve_tea", "open")
    entered = Case.objects.get(pk=case["id"]).step_start
    # The tea clock is a new step cycle: its own 80 % (to the assigned waiter) and 100 % rungs.
    assert fire_due(case["id"], now=entered + timedelta(seconds=59)) == ["step:0:2"]
    assert fire_due(case["id"], now=entered + timedelta(minutes=1)) == ["step:1:2"]
    assert notes(case, "escalation") == [
        "floor_manager",
        "floor_manager",
        "floor_manager",
        "waiter",
    ]
    escalated = [
        e.data for e in Event.objects.filter(case_id=case["id"], kind="escalated").order_by("seq")
    ]
    assert [(d["clock"], d["percent"], d["target"]) for d in escalated] == [
        ("step", "80%", "assignee"),
        ("step", "100%", "department_manager"),
        ("step", "80%", "assignee"),
        ("step", "100%", "department_manager"),
    ]
    # Resolution: 80 % of 40 min from opening warns the assignee.
    assert fire_due(case["id"], now=opened + timedelta(minutes=32)) == ["resolution:2:0"]
    assert differences() == []
