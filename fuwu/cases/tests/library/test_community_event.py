"""Community cultural event (SPEC §9 row 7, community_event.yaml) walked through the HTTP API.

Seed 5、社区文化活动管理规程: plan → leadership approval (revision opinions send it back; not approved
stops it) → venue, programme, supplies, safety measures, staff roles → notice, venue, registration,
programmes, host, outside units, guests, supplies, safety prepared in parallel by several
departments → the event → clear the venue → settle the costs → record in text and photos, archive.
The test world runs 24×7, so every deadline is exactly "moment + limit".
"""

from __future__ import annotations

from datetime import datetime, timedelta

from fuwu.cases.models import Event
from fuwu.cases.replay import differences
from fuwu.core.models import Department
from fuwu.sla.escalation import fire_due
from fuwu.testing.scenario import allowed, complete, kinds, notes, refused, since, take, where

H, M = 3600, 60
PROCEDURE = "community_event"


# -- helpers (each library test file is self-contained) ----------------------------------------


def open_case(world, client, *, channel="walk_in", expect=201, **data):
    r = client.post(
        "/api/cases",
        {
            "procedure": PROCEDURE,
            "site": "lanting",
            "channel": channel,
            "title": "兰亭苑中秋游园晚会",
            "data": {"event_name": "中秋游园晚会", "event_type": "festival", **data},
        },
    )
    assert r.status_code == expect, r.json()
    return r.json()


def path(case) -> list[tuple[str, str]]:
    """(event kind, step reached) for every move: transitions, joins and time-outs."""
    return [
        (e.kind, e.data["to"])
        for e in Event.objects.filter(case_id=case["id"]).order_by("seq")
        if e.kind in ("transitioned", "joined", "timed_out") and "to" in e.data
    ]


def owners(case) -> list[str]:
    """The owning departments in the order the events set them."""
    codes = dict(Department.objects.values_list("pk", "code"))
    return [
        codes[e.data["set"]["department"]]
        for e in Event.objects.filter(case_id=case["id"]).order_by("seq")
        if "department" in e.data.get("set", {})
    ]


PLAN = {
    "theme": "中秋佳节，邻里同乐",
    "planned_at": "2026-09-25T19:00:00+08:00",
    "expected_participants": 300,
    "budget": "5000",
    "plan_text": "中心广场游园、猜灯谜、文艺演出，预算 5000 元",
}
ARRANGE = {
    "venue": "中心广场",
    "programme": "19:00 开场致辞；19:15 文艺演出；20:00 猜灯谜；21:00 结束",
    "supplies": "灯笼 100 个、灯谜卡片、奖品、月饼",
    "supplies_source": "both",
    "safety_measures": "划定疏散通道，配备灭火器与急救箱，秩序维护员现场值守",
    "staff_roles": "客服中心负责签到和节目，工程部负责音响灯光，秩序维护部负责安全",
}


# -- the seed's main path: revised once, approved, prepared in parallel, held, archived ----------


def test_event_revised_approved_prepared_held_settled_and_archived(world, api):
    agent, vp, tech, security, finance = (
        api("agent"),
        api("vp"),
        api("technician"),
        api("security"),
        api("finance"),
    )
    # Community events are proposed in person or in writing, never by phone.
    assert open_case(world, agent, channel="phone", expect=400)["code"] == "channel_not_allowed"
    case = open_case(world, agent)
    where(case, "plan", "open", "service_center")
    assert since(case, "response_due", "created_at") == 8 * H
    assert since(case, "resolution_due", "created_at") == 320 * H
    assert since(case, "step_due", "created_at") == 24 * H

    # 提出活动计划: the plan is complete before it goes up.
    refused(
        agent,
        case,
        "submit",
        code="invalid_form",
        fields=["theme", "planned_at", "expected_participants", "budget", "plan_text"],
    )
    refused(tech, case, "submit", PLAN, status=403, code="role_not_allowed")
    case = take(agent, case, "submit", PLAN)
    where(case, "approval", "open", "management")
    assert since(case, "step_due") == 16 * H and case["data"]["budget"] == "5000.00"
    assert notes(case) == ["vp"]

    # 公司领导审批: only the leadership decides.
    assert allowed(agent, case) == {"approve": False, "revise": False, "reject": False}
    assert allowed(vp, case) == {"approve": True, "revise": True, "reject": True}
    refused(agent, case, "approve", status=403, code="role_not_allowed")

    # An approval left too long is escalated to the leadership's department manager (step rung).
    entered = datetime.fromisoformat(case["updated_at"])
    assert fire_due(case["id"], now=entered + timedelta(hours=15)) == []
    fired = fire_due(case["id"], now=entered + timedelta(hours=16, seconds=1))  # API times are ms
    assert [k.rsplit(":", 1)[0] for k in fired] == ["step:1"]
    assert notes(case, "escalation") == ["vp"]
    case = vp.get(f"/api/cases/{case['id']}").json()

    # 修订意见: sent back with opinions; resubmitted only with the changes described.
    refused(vp, case, "revise", code="invalid_form", fields=["revision_opinions"])
    case = take(vp, case, "revise", {"revision_opinions": "增加儿童专场，预算控制在 5000 元内"})
    where(case, "plan", "open", "service_center")
    assert case["data"]["revision_response"] is None
    assert notes(case) == ["sc_manager", "vp"]
    refused(agent, case, "submit", code="guard_failed")
    case = take(agent, case, "submit", {"revision_response": "增设 18:00 儿童灯笼手工专场"})
    where(case, "approval", "open", "management")
    case = take(vp, case, "approve", {"approval_note": "同意，注意安全"})
    where(case, "arrange", "open", "service_center")
    assert since(case, "step_due") == 24 * H
    assert notes(case) == ["sc_manager", "sc_manager", "vp", "vp"]

    # 选择场地, 制定活动程序, 准备活动用品 (采购/制作), 安全措施, 人员分工.
    refused(
        agent,
        case,
        "start_preparation",
        {"venue": "中心广场"},
        code="invalid_form",
        fields=["programme", "supplies", "supplies_source", "safety_measures", "staff_roles"],
    )
    case = take(agent, case, "start_preparation", ARRANGE)
    where(case, "prepare", "open", "service_center")
    # Ready by the close of the working day before the event (midnight on the 24×7 test calendar).
    assert case["step_due"] == "2026-09-25T00:00:00+08:00"
    assert {t["branch"]: (t["department"], t["state"]) for t in case["tasks"]} == {
        "notice": ("service_center", "open"),
        "registration": ("service_center", "open"),
        "programme_host": ("service_center", "open"),
        "guests_units": ("management", "open"),
        "supplies_ready": ("management", "open"),
        "venue": ("engineering", "open"),
        "safety": ("security", "open"),
    }
    # A parallel step has no transitions: each department completes its own task.
    assert allowed(agent, case) == {}

    # Only the branch's department (or a manager) does its task; its form and checklist count.
    assert complete(agent, case, "venue", expect=403)["code"] == "branch_owned_elsewhere"
    assert complete(security, case, "notice", expect=403)["code"] == "branch_owned_elsewhere"
    bad = complete(tech, case, "venue", checklist={"venue_cleaned": True}, expect=400)
    assert bad["code"] == "invalid_form"
    assert {"checklist.venue_decorated", "checklist.equipment_ready"} <= set(
        bad["details"]["fields"]
    )
    case = complete(
        tech,
        case,
        "venue",
        checklist={
            "venue_cleaned": True,
            "venue_decorated": True,
            "equipment_ready": True,
            "venue_photo": "uploads/event/stage.jpg",
        },
    )
    assert complete(tech, case, "venue", expect=400)["code"] == "task_done"
    bad = complete(security, case, "safety", {"guards_posted": 0}, expect=400)
    assert "guards_posted" in bad["details"]["fields"]
    case = complete(
        security,
        case,
        "safety",
        {"guards_posted": 6},
        {"exits_clear": True, "fire_equipment_checked": True, "first_aid_ready": True},
    )
    case = complete(
        agent,
        case,
        "notice",
        {"notice_channels": "公告栏、业主微信群", "notice_posted_on": "2026-09-15"},
        {"notice_posted": True},
    )
    case = complete(agent, case, "registration", {"registered_participants": 268})
    case = complete(
        agent, case, "programme_host", {"programmes": "舞蹈、合唱、相声", "host": "业主李女士"}
    )
    case = complete(
        vp,
        case,
        "guests_units",
        {"units_contacted": "街道办、居委会、赞助商", "guests": "居委会主任"},
    )
    where(case, "prepare", "open", "service_center")  # one branch still open
    assert [t["branch"] for t in case["tasks"] if t["state"] == "open"] == ["supplies_ready"]
    case = complete(
        vp, case, "supplies_ready", {"supplies_cost": "1800"}, {"supplies_in_place": True}
    )
    # All seven done: joined, on to the event.
    where(case, "run_event", "open", "service_center")
    assert case["step_due"] is None  # the event is held on its planned date, not a fixed limit
    assert case["data"]["registered_participants"] == 268 and case["data"]["host"] == "业主李女士"

    # 活动进行 → 清理场地 (engineering).
    refused(agent, case, "held", code="invalid_form", fields=["held_at", "actual_participants"])
    case = take(
        agent,
        case,
        "held",
        {"held_at": "2026-09-25T19:00:00+08:00", "actual_participants": 312, "incidents": "无"},
    )
    where(case, "clean_up", "open", "engineering")
    assert since(case, "step_due") == 8 * H
    refused(agent, case, "cleared", status=403, code="role_not_allowed")
    refused(
        tech,
        case,
        "cleared",
        checklist={"venue_cleared": True, "equipment_returned": False},
        code="guard_failed",
    )
    case = take(
        tech, case, "cleared", checklist={"venue_cleared": True, "equipment_returned": True}
    )
    where(case, "settle", "open", "finance")
    assert since(case, "step_due") == 24 * H

    # 费用结算: over budget needs a reason.
    refused(agent, case, "settled", status=403, code="role_not_allowed")
    over = {"actual_cost": "5600", "cost_breakdown": "用品 1800，演出 2600，奖品 1200"}
    refused(finance, case, "settled", over, code="guard_failed")
    case = take(finance, case, "settled", {**over, "overrun_reason": "参加人数超出预计，加购奖品"})
    where(case, "record", "resolved", "service_center")
    assert case["resolved_at"] == case["updated_at"] and since(case, "step_due") == 16 * H

    # 活动记录(文字、照片)并归档: the photo is required.
    record = {"record_text": "312 人参加，演出 8 个节目，现场秩序良好", "archive_no": "HD-2026-09"}
    refused(agent, case, "archive", record, code="invalid_form", fields=["checklist.photo_main"])
    case = take(agent, case, "archive", record, {"photo_main": "uploads/event/crowd.jpg"})
    where(case, "archived", "closed", "service_center")
    assert case["closed_at"] == case["updated_at"]
    assert case["checks"]["record"]["photo_main"]["value"] == "uploads/event/crowd.jpg"

    assert path(case) == [
        ("transitioned", "approval"),
        ("transitioned", "plan"),
        ("transitioned", "approval"),
        ("transitioned", "arrange"),
        ("transitioned", "prepare"),
        ("joined", "run_event"),
        ("transitioned", "clean_up"),
        ("transitioned", "settle"),
        ("transitioned", "record"),
        ("transitioned", "archived"),
    ]
    assert owners(case) == [
        "service_center",
        "management",
        "service_center",
        "management",
        "service_center",
        "engineering",
        "finance",
        "service_center",
    ]
    k = kinds(case)
    assert k[0] == "opened" and k.count("task_completed") == 7 and k.count("joined") == 1
    assert k.count("escalated") == 1
    assert differences() == []


# -- 未通过 → 终止, and a plan withdrawn before it goes up --------------------------------------


def test_leadership_rejects_or_the_plan_is_withdrawn(world, api):
    agent, vp = api("agent"), api("vp")
    case = open_case(world, agent)
    case = take(agent, case, "submit", PLAN)
    where(case, "approval", "open", "management")
    refused(vp, case, "reject", code="invalid_form", fields=["reject_reason"])
    case = take(vp, case, "reject", {"reject_reason": "与小区消防演练时间冲突"})
    where(case, "terminated", "rejected", "management")
    assert case["closed_at"] and case["data"]["reject_reason"] == "与小区消防演练时间冲突"
    assert notes(case) == ["vp", "vp"]  # asked to approve; told it is stopped (its manager)
    assert refused(agent, case, "submit", code="case_closed")
    assert path(case) == [("transitioned", "approval"), ("transitioned", "terminated")]
    assert owners(case) == ["service_center", "management"]

    case = open_case(world, agent)
    refused(agent, case, "withdraw", code="invalid_form", fields=["withdraw_reason"])
    case = take(agent, case, "withdraw", {"withdraw_reason": "场地改造，活动取消"})
    where(case, "withdrawn", "cancelled", "service_center")
    assert path(case) == [("transitioned", "withdrawn")]
    assert differences() == []
