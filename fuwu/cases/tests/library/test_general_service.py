"""General service procedure (SPEC §9 row 1, general_service.yaml) walked through the HTTP API.

Seed 服务工作程序范文: reception → needs → advice → agreement → service → follow-up → relationship
→ evaluation, with the seed's branches: the customer disagrees (advise again) or declines, asks for
an adjustment during the service, is dissatisfied (problem solving: talk it through, serve again,
or a complaint), has a new need (a new linked case), and the evaluation raises an improvement.
The test world runs on a 24×7 calendar, so every deadline is exactly "moment + limit".
"""

from __future__ import annotations

from fuwu.cases.models import Case, Event
from fuwu.cases.replay import differences
from fuwu.testing.scenario import allowed, kinds, moves, notes, since, take, where

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


def owners(case) -> list[str]:
    """Owning departments in the order the events set them."""
    from fuwu.core.models import Department

    codes = dict(Department.objects.values_list("pk", "code"))
    return [
        codes[e.data["set"]["department"]]
        for e in Event.objects.filter(case_id=case["id"]).order_by("seq")
        if "department" in e.data.get("set", {})
    ]


def open_service(world, client, **extra):
    r = client.post(
        "/api/cases",
        {
            "procedure": "general_service",
            "site": "lanting",
            "channel": "walk_in",
            "title": "阳台防水层重做咨询",
            "customer_id": world.customers["owner"].pk,
            "asset_id": world.assets["unit"].pk,
            "data": {
                "customer_name": "王芳",
                "contact_phone": "13812345678",
                "service_request": "阳台渗水,想重做防水",
                **extra,
            },
        },
    )
    assert r.status_code == 201, r.json()
    return r.json()


AGREED = {
    "agreed_content": "阳台重做防水层并闭水试验48小时",
    "agreed_time": "2026-12-05T09:00:00+08:00",
    "agreed_place": "3栋2单元1502阳台",
    "customer_agreed": True,
}
DONE_CHECKS = {"progress_reported": True, "customer_checked": True}


def to_follow_up(world, api):
    """Reception → … → service done: the case stands on follow_up."""
    agent, tech = api("agent"), api("technician")
    case = open_service(world, agent)
    case = take(agent, case, "receive", checklist={"greeted": True})
    case = take(agent, case, "needs_recorded", {"needs_detail": "阳台地面渗水到楼下"})
    case = take(agent, case, "advise", {"advice": "重做防水", "service_department": "engineering"})
    case = take(agent, case, "agree", AGREED)
    case = take(tech, case, "start_service")
    case = take(tech, case, "complete", {"service_record": "铲除旧防水层,刷两遍"}, DONE_CHECKS)
    where(case, "follow_up", "resolved", "service_center")
    return case


def test_agreed_service_delivered_and_evaluated(world, api):
    agent, tech, sc_mgr = api("agent"), api("technician"), api("sc_manager")
    case = open_service(world, agent)
    where(case, "reception", "open", "service_center")
    assert case["priority"] == "normal" and case["first_response_at"] is None
    # normal: response 1 h, resolution 40 h, reception 10 min (24×7 test calendar)
    assert since(case, "response_due", "created_at") == 1 * H
    assert since(case, "resolution_due", "created_at") == 40 * H
    assert since(case, "step_due", "created_at") == 10 * M

    # 一、接待客户: greeted first; only the service centre's people may receive.
    assert allowed(agent, case) == {"receive": True, "cancel": True}
    assert allowed(tech, case) == {"receive": False, "cancel": False}
    refused(tech, case, "receive", status=403, code="role_not_allowed")
    refused(agent, case, "receive", code="invalid_form", fields=["checklist.greeted"])
    refused(agent, case, "receive", checklist={"greeted": False}, code="guard_failed")
    case = take(agent, case, "receive", checklist={"greeted": True})
    where(case, "needs", "open", "service_center")
    assert case["first_response_at"] == case["updated_at"] and since(case, "step_due") == 30 * M

    refused(agent, case, "needs_recorded", code="invalid_form", fields=["needs_detail"])
    case = take(
        agent,
        case,
        "needs_recorded",
        {"needs_detail": "阳台地面渗水到楼下", "requirements": "周末施工"},
    )
    where(case, "advice", "open", "service_center")
    assert since(case, "step_due") == 2 * H

    refused(agent, case, "advise", code="invalid_form", fields=["advice", "service_department"])
    case = take(
        agent,
        case,
        "advise",
        {"advice": "重做防水层", "service_department": "engineering", "estimated_cost": "800"},
    )
    where(case, "agreement", "open", "service_center")
    assert since(case, "step_due") == 8 * H and case["data"]["estimated_cost"] == "800.00"

    # 三、确认服务内容和约定: the customer disagrees → advise again.
    refused(agent, case, "revise", {"customer_agreed": False}, code="invalid_form")
    refused(
        agent,
        case,
        "revise",
        {"customer_agreed": True, "revision_request": "x"},
        code="guard_failed",
    )
    case = take(agent, case, "revise", {"customer_agreed": False, "revision_request": "费用太高"})
    where(case, "advice", "open", "service_center")
    case = take(agent, case, "advise", {"advice": "局部修补防水", "estimated_cost": "500"})
    refused(
        agent,
        case,
        "agree",
        {"customer_agreed": True},
        code="invalid_form",
        fields=["agreed_content", "agreed_time", "agreed_place"],
    )
    refused(agent, case, "agree", {**AGREED, "customer_agreed": False}, code="guard_failed")
    case = take(agent, case, "agree", AGREED)
    # Agreed: the delivering department owns the case; waiting for the agreed time pauses the clock.
    where(case, "scheduled", "waiting", "engineering")
    assert case["paused"] and case["step_due"] is None and case["assignee"] is None
    assert notes(case) == ["eng_manager"]
    due = case["resolution_due"]

    # 四、提供服务 at the agreed time; the customer asks for an adjustment → agree again.
    assert allowed(tech, case) == {"start_service": True, "reschedule": False}
    case = take(tech, case, "start_service")
    where(case, "service", "open", "engineering")
    assert not case["paused"] and case["resolution_due"] >= due and since(case, "step_due") == 8 * H
    # Engineering's step: the service centre's agent may not complete it.
    refused(agent2 := api("agent2"), case, "complete", status=403, code="step_owned_elsewhere")
    refused(tech, case, "adjust", code="invalid_form", fields=["adjustment_request"])
    case = take(tech, case, "adjust", {"adjustment_request": "客户要求加做墙角防水"})
    where(case, "agreement", "open", "service_center")
    case = take(agent2, case, "agree", {**AGREED, "agreed_content": "阳台及墙角重做防水"})
    where(case, "scheduled", "waiting", "engineering")
    case = take(tech, case, "start_service")

    # Waiting on the customer mid-service pauses the clock too.
    case = take(tech, case, "wait_for_customer", {"wait_reason": "业主临时外出"})
    where(case, "waiting_customer", "waiting", "engineering")
    case = take(tech, case, "resume")
    where(case, "service", "open", "engineering")

    record = {"service_record": "铲除旧防水层,刷两遍防水涂料,闭水试验合格"}
    refused(
        tech,
        case,
        "complete",
        record,
        {"progress_reported": True, "customer_checked": False},
        code="guard_failed",
    )
    case = take(tech, case, "complete", record, DONE_CHECKS)
    # 五、服务后跟踪: back to the customer centre; the case counts as resolved.
    where(case, "follow_up", "resolved", "service_center")
    assert case["resolved_at"] == case["updated_at"]
    assert since(case, "return_visit_due") == 24 * H and since(case, "step_due") == 24 * H

    refused(
        tech,
        case,
        "satisfied",
        {"visit_method": "phone", "satisfaction": "satisfied"},
        status=403,
        code="role_not_allowed",
    )
    refused(
        agent,
        case,
        "problem",
        {"visit_method": "phone", "satisfaction": "satisfied", "customer_problem": "x"},
        code="guard_failed",
    )
    case = take(
        agent,
        case,
        "satisfied",
        {"visit_method": "phone", "satisfaction": "very_satisfied", "service_effect": "不再渗水"},
    )
    # 六、客户关系维护
    where(case, "relationship", "resolved", "service_center")
    assert since(case, "step_due") == 40 * H
    form = {"relationship_actions": "节前问候,告知雨季注意事项", "further_needs": False}
    refused(
        agent,
        case,
        "maintained",
        form,
        code="invalid_form",
        fields=["checklist.customer_file_updated"],
    )
    refused(
        agent,
        case,
        "new_service",
        {**form, "new_need": "x"},
        {"customer_file_updated": True},
        code="guard_failed",
    )
    case = take(agent, case, "maintained", form, {"customer_file_updated": True})
    # 八、服务质量评估: the service centre's manager.
    where(case, "evaluation", "resolved", "service_center")
    assert since(case, "step_due") == 40 * H
    assert allowed(agent, case) == {"archive": False, "raise_improvement": False}
    refused(
        agent,
        case,
        "archive",
        {"quality_score": 5, "evaluation": "x"},
        status=403,
        code="role_not_allowed",
    )
    refused(
        sc_mgr,
        case,
        "archive",
        {"quality_score": 6, "evaluation": "x"},
        code="invalid_form",
        fields=["quality_score"],
    )
    case = take(
        sc_mgr, case, "archive", {"quality_score": 5, "evaluation": "按约定完成,客户非常满意"}
    )
    where(case, "closed", "closed", "service_center")
    assert case["closed_at"] == case["updated_at"] and case["comeback_count"] == 0

    assert moves(agent, case) == [
        "needs",
        "advice",
        "agreement",
        "advice",
        "agreement",
        "scheduled",
        "service",
        "agreement",
        "scheduled",
        "service",
        "waiting_customer",
        "service",
        "follow_up",
        "relationship",
        "evaluation",
        "closed",
    ]
    assert owners(case) == [
        "service_center",
        "engineering",
        "service_center",
        "engineering",
        "service_center",
    ]
    k = kinds(case)
    assert k[0] == "opened" and k.count("paused") == 3 and k.count("resumed") == 3
    assert k.count("return_visit_scheduled") == 1 and "linked_case_opened" not in k
    assert notes(case) == ["eng_manager", "eng_manager"]
    assert differences() == []


def test_dissatisfied_customer_new_need_and_improvement(world, api):
    agent, tech, sc_mgr = api("agent"), api("technician"), api("sc_manager")
    case = to_follow_up(world, api)
    visit = {"visit_method": "phone", "satisfaction": "dissatisfied"}

    # 七、服务反馈和问题解决: dissatisfied → reopened, a comeback, a new resolution cycle.
    refused(agent, case, "problem", visit, code="invalid_form", fields=["customer_problem"])
    refused(agent, case, "satisfied", visit, code="guard_failed")
    case = take(agent, case, "problem", {**visit, "customer_problem": "楼下仍有渗水痕迹"})
    where(case, "problem_solving", "open", "service_center")
    assert case["comeback_count"] == 1 and case["resolved_at"] is None
    assert case["return_visit_due"] is None
    assert since(case, "resolution_due") == 40 * H and since(case, "step_due") == 8 * H
    assert notes(case) == ["eng_manager", "sc_manager"]

    refused(
        agent,
        case,
        "solved",
        {"problem_analysis": "闭水时间不足"},
        code="invalid_form",
        fields=["solution"],
    )
    case = take(agent, case, "redo_service", {"problem_analysis": "闭水时间不足,需返工"})
    where(case, "service", "open", "engineering")
    assert notes(case) == ["eng_manager", "eng_manager", "sc_manager"]
    case = take(tech, case, "complete", {"service_record": "补刷一遍,闭水72小时"}, DONE_CHECKS)
    where(case, "follow_up", "resolved", "service_center")
    case = take(agent, case, "problem", {**visit, "customer_problem": "施工后地面有污渍"})
    assert case["comeback_count"] == 2
    case = take(
        agent, case, "solved", {"problem_analysis": "清洁不到位", "solution": "已派保洁清理"}
    )
    where(case, "follow_up", "resolved", "service_center")
    case = take(agent, case, "satisfied", {"visit_method": "visit", "satisfaction": "satisfied"})
    where(case, "relationship", "resolved", "service_center")

    # 六、A new need: a new general service case is opened, linked to this one.
    form = {"relationship_actions": "回访时了解到新需求", "further_needs": True}
    refused(agent, case, "maintained", form, {"customer_file_updated": True}, code="guard_failed")
    refused(
        agent,
        case,
        "new_service",
        form,
        {"customer_file_updated": True},
        code="invalid_form",
        fields=["new_need"],
    )
    case = take(
        agent,
        case,
        "new_service",
        {**form, "new_need": "想加装阳台晾衣架"},
        {"customer_file_updated": True},
    )
    where(case, "evaluation", "resolved", "service_center")
    child = Case.objects.get(parent_id=case["id"])
    assert child.procedure_key == "general_service" and child.channel == "system"
    assert child.step == "reception" and child.department.code == "service_center"
    assert child.data == {"customer_name": "王芳", "contact_phone": "13812345678"}
    assert child.customer_id == world.customers["owner"].pk and child.status == "open"

    # 八、改进: the evaluation raises an improvement plan item.
    refused(
        sc_mgr,
        case,
        "raise_improvement",
        {"quality_score": 3, "evaluation": "返工两次"},
        code="invalid_form",
        fields=["objective"],
    )
    case = take(
        sc_mgr,
        case,
        "raise_improvement",
        {"quality_score": 3, "evaluation": "返工两次", "objective": "防水施工增加闭水验收环节"},
    )
    where(case, "closed", "closed", "service_center")
    item = Case.objects.get(parent_id=case["id"], procedure_key="improvement_plan_item")
    assert item.step == "propose" and item.department.code == "service_center"
    assert item.data == {"objective": "防水施工增加闭水验收环节"} and item.channel == "system"

    assert moves(agent, case)[-8:] == [
        "problem_solving",
        "service",
        "follow_up",
        "problem_solving",
        "follow_up",
        "relationship",
        "evaluation",
        "closed",
    ]
    k = kinds(case)
    assert k.count("linked_case_opened") == 2 and k.count("return_visit_scheduled") == 2
    assert case["comeback_count"] == 2
    assert differences() == []


def test_complaint_dispute_and_early_exits(world, api):
    agent, sc_mgr = api("agent"), api("sc_manager")
    case = to_follow_up(world, api)
    case = take(
        agent,
        case,
        "problem",
        {
            "visit_method": "phone",
            "satisfaction": "dissatisfied",
            "customer_problem": "施工损坏地砖",
        },
    )
    # 七、2. A complaint or dispute: a complaint case takes it over; this one goes to evaluation.
    refused(
        agent,
        case,
        "to_complaint",
        {"problem_analysis": "施工损坏"},
        code="invalid_form",
        fields=["complaint_content", "complainant_name"],
    )
    case = take(
        agent,
        case,
        "to_complaint",
        {
            "problem_analysis": "施工中损坏阳台地砖,客户要求赔偿",
            "complaint_content": "防水施工损坏阳台地砖三块",
            "complainant_name": "王芳",
        },
    )
    where(case, "evaluation", "open", "service_center")
    complaint = Case.objects.get(parent_id=case["id"])
    assert complaint.procedure_key == "complaint" and complaint.step == "record"
    assert complaint.department.code == "service_center" and complaint.channel == "system"
    assert complaint.data == {
        "complaint_content": "防水施工损坏阳台地砖三块",
        "complainant_name": "王芳",
        "contact_phone": "13812345678",
    }
    assert notes(case) == ["eng_manager", "sc_manager", "sc_manager"]
    case = take(sc_mgr, case, "archive", {"quality_score": 2, "evaluation": "施工保护不到位"})
    where(case, "closed", "closed", "service_center")
    assert moves(agent, case)[-3:] == ["problem_solving", "evaluation", "closed"]

    # The customer declines at the agreement; another leaves at the reception.
    other = open_service(world, agent)
    other = take(agent, other, "receive", checklist={"greeted": True})
    other = take(agent, other, "needs_recorded", {"needs_detail": "咨询"})
    other = take(agent, other, "advise", {"advice": "建议", "service_department": "security"})
    refused(agent, other, "decline", code="invalid_form", fields=["decline_reason"])
    other = take(agent, other, "decline", {"decline_reason": "价格不接受"})
    where(other, "declined", "cancelled", "service_center")
    assert moves(agent, other) == ["needs", "advice", "agreement", "declined"]

    third = open_service(world, agent)
    refused(
        api("technician"),
        third,
        "cancel",
        {"cancel_reason": "x"},
        status=403,
        code="role_not_allowed",
    )
    third = take(agent, third, "cancel", {"cancel_reason": "客户未说明来意即离开"})
    where(third, "cancelled", "cancelled", "service_center")
    assert third["closed_at"] and moves(agent, third) == ["cancelled"]
    assert owners(third) == ["service_center"]
    assert differences() == []
