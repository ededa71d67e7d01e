"""Customer problem handling and complaints (SPEC §9 row 12, service_desk_problem.yaml) via the API.

Seed 客户服务管理制度及工作流程: receive (record customer, problem, time) → analyse (confirm, check
the facts) → solved at once (一次性解决), or passed to the responsible department; what cannot be
solved at once is explained to the customer with the expected time; complaints are investigated,
solved and remedied; the customer hears the result within the set time.
The test world runs on a 24×7 calendar, so every deadline is exactly "moment + limit".
"""

from __future__ import annotations

from datetime import timedelta

from fuwu.cases.models import Event
from fuwu.cases.replay import differences
from fuwu.sla.escalation import fire_due
from fuwu.testing.scenario import allowed, at, kinds, notes, owners, since, take, where

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


def moves(client, case) -> list[str]:
    """Every step change, by a person (transitioned) or by the system (timed_out)."""
    timeline = client.get(f"/api/cases/{case['id']}/events").json()
    assert [e["seq"] for e in timeline] == list(range(1, len(timeline) + 1))
    return [e["data"]["to"] for e in timeline if e["kind"] in ("transitioned", "timed_out")]


def open_problem(
    world, client, *, priority=None, channel="phone", title="物业费账单金额有疑问", **extra
):
    body = {
        "procedure": "service_desk_problem",
        "site": "lanting",
        "channel": channel,
        "title": title,
        "customer_id": world.customers["owner"].pk,
        "asset_id": world.assets["unit"].pk,
        "data": {
            "customer_name": "王芳",
            "contact_phone": "13812345678",
            "problem_description": "本月物业费比上月多出120元",
            "occurred_at": "2026-11-20T10:00:00+08:00",
            **extra,
        },
    }
    if priority:
        body["priority"] = priority
    r = client.post("/api/cases", body)
    assert r.status_code == 201, r.json()
    return r.json()


RECEIVED = {"request_kind": "problem", "understood": True}
ANALYSED = {"confirmed_request": "核对11月物业费账单"}
CHECKED = {"records_checked": True}


def test_intake_needs_the_customer_and_the_problem(world, api):
    r = api("agent").post(
        "/api/cases",
        {
            "procedure": "service_desk_problem",
            "site": "lanting",
            "channel": "phone",
            "title": "问题",
            "data": {"contact_phone": "138"},
        },
    )
    assert r.status_code == 400 and r.json()["code"] == "invalid_form"
    assert set(r.json()["details"]["fields"]) == {"customer_name", "problem_description"}


def test_solved_at_the_first_contact(world, api):
    agent, tech = api("agent"), api("technician")
    case = open_problem(world, agent, priority="high")
    where(case, "receive", "open", "service_center")
    # high: response 15 min, resolution 8 h; receive 10 min
    assert since(case, "response_due", "created_at") == 15 * M
    assert since(case, "resolution_due", "created_at") == 8 * H
    assert since(case, "step_due", "created_at") == 10 * M
    assert case["data"]["occurred_at"] == "2026-11-20T10:00:00+08:00"

    refused(tech, case, "analyse", RECEIVED, status=403, code="role_not_allowed")
    refused(
        agent,
        case,
        "analyse",
        {"request_kind": "problem"},
        code="invalid_form",
        fields=["understood"],
    )
    refused(agent, case, "analyse", {**RECEIVED, "understood": False}, code="guard_failed")
    refused(
        agent,
        case,
        "start_complaint",
        {**RECEIVED, "responsible_department": "finance"},
        code="guard_failed",
    )
    case = take(agent, case, "analyse", RECEIVED)
    where(case, "analyse", "open", "service_center")
    assert case["first_response_at"] == case["updated_at"] and since(case, "step_due") == 30 * M

    refused(agent, case, "solve_now", ANALYSED, CHECKED, code="invalid_form", fields=["answer"])
    refused(
        agent,
        case,
        "solve_now",
        {**ANALYSED, "answer": "x"},
        code="invalid_form",
        fields=["checklist.records_checked"],
    )
    refused(
        agent,
        case,
        "solve_now",
        {**ANALYSED, "answer": "x"},
        {"records_checked": False},
        code="guard_failed",
    )
    case = take(
        agent, case, "solve_now", {**ANALYSED, "answer": "本月含公摊电费调整,已逐项说明"}, CHECKED
    )
    where(case, "feedback", "resolved", "service_center")
    assert case["data"]["first_contact_resolved"] is True
    assert case["resolved_at"] == case["updated_at"] and since(case, "step_due") == 2 * H

    refused(
        agent,
        case,
        "close",
        {"result_told": "已说明", "inform_method": "phone"},
        code="invalid_form",
        fields=["customer_accepts"],
    )
    refused(
        agent,
        case,
        "close",
        {"result_told": "已说明", "inform_method": "phone", "customer_accepts": False},
        code="guard_failed",
    )
    case = take(
        agent,
        case,
        "close",
        {"result_told": "公摊电费调整", "inform_method": "phone", "customer_accepts": True},
    )
    where(case, "closed", "closed", "service_center")
    assert moves(agent, case) == ["analyse", "feedback", "closed"]
    assert owners(case) == ["service_center"] and case["comeback_count"] == 0
    assert kinds(case) == ["opened", "transitioned", "transitioned", "transitioned"]
    assert notes(case) == []
    assert differences() == []


def test_transferred_told_the_expected_time_and_reopened(world, api):
    agent, tech, eng_mgr, security = (
        api("agent"),
        api("technician"),
        api("eng_manager"),
        api("security"),
    )
    case = open_problem(
        world, agent, title="楼道灯不亮", problem_description="3栋2单元15楼楼道灯不亮"
    )
    assert since(case, "resolution_due", "created_at") == 16 * H  # normal
    case = take(agent, case, "analyse", RECEIVED)
    refused(
        agent,
        case,
        "transfer",
        ANALYSED,
        CHECKED,
        code="invalid_form",
        fields=["handling_department"],
    )
    case = take(
        agent, case, "transfer", {**ANALYSED, "handling_department": "engineering"}, CHECKED
    )
    # Passed to the specialists: engineering owns it in one move; its manager is told.
    where(case, "handle", "open", "engineering")
    assert case["data"]["first_contact_resolved"] is False and case["assignee"] is None
    assert since(case, "step_due") == 4 * H
    assert notes(case) == ["eng_manager"]

    assert allowed(tech, case) == {
        "solved": True,
        "needs_time": True,
        "overdue": False,
        "wrong_department": True,
    }
    refused(tech, case, "solved", code="invalid_form", fields=["solution"])
    refused(
        tech,
        case,
        "needs_time",
        {"delay_reason": "需订购灯具"},
        code="invalid_form",
        fields=["expected_resolution_at"],
    )
    refused(tech, case, "overdue", status=403, code="role_not_allowed")
    expected = "2026-12-02T18:00:00+08:00"
    case = take(
        tech,
        case,
        "needs_time",
        {"delay_reason": "感应器损坏,需订购", "expected_resolution_at": expected},
    )
    # The desk tells the customer why and when.
    where(case, "inform_customer", "open", "service_center")
    assert since(case, "step_due") == 30 * M
    assert case["data"]["expected_resolution_at"] == expected
    refused(tech, case, "informed", {"inform_method": "phone"}, status=403, code="role_not_allowed")
    refused(agent, case, "informed", code="invalid_form", fields=["inform_method"])
    case = take(agent, case, "informed", {"inform_method": "sms"})
    where(case, "resolving", "open", "engineering")
    assert case["step_due"] == expected  # the time promised to the customer is the deadline
    assert notes(case) == ["eng_manager", "eng_manager"]

    # Still not done: the customer is told again, with a new time.
    case = take(
        tech,
        case,
        "needs_more_time",
        {"delay_reason": "灯具到货延迟", "expected_resolution_at": "2026-12-04T18:00:00+08:00"},
    )
    where(case, "inform_customer", "open", "service_center")
    case = take(agent, case, "informed", {"inform_method": "phone"})
    case = take(tech, case, "solved", {"solution": "更换感应器和灯具"})
    where(case, "feedback", "resolved", "service_center")
    assert since(case, "step_due") == 2 * H

    # The customer does not accept it: back to the analysis, a comeback, a new resolution cycle.
    told = {"result_told": "已更换", "inform_method": "phone", "customer_accepts": False}
    refused(agent, case, "not_resolved", told, code="invalid_form", fields=["customer_opinion"])
    refused(
        agent,
        case,
        "complaint_not_resolved",
        {**told, "customer_opinion": "x"},
        code="guard_failed",
    )
    case = take(agent, case, "not_resolved", {**told, "customer_opinion": "灯亮了但一直闪烁"})
    where(case, "analyse", "open", "service_center")
    assert case["comeback_count"] == 1 and case["resolved_at"] is None
    assert since(case, "resolution_due") == 16 * H
    # told: the transfer, each of the two expected times, and the customer's rejection
    assert notes(case) == ["eng_manager"] * 3 + ["sc_manager"]

    # Engineering sends it back: not theirs (the flicker is the estate's security lighting).
    case = take(agent, case, "transfer", {"handling_department": "engineering"}, CHECKED)
    refused(eng_mgr, case, "wrong_department", code="invalid_form", fields=["return_reason"])
    case = take(eng_mgr, case, "wrong_department", {"return_reason": "属安防照明,归秩序维护部"})
    where(case, "analyse", "open", "service_center")
    case = take(agent, case, "transfer", {"handling_department": "security"}, CHECKED)
    where(case, "handle", "open", "security")
    case = take(
        security, case, "solved", {"cause": "应急照明模块故障", "solution": "更换应急照明模块"}
    )
    case = take(
        agent,
        case,
        "close",
        {"result_told": "已更换应急照明模块", "inform_method": "phone", "customer_accepts": True},
    )
    where(case, "closed", "closed", "service_center")

    assert moves(agent, case) == [
        "analyse",
        "handle",
        "inform_customer",
        "resolving",
        "inform_customer",
        "resolving",
        "feedback",
        "analyse",
        "handle",
        "analyse",
        "handle",
        "feedback",
        "closed",
    ]
    assert owners(case) == [
        "service_center",
        "engineering",  # handle
        "service_center",  # inform the customer
        "engineering",  # resolving
        "service_center",
        "engineering",
        "service_center",  # feedback (the reopened analysis stays at the desk)
        "engineering",  # handle again
        "service_center",  # sent back
        "security",
        "service_center",
    ]
    assert differences() == []


def test_set_time_passes_and_the_system_sends_it_to_the_desk(world, api):
    agent = api("agent")
    case = open_problem(world, agent, priority="urgent")
    assert since(case, "resolution_due", "created_at") == 4 * H  # urgent
    case = take(agent, case, "analyse", RECEIVED)
    assert since(case, "step_due") == 10 * M  # analyse: urgent 10 min
    case = take(agent, case, "transfer", {**ANALYSED, "handling_department": "finance"}, CHECKED)
    where(case, "handle", "open", "finance")
    assert since(case, "step_due") == 1 * H  # handle: urgent 1 h
    assert notes(case) == ["finance"]  # the finance department's manager

    step_due = at(case, "step_due")
    assert fire_due(case["id"], now=step_due - timedelta(seconds=1)) == []
    fired = fire_due(case["id"], now=step_due + timedelta(seconds=1))
    assert len(fired) == 1 and fired[0].startswith("timeout:")
    case = agent.get(f"/api/cases/{case['id']}").json()
    where(case, "inform_customer", "open", "service_center")
    timed_out = Event.objects.get(case_id=case["id"], kind="timed_out")
    assert timed_out.actor is None
    assert timed_out.data["transition"] == "overdue" and timed_out.data["to"] == "inform_customer"
    assert fire_due(case["id"], now=step_due + timedelta(seconds=2)) == []  # never twice

    # The agent must now give the reason and the expected time the handler never gave.
    refused(
        agent,
        case,
        "informed",
        {"inform_method": "phone"},
        code="invalid_form",
        fields=["delay_reason", "expected_resolution_at"],
    )
    case = take(
        agent,
        case,
        "informed",
        {
            "inform_method": "phone",
            "delay_reason": "财务部正在核对历史缴费记录",
            "expected_resolution_at": "2026-12-01T12:00:00+08:00",
        },
    )
    where(case, "resolving", "open", "finance")
    assert case["step_due"] == "2026-12-01T12:00:00+08:00"  # resolving: by the promised time
    case = take(api("finance"), case, "solved", {"solution": "多收120元已退回"})
    case = take(
        agent,
        case,
        "close",
        {"result_told": "多收款项已退回", "inform_method": "phone", "customer_accepts": True},
    )
    where(case, "closed", "closed", "service_center")
    assert moves(agent, case) == [
        "analyse",
        "handle",
        "inform_customer",
        "resolving",
        "feedback",
        "closed",
    ]
    assert "timed_out" in kinds(case)
    assert differences() == []


def test_complaint_investigated_remedied_and_reworked(world, api):
    agent, eng_mgr, tech, sc_mgr = (
        api("agent"),
        api("eng_manager"),
        api("technician"),
        api("sc_manager"),
    )
    case = open_problem(
        world,
        agent,
        channel="walk_in",
        title="维修工弄脏地板",
        problem_description="维修工上门修水管后未清理,地板弄脏",
    )
    complaint = {"request_kind": "complaint", "understood": True}
    refused(agent, case, "analyse", complaint, code="guard_failed")
    refused(
        agent,
        case,
        "start_complaint",
        complaint,
        code="invalid_form",
        fields=["responsible_department"],
    )
    case = take(
        agent, case, "start_complaint", {**complaint, "responsible_department": "service_center"}
    )
    # Sent to the wrong department: the service centre's manager returns it to the desk.
    where(case, "investigate", "open", "service_center")
    case = take(sc_mgr, case, "wrong_department", {"return_reason": "维修工属工程部"})
    where(case, "receive", "open", "service_center")
    case = take(
        agent, case, "start_complaint", {**complaint, "responsible_department": "engineering"}
    )
    where(case, "investigate", "open", "engineering")
    assert since(case, "step_due") == 8 * H  # normal
    assert notes(case) == ["eng_manager", "sc_manager"]

    assert allowed(agent, case) == {"report": False, "wrong_department": False}
    refused(
        agent,
        case,
        "report",
        {"cause": "x", "solution": "x", "remedy": "x"},
        status=403,
        code="role_not_allowed",
    )
    refused(
        eng_mgr,
        case,
        "report",
        {"cause": "维修工未按规范清理现场", "solution": "已上门清洁"},
        code="invalid_form",
        fields=["remedy"],
    )
    case = take(
        eng_mgr,
        case,
        "report",
        {"cause": "维修工未按规范清理现场", "solution": "已上门清洁", "remedy": "赠送一次免费保洁"},
    )
    where(case, "feedback", "resolved", "service_center")
    told = {
        "result_told": "已清洁并赠送保洁",
        "inform_method": "in_person",
        "customer_accepts": False,
    }
    refused(agent, case, "not_resolved", {**told, "customer_opinion": "x"}, code="guard_failed")
    case = take(
        agent, case, "complaint_not_resolved", {**told, "customer_opinion": "要求维修工当面道歉"}
    )
    where(case, "investigate", "open", "engineering")
    assert case["comeback_count"] == 1 and since(case, "resolution_due") == 16 * H
    assert notes(case) == ["eng_manager", "eng_manager", "sc_manager"]
    case = take(tech, case, "report", {"remedy": "维修工已上门当面道歉"})
    case = take(agent, case, "close", {**told, "customer_accepts": True})
    where(case, "closed", "closed", "service_center")
    assert case["data"]["remedy"] == "维修工已上门当面道歉"
    assert moves(agent, case) == [
        "investigate",
        "receive",
        "investigate",
        "feedback",
        "investigate",
        "feedback",
        "closed",
    ]

    other = open_problem(world, agent)
    other = take(agent, other, "cancel", {"cancel_reason": "客户打错电话"})
    where(other, "cancelled", "cancelled", "service_center")
    assert differences() == []
