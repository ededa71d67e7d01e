"""Service-agent quality review (SPEC §9 row 19, agent_quality_scorecard.yaml) through the HTTP API.

Seed 客服服务管理办法及工作流程, 一、人员素养: standard service phrases, a friendly attitude, Mandarin,
business knowledge and the "三要、三不、四个一样" rules, scored as a checklist scorecard on one call
of one agent at the dealer's call centre. Pass → the agent signs → archived; fail → the agent
signs or appeals → the manager coaches → a new call is re-checked; failing again → formal action.
The first tests run on the test world's 24×7 calendar, so every deadline is exactly "moment +
limit"; the workplace inspection (二、办公场所纪律制度, 三、卫生管理制度, 四、公司的财产和财物) runs on the
dealer's real working calendar with time frozen.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine

from fuwu.cases.replay import differences
from fuwu.core.choices import CalendarKind
from fuwu.core.models import Site
from fuwu.sla.clocks import forget_calendars
from fuwu.testing.scenario import allowed, at, kinds, moves, notes, owners, since, take

SHANGHAI = ZoneInfo("Asia/Shanghai")

H = 3600

ITEMS = (
    "please_first",
    "nin_throughout",
    "goodbye_end",
    "no_harsh_language",
    "no_blame_shifting",
    "no_blaming_customer",
    "same_stranger_or_acquaintance",
    "same_checked_or_not",
    "same_busy_or_idle",
    "same_any_mood",
    "standard_phrases",
    "friendly_attitude",
    "mandarin_fluent",
    "business_accurate",
)


def scorecard(score: float = 92, *failed: str) -> dict[str, Any]:
    assert set(failed) <= set(ITEMS)
    return {**{item: item not in failed for item in ITEMS}, "overall_score": score}


def refused(client, case, key, form=None, checklist=None, *, status=400, code, fields=()):
    """A refused move: the status, the error code, every named field — and nothing changed."""
    body = take(client, case, key, form, checklist, expect=status)
    assert body["code"] == code, body
    for name in fields:
        assert name in body["details"].get("fields", {}), body
    after = client.get(f"/api/cases/{case['id']}").json()
    assert after["version"] == case["version"] and after["step"]["key"] == case["step"]["key"]
    return body


def where(case, step, status, department="call_center"):
    assert case["step"]["key"] == step, case["step"]
    assert case["status"] == status, case["status"]
    assert case["department"]["code"] == department, case["department"]


def open_review(client, **extra):
    r = client.post(
        "/api/cases",
        {
            "procedure": "agent_quality_scorecard",
            "site": "dealer",
            "channel": "web",
            "title": "11月客服录音抽检",
            "data": {
                "agent_reviewed": "cc_agent",
                "call_reference": "REC-20261125-0931",
                "call_at": "2026-11-25T09:31:00+08:00",
                "contact_type": "complaint",
                **extra,
            },
        },
    )
    assert r.status_code == 201, r.json()
    return r.json()


def test_intake_names_a_real_agent_and_the_call(world, api):
    mgr = api("as_manager")
    r = mgr.post(
        "/api/cases",
        {
            "procedure": "agent_quality_scorecard",
            "site": "dealer",
            "channel": "web",
            "title": "抽检",
            "data": {"agent_reviewed": "nobody_here"},
        },
    )
    assert r.status_code == 400 and r.json()["code"] == "invalid_form"
    assert set(r.json()["details"]["fields"]) == {"agent_reviewed", "call_reference"}
    r = mgr.post(
        "/api/cases",
        {
            "procedure": "agent_quality_scorecard",
            "site": "dealer",
            "channel": "web",
            "title": "抽检",
            "data": {"agent_reviewed": "cc_agent"},
        },
    )
    assert r.status_code == 400 and set(r.json()["details"]["fields"]) == {"call_reference"}
    r = mgr.post(
        "/api/cases",
        {
            "procedure": "agent_quality_scorecard",
            "site": "dealer",
            "channel": "phone",
            "title": "抽检",
            "data": {"agent_reviewed": "cc_agent", "call_reference": "R1"},
        },
    )
    assert r.status_code == 400 and r.json()["code"] == "channel_not_allowed"


def test_passed_review_signed_and_archived(world, api):
    qc, agent, mgr = api("cc_qc"), api("cc_agent"), api("as_manager")
    case = open_review(mgr)
    where(case, "review", "open")
    assert case["response_due"] is None
    assert since(case, "resolution_due", "created_at") == 40 * H
    assert since(case, "step_due", "created_at") == 8 * H

    # Only the QA inspector (or a manager) scores; the agent under review may not.
    assert allowed(agent, case) == {
        "pass": False,
        "fail": False,
        "fail_again": False,
        "invalid_sample": False,
    }
    refused(
        agent,
        case,
        "pass",
        {"review_summary": "x"},
        scorecard(),
        status=403,
        code="role_not_allowed",
    )
    body = refused(
        qc,
        case,
        "pass",
        {"review_summary": "x"},
        {"please_first": True},
        code="invalid_form",
        fields=["checklist.goodbye_end", "checklist.same_any_mood", "checklist.overall_score"],
    )
    assert len(body["details"]["fields"]) == len(ITEMS)  # every item but the one answered, + score
    refused(qc, case, "pass", checklist=scorecard(), code="invalid_form", fields=["review_summary"])
    refused(qc, case, "fail", {"review_summary": "x"}, scorecard(), code="guard_failed")
    case = take(qc, case, "pass", {"review_summary": "用语规范,解答准确"}, scorecard(92))
    where(case, "acknowledge", "open")
    assert case["data"]["qa_result"] == "pass" and since(case, "step_due") == 8 * H
    assert case["checks"]["review"]["overall_score"] == {"value": 92.0, "passed": True}
    assert case["first_response_at"] == case["updated_at"]

    # The agent signs; a passed review cannot be signed into coaching or appealed.
    refused(qc, case, "sign_pass", status=403, code="role_not_allowed")
    refused(agent, case, "sign_fail", code="guard_failed")
    refused(agent, case, "appeal", {"appeal_reason": "x"}, code="guard_failed")
    # `qa_result` is the system's: it is not a field anyone may submit.
    refused(
        agent, case, "sign_fail", {"qa_result": "fail"}, code="invalid_form", fields=["qa_result"]
    )
    case = take(agent, case, "sign_pass", {"agent_comment": "收到"})
    where(case, "archived", "closed")
    assert case["closed_at"] == case["updated_at"] and case["comeback_count"] == 0
    assert moves(agent, case) == ["acknowledge", "archived"]
    assert owners(case) == ["call_center"] and notes(case) == []
    assert differences() == []


def test_failed_appealed_coached_and_passed_on_recheck(world, api):
    qc, agent, mgr = api("cc_qc"), api("cc_agent"), api("as_manager")
    case = open_review(mgr)
    bad = scorecard(70, "no_blame_shifting", "goodbye_end")
    body = refused(qc, case, "pass", {"review_summary": "x"}, bad, code="guard_failed")
    assert set(body["details"]["fields"]) == {"checklist.overall_score"}  # the measurement
    refused(qc, case, "fail_again", {"review_summary": "x"}, bad, code="guard_failed")
    case = take(qc, case, "fail", {"review_summary": "推卸责任,未说再见"}, bad)
    where(case, "acknowledge", "open")
    assert case["data"]["qa_result"] == "fail" and case["comeback_count"] == 0
    assert notes(case) == ["as_manager"]
    checks = case["checks"]["review"]
    assert checks["no_blame_shifting"] == {"value": False, "passed": False}
    assert checks["overall_score"] == {"value": 70.0, "passed": False}

    # The agent disagrees and appeals; the manager upholds the result: coaching.
    refused(agent, case, "sign_pass", code="guard_failed")
    refused(agent, case, "appeal", code="invalid_form", fields=["appeal_reason"])
    refused(mgr, case, "appeal", {"appeal_reason": "x"}, status=403, code="role_not_allowed")
    case = take(agent, case, "appeal", {"appeal_reason": "客户先挂断,来不及说再见"})
    where(case, "appeal_review", "open")
    assert since(case, "step_due") == 8 * H
    refused(agent, case, "uphold", {"appeal_decision": "x"}, status=403, code="role_not_allowed")
    refused(mgr, case, "uphold", code="invalid_form", fields=["appeal_decision"])
    case = take(mgr, case, "uphold", {"appeal_decision": "录音显示客户未挂断,维持"})
    where(case, "coaching", "open")
    assert case["comeback_count"] == 1 and since(case, "step_due") == 16 * H

    refused(agent, case, "coached", status=403, code="role_not_allowed")
    refused(
        mgr,
        case,
        "coached",
        {"coaching_method": "call_replay"},
        code="invalid_form",
        fields=["coaching_notes", "recheck_call_reference"],
    )
    case = take(
        mgr,
        case,
        "coached",
        {
            "coaching_method": "call_replay",
            "coaching_notes": "回放录音,讲解三不原则",
            "improvement_commitment": "每通电话以再见结尾",
            "recheck_call_reference": "REC-20261202-1410",
        },
    )
    # Re-check of a new call on the same scorecard; the QA inspectors are told.
    where(case, "review", "open")
    assert notes(case) == ["as_manager", "cc_qc", "workshop_qc"]  # every QC of the site
    assert case["data"]["recheck_call_reference"] == "REC-20261202-1410"
    refused(
        qc, case, "fail", {"review_summary": "x"}, bad, code="guard_failed"
    )  # a 2nd failure is fail_again
    case = take(qc, case, "pass", {"review_summary": "复检合格"}, scorecard(88))
    where(case, "acknowledge", "open")
    assert case["data"]["qa_result"] == "pass"
    assert case["checks"]["review"]["no_blame_shifting"]["passed"] is True
    case = take(agent, case, "sign_pass")
    where(case, "archived", "closed")
    assert moves(agent, case) == [
        "acknowledge",
        "appeal_review",
        "coaching",
        "review",
        "acknowledge",
        "archived",
    ]
    assert case["comeback_count"] == 1 and owners(case) == ["call_center"]
    assert differences() == []


def test_failed_again_after_coaching_formal_action(world, api):
    qc, agent, mgr = api("cc_qc"), api("cc_agent"), api("as_manager")
    case = open_review(mgr, contact_type="inquiry")
    case = take(
        qc, case, "fail", {"review_summary": "语气生硬"}, scorecard(75, "no_harsh_language")
    )
    case = take(agent, case, "sign_fail", {"agent_comment": "接受"})
    where(case, "coaching", "open")
    assert case["comeback_count"] == 1
    case = take(
        mgr,
        case,
        "coached",
        {
            "coaching_method": "one_on_one",
            "coaching_notes": "服务用语训练",
            "recheck_call_reference": "R2",
        },
    )
    bad = scorecard(65, "no_harsh_language", "friendly_attitude")
    refused(qc, case, "pass", {"review_summary": "x"}, bad, code="guard_failed")
    case = take(qc, case, "fail_again", {"review_summary": "辅导后仍语气生硬"}, bad)
    where(case, "formal_action", "open")
    assert case["comeback_count"] == 2 and since(case, "step_due") == 16 * H
    refused(
        qc,
        case,
        "decided",
        {"action": "retraining", "action_notes": "x"},
        status=403,
        code="role_not_allowed",
    )
    refused(
        mgr,
        case,
        "decided",
        {"action": "fired", "action_notes": "x"},
        code="invalid_form",
        fields=["action"],
    )
    case = take(
        mgr, case, "decided", {"action": "retraining", "action_notes": "脱岗培训一周后复岗"}
    )
    where(case, "archived", "closed")
    # Told: the manager at each failure, the QA inspector for the re-check, the VP (one level
    # above the call centre's manager) of the action taken.
    assert notes(case) == ["as_manager", "as_manager", "cc_qc", "vp", "workshop_qc"]
    assert moves(agent, case) == ["acknowledge", "coaching", "review", "formal_action", "archived"]
    assert differences() == []


def test_appeal_granted_and_unusable_recording(world, api):
    qc, agent, mgr = api("cc_qc"), api("cc_agent"), api("as_manager")
    case = open_review(mgr)
    case = take(qc, case, "fail", {"review_summary": "未用您字"}, scorecard(85, "nin_throughout"))
    case = take(agent, case, "appeal", {"appeal_reason": "录音片段不完整"})
    case = take(mgr, case, "overturn", {"appeal_decision": "完整录音中已使用您字,申诉成立"})
    where(case, "archived", "closed")
    assert case["data"]["qa_result"] == "pass" and case["comeback_count"] == 0
    assert moves(agent, case) == ["acknowledge", "appeal_review", "archived"]

    other = open_review(mgr, call_reference="REC-BROKEN")
    refused(qc, other, "invalid_sample", code="invalid_form", fields=["void_reason"])
    other = take(qc, other, "invalid_sample", {"void_reason": "录音文件损坏"})
    where(other, "cancelled", "cancelled")
    assert kinds(other) == ["opened", "transitioned"]
    assert differences() == []


WORKPLACE = (
    "quiet_on_post",
    "desk_tidy",
    "seat_returned",
    "no_outsiders",
    "equipment_dust_free",
    "floor_clean",
    "daily_self_check",
    "dress_appropriate",
    "personal_items_secured",
    "duty_rota_done",
    "own_desk_cleaned",
    "property_cared_for",
)


@pytest.fixture
def working_calendar(world):
    """The dealer on its real working calendar (9:00–12:00, 13:30–18:00, holidays and 调休)."""
    Site.objects.filter(pk=world.sites["dealer"].pk).update(calendar_kind=CalendarKind.WORKING)
    forget_calendars()
    # Monday 30 November 2026, 16:00 in Shanghai.
    with time_machine.travel(datetime(2026, 11, 30, 16, 0, tzinfo=SHANGHAI), tick=False) as t:
        yield t


def test_workplace_inspection_scores_discipline_hygiene_rota_and_property(
    world, api, working_calendar
):
    qc, agent, mgr = api("cc_qc"), api("cc_agent"), api("as_manager")
    case = open_review(mgr, review_kind="workplace", call_reference="巡查-20261130-01")
    # 40 business hours from Monday 16:00: 2 h on Monday, 7.5 h a day Tuesday to Friday (30 h),
    # the last 8 h run from Monday 7 December 9:00 to Tuesday 9:30.
    assert at(case, "resolution_due").astimezone(SHANGHAI) == datetime(
        2026, 12, 8, 9, 30, tzinfo=SHANGHAI
    )
    workplace = {item: True for item in WORKPLACE} | {"overall_score": 90}
    # On a workplace round the call rules do not apply, and the workplace ones are all due.
    body = refused(qc, case, "pass", {"review_summary": "x"}, scorecard(), code="invalid_form")
    fields = body["details"]["fields"]
    assert set(fields) == {f"checklist.{item}" for item in (*ITEMS, *WORKPLACE)}
    assert fields["checklist.please_first"] != fields["checklist.duty_rota_done"]
    body = refused(
        qc, case, "pass", {"review_summary": "x"}, {"overall_score": 90}, code="invalid_form"
    )
    assert set(body["details"]["fields"]) == {f"checklist.{item}" for item in WORKPLACE}
    # The public area was not cleaned on the agent's rota day: not a pass, whatever the score.
    missed = workplace | {"duty_rota_done": False}
    refused(qc, case, "pass", {"review_summary": "x"}, missed, code="guard_failed")
    case = take(qc, case, "fail", {"review_summary": "值日未打扫公共区域"}, missed)
    assert case["data"]["qa_result"] == "fail"
    assert case["checks"]["review"]["duty_rota_done"] == {"value": False, "passed": False}
    assert "please_first" not in case["checks"]["review"]
    case = take(agent, case, "sign_fail", {"agent_comment": "接受,补做值日"})
    assert case["step"]["key"] == "coaching" and case["comeback_count"] == 1
    case = take(
        mgr,
        case,
        "coached",
        {
            "coaching_method": "one_on_one",
            "coaching_notes": "重申值日表和下班地面清洁",
            "recheck_call_reference": "巡查-20261207-01",
        },
    )
    case = take(qc, case, "pass", {"review_summary": "复查合格"}, workplace)
    case = take(agent, case, "sign_pass")
    assert case["step"]["key"] == "archived" and case["status"] == "closed"
    assert differences() == []
