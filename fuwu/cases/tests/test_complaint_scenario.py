"""Complaint handling (SPEC §9 row 3, complaint.yaml) walked from intake to the end through the HTTP API.

The test world runs on a 24×7 calendar, so every deadline is exactly "moment + limit".
"""

from __future__ import annotations

from fuwu.cases.models import Case, Event
from fuwu.cases.replay import differences
from fuwu.notifications.models import Notification
from fuwu.testing.scenario import kinds, moves, since, take

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


def allowed(client, case) -> dict[str, tuple[bool, str | None]]:
    r = client.get(f"/api/cases/{case['id']}/transitions")
    assert r.status_code == 200, r.json()
    body = r.json()
    assert body["step"]["key"] == case["step"]["key"] and body["version"] == case["version"]
    return {t["key"]: (t["allowed"], t["reason"]) for t in body["transitions"]}


def where(case, step, status, department, assignee=None):
    assert case["step"]["key"] == step, case["step"]
    assert case["status"] == status, case["status"]
    assert case["department"]["code"] == department, case["department"]
    assert (case["assignee"] or {}).get("username") == assignee, case["assignee"]


def owners(world, case) -> set[int]:
    return {
        e.data["set"]["department"]
        for e in Event.objects.filter(case_id=case["id"])
        if "department" in e.data.get("set", {})
    }


def notes(world, case, persona, kind) -> int:
    return Notification.objects.filter(
        case_id=case["id"], recipient=world.users[persona], kind=kind
    ).count()


def open_complaint(world, client, *, priority=None, channel="phone", **extra):
    body = {
        "procedure": "complaint",
        "site": "lanting",
        "channel": channel,
        "title": "维修人员上门态度恶劣",
        "customer_id": world.customers["owner"].pk,
        "asset_id": world.assets["unit"].pk,
        "data": {
            "complaint_content": "昨天下午维修工上门修水管,态度恶劣并弄脏地板",
            "complainant_name": "王芳",
            "contact_phone": "13812345678",
            "customer_request": "道歉并清洁地板",
            "intake_method": "call_record",
            "complaint_summary": "维修工态度差、未清洁现场",
            **extra,
        },
    }
    if priority:
        body["priority"] = priority
    r = client.post("/api/cases", body)
    assert r.status_code == 201, r.json()
    return r.json()


def test_intake_demands_the_complainant(world, api):
    agent = api("agent")
    r = agent.post(
        "/api/cases",
        {
            "procedure": "complaint",
            "site": "lanting",
            "channel": "phone",
            "title": "投诉",
            "data": {"complaint_content": "噪音扰民"},
        },
    )
    assert r.status_code == 400
    body = r.json()
    assert body["code"] == "invalid_form"
    # The intake (procedure) fields are demanded at opening; the record step's own form
    # (intake_method, complaint_summary) is demanded when the case leaves that step.
    assert set(body["details"]["fields"]) == {"complainant_name"}
    r = agent.post(
        "/api/cases",
        {
            "procedure": "complaint",
            "site": "lanting",
            "channel": "sms",
            "title": "投诉",
            "data": {},
        },
    )
    assert r.status_code == 400 and r.json()["code"] == "channel_not_allowed"
    assert not Case.objects.exists()


def test_responsibility_complaint_end_to_end(world, api):
    agent, agent2, tech, eng_mgr, vp = (
        api("agent"),
        api("agent2"),
        api("technician"),
        api("eng_manager"),
        api("vp"),
    )

    case = open_complaint(world, agent)
    where(case, "record", "open", "service_center")
    assert case["priority"] == "high" and not case["is_major"] and case["comeback_count"] == 0
    assert case["first_response_at"] is None  # response_on_open: false
    # high: response 1h, resolution 16h, record step 1h (24×7 test calendar)
    assert since(case, "response_due", "created_at") == 1 * H
    assert since(case, "resolution_due", "created_at") == 16 * H
    assert since(case, "step_due", "created_at") == 1 * H
    assert case["return_visit_due"] is None and case["resolved_at"] is None
    assert case["data"]["complaint_summary"] and case["data"]["intake_method"] == "call_record"

    assert allowed(agent, case) == {"analyse": (True, None), "withdraw": (True, None)}
    assert allowed(tech, case) == {"analyse": (False, "role"), "withdraw": (False, "role")}
    assert refused(tech, case, "analyse", status=403, code="role_not_allowed")
    assert refused(agent, case, "no_such_move", code="unknown_transition")
    # Another site's staff cannot see the case at all.
    assert api("cc_agent").get(f"/api/cases/{case['id']}").status_code == 404
    assert take(api("cc_agent"), case, "analyse", expect=404)["code"] == "not_found"

    # A remark is the first action by a person: the response clock stops there.
    r = agent.post(f"/api/cases/{case['id']}/comments", {"text": "客户情绪激动,已先行安抚"})
    assert r.status_code == 201 and r.json()["kind"] == "commented"
    case = agent.get(f"/api/cases/{case['id']}").json()
    assert case["first_response_at"] == r.json()["at"]

    case = take(agent, case, "analyse")  # the record form was filled at intake
    where(case, "analyse", "open", "service_center")
    assert since(case, "step_due") == 2 * H
    assert (
        since(case, "resolution_due", "created_at") == 16 * H
    )  # moving steps does not restart resolution

    refused(
        agent,
        case,
        "responsible",
        {"complaint_nature": "responsible"},
        code="invalid_form",
        fields=["analysis"],
    )
    refused(
        agent,
        case,
        "responsible",
        {"complaint_nature": "maybe", "analysis": "x"},
        code="invalid_form",
        fields=["complaint_nature"],
    )
    refused(
        agent,
        case,
        "not_responsible",
        {"complaint_nature": "responsible", "analysis": "维修工服务规范问题"},
        code="guard_failed",
    )
    case = take(
        agent,
        case,
        "responsible",
        {"complaint_nature": "responsible", "analysis": "维修工服务规范问题"},
    )
    where(case, "apologise", "open", "service_center")
    assert since(case, "step_due") == 2 * H

    # Transfer: the responsible department is chosen on the form and owns the case in one move.
    refused(
        agent,
        case,
        "transfer",
        {},
        code="invalid_form",
        fields=["apology_method", "responsible_department"],
    )
    refused(
        agent,
        case,
        "transfer",
        {"apology_method": "phone", "responsible_department": "kitchen"},
        code="invalid_form",
        fields=["responsible_department"],
    )
    case = take(
        agent, case, "transfer", {"apology_method": "phone", "responsible_department": "security"}
    )
    where(case, "investigate", "open", "security")
    assert since(case, "step_due") == 8 * H  # investigate: high 8h

    # Not theirs: a manager sends it back (reason demanded, the step form is not), and it is re-routed.
    assert allowed(tech, case)["wrong_department"] == (False, "role")
    assert allowed(vp, case)["wrong_department"] == (True, None)
    refused(
        tech,
        case,
        "wrong_department",
        {"return_reason": "非本部门"},
        status=403,
        code="role_not_allowed",
    )
    refused(vp, case, "wrong_department", {}, code="invalid_form", fields=["return_reason"])
    case = take(
        vp, case, "wrong_department", {"return_reason": "属工程部维修人员行为,非秩序维护部责任"}
    )
    where(case, "apologise", "open", "service_center")
    case = take(
        agent,
        case,
        "transfer",
        {"responsible_department": "engineering", "transfer_note": "请核查维修工"},
    )
    where(case, "investigate", "open", "engineering")
    assert (
        notes(world, case, "eng_manager", "notify") == 1
    )  # transfer effect: the new department's manager

    # A manual transfer to the department already owning it is refused.
    r = eng_mgr.post(
        f"/api/cases/{case['id']}/transfer",
        {"version": case["version"], "department": "engineering"},
    )
    assert r.status_code == 400 and r.json()["code"] == "same_department"

    r = eng_mgr.post(
        f"/api/cases/{case['id']}/assign", {"version": case["version"], "assignee": "technician"}
    )
    assert r.status_code == 200, r.json()
    case = r.json()
    where(case, "investigate", "open", "engineering", "technician")
    assert notes(world, case, "technician", "assigned") == 1

    assert allowed(tech, case) == {
        "report_result": (True, None),
        "wrong_department": (False, "role"),
    }
    assert allowed(eng_mgr, case) == {
        "report_result": (True, None),
        "wrong_department": (True, None),
    }
    refused(
        tech,
        case,
        "report_result",
        {"cause": "维修工未按规范作业"},
        code="invalid_form",
        fields=["remedy"],
    )
    refused(
        tech,
        case,
        "report_result",
        {"cause": "x", "remedy": "y", "compensation": "-5"},
        code="invalid_form",
        fields=["compensation"],
    )
    case = take(
        tech,
        case,
        "report_result",
        {
            "cause": "维修工未按规范作业",
            "remedy": "上门致歉并清洁地板",
            "compensation": "200",
            "handled_by": "technician",
        },
    )
    # Back to the customer centre with the result: resolved, and the assignee cleared.
    where(case, "feedback", "resolved", "service_center")
    assert case["resolved_at"] == case["updated_at"] and case["data"]["compensation"] == "200.00"
    assert since(case, "step_due") == 4 * H

    refused(
        agent,
        case,
        "fed_back",
        {"feedback_method": "phone"},
        code="invalid_form",
        fields=["result_told"],
    )
    case = take(
        agent,
        case,
        "fed_back",
        {"feedback_method": "phone", "result_told": "已安排维修工道歉并清洁"},
    )
    where(case, "return_visit", "resolved", "service_center")
    assert since(case, "return_visit_due") == 8 * H and since(case, "step_due") == 24 * H

    # Return visit: not satisfied → the responsible department handles it again (a comeback).
    assert allowed(agent, case) == {
        "close": (True, None),
        "handle_again": (True, None),
        "explain_again": (True, None),
    }
    assert {k: a for k, (a, _) in allowed(tech, case).items()} == {
        "close": False,
        "handle_again": False,
        "explain_again": False,
    }
    refused(
        tech,
        case,
        "close",
        {"visit_method": "phone", "satisfied": True},
        status=403,
        code="role_not_allowed",
    )
    refused(
        agent, case, "close", {"visit_method": "phone", "satisfied": False}, code="guard_failed"
    )
    refused(
        agent,
        case,
        "handle_again",
        {"visit_method": "phone", "satisfied": False},
        code="invalid_form",
        fields=["customer_opinion"],
    )
    refused(
        agent,
        case,
        "explain_again",
        {"visit_method": "phone", "satisfied": False, "customer_opinion": "x"},
        code="guard_failed",
    )  # only for a complaint with no fault on our side
    resolved_first = case["resolved_at"]
    case = take(
        agent,
        case,
        "handle_again",
        {"visit_method": "phone", "satisfied": False, "customer_opinion": "地板仍未清洁干净"},
    )
    where(case, "investigate", "open", "engineering")
    assert (
        case["comeback_count"] == 1
        and case["resolved_at"] is None
        and case["return_visit_due"] is None
    )
    assert (
        since(case, "resolution_due") == 16 * H and since(case, "step_due") == 8 * H
    )  # a new resolution cycle
    assert resolved_first
    assert notes(world, case, "eng_manager", "notify") == 2

    r = eng_mgr.post(
        f"/api/cases/{case['id']}/assign", {"version": case["version"], "assignee": "technician"}
    )
    case = r.json()
    where(case, "investigate", "open", "engineering", "technician")
    case = take(tech, case, "report_result", {"cause": "清洁不彻底", "remedy": "安排保洁深度清洁"})
    where(case, "feedback", "resolved", "service_center")
    case = take(agent2, case, "fed_back", {"feedback_method": "visit", "result_told": "已深度清洁"})
    where(case, "return_visit", "resolved", "service_center")
    assert since(case, "return_visit_due") == 8 * H
    case = take(
        agent2,
        case,
        "close",
        {"visit_method": "visit", "satisfied": True, "customer_opinion": "满意"},
    )
    where(case, "closed", "closed", "service_center")
    assert (
        case["closed_at"] == case["updated_at"]
        and case["resolved_at"]
        and case["comeback_count"] == 1
    )
    assert case["return_visit_due"] is None

    # Closed: nothing is offered, nothing can be taken.
    assert allowed(agent, case) == {}
    refused(agent, case, "close", code="case_closed")

    assert moves(agent, case) == [
        "analyse",
        "apologise",
        "investigate",
        "apologise",
        "investigate",
        "feedback",
        "return_visit",
        "investigate",
        "feedback",
        "return_visit",
        "closed",
    ]
    row = Case.objects.get(pk=case["id"])
    keys = [
        e.data["transition"]
        for e in Event.objects.filter(case=row, kind="transitioned").order_by("seq")
    ]
    assert keys == [
        "analyse",
        "responsible",
        "transfer",
        "wrong_department",
        "transfer",
        "report_result",
        "fed_back",
        "handle_again",
        "report_result",
        "fed_back",
        "close",
    ]
    k = kinds(case)
    assert k[0] == "opened" and k[1] == "commented" and k[-1] == "transitioned"
    assert k.count("assigned") == 2 and k.count("return_visit_scheduled") == 2
    assert (
        "major_flagged" not in k and "transferred" not in k
    )  # ownership moved by the steps themselves
    assert owners(world, case) == {
        world.dept("lanting", c).pk for c in ("service_center", "security", "engineering")
    }
    assert differences() == []


def test_no_responsibility_complaint_explained_and_fed_back(world, api):
    agent, agent2, tech = api("agent"), api("agent2"), api("technician")
    case = open_complaint(
        world, agent, priority="normal", channel="letter", intake_method="letter_summary"
    )
    where(case, "record", "open", "service_center")
    # normal: response 2h, resolution 24h, record 1h
    assert since(case, "response_due", "created_at") == 2 * H
    assert since(case, "resolution_due", "created_at") == 24 * H
    assert since(case, "step_due", "created_at") == 1 * H

    case = take(agent, case, "analyse")
    assert case["first_response_at"] == case["updated_at"]  # the first transition is the response
    case = take(
        agent,
        case,
        "not_responsible",
        {"complaint_nature": "not_responsible", "analysis": "属市政停水,非物业责任"},
    )
    where(case, "explain", "open", "service_center")
    assert since(case, "step_due") == 4 * H

    refused(
        agent,
        case,
        "explained",
        {"explanation": "市政管网检修停水", "assistance_needed": True},
        code="guard_failed",
    )
    refused(
        agent,
        case,
        "assist",
        {"assistance_needed": True},
        code="invalid_form",
        fields=["explanation"],
    )
    refused(
        tech,
        case,
        "assist",
        {"explanation": "x", "assistance_needed": True},
        status=403,
        code="role_not_allowed",
    )
    case = take(
        agent,
        case,
        "assist",
        {"explanation": "市政管网检修停水,已出示通知", "assistance_needed": True},
    )
    where(case, "assist", "open", "service_center")
    assert since(case, "step_due") == 16 * H
    refused(agent, case, "assisted", {}, code="invalid_form", fields=["assistance"])
    case = take(agent, case, "assisted", {"assistance": "协助联系自来水公司,提供临时送水"})
    where(case, "feedback", "resolved", "service_center")
    assert case["resolved_at"] == case["updated_at"]
    case = take(agent2, case, "fed_back", {"feedback_method": "sms", "result_told": "已恢复供水"})
    where(case, "return_visit", "resolved", "service_center")
    assert since(case, "return_visit_due") == 8 * H
    refused(
        agent2,
        case,
        "handle_again",
        {"visit_method": "phone", "satisfied": False, "customer_opinion": "x"},
        code="guard_failed",
    )  # no fault on our side: there is no department to send it back to
    case = take(agent2, case, "close", {"visit_method": "phone", "satisfied": True})
    where(case, "closed", "closed", "service_center")
    assert case["comeback_count"] == 0 and case["closed_at"]

    assert moves(agent, case) == [
        "analyse",
        "explain",
        "assist",
        "feedback",
        "return_visit",
        "closed",
    ]
    assert owners(world, case) == {world.dept("lanting", "service_center").pk}
    assert kinds(case) == [
        "opened",
        "transitioned",
        "transitioned",
        "transitioned",
        "transitioned",
        "transitioned",
        "return_visit_scheduled",
        "transitioned",
    ]
    assert differences() == []


def test_no_responsibility_complaint_explained_again_until_satisfied(world, api):
    agent = api("agent")
    case = open_complaint(world, agent, priority="urgent", channel="wechat", intake_method="online")
    # urgent: response 30m, resolution 8h, record 15m
    assert since(case, "response_due", "created_at") == 30 * M
    assert since(case, "resolution_due", "created_at") == 8 * H
    assert since(case, "step_due", "created_at") == 15 * M
    case = take(agent, case, "analyse")
    assert since(case, "step_due") == 30 * M
    case = take(
        agent,
        case,
        "not_responsible",
        {"complaint_nature": "not_responsible", "analysis": "业主误解"},
    )
    assert since(case, "step_due") == 1 * H
    # Re-analyse leaves the step without its form.
    case = take(agent, case, "reassess")
    where(case, "analyse", "open", "service_center")
    case = take(agent, case, "not_responsible", {"analysis": "复核:确属业主误解"})
    case = take(
        agent, case, "explained", {"explanation": "车位收费按合同执行", "assistance_needed": False}
    )
    where(case, "return_visit", "resolved", "service_center")  # the return-visit step resolves too
    assert case["resolved_at"] == case["updated_at"]
    assert since(case, "return_visit_due") == 8 * H
    case = take(
        agent,
        case,
        "explain_again",
        {"visit_method": "phone", "satisfied": False, "customer_opinion": "仍不理解收费依据"},
    )
    where(case, "explain", "open", "service_center")
    assert (
        case["comeback_count"] == 1
        and case["return_visit_due"] is None
        and case["resolved_at"] is None
    )
    assert since(case, "resolution_due") == 8 * H
    case = take(agent, case, "explained", {"explanation": "出示合同条款及物价局批文"})
    case = take(agent, case, "close", {"visit_method": "visit", "satisfied": True})
    where(case, "closed", "closed", "service_center")
    assert moves(agent, case) == [
        "analyse",
        "explain",
        "analyse",
        "explain",
        "return_visit",
        "explain",
        "return_visit",
        "closed",
    ]
    assert differences() == []


def test_complaint_withdrawn(world, api):
    agent, tech = api("agent"), api("technician")
    case = open_complaint(world, agent)
    refused(tech, case, "withdraw", {"withdraw_reason": "x"}, status=403, code="role_not_allowed")
    refused(agent, case, "withdraw", {}, code="invalid_form", fields=["withdraw_reason"])
    case = take(agent, case, "withdraw", {"withdraw_reason": "客户已与维修工和解"})
    where(case, "withdrawn", "cancelled", "service_center")
    assert case["closed_at"] == case["updated_at"] and case["resolved_at"] is None
    assert case["first_response_at"] == case["updated_at"]
    assert allowed(agent, case) == {}
    refused(agent, case, "analyse", code="case_closed")
    assert moves(agent, case) == ["withdrawn"]
    assert kinds(case) == ["opened", "transitioned"]
    assert differences() == []


def test_major_complaint_alerts_the_vp_at_once(world, api):
    agent = api("agent")
    case = open_complaint(world, agent)
    case = take(agent, case, "analyse")
    refused(
        agent,
        case,
        "mark_major",
        {"complaint_nature": "not_responsible", "analysis": "x"},
        code="guard_failed",
    )
    assert not Notification.objects.filter(kind="major").exists()
    case = take(
        agent,
        case,
        "mark_major",
        {"complaint_nature": "responsible", "analysis": "造成业主财产损失,影响恶劣"},
    )
    where(case, "apologise", "open", "service_center")
    assert case["is_major"]
    # The head of the reporting line (service centre manager → VP) is told in the same move.
    assert list(
        Notification.objects.filter(kind="major").values_list("recipient__username", flat=True)
    ) == ["vp"]
    assert kinds(case)[-2:] == ["transitioned", "major_flagged"]
    case = take(
        agent,
        case,
        "transfer",
        {"apology_method": "in_person", "responsible_department": "engineering"},
    )
    where(case, "investigate", "open", "engineering")
    assert case["is_major"] and Notification.objects.filter(kind="major").count() == 1
    assert differences() == []


def test_complaint_on_the_dealership_resolves_its_own_departments(world, api):
    """The definition names the customer centre (`service_center`); a dealership has a call
    centre instead (`departments:` stand-in), and is offered only the departments it has."""
    from django.test import Client

    cc, as_mgr = api("cc_agent"), api("as_manager")
    r = cc.post(
        "/api/cases",
        {
            "procedure": "complaint",
            "site": "dealer",
            "channel": "phone",
            "title": "保养后异响未解决",
            "customer_id": world.customers["driver"].pk,
            "asset_id": world.assets["car"].pk,
            "data": {
                "complaint_content": "上周保养后底盘异响,再次进店仍未解决",
                "complainant_name": "李强",
                "intake_method": "call_record",
                "complaint_summary": "保养后异响两次未修好",
            },
        },
    )
    assert r.status_code == 201, r.json()
    case = r.json()
    where(case, "record", "open", "call_center")
    case = take(cc, case, "analyse")
    case = take(
        cc, case, "responsible", {"complaint_nature": "responsible", "analysis": "返修未查明原因"}
    )
    where(case, "apologise", "open", "call_center")

    # The staff page offers the dealership's departments only.
    page = Client()
    page.force_login(world.users["cc_agent"])
    html = page.get(f"/cases/{case['id']}/").content.decode()
    assert 'value="aftersales"' in html and 'value="workshop"' in html
    assert 'value="security"' not in html and 'value="engineering"' not in html

    # The API offers the same options.
    body = cc.get(f"/api/cases/{case['id']}/transitions").json()
    transfer = next(t for t in body["transitions"] if t["key"] == "transfer")
    field = next(f for f in transfer["fields"] if f["key"] == "responsible_department")
    offered = {o["value"] for o in field["options"]}
    assert {"aftersales", "workshop", "finance"} <= offered and "security" not in offered

    # One it does not have is refused on the field, and nothing changes.
    refused(
        cc,
        case,
        "transfer",
        {"apology_method": "phone", "responsible_department": "security"},
        code="invalid_form",
        fields=["responsible_department"],
    )
    case = take(
        cc, case, "transfer", {"apology_method": "phone", "responsible_department": "aftersales"}
    )
    where(case, "investigate", "open", "aftersales")
    case = take(as_mgr, case, "report_result", {"cause": "底盘螺栓松动", "remedy": "紧固并试车"})
    where(case, "feedback", "resolved", "call_center")


def test_the_lanting_complaint_is_offered_lantings_departments(world, api):
    from django.test import Client

    agent = api("agent")
    case = open_complaint(world, agent)
    case = take(agent, case, "analyse")
    case = take(
        agent, case, "responsible", {"complaint_nature": "responsible", "analysis": "服务规范问题"}
    )
    page = Client()
    page.force_login(world.users["agent"])
    html = page.get(f"/cases/{case['id']}/").content.decode()
    assert 'value="security"' in html and 'value="engineering"' in html
    assert 'value="aftersales"' not in html and 'value="workshop"' not in html
