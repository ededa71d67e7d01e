"""Product repair request (SPEC §9 row 14, product_repair.yaml) walked through the HTTP API.

Seed 客户服务办理报修工作程序: 接受报修申请 (details; after-sales coverage? visit needed?) → 分派相关领域
的维修工程师, 提供工程师联系方式, 协商维修时间 → 上门维修, 记录工具、配件、耗时 → 维修结果反馈 →
满意度调查 → 客户关怀. On the dealer site: the call centre receives and surveys, the after-sales
engineers (electrical, electronic) or the workshop (mechanical) repair. The test world runs 24×7.
"""

from __future__ import annotations

from fuwu.cases.models import Event
from fuwu.cases.replay import differences
from fuwu.core.models import Department
from fuwu.notifications.models import Notification
from fuwu.testing.scenario import assign, kinds, refused, since, take

H, M = 3600, 60
PROCEDURE = "product_repair"


# -- helpers (each library test file is self-contained) ----------------------------------------


def open_case(world, client, *, channel="phone", priority=None, expect=201, **data):
    body = {
        "procedure": PROCEDURE,
        "site": "dealer",
        "channel": channel,
        "title": "家用充电桩无法充电",
        "customer_id": world.customers["driver"].pk,
        "asset_id": world.assets["car"].pk,
        "data": {
            "product": "7kW 家用交流充电桩 AC-7",
            "serial_no": "AC7-2025-00815",
            "purchase_date": "2025-06-18",
            "fault_description": "充电桩指示灯红灯常亮，无法给车辆充电",
            "contact_name": "李强",
            "contact_phone": "13987654321",
            "address": "深圳市南山区科技园 8 栋地下车库 B2-066",
            **data,
        },
    }
    if priority:
        body["priority"] = priority
    r = client.post("/api/cases", body)
    assert r.status_code == expect, r.json()
    return r.json()


def log_work(client, case, **entry):
    r = client.post(f"/api/cases/{case['id']}/work-log", entry)
    assert r.status_code == 201, r.json()
    return r.json()


def where(case, step, status, department, assignee=None):
    assert case["step"]["key"] == step, case["step"]
    assert case["status"] == status, case["status"]
    assert case["department"]["code"] == department, case["department"]
    assert (case["assignee"] or {}).get("username") == assignee, case["assignee"]


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


def notes(case, persona) -> int:
    return Notification.objects.filter(
        case_id=case["id"], kind="notify", recipient__username=persona
    ).count()


IN_WARRANTY = {
    "fault_details": "红灯常亮，车辆端提示“充电设备故障”",
    "occurred_at": "2026-11-20T21:30:00+08:00",
    "usage_environment": "地下车库，潮湿",
    "coverage": "in_warranty",
    "onsite_needed": True,
}
ELECTRICAL = {
    "specialty": "electrical",
    "repair_department": "aftersales",
    "repair_engineer": "engineer",
    "engineer_hours": "周一至周六 9:00-18:00",
}
CONTACT_GIVEN = {"engineer_contact_given": True}
VISIT = {"visit_at": "2026-11-28T10:00:00+08:00"}
FIXED = {"fault_fixed": True, "tested": True}
SURVEY_OK = {
    "survey_method": "phone",
    "product_quality_score": 4,
    "service_score": 5,
    "communication_score": 5,
    "satisfied": True,
}


def book_and_arrive(api, case, engineer="engineer", manager="as_manager", department="aftersales"):
    cc, mgr, eng = api("cc_agent"), api(manager), api(engineer)
    case = take(cc, case, "book_visit", VISIT)
    where(case, "visit_booked", "open", department)
    case = assign(mgr, case, engineer)
    case = take(eng, case, "arrive")
    where(case, "onsite_repair", "open", department, engineer)
    return case


# -- in warranty, electrical: the seed's whole path, with a wait, a reschedule and a second try --


def test_in_warranty_repair_surveyed_and_cared_for(world, api):
    cc, eng = api("cc_agent"), api("engineer")
    # 客户发起报修申请: phone, e-mail, online chat, website — not a walk-in.
    assert open_case(world, cc, channel="walk_in", expect=400)["code"] == "channel_not_allowed"
    case = open_case(world, cc)
    where(case, "intake", "open", "call_center")
    assert since(case, "response_due", "created_at") == 2 * H
    assert since(case, "resolution_due", "created_at") == 24 * H
    assert since(case, "step_due", "created_at") == 30 * M

    # 沟通问题细节, 确定是否属于售后范畴以及是否需要上门, 建立报修记录.
    refused(
        cc,
        case,
        "register",
        code="invalid_form",
        fields=["fault_details", "coverage", "onsite_needed"],
    )
    refused(cc, case, "solve_by_phone", {**IN_WARRANTY, "phone_guidance": "x"}, code="guard_failed")
    refused(cc, case, "decline", {**IN_WARRANTY, "decline_reason": "x"}, code="guard_failed")
    refused(eng, case, "register", IN_WARRANTY, status=403, code="role_not_allowed")
    case = take(cc, case, "register", IN_WARRANTY)
    where(case, "dispatch", "open", "call_center")
    assert since(case, "step_due") == 1 * H and case["first_response_at"]

    # 分派相关领域的维修工程师: an electrical fault goes to after-sales, not the workshop.
    refused(
        cc,
        case,
        "dispatched",
        {**ELECTRICAL, "repair_department": "workshop"},
        CONTACT_GIVEN,
        code="guard_failed",
    )
    refused(
        cc, case, "dispatched", ELECTRICAL, {"engineer_contact_given": False}, code="guard_failed"
    )
    refused(
        cc,
        case,
        "dispatched",
        {**ELECTRICAL, "repair_engineer": "nobody"},
        CONTACT_GIVEN,
        code="invalid_form",
        fields=["repair_engineer"],
    )
    case = take(cc, case, "dispatched", ELECTRICAL, CONTACT_GIVEN)
    where(case, "agree_time", "open", "call_center")
    assert since(case, "step_due") == 2 * H

    # 协商维修时间: the customer cannot say yet — the clock pauses.
    case = take(cc, case, "customer_unavailable", {"wait_reason": "客户出差，周五回电"})
    where(case, "waiting_customer", "waiting", "call_center")
    assert case["paused"]
    case = take(cc, case, "customer_ready")
    where(case, "agree_time", "open", "call_center")
    refused(cc, case, "book_visit", code="invalid_form", fields=["visit_at"])
    case = take(cc, case, "book_visit", VISIT)
    # The department of the specialty owns the visit; its manager is told to assign the engineer.
    where(case, "visit_booked", "open", "aftersales")
    assert case["step_due"] == VISIT["visit_at"] and notes(case, "as_manager") == 1
    assert case["data"]["repair_engineer"] == "engineer"
    refused(eng, case, "reschedule", status=400, code="invalid_form", fields=["reschedule_reason"])
    case = take(eng, case, "reschedule", {"reschedule_reason": "工程师前一单延误"})
    where(case, "agree_time", "open", "call_center")
    case = book_and_arrive(api, case)
    assert since(case, "step_due") == 8 * H

    # 上门维修 + 维修过程记录: tools, parts and time in the work log, the cause on the form.
    refused(cc, case, "repaired", status=403, code="role_not_allowed")
    log_work(eng, case, kind="tool", description="万用表、绝缘电阻测试仪")
    log_work(eng, case, kind="part", description="漏电保护模块", quantity="1", unit_price="180")
    log_work(eng, case, kind="labour", description="上门检测更换", hours="1.5")
    case = eng.get(f"/api/cases/{case['id']}").json()  # each work-log entry is a change (version)
    repair = {
        "diagnosis": "潮湿导致漏电保护模块损坏",
        "repair_actions": "更换漏电保护模块，加装防水罩",
        "tools_used": "万用表、绝缘电阻测试仪",
        "parts_replaced": "漏电保护模块 ×1",
        "labour_hours": 1.5,
        "time_and_cost_told": True,
    }
    refused(
        eng, case, "repaired", repair, {"fault_fixed": True, "tested": False}, code="guard_failed"
    )
    case = take(eng, case, "repaired", repair, FIXED)
    where(case, "result_feedback", "open", "aftersales", "engineer")
    assert since(case, "step_due") == 1 * H
    # 维修结果反馈: the customer says it trips again — back to the repair.
    refused(eng, case, "confirmed", {"problem_solved": False}, code="guard_failed")
    case = take(eng, case, "not_solved", {"problem_solved": False})
    where(case, "onsite_repair", "open", "aftersales", "engineer")
    case = take(eng, case, "repaired", {**repair, "repair_actions": "重新接线并紧固端子"}, FIXED)
    case = take(
        eng, case, "confirmed", {"problem_solved": True, "usage_advice": "雨季保持防水罩闭合"}
    )

    # 满意度调查: resolved, surveyed by the call centre on product, service and communication.
    where(case, "survey", "resolved", "call_center")
    assert since(case, "return_visit_due") == 8 * H and since(case, "step_due") == 24 * H
    refused(
        cc,
        case,
        "satisfied",
        {**SURVEY_OK, "service_score": 6},
        code="invalid_form",
        fields=["service_score"],
    )
    refused(cc, case, "revisit", {**SURVEY_OK, "survey_comments": "x"}, code="guard_failed")
    case = take(cc, case, "satisfied", SURVEY_OK)
    # 客户关怀.
    where(case, "customer_care", "resolved", "call_center")
    assert since(case, "step_due") == 40 * H
    refused(cc, case, "cared", {"care_method": "phone"}, code="invalid_form", fields=["care_notes"])
    case = take(
        cc,
        case,
        "cared",
        {
            "care_method": "phone",
            "care_notes": "使用正常，提醒定期检查接地",
            "next_contact_on": "2027-05-01",
        },
    )
    where(case, "closed", "closed", "call_center")
    assert case["comeback_count"] == 0

    work = cc.get(f"/api/cases/{case['id']}/work-log").json()
    assert [w["kind"] for w in work] == ["tool", "part", "labour"]
    assert work[1]["amount"] == "180.00" and work[2]["hours"] == "1.50"
    assert path(case) == [
        ("transitioned", "dispatch"),
        ("transitioned", "agree_time"),
        ("transitioned", "waiting_customer"),
        ("transitioned", "agree_time"),
        ("transitioned", "visit_booked"),
        ("transitioned", "agree_time"),
        ("transitioned", "visit_booked"),
        ("transitioned", "onsite_repair"),
        ("transitioned", "result_feedback"),
        ("transitioned", "onsite_repair"),
        ("transitioned", "result_feedback"),
        ("transitioned", "survey"),
        ("transitioned", "customer_care"),
        ("transitioned", "closed"),
    ]
    assert owners(case) == [
        "call_center",
        "aftersales",
        "call_center",
        "aftersales",
        "call_center",
    ]
    k = kinds(case)
    assert k.count("work_logged") == 3 and k.count("assigned") == 1
    assert k.count("paused") == 1 and k.count("resumed") == 1
    assert differences() == []


# -- out of warranty, mechanical: paid, a second visit for parts, and a dissatisfied survey ------


def test_paid_mechanical_repair_with_a_second_visit_and_a_comeback(world, api):
    cc, wt = api("cc_agent"), api("workshop_tech")
    case = open_case(world, cc, priority="high", fault_description="充电桩立柱支架松动摇晃")
    assert since(case, "resolution_due", "created_at") == 16 * H
    paid = {**IN_WARRANTY, "coverage": "out_of_warranty", "fault_details": "立柱底座螺栓锈断"}
    refused(cc, case, "register", paid, code="guard_failed")  # the charges are not agreed yet
    case = take(cc, case, "register", {**paid, "accepts_charges": True})
    mech = {
        "specialty": "mechanical",
        "repair_department": "workshop",
        "repair_engineer": "workshop_tech",
    }
    refused(
        cc,
        case,
        "dispatched",
        {**mech, "repair_department": "aftersales"},
        CONTACT_GIVEN,
        code="guard_failed",
    )
    case = take(cc, case, "dispatched", mech, CONTACT_GIVEN)
    case = book_and_arrive(api, case, engineer="workshop_tech", department="workshop")
    assert since(case, "step_due") == 8 * H  # high priority: the default 8 h

    # Parts needed: agree another visit (the form is not demanded to leave).
    case = take(wt, case, "another_visit", {"another_visit_reason": "需订购不锈钢底座螺栓"})
    where(case, "agree_time", "open", "call_center")
    case = book_and_arrive(api, case, engineer="workshop_tech", department="workshop")
    repair = {
        "diagnosis": "底座螺栓锈断",
        "repair_actions": "更换不锈钢螺栓并加固立柱",
        "labour_hours": 2,
        "time_and_cost_told": True,
    }
    refused(
        wt, case, "repaired", repair, FIXED, code="guard_failed"
    )  # a paid repair needs its charge
    case = take(wt, case, "repaired", {**repair, "charge": "260"}, FIXED)
    case = take(wt, case, "confirmed", {"problem_solved": True})
    where(case, "survey", "resolved", "call_center")

    # Not satisfied: the case is reopened (a comeback) and another repair is arranged.
    unhappy = {**SURVEY_OK, "satisfied": False, "service_score": 2}
    refused(cc, case, "revisit", unhappy, code="invalid_form", fields=["survey_comments"])
    refused(cc, case, "send_engineer", {**unhappy, "survey_comments": "x"}, code="guard_failed")
    case = take(cc, case, "revisit", {**unhappy, "survey_comments": "立柱仍有轻微晃动"})
    where(case, "agree_time", "open", "call_center")
    assert case["comeback_count"] == 1 and case["resolved_at"] is None
    assert since(case, "resolution_due") == 16 * H
    assert notes(case, "as_manager") >= 1
    case = book_and_arrive(api, case, engineer="workshop_tech", department="workshop")
    case = take(
        wt, case, "repaired", {**repair, "charge": "260", "repair_actions": "加装斜撑"}, FIXED
    )
    case = take(wt, case, "confirmed", {"problem_solved": True})
    case = take(cc, case, "satisfied", SURVEY_OK)
    case = take(cc, case, "cared", {"care_method": "sms", "care_notes": "回访稳固"})
    where(case, "closed", "closed", "call_center")
    assert case["comeback_count"] == 1 and case["data"]["charge"] == "260.00"
    assert [to for _, to in path(case)].count("onsite_repair") == 3
    assert owners(case) == [
        "call_center",
        "workshop",
        "call_center",
        "workshop",
        "call_center",
        "workshop",
        "call_center",
    ]
    assert differences() == []


# -- no visit needed: guided by phone; dissatisfied, an engineer is sent after all ---------------


def test_phone_guidance_then_an_engineer_is_sent(world, api):
    cc, eng = api("cc_agent"), api("engineer")
    case = open_case(world, cc, channel="web")
    by_phone = {**IN_WARRANTY, "onsite_needed": False}
    refused(cc, case, "register", by_phone, code="guard_failed")
    refused(cc, case, "solve_by_phone", by_phone, code="invalid_form", fields=["phone_guidance"])
    case = take(cc, case, "solve_by_phone", {**by_phone, "phone_guidance": "指导客户复位漏电开关"})
    where(case, "survey", "resolved", "call_center")
    assert since(case, "return_visit_due") == 8 * H
    unhappy = {**SURVEY_OK, "satisfied": False, "survey_comments": "复位后次日又跳闸"}
    refused(cc, case, "revisit", unhappy, code="guard_failed")  # nobody was dispatched yet
    case = take(cc, case, "send_engineer", unhappy)
    where(case, "dispatch", "open", "call_center")
    assert case["comeback_count"] == 1
    case = take(cc, case, "dispatched", ELECTRICAL, CONTACT_GIVEN)
    case = book_and_arrive(api, case)
    case = take(
        eng,
        case,
        "repaired",
        {
            "diagnosis": "漏电模块老化",
            "repair_actions": "更换",
            "labour_hours": 1,
            "time_and_cost_told": True,
        },
        FIXED,
    )
    case = take(eng, case, "confirmed", {"problem_solved": True})
    case = take(cc, case, "satisfied", SURVEY_OK)
    case = take(cc, case, "cared", {"care_method": "email", "care_notes": "已发送使用指南"})
    where(case, "closed", "closed", "call_center")
    assert [to for _, to in path(case)][:3] == ["survey", "dispatch", "agree_time"]
    assert differences() == []


# -- 不属于售后范畴, charges declined, and a withdrawn request ------------------------------------


def test_not_covered_declined_and_withdrawn(world, api):
    cc = api("cc_agent")
    case = open_case(world, cc, channel="email")
    not_ours = {**IN_WARRANTY, "coverage": "not_covered"}
    refused(cc, case, "register", not_ours, code="guard_failed")
    refused(cc, case, "decline", not_ours, code="invalid_form", fields=["decline_reason"])
    case = take(cc, case, "decline", {**not_ours, "decline_reason": "非本公司销售的充电桩"})
    where(case, "declined", "rejected", "call_center")

    case = open_case(world, cc, channel="wechat")
    no_pay = {**IN_WARRANTY, "coverage": "out_of_warranty", "accepts_charges": False}
    case = take(cc, case, "decline", {**no_pay, "decline_reason": "客户不接受维修费用"})
    where(case, "declined", "rejected", "call_center")

    case = open_case(world, cc)
    case = take(cc, case, "cancel", {"cancel_reason": "客户自行修好"})  # the form is not demanded
    where(case, "cancelled", "cancelled", "call_center")
    assert path(case) == [("transitioned", "cancelled")]
    assert differences() == []
