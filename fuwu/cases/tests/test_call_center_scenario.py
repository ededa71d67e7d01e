"""After-sales call centre (SPEC §9 row 17, after_sales_call_center.yaml) walked through the HTTP API.

The test world runs on a 24×7 calendar, so every deadline is exactly "moment + limit".
"""

from __future__ import annotations

from fuwu.cases.models import Case, WorkLog
from fuwu.cases.replay import differences
from fuwu.notifications.models import Notification
from fuwu.testing.scenario import assign, kinds, moves, owners, since, take

H = 3600
M = 60


def refused(client, case, key, form=None, *, status=400, code, fields=()):
    """A refused move: the status, the error code, every named field — and nothing changed."""
    body = take(client, case, key, form, expect=status)
    assert body["code"] == code, body
    for name in fields:
        assert name in body["details"].get("fields", {}), body
    after = client.get(f"/api/cases/{case['id']}").json()
    assert after["version"] == case["version"] and after["step"]["key"] == case["step"]["key"]
    return body


def allowed(client, case) -> dict[str, bool]:
    r = client.get(f"/api/cases/{case['id']}/transitions")
    assert r.status_code == 200, r.json()
    body = r.json()
    assert body["step"]["key"] == case["step"]["key"] and body["version"] == case["version"]
    for t in body["transitions"]:
        assert t["reason"] == (None if t["allowed"] else "role"), t
    return {t["key"]: t["allowed"] for t in body["transitions"]}


def where(case, step, status, department, assignee=None):
    assert case["step"]["key"] == step, case["step"]
    assert case["status"] == status, case["status"]
    assert case["department"]["code"] == department, case["department"]
    assert (case["assignee"] or {}).get("username") == assignee, case["assignee"]


def notes(case, kind, persona=None) -> list[str]:
    qs = Notification.objects.filter(case_id=case["id"], kind=kind)
    if persona:
        qs = qs.filter(recipient__username=persona)
    return sorted(qs.values_list("recipient__username", flat=True))


def open_call(world, client, *, request_type, priority=None, **extra):
    body = {
        "procedure": "after_sales_call_center",
        "site": "dealer",
        "channel": "phone",
        "title": "车载导航系统故障",
        "customer_id": world.customers["driver"].pk,
        "asset_id": world.assets["car"].pk,
        "data": {
            "request": "导航屏幕黑屏,无法启动",
            "contact_name": "李强",
            "contact_phone": "13987654321",
            "product": "车载信息娱乐系统",
            "request_type": request_type,
            **extra,
        },
    }
    if priority:
        body["priority"] = priority
    r = client.post("/api/cases", body)
    assert r.status_code == 201, r.json()
    case = r.json()
    # response_on_open: opening the case is the response; there is no response deadline.
    assert case["first_response_at"] == case["created_at"] and case["response_due"] is None
    where(case, "identify", "open", "call_center")
    assert since(case, "step_due", "created_at") == 15 * M  # identify: 15m whatever the priority
    return case


def test_intake_demands_the_request(world, api):
    r = api("cc_agent").post(
        "/api/cases",
        {
            "procedure": "after_sales_call_center",
            "site": "dealer",
            "channel": "phone",
            "title": "来电",
            "data": {},
        },
    )
    assert r.status_code == 400
    body = r.json()
    # The request (a procedure field) is demanded at opening; the identify step's request_type
    # when the call leaves that step.
    assert body["code"] == "invalid_form" and set(body["details"]["fields"]) == {"request"}
    r = api("cc_agent").post(
        "/api/cases",
        {
            "procedure": "after_sales_call_center",
            "site": "dealer",
            "channel": "letter",
            "title": "来信",
            "data": {},
        },
    )
    assert r.status_code == 400 and r.json()["code"] == "channel_not_allowed"
    assert not Case.objects.exists()


def test_consultation_answered_on_the_spot(world, api):
    cc, engineer = api("cc_agent"), api("engineer")
    case = open_call(world, cc, request_type="consultation")
    assert case["priority"] == "normal" and since(case, "resolution_due", "created_at") == 16 * H
    assert allowed(cc, case) == {
        k: True
        for k in (
            "answer_on_spot",
            "ask_engineer",
            "open_case",
            "open_major_case",
            "coordinate",
            "cancel",
        )
    }
    assert not any(allowed(engineer, case).values())

    refused(
        engineer,
        case,
        "answer_on_spot",
        {"answer": "x", "user_satisfied": True},
        status=403,
        code="role_not_allowed",
    )
    refused(
        cc, case, "answer_on_spot", {}, code="invalid_form", fields=["answer", "user_satisfied"]
    )
    refused(
        cc,
        case,
        "answer_on_spot",
        {"answer": "长按电源键十秒重启", "user_satisfied": False},
        code="guard_failed",
    )
    case = take(
        cc, case, "answer_on_spot", {"answer": "长按电源键十秒重启即可恢复", "user_satisfied": True}
    )
    where(case, "consultation_logged", "closed", "call_center")
    assert (
        case["closed_at"] == case["updated_at"]
        and case["data"]["answer"] == "长按电源键十秒重启即可恢复"
    )
    assert case["first_response_at"] == case["created_at"]  # unchanged by the first transition
    assert not case["is_major"] and case["comeback_count"] == 0 and case["return_visit_due"] is None
    # Recorded, and nothing more: no engineer, no work, nobody told.
    assert moves(cc, case) == ["consultation_logged"]
    assert owners(case) == ["call_center"]
    assert kinds(case) == ["opened", "transitioned"]
    assert not WorkLog.objects.filter(case_id=case["id"]).exists()
    assert not Notification.objects.filter(case_id=case["id"]).exists()
    assert allowed(cc, case) == {}
    refused(cc, case, "ask_engineer", code="case_closed")
    assert differences() == []


def test_consultation_not_satisfied_opens_a_case(world, api):
    cc, engineer, pm = api("cc_agent"), api("engineer"), api("pm")
    case = open_call(world, cc, request_type="consultation")
    refused(
        cc,
        case,
        "answer_on_spot",
        {"answer": "请重启", "user_satisfied": False},
        code="guard_failed",
    )
    refused(cc, case, "ask_engineer", {"request_type": "support"}, code="guard_failed")
    case = take(cc, case, "ask_engineer")
    where(case, "engineer_answer", "open", "aftersales")
    assert since(case, "step_due") == 2 * H

    assert allowed(engineer, case) == {"answered": True, "open_case": True}
    assert allowed(cc, case) == {"answered": False, "open_case": False}
    refused(
        cc,
        case,
        "answered",
        {"engineer_answer": "x", "user_satisfied": True},
        status=403,
        code="role_not_allowed",
    )
    refused(
        engineer,
        case,
        "answered",
        {"engineer_answer": "需升级固件", "user_satisfied": False},
        code="guard_failed",
    )
    refused(
        engineer,
        case,
        "open_case",
        {"engineer_answer": "需升级固件", "user_satisfied": False},
        code="invalid_form",
        fields=["handling_department"],
    )
    refused(
        engineer,
        case,
        "open_case",
        {"user_satisfied": True, "handling_department": "aftersales"},
        code="guard_failed",
    )
    case = take(
        engineer,
        case,
        "open_case",
        {
            "engineer_answer": "需升级固件",
            "user_satisfied": False,
            "handling_department": "aftersales",
        },
    )
    where(case, "engineer", "open", "aftersales")
    assert (
        since(case, "step_due") == 8 * H and since(case, "resolution_due", "created_at") == 16 * H
    )

    # Waiting on the user pauses the clock; the case keeps its owner and assignee.
    case = assign(engineer, case, "engineer")  # self-assignment
    case = take(engineer, case, "wait_for_user", {"wait_reason": "用户出差,下周到店"})
    where(case, "waiting_user", "waiting", "aftersales", "engineer")
    assert case["paused"] and case["step_due"] is None
    due = case["resolution_due"]
    case = take(engineer, case, "resume")
    where(case, "engineer", "open", "aftersales", "engineer")
    assert not case["paused"] and case["resolution_due"] >= due

    # Case transfer (Case 转移): a new handling department, project management told to watch it.
    refused(
        engineer,
        case,
        "transfer",
        {"handling_department": "workshop"},
        code="invalid_form",
        fields=["transfer_reason"],
    )
    case = take(
        engineer,
        case,
        "transfer",
        {"handling_department": "workshop", "transfer_reason": "需拆检主机"},
    )
    where(case, "engineer", "open", "workshop")
    assert notes(case, "notify") == ["pm"]
    assert allowed(api("as_manager"), case)["transfer"]  # the workshop's manager may move it
    assert not allowed(pm, case)["transfer"]  # another department's manager may not

    assert moves(cc, case) == [
        "engineer_answer",
        "engineer",
        "waiting_user",
        "engineer",
        "engineer",
    ]
    assert owners(case) == ["call_center", "aftersales", "workshop"]
    k = kinds(case)
    assert k[:3] == ["opened", "transitioned", "transitioned"] and "paused" in k and "resumed" in k
    assert case["data"]["engineer_answer"] == "需升级固件" and case["comeback_count"] == 0
    assert differences() == []


def test_major_case_up_the_line_and_back(world, api):
    cc, engineer, specialist, as_mgr, vp, pm = (
        api(p) for p in ("cc_agent", "engineer", "specialist", "as_manager", "vp", "pm")
    )
    case = open_call(world, cc, request_type="support", priority="urgent")
    assert since(case, "resolution_due", "created_at") == 4 * H  # urgent

    refused(
        cc,
        case,
        "open_major_case",
        {},
        code="invalid_form",
        fields=["in_contract", "handling_department"],
    )
    refused(
        cc,
        case,
        "open_major_case",
        {"in_contract": "no", "handling_department": "aftersales"},
        code="guard_failed",
    )
    assert not Notification.objects.exists()
    case = take(
        cc, case, "open_major_case", {"in_contract": "yes", "handling_department": "aftersales"}
    )
    where(case, "engineer", "open", "aftersales")
    assert case["is_major"] and since(case, "step_due") == 2 * H  # engineer: urgent 2h
    # The VP, top of the line (as_manager → vp), is told at once; the department manager gets the new case.
    assert notes(case, "major") == ["vp"]
    assert notes(case, "notify") == ["as_manager"]
    assert kinds(case) == ["opened", "transitioned", "major_flagged"]

    assert allowed(engineer, case) == {
        "solve": True,
        "to_specialist": True,
        "wait_for_user": True,
        "transfer": True,
    }
    assert not any(allowed(cc, case).values())
    case = assign(as_mgr, case, "engineer")
    where(case, "engineer", "open", "aftersales", "engineer")

    # The engineer cannot solve it: closing without `solved == true` is refused.
    refused(cc, case, "solve", {"solved": True}, status=403, code="role_not_allowed")
    record = {"problem_description": "导航主机黑屏", "diagnosis": "主板供电异常"}
    refused(
        engineer, case, "solve", record, code="invalid_form", fields=["actions_taken", "solved"]
    )
    refused(
        engineer,
        case,
        "solve",
        {**record, "actions_taken": "更换保险丝", "solved": False},
        code="guard_failed",
    )
    refused(
        engineer, case, "to_specialist", record, code="invalid_form", fields=["escalation_reason"]
    )
    case = take(
        engineer, case, "to_specialist", {**record, "escalation_reason": "更换保险丝后仍黑屏"}
    )
    # Same department: the engineer stays assigned until someone takes it.
    where(case, "specialist", "open", "aftersales", "engineer")
    assert since(case, "step_due") == 2 * H
    assert notes(case, "notify", "specialist") == ["specialist"]

    assert allowed(specialist, case) == {"solve": True, "guide_engineer": True, "to_manager": True}
    assert not any(allowed(engineer, case).values())
    refused(
        engineer,
        case,
        "to_manager",
        {"escalation_reason": "x"},
        status=403,
        code="role_not_allowed",
    )
    case = assign(specialist, case, "specialist")
    where(case, "specialist", "open", "aftersales", "specialist")
    refused(
        specialist,
        case,
        "solve",
        {"actions_taken": "刷写固件", "solved": False},
        code="guard_failed",
    )
    case = take(
        specialist,
        case,
        "to_manager",
        {"specialist_notes": "疑似主板损坏", "escalation_reason": "需厂家支持"},
    )
    where(case, "manager", "open", "aftersales", "specialist")
    assert since(case, "step_due") == 2 * H
    assert notes(case, "notify", "as_manager") == ["as_manager", "as_manager"]

    assert allowed(as_mgr, case) == {"solve": True, "add_staff": True, "to_vp": True}
    assert not any(allowed(specialist, case).values())
    refused(
        specialist, case, "to_vp", {"escalation_reason": "x"}, status=403, code="role_not_allowed"
    )
    case = take(
        as_mgr,
        case,
        "to_vp",
        {"manager_decision": "申请厂家支援", "escalation_reason": "厂家配件需副总协调"},
    )
    where(case, "vp", "open", "aftersales", "specialist")  # keep: ownership unchanged
    assert since(case, "step_due") == 16 * H
    assert notes(case, "notify", "vp") == ["vp"]

    assert allowed(vp, case) == {"solve": True, "instruct": True}
    assert not any(allowed(as_mgr, case).values())
    refused(
        as_mgr,
        case,
        "solve",
        {"actions_taken": "x", "solved": True},
        status=403,
        code="role_not_allowed",
    )
    refused(
        vp,
        case,
        "solve",
        {"actions_taken": "协调厂家更换主机"},
        code="invalid_form",
        fields=["solved"],
    )
    refused(
        vp,
        case,
        "solve",
        {"actions_taken": "协调厂家更换主机", "solved": False},
        code="guard_failed",
    )
    case = take(
        vp,
        case,
        "solve",
        {
            "actions_taken": "协调厂家加急更换主机",
            "solved": True,
            "vp_instructions": "厂家直送配件",
        },
    )
    where(case, "close_out", "open", "aftersales", "specialist")
    assert since(case, "step_due") == 1 * H  # close_out: urgent 1h

    refused(engineer, case, "close_case", {}, code="invalid_form", fields=["user_confirmed"])
    case = take(
        engineer, case, "close_case", {"user_confirmed": True, "archive_note": "主机已更换"}
    )
    # Closed out: project management calls back; the case counts as resolved from here.
    where(case, "return_visit", "resolved", "project_management")
    assert case["resolved_at"] == case["updated_at"]
    assert since(case, "return_visit_due") == 16 * H and since(case, "step_due") == 24 * H

    assert allowed(pm, case) == {"close": True, "reopen": True}
    assert not any(allowed(engineer, case).values())
    refused(
        engineer,
        case,
        "close",
        {"visit_method": "phone", "fully_solved": True, "satisfied": True},
        status=403,
        code="role_not_allowed",
    )
    refused(
        pm,
        case,
        "close",
        {"visit_method": "phone", "fully_solved": False, "satisfied": True},
        code="guard_failed",
    )
    refused(
        pm,
        case,
        "reopen",
        {"visit_method": "phone", "fully_solved": False, "satisfied": False},
        code="invalid_form",
        fields=["user_feedback"],
    )
    case = take(
        pm,
        case,
        "reopen",
        {
            "visit_method": "phone",
            "fully_solved": False,
            "satisfied": False,
            "user_feedback": "导航偶尔仍会重启",
        },
    )
    # Reopened to the engineer: a comeback, a new resolution cycle, `solved` cleared.
    where(case, "engineer", "open", "aftersales")
    assert (
        case["comeback_count"] == 1
        and case["resolved_at"] is None
        and case["return_visit_due"] is None
    )
    assert case["data"]["solved"] is False and case["is_major"]
    assert since(case, "resolution_due") == 4 * H and since(case, "step_due") == 2 * H
    assert notes(case, "notify", "as_manager") == ["as_manager"] * 3

    # The old record is on file, but `solved` was cleared: solving needs it set again.
    refused(engineer, case, "solve", {}, code="guard_failed")
    case = assign(as_mgr, case, "engineer")
    case = take(engineer, case, "solve", {"actions_taken": "升级主机固件至 3.2", "solved": True})
    where(case, "close_out", "open", "aftersales", "engineer")
    case = take(engineer, case, "close_case", {"user_confirmed": True})
    where(case, "return_visit", "resolved", "project_management")
    assert since(case, "return_visit_due") == 16 * H
    case = take(
        pm,
        case,
        "close",
        {"visit_method": "phone", "fully_solved": True, "satisfied": True, "user_feedback": "满意"},
    )
    where(case, "closed", "closed", "project_management")
    assert (
        case["closed_at"] == case["updated_at"]
        and case["comeback_count"] == 1
        and case["resolved_at"]
    )
    assert case["first_response_at"] == case["created_at"]

    assert moves(cc, case) == [
        "engineer",
        "specialist",
        "manager",
        "vp",
        "close_out",
        "return_visit",
        "engineer",
        "close_out",
        "return_visit",
        "closed",
    ]
    assert owners(case) == [
        "call_center",
        "aftersales",
        "project_management",
        "aftersales",
        "project_management",
    ]
    k = kinds(case)
    assert (
        k.count("major_flagged") == 1
        and k.count("assigned") == 3
        and k.count("return_visit_scheduled") == 2
    )
    assert notes(case, "major") == ["vp"]  # told once, not again on every move
    assert differences() == []


def test_out_of_contract_declined_and_cancelled_calls(world, api):
    cc, pm, as_mgr = api("cc_agent"), api("pm"), api("as_manager")
    case = open_call(world, cc, request_type="support")
    refused(
        cc,
        case,
        "open_case",
        {"in_contract": "no", "handling_department": "aftersales"},
        code="guard_failed",
    )
    case = take(cc, case, "coordinate", {"in_contract": "no"})
    where(case, "coordinate", "open", "call_center")
    assert since(case, "step_due") == 8 * H
    refused(
        as_mgr,
        case,
        "decline",
        {"coordination": "报价 800 元", "user_accepts": True},
        code="guard_failed",
    )
    case = take(
        as_mgr,
        case,
        "decline",
        {"coordination": "报价 800 元,用户不接受", "quote": "800", "user_accepts": False},
    )
    where(case, "declined", "rejected", "call_center")
    assert case["closed_at"] and case["data"]["quote"] == "800.00"

    other = open_call(world, cc, request_type="support")
    # The call centre's manager cancels (the project manager manages another department).
    refused(as_mgr, other, "cancel", {}, code="invalid_form", fields=["cancel_reason"])
    refused(pm, other, "cancel", {"cancel_reason": "x"}, status=403, code="step_owned_elsewhere")
    other = take(as_mgr, other, "cancel", {"cancel_reason": "打错电话"})
    where(other, "cancelled", "cancelled", "call_center")
    assert moves(cc, case) == ["coordinate", "declined"] and moves(cc, other) == ["cancelled"]
    assert differences() == []
