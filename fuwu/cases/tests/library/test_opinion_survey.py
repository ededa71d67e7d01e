"""Opinion survey (SPEC §9 row 4, opinion_survey.yaml) walked through the HTTP API, every seed branch.

Seed 2、意见征询管理规程(每半年一次): special-service and complaint return visits, area walk-rounds
→ record / regular written survey → hand out the form → collect it; no problem → statistics /
problem analysis → own department: put right at once / other department: notify it → count the
survey forms → archive. One case = one household. The test world runs 24×7: due = moment + limit.
"""

from __future__ import annotations

from fuwu.cases.models import Case, Event
from fuwu.cases.replay import differences
from fuwu.testing.scenario import fire, kinds, path, refused, since, take, transitions_taken, where
from fuwu.testing.scenario import notes_in_order as notes
from fuwu.testing.scenario import reasons as allowed

H, M = 3600, 60
PROCEDURE = "opinion_survey"
TITLE = "2025年上半年意见征询 3栋2单元1502"
CHANNEL = "visit"
SC = "service_center"


# -- helpers (each library test file is self-contained) ----------------------------------------


def open_case(world, client, data, *, channel=CHANNEL, title=TITLE, priority=None, expect=201):
    body = {
        "procedure": PROCEDURE,
        "site": "lanting",
        "channel": channel,
        "title": title,
        "customer_id": world.customers["owner"].pk,
        "asset_id": world.assets["unit"].pk,
        "data": data,
    }
    if priority:
        body["priority"] = priority
    r = client.post("/api/cases", body)
    assert r.status_code == expect, r.json()
    return r.json()


# -- the scenarios ------------------------------------------------------------------------------


def survey(world, client, method, **kw):
    data = {"survey_method": method, "survey_round": "2025年上半年", "respondent": "王芳"}
    return open_case(world, client, data, **kw)


def test_intake_needs_the_method_and_the_round(world, api):
    agent = api("agent")
    body = open_case(world, agent, {"respondent": "王芳"}, expect=400)
    assert body["code"] == "invalid_form"
    assert set(body["details"]["fields"]) == {"survey_method", "survey_round"}
    body = open_case(world, agent, {"survey_method": "by_magic", "survey_round": "x"}, expect=400)
    assert set(body["details"]["fields"]) == {"survey_method"}
    body = survey(world, agent, "area_walk", channel="sms", expect=400)
    assert body["code"] == "channel_not_allowed"
    assert not Case.objects.exists()


def test_written_survey_form_collected_with_no_problem(world, api):
    agent, agent2, tech = api("agent"), api("agent2"), api("technician")
    case = survey(world, agent, "written_survey", channel="letter")
    where(case, "consult", "open", SC)
    assert case["priority"] == "low"
    assert since(case, "response_due", "created_at") == 16 * H
    assert since(case, "resolution_due", "created_at") == 160 * H
    assert since(case, "step_due", "created_at") == 40 * H
    assert allowed(agent, case) == {
        "visited": (False, "guard"),  # a written survey is not a visit
        "hand_out": (True, None),
        "not_surveyed": (True, None),
    }
    assert {k: ok for k, (ok, _) in allowed(tech, case).items()} == {
        "visited": False,
        "hand_out": False,
        "not_surveyed": False,
    }
    refused(agent, case, "visited", code="guard_failed")
    refused(
        tech,
        case,
        "hand_out",
        {"form_no": "ZX-1", "hand_out_method": "mailbox"},
        status=403,
        code="role_not_allowed",
    )
    refused(agent, case, "hand_out", {}, code="invalid_form", fields=["form_no", "hand_out_method"])
    case = take(agent, case, "hand_out", {"form_no": "ZX-2025-0101", "hand_out_method": "mailbox"})
    # The household holds the form: the case waits, its resolution clock paused.
    where(case, "awaiting_form", "waiting", SC)
    assert case["paused"] and since(case, "step_due") == 40 * H

    refused(tech, case, "collected", status=403, code="role_not_allowed")
    case = take(agent2, case, "collected")
    where(case, "record", "open", SC)
    assert not case["paused"] and case["data"]["form_returned"] is True
    assert since(case, "step_due") == 8 * H
    assert since(case, "resolution_due", "created_at") >= 160 * H  # the paused time is given back

    refused(
        agent2,
        case,
        "no_problem",
        {"opinions": "服务很好"},
        code="invalid_form",
        fields=["problem_found"],
    )
    refused(
        agent2,
        case,
        "problem",
        {"opinions": "服务很好", "problem_found": False},
        code="guard_failed",
    )
    case = take(
        agent2, case, "no_problem", {"opinions": "服务很好，无意见", "problem_found": False}
    )
    where(case, "tally", "resolved", SC)
    assert case["resolved_at"] == case["updated_at"] and since(case, "step_due") == 16 * H

    refused(agent2, case, "archive", {}, code="invalid_form", fields=["satisfaction"])
    refused(
        tech, case, "archive", {"satisfaction": "satisfied"}, status=403, code="role_not_allowed"
    )
    case = take(agent2, case, "archive", {"satisfaction": "very_satisfied"})
    where(case, "archived", "closed", SC)
    assert case["closed_at"] == case["updated_at"]

    assert path(case) == [("awaiting_form", SC), ("record", SC), ("tally", SC), ("archived", SC)]
    assert transitions_taken(case) == ["hand_out", "collected", "no_problem", "archive"]
    assert kinds(case) == [
        "opened",
        "transitioned",
        "paused",
        "transitioned",
        "resumed",
        "transitioned",
        "transitioned",
    ]
    assert differences() == []


def test_return_visit_finds_our_own_problem_put_right_at_once(world, api):
    agent, tech = api("agent"), api("technician")
    case = survey(world, agent, "special_service_visit", channel="phone", priority="urgent")
    assert since(case, "response_due", "created_at") == 4 * H
    assert since(case, "resolution_due", "created_at") == 24 * H
    refused(
        agent, case, "hand_out", {"form_no": "x", "hand_out_method": "mailbox"}, code="guard_failed"
    )
    case = take(agent, case, "visited", {"contacted_at": "2025-03-10T10:00:00+08:00"})
    where(case, "record", "open", SC)
    case = take(
        agent,
        case,
        "problem",
        {"opinions": "特约保洁后客服前台电话经常无人接听", "problem_found": True},
    )
    where(case, "analyse", "open", SC)
    assert since(case, "step_due") == 2 * H  # urgent

    refused(
        agent,
        case,
        "own_problem",
        {"problem_description": "前台午间无人值守"},
        code="invalid_form",
        fields=["responsible_department"],
    )
    form = {"problem_description": "前台午间无人值守", "responsible_department": "service_center"}
    refused(agent, case, "other_problem", form, code="guard_failed")
    refused(tech, case, "own_problem", form, status=403, code="role_not_allowed")
    case = take(agent, case, "own_problem", form)
    where(case, "rectify", "open", SC)
    assert since(case, "step_due") == 2 * H

    refused(agent, case, "rectified", {}, code="invalid_form", fields=["rectification"])
    case = take(
        agent,
        case,
        "rectified",
        {"rectification": "前台午间安排轮值，电话转接手机", "household_told": True},
    )
    where(case, "tally", "resolved", SC)
    case = take(agent, case, "archive", {"satisfaction": "satisfied"})
    where(case, "archived", "closed", SC)
    assert path(case) == [
        ("record", SC),
        ("analyse", SC),
        ("rectify", SC),
        ("tally", SC),
        ("archived", SC),
    ]
    assert notes(case) == []  # our own problem: nobody else is told
    assert differences() == []


def test_walk_round_finds_another_departments_problem(world, api):
    agent, tech, eng_mgr, security = (
        api("agent"),
        api("technician"),
        api("eng_manager"),
        api("security"),
    )
    case = survey(world, agent, "area_walk")
    case = take(agent, case, "visited")
    case = take(
        agent,
        case,
        "problem",
        {"opinions": "3栋门口路灯不亮，夜间有陌生人出入", "problem_found": True},
    )
    case = take(
        agent,
        case,
        "other_problem",
        {"problem_description": "路灯损坏", "responsible_department": "engineering"},
    )
    # The case moves to the responsible department in one step; its manager is told.
    where(case, "department_handles", "open", "engineering")
    assert since(case, "step_due") == 16 * H
    assert notes(case) == ["eng_manager"]

    reply = {"department_reply": "已安排更换灯具", "planned_date": "2025-03-12"}
    assert allowed(agent, case)["answered"] == (False, "role")
    refused(agent, case, "answered", reply, status=403, code="role_not_allowed")
    refused(tech, case, "not_ours", {"return_reason": "x"}, status=403, code="role_not_allowed")
    refused(eng_mgr, case, "not_ours", {}, code="invalid_form", fields=["return_reason"])
    # Partly someone else's: the engineering manager sends it back to be re-routed.
    case = take(eng_mgr, case, "not_ours", {"return_reason": "主要是门岗管控问题，路灯已顺带报修"})
    where(case, "analyse", "open", SC)
    case = take(agent, case, "other_problem", {"responsible_department": "security"})
    where(case, "department_handles", "open", "security")
    assert notes(case) == ["eng_manager"]  # the test world's security department has no manager

    # Roles, not departments, decide who may act: an engineering technician could answer here
    # too (see the report); the service centre's agent may not.
    refused(agent, case, "answered", reply, status=403, code="role_not_allowed")
    refused(security, case, "answered", {}, code="invalid_form", fields=["department_reply"])
    case = take(security, case, "answered", {"department_reply": "加强夜间巡逻和门岗登记"})
    where(case, "tally", "resolved", SC)
    case = take(agent, case, "archive", {"satisfaction": "fair"})
    where(case, "archived", "closed", SC)
    assert path(case) == [
        ("record", SC),
        ("analyse", SC),
        ("department_handles", "engineering"),
        ("analyse", SC),
        ("department_handles", "security"),
        ("tally", SC),
        ("archived", SC),
    ]
    assert transitions_taken(case) == [
        "visited",
        "problem",
        "other_problem",
        "not_ours",
        "other_problem",
        "answered",
        "archive",
    ]
    assert "transferred" not in kinds(case)  # ownership moved by the steps themselves
    assert differences() == []


def test_written_form_not_returned_is_counted_by_the_clock(world, api):
    agent = api("agent")
    case = survey(world, agent, "written_survey", channel="letter")
    case = take(
        agent, case, "hand_out", {"form_no": "ZX-2025-0102", "hand_out_method": "in_person"}
    )
    where(case, "awaiting_form", "waiting", SC)
    assert fire(case, after=-1) == []  # not yet
    row = Case.objects.get(pk=case["id"])
    assert fire(case) == [f"timeout:{row.step_cycle}"]
    case = agent.get(f"/api/cases/{case['id']}").json()
    where(case, "tally", "resolved", SC)
    assert case["data"]["form_returned"] is False and not case["paused"]
    timed_out = Event.objects.get(case_id=case["id"], kind="timed_out")
    assert timed_out.actor is None and timed_out.data["transition"] == "not_returned"
    case = take(agent, case, "archive", {"satisfaction": "no_answer"})
    where(case, "archived", "closed", SC)
    assert path(case) == [("awaiting_form", SC), ("tally", SC), ("archived", SC)]
    assert kinds(case) == [
        "opened",
        "transitioned",
        "paused",
        "timed_out",
        "resumed",
        "transitioned",
    ]
    assert differences() == []


def test_household_that_cannot_be_surveyed(world, api):
    agent = api("agent")
    case = survey(world, agent, "complaint_visit", channel="phone")
    refused(agent, case, "not_surveyed", {}, code="invalid_form", fields=["not_surveyed_reason"])
    case = take(agent, case, "not_surveyed", {"not_surveyed_reason": "业主长期在外，电话停机"})
    where(case, "not_surveyed", "cancelled", SC)
    assert case["resolved_at"] is None and case["closed_at"]
    assert path(case) == [("not_surveyed", SC)]
    assert differences() == []
