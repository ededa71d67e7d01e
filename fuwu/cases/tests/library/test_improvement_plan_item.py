"""Service improvement plan items (SPEC §9 row 24, improvement_plan_item.yaml) through the HTTP API.

Seed 客户服务工作计划: online channel, customer supervision committee, cross-department quality
audits, front desk and 24-hour hotline, reception day, customer files, organisation and staffing —
each a plan item proposed by the customer centre, approved by the leadership, implemented by the
responsible department (what it must show depends on the kind of item) and reviewed for effect.
The procedure runs on a 24×7 calendar (weeks and months), so every deadline is "moment + limit".
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from fuwu.cases.models import Case
from fuwu.cases.replay import differences
from fuwu.procedures.engine.durations import add_months
from fuwu.testing.scenario import allowed, at, kinds, moves, notes, owners, since, take, where

H = 3600
D = 24 * H
SHANGHAI = ZoneInfo("Asia/Shanghai")


def months(case, name: str, n: int, start: str = "updated_at") -> bool:
    """`mo` is calendar months: the same wall-clock time n months on, site time."""
    return at(case, name) == add_months(at(case, start).astimezone(SHANGHAI), n)


def refused(client, case, key, form=None, checklist=None, *, status=400, code, fields=()):
    """A refused move: the status, the error code, every named field — and nothing changed."""
    body = take(client, case, key, form, checklist, expect=status)
    assert body["code"] == code, body
    for name in fields:
        assert name in body["details"].get("fields", {}), body
    after = client.get(f"/api/cases/{case['id']}").json()
    assert after["version"] == case["version"] and after["step"]["key"] == case["step"]["key"]
    return body


def open_item(client, item_type, objective, *, priority=None):
    body = {
        "procedure": "improvement_plan_item",
        "site": "lanting",
        "channel": "walk_in",
        "title": objective,
        "data": {"item_type": item_type, "objective": objective},
    }
    if priority:
        body["priority"] = priority
    r = client.post("/api/cases", body)
    assert r.status_code == 201, r.json()
    return r.json()


def proposal(department, **extra):
    return {
        "measures": "按计划分步实施",
        "responsible_department": department,
        "target_date": "2027-03-31",
        **extra,
    }


def approved(api, case, department):
    """Propose → approve: the item stands on `implement` in the responsible department."""
    case = take(api("agent"), case, "submit", proposal(department))
    case = take(api("vp"), case, "approve")
    where(case, "implement", "open", department)
    return case


def test_intake_lists_every_problem_at_once(world, api):
    r = api("agent").post(
        "/api/cases",
        {
            "procedure": "improvement_plan_item",
            "site": "lanting",
            "channel": "walk_in",
            "title": "x",
            "data": {"item_type": "newsletter"},
        },
    )
    assert r.status_code == 400 and r.json()["code"] == "invalid_form"
    assert set(r.json()["details"]["fields"]) == {"item_type", "objective"}


def test_online_channel_sent_back_implemented_and_reworked(world, api):
    agent, sc_mgr, vp, tech = api("agent"), api("sc_manager"), api("vp"), api("technician")
    r = agent.post(
        "/api/cases",
        {
            "procedure": "improvement_plan_item",
            "site": "lanting",
            "channel": "walk_in",
            "title": "x",
            "data": {"item_type": "cross_audit"},
        },
    )
    assert r.status_code == 400 and set(r.json()["details"]["fields"]) == {"objective"}

    case = open_item(agent, "online_channel", "在网页公布客服中心电话和邮箱")
    where(case, "propose", "open", "service_center")
    assert case["response_due"] is None
    assert months(case, "resolution_due", 6, "created_at")
    assert since(case, "step_due", "created_at") == 7 * D

    refused(tech, case, "submit", proposal("service_center"), status=403, code="role_not_allowed")
    refused(
        agent,
        case,
        "submit",
        {"measures": "x"},
        code="invalid_form",
        fields=["responsible_department", "target_date"],
    )
    case = take(agent, case, "submit", proposal("service_center", budget="2000"))
    # 公司领导审批
    where(case, "approve", "open", "management")
    assert since(case, "step_due") == 7 * D and notes(case) == ["vp"]
    assert allowed(sc_mgr, case) == {"approve": False, "send_back": False, "reject": False}
    refused(sc_mgr, case, "approve", status=403, code="role_not_allowed")
    refused(vp, case, "send_back", code="invalid_form", fields=["revision_request"])
    case = take(vp, case, "send_back", {"revision_request": "同时公布微信公众号"})
    where(case, "propose", "open", "service_center")
    case = take(agent, case, "submit", {"measures": "网页和微信公众号同时公布"})
    case = take(vp, case, "approve", {"approval_note": "同意"})
    # 实施: the responsible department; its manager is told.
    where(case, "implement", "open", "service_center")
    assert months(case, "step_due", 3)  # normal: 3 calendar months
    assert notes(case) == ["sc_manager", "vp", "vp"]

    # What an online channel must show: the web page and the published phone and e-mail.
    work = {"progress": "网页已上线", "deliverables": "客服中心网页栏目"}
    refused(
        sc_mgr, case, "complete", {"progress": "x"}, code="invalid_form", fields=["deliverables"]
    )
    refused(
        sc_mgr,
        case,
        "complete",
        {**work, "web_page_url": "https://lanting.example/kf"},
        code="guard_failed",
    )
    refused(
        sc_mgr,
        case,
        "log_opinion",
        {"customer_name": "x", "problem_description": "y"},
        code="guard_failed",
    )
    channel = {
        "web_page_url": "https://lanting.example/kf",
        "published_phone": "0755-88886666",
        "published_email": "kf@lanting.example",
    }
    case = take(sc_mgr, case, "complete", {**work, **channel})
    # 评审
    where(case, "review", "resolved", "management")
    assert since(case, "step_due") == 14 * D and case["resolved_at"] == case["updated_at"]
    refused(
        agent,
        case,
        "accept",
        {"effectiveness": "effective", "review_notes": "x"},
        status=403,
        code="role_not_allowed",
    )
    refused(
        vp,
        case,
        "accept",
        {"effectiveness": "not_effective", "review_notes": "x"},
        code="guard_failed",
    )
    refused(
        vp,
        case,
        "rework",
        {"effectiveness": "not_effective", "review_notes": "邮箱无人回复"},
        code="invalid_form",
        fields=["rework_instructions"],
    )
    case = take(
        vp,
        case,
        "rework",
        {
            "effectiveness": "not_effective",
            "review_notes": "邮箱无人回复",
            "rework_instructions": "指定专人每日回复邮件",
        },
    )
    where(case, "implement", "open", "service_center")
    assert case["comeback_count"] == 1 and case["resolved_at"] is None
    assert months(case, "resolution_due", 6)
    case = take(sc_mgr, case, "complete", {"progress": "已指定专人每日回复"})
    case = take(
        vp,
        case,
        "accept",
        {"effectiveness": "effective", "review_notes": "邮件24小时内回复", "make_standing": True},
    )
    where(case, "done", "closed", "management")
    assert moves(agent, case) == [
        "approve",
        "propose",
        "approve",
        "implement",
        "review",
        "implement",
        "review",
        "done",
    ]
    assert owners(case) == [
        "service_center",
        "management",
        "service_center",
        "management",
        "service_center",
        "management",
        "service_center",
        "management",
    ]
    assert notes(case) == ["sc_manager", "sc_manager", "vp", "vp"]
    assert differences() == []


def test_reception_day_collects_opinions_for_the_desk(world, api):
    agent, sc_mgr, vp = api("agent"), api("sc_manager"), api("vp")
    case = open_item(agent, "reception_day", "每月第一个周六举办客户接待日", priority="high")
    assert months(case, "resolution_due", 3, "created_at")  # high: 3 months
    case = approved(api, case, "service_center")
    assert months(case, "step_due", 1)  # high: 1 calendar month

    # Each opinion collected on the day opens a service-desk case, linked to the item.
    refused(
        sc_mgr,
        case,
        "log_opinion",
        {"customer_name": "李伯"},
        code="invalid_form",
        fields=["problem_description"],
    )
    case = take(
        sc_mgr,
        case,
        "log_opinion",
        {"customer_name": "李伯", "problem_description": "希望增加小区夜间巡逻"},
    )
    where(case, "implement", "open", "service_center")
    case = take(
        agent,
        case,
        "log_opinion",
        {"customer_name": "张姐", "problem_description": "儿童游乐设施损坏"},
    )
    desk = Case.objects.filter(parent_id=case["id"]).order_by("pk")
    assert [(c.procedure_key, c.step, c.channel, c.department.code) for c in desk] == [
        ("service_desk_problem", "receive", "system", "service_center"),
        ("service_desk_problem", "receive", "system", "service_center"),
    ]
    assert [c.data for c in desk] == [
        {"customer_name": "李伯", "problem_description": "希望增加小区夜间巡逻"},
        {"customer_name": "张姐", "problem_description": "儿童游乐设施损坏"},
    ]
    assert kinds(case).count("linked_case_opened") == 2
    # The opinions are the desk's work now: the first one is answered through its own procedure.
    first = agent.get(f"/api/cases/{desk[0].pk}").json()
    first = take(agent, first, "analyse", {"request_kind": "problem", "understood": True})
    assert first["step"]["key"] == "analyse" and first["parent_id"] == case["id"]

    # On hold: the clock stops until the item resumes.
    refused(agent, case, "hold", {"hold_reason": "x"}, status=403, code="role_not_allowed")
    case = take(sc_mgr, case, "hold", {"hold_reason": "活动场地装修"})
    where(case, "on_hold", "waiting", "service_center")
    assert case["paused"]
    case = take(vp, case, "resume")
    where(case, "implement", "open", "service_center")

    work = {"progress": "首次接待日已举办,收集意见2条", "deliverables": "接待日记录"}
    refused(sc_mgr, case, "complete", work, code="guard_failed")  # the reception date is missing
    case = take(sc_mgr, case, "complete", {**work, "reception_date": "2026-12-05"})
    where(case, "review", "resolved", "management")
    case = take(vp, case, "accept", {"effectiveness": "partly", "review_notes": "参与人数偏少"})
    where(case, "done", "closed", "management")
    assert moves(agent, case) == [
        "approve",
        "implement",
        "implement",
        "implement",
        "on_hold",
        "implement",
        "review",
        "done",
    ]
    assert differences() == []


def test_staffing_guard_rejection_and_withdrawal(world, api):
    agent, vp, eng_mgr = api("agent"), api("vp"), api("eng_manager")
    case = open_item(agent, "organisation", "客户服务中心人员编制不少于二人")
    case = approved(api, case, "management")
    work = {"progress": "招聘完成", "deliverables": "客服中心编制表"}
    refused(vp, case, "complete", {**work, "staff_count": 1}, code="guard_failed")  # 至少二人
    refused(vp, case, "complete", work, code="guard_failed")
    case = take(vp, case, "complete", {**work, "staff_count": 2})
    where(case, "review", "resolved", "management")

    # A cross-audit item implemented by engineering needs its audit plan.
    audit = open_item(agent, "cross_audit", "各中心交叉质量内审")
    audit = approved(api, audit, "engineering")
    assert notes(audit) == ["eng_manager", "vp"]
    refused(eng_mgr, audit, "complete", {"progress": "x", "deliverables": "y"}, code="guard_failed")
    audit = take(
        eng_mgr,
        audit,
        "complete",
        {"progress": "x", "deliverables": "y", "audit_plan": "每季度工程部审客服中心"},
    )
    where(audit, "review", "resolved", "management")

    # Rejected by the leadership; another withdrawn by the customer centre.
    rejected = open_item(agent, "hotline_24h", "开通24小时服务电话")
    rejected = take(agent, rejected, "submit", proposal("security"))
    refused(vp, rejected, "reject", code="invalid_form", fields=["reject_reason"])
    rejected = take(vp, rejected, "reject", {"reject_reason": "已有秩序维护部24小时值班电话"})
    where(rejected, "rejected", "rejected", "management")
    withdrawn = open_item(agent, "customer_files", "建立客户档案")
    withdrawn = take(agent, withdrawn, "withdraw", {"withdraw_reason": "并入其他计划项"})
    where(withdrawn, "withdrawn", "cancelled", "service_center")
    assert moves(agent, rejected) == ["approve", "rejected"]
    assert moves(agent, withdrawn) == ["withdrawn"]
    assert differences() == []
