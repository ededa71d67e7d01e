"""Agency service (SPEC §9 row 20, agency_service.yaml) walked through the HTTP API.

Seed 物业部代办服务工作程序: 接待顾客 → 收集相关材料 (per service: letting a flat — lease contract, ID,
property certificate; vehicle pass — driving licence, owner's ID, purchase-tax proof) → 填写代办申请表
→ 审核材料和申请表 (incomplete or wrong → the customer adds or corrects, reviewed again) → 交相关部门
办理 → 监督办理进度 (chase) → 通知顾客, 交还材料和申请表 → 归档. The test world runs 24×7.
"""

from __future__ import annotations

from datetime import timedelta

from fuwu.cases.models import Event
from fuwu.cases.replay import differences
from fuwu.notifications.models import Notification
from fuwu.sla.escalation import fire_due
from fuwu.testing.scenario import at, kinds, refused, since, take

H, M = 3600, 60
PROCEDURE = "agency_service"


# -- helpers (each library test file is self-contained) ----------------------------------------


def open_case(world, client, service_type, *, channel="walk_in", expect=201):
    r = client.post(
        "/api/cases",
        {
            "procedure": PROCEDURE,
            "site": "lanting",
            "channel": channel,
            "title": "代办：" + service_type,
            "customer_id": world.customers["owner"].pk,
            "asset_id": world.assets["unit"].pk,
            "data": {
                "applicant_name": "王芳",
                "applicant_phone": "13812345678",
                "service_type": service_type,
            },
        },
    )
    assert r.status_code == expect, r.json()
    return r.json()


def where(case, step, status, assignee=None):
    """Every step of this procedure is the customer centre's."""
    assert case["step"]["key"] == step, case["step"]
    assert case["status"] == status, case["status"]
    assert case["department"]["code"] == "service_center", case["department"]
    assert (case["assignee"] or {}).get("username") == assignee, case["assignee"]


def path(case) -> list[tuple[str, str]]:
    return [
        (e.kind, e.data["to"])
        for e in Event.objects.filter(case_id=case["id"]).order_by("seq")
        if e.kind in ("transitioned", "joined", "timed_out") and "to" in e.data
    ]


EXPLAINED = {"items_explained": True, "process_explained": True, "materials_explained": True}
APPLICATION = {
    "application_items": "3栋2单元1502 出租登记备案，租期一年",
    "applicant_id_no": "440301198805061234",
    "material_list": "租赁合同、身份证复印件、房产证复印件",
}
R = "received"
HOUSE_DOCS = {"id_proof": R, "lease_contract": R, "property_certificate": R}
VEHICLE_DOCS = {"id_proof": R, "driving_licence": R, "purchase_tax_proof": R}
MATCHES = {"matches_application": True}
RETURNED = {"materials_returned": True, "application_returned": True, "result_checked": True}


def to_review(api, case, application=APPLICATION):
    agent = api("agent")
    case = take(agent, case, "accept", checklist=EXPLAINED)
    case = take(agent, case, "collected", {"materials_received": "见材料清单"})
    case = take(agent, case, "filled", application, {"form_checked": True})
    assert case["step"]["key"] == "review", case["step"]
    return case


def finish(api, case, result="approved"):
    agent = api("agent")
    case = take(agent, case, "completed", {"office_result": result, "result_note": "已办结"})
    case = take(agent, case, "notified", {"notify_method": "sms"})
    case = take(agent, case, "returned", {"received_by": "王芳"}, RETURNED)
    case = take(agent, case, "archived", {"archive_no": "DB-2026-118"})
    return case


# -- letting a flat: a missing certificate, supplied; handed in, chased, done, returned, filed ----


def test_house_rental_supplemented_chased_and_archived(world, api):
    agent, tech, mgr = api("agent"), api("technician"), api("sc_manager")
    case = open_case(world, agent, "house_rental")
    where(case, "reception", "open")
    assert since(case, "response_due", "created_at") == 30 * M
    assert since(case, "resolution_due", "created_at") == 80 * H
    assert since(case, "step_due", "created_at") == 30 * M
    r = agent.post(
        f"/api/cases/{case['id']}/assign", {"version": case["version"], "assignee": "agent"}
    )
    assert r.status_code == 200, r.json()
    case = r.json()

    # 接待顾客: what can be done, the process and the documents, all explained.
    refused(
        agent,
        case,
        "accept",
        checklist={**EXPLAINED, "materials_explained": False},
        code="guard_failed",
    )
    refused(tech, case, "accept", checklist=EXPLAINED, status=403, code="role_not_allowed")
    case = take(agent, case, "accept", checklist=EXPLAINED)
    where(case, "collect_materials", "open", "agent")
    assert since(case, "step_due") == 2 * H
    # 收集相关材料 → 填写代办申请表 (checked carefully).
    refused(agent, case, "collected", code="invalid_form", fields=["materials_received"])
    case = take(
        agent, case, "collected", {"materials_received": "租赁合同 1 份、身份证复印件 1 份"}
    )
    where(case, "fill_application", "open", "agent")
    refused(
        agent, case, "filled", APPLICATION, code="invalid_form", fields=["checklist.form_checked"]
    )
    case = take(agent, case, "filled", APPLICATION, {"form_checked": True})
    where(case, "review", "open", "agent")
    assert since(case, "step_due") == 2 * H

    # 审核: letting a flat needs the lease, the ID and the property certificate, and a match.
    refused(
        agent,
        case,
        "pass",
        checklist={"id_proof": R, "lease_contract": R, **MATCHES},
        code="invalid_form",
        fields=["checklist.property_certificate"],
    )
    # A vehicle document does not apply to letting a flat.
    refused(
        agent,
        case,
        "pass",
        checklist={**HOUSE_DOCS, "driving_licence": R, **MATCHES},
        code="invalid_form",
        fields=["checklist.driving_licence"],
    )
    refused(
        agent,
        case,
        "pass",
        checklist={**HOUSE_DOCS, "matches_application": False},
        code="guard_failed",
    )
    refused(
        agent,
        case,
        "pass",
        checklist=HOUSE_DOCS,
        code="invalid_form",
        fields=["checklist.matches_application"],
    )
    refused(agent, case, "incomplete", code="invalid_form", fields=["missing_items"])
    case = take(
        agent,
        case,
        "incomplete",
        {"missing_items": "缺房屋产权证明"},
        {"id_proof": R, "lease_contract": R, "property_certificate": "missing", **MATCHES},
    )
    # 通知顾客补充: the customer's time does not count.
    where(case, "supplement", "waiting", "agent")
    assert case["paused"] and since(case, "step_due") == 80 * H
    case = take(agent, case, "supplied")
    where(case, "review", "open", "agent")
    # Reviewed again: each review fills the checklist anew.
    refused(
        agent,
        case,
        "pass",
        checklist={"property_certificate": R},
        code="invalid_form",
        fields=["checklist.id_proof", "checklist.lease_contract", "checklist.matches_application"],
    )
    case = take(agent, case, "pass", checklist={**HOUSE_DOCS, **MATCHES})
    where(case, "submit_to_office", "open", "agent")
    assert {k: v["value"] for k, v in case["checks"]["review"].items()} == {
        **HOUSE_DOCS,
        **MATCHES,
    }

    # 交相关部门办理: letting goes to the housing authority.
    office = {"outside_office": "traffic_authority", "submitted_on": "2026-11-30"}
    refused(agent, case, "submitted", office, code="guard_failed")
    case = take(
        agent,
        case,
        "submitted",
        {**office, "outside_office": "housing_authority", "office_name": "南山区住房和建设局"},
    )
    where(case, "in_progress", "open", "agent")
    assert since(case, "step_due") == 40 * H

    # 监督办理进度: five working days without news — the assignee is reminded to chase.
    entered = at(case, "updated_at")
    assert fire_due(case["id"], now=entered + timedelta(hours=39)) == []
    fired = fire_due(case["id"], now=entered + timedelta(hours=40, seconds=1))
    assert [k.rsplit(":", 1)[0] for k in fired] == ["step:1"]
    assert list(
        Notification.objects.filter(case_id=case["id"], kind="escalation").values_list(
            "recipient__username", flat=True
        )
    ) == ["agent"]
    case = agent.get(f"/api/cases/{case['id']}").json()
    refused(
        agent,
        case,
        "chase",
        {"progress_note": "已电话催办"},
        code="invalid_form",
        fields=["customer_updated"],
    )
    case = take(
        agent,
        case,
        "chase",
        {"progress_note": "房管局称材料已审，三日内出证", "customer_updated": True},
    )
    where(case, "in_progress", "open", "agent")
    assert since(case, "step_due") == 40 * H  # a fresh period after chasing

    # 完成办理并通知顾客 → 交还材料和申请表 → 归档.
    refused(
        agent,
        case,
        "completed",
        {"office_result": "pending"},
        code="invalid_form",
        fields=["office_result"],
    )
    case = take(
        agent, case, "completed", {"office_result": "approved", "result_note": "已取得备案证明"}
    )
    where(case, "notify_customer", "resolved", "agent")
    assert since(case, "step_due") == 8 * H and case["resolved_at"] == case["updated_at"]
    case = take(agent, case, "notified", {"notify_method": "phone"})
    where(case, "return_materials", "resolved", "agent")
    assert since(case, "step_due") == 24 * H
    refused(
        agent,
        case,
        "returned",
        {"received_by": "王芳"},
        {**RETURNED, "result_checked": False},
        code="guard_failed",
    )
    case = take(agent, case, "returned", {"received_by": "王芳"}, RETURNED)
    where(case, "archive", "resolved", "agent")
    refused(agent, case, "archived", code="invalid_form", fields=["archive_no"])
    case = take(mgr, case, "archived", {"archive_no": "DB-2026-117"})
    where(case, "archived", "closed", "agent")

    assert [to for _, to in path(case)] == [
        "collect_materials",
        "fill_application",
        "review",
        "supplement",
        "review",
        "submit_to_office",
        "in_progress",
        "in_progress",
        "notify_customer",
        "return_materials",
        "archive",
        "archived",
    ]
    k = kinds(case)
    assert k.count("paused") == 1 and k.count("resumed") == 1 and k.count("escalated") == 1
    assert k.count("assigned") == 1 and "transferred" not in k
    assert differences() == []


# -- a vehicle pass: wrong information corrected on the form, the office refuses -----------------


def test_vehicle_pass_corrected_and_refused_by_the_office(world, api):
    agent = api("agent")
    case = to_review(
        api,
        open_case(world, agent, "vehicle_pass", channel="phone"),
        application={
            **APPLICATION,
            "application_items": "粤B·3K5X8 小区车辆进出证",
            "material_list": "行驶证、车主身份证、购置税证明",
        },
    )
    # The house documents do not make a vehicle pass.
    refused(
        agent,
        case,
        "pass",
        checklist={**HOUSE_DOCS, **MATCHES},
        code="invalid_form",
        fields=["checklist.lease_contract", "checklist.driving_licence"],
    )
    case = take(
        agent,
        case,
        "incomplete",
        {"missing_items": "行驶证车主姓名与申请表不一致"},
        {**VEHICLE_DOCS, "matches_application": False},
    )
    where(case, "supplement", "waiting")
    case = take(agent, case, "correct_application")
    where(case, "fill_application", "open")
    case = take(
        agent,
        case,
        "filled",
        {**APPLICATION, "applicant_id_no": "440301196001011111"},
        {"form_checked": True},
    )
    case = take(agent, case, "pass", checklist={**VEHICLE_DOCS, **MATCHES})
    refused(
        agent,
        case,
        "submitted",
        {"outside_office": "housing_authority", "submitted_on": "2026-12-01"},
        code="guard_failed",
    )
    case = take(
        agent,
        case,
        "submitted",
        {"outside_office": "traffic_authority", "submitted_on": "2026-12-01"},
    )
    case = finish(api, case, result="refused")
    where(case, "archived", "closed")
    assert case["data"]["office_result"] == "refused"
    assert [to for _, to in path(case)] == [
        "collect_materials",
        "fill_application",
        "review",
        "supplement",
        "fill_application",
        "review",
        "submit_to_office",
        "in_progress",
        "notify_customer",
        "return_materials",
        "archive",
        "archived",
    ]
    assert differences() == []


# -- other errands; not an errand we run; the customer never brings the documents ----------------


def test_other_errand_declined_or_lapsed(world, api):
    agent = api("agent")
    case = open_case(world, agent, "other", channel="wechat")
    refused(agent, case, "decline", code="invalid_form", fields=["decline_reason"])
    case = take(agent, case, "decline", {"decline_reason": "代办公证不在物业代办范围"})
    where(case, "declined", "rejected")

    case = to_review(api, open_case(world, agent, "other"))
    refused(
        agent,
        case,
        "pass",
        checklist={"id_proof": R, **MATCHES},
        code="invalid_form",
        fields=["checklist.other_materials_ok"],
    )
    case = take(agent, case, "incomplete", {"missing_items": "缺水电过户申请书"})
    where(case, "supplement", "waiting")
    # Ten working days without the documents: the system stops the errand by itself.
    entered = at(case, "updated_at")
    assert fire_due(case["id"], now=entered + timedelta(hours=79)) == []
    fired = fire_due(case["id"], now=entered + timedelta(hours=80, seconds=1))
    assert any(k.startswith("timeout:") for k in fired)
    case = agent.get(f"/api/cases/{case['id']}").json()
    where(case, "withdrawn", "cancelled")
    assert case["paused"] is False and case["closed_at"]
    assert path(case)[-1] == ("timed_out", "withdrawn")
    assert differences() == []

    # Had the documents come, `other` errands pass with the ID and the other documents.
    case = to_review(api, open_case(world, agent, "other"))
    case = take(agent, case, "pass", checklist={"id_proof": R, "other_materials_ok": R, **MATCHES})
    where(case, "submit_to_office", "open")
    assert differences() == []
