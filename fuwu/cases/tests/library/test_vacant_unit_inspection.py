"""Vacant unit inspection (SPEC §9 row 5, vacant_unit_inspection.yaml) through the HTTP API, every branch.

Seed 3、空房管理规程: a round over the structure, fittings, keys and cleanliness → normal: record
and archive / problem found: the department concerned puts it right → the service centre tracks
the rectification → dealt with → archive. One case = one unit's round. 24×7: due = moment + limit.
"""

from __future__ import annotations

from fuwu.cases.replay import differences
from fuwu.testing.scenario import kinds, path, refused, since, take, transitions_taken, where
from fuwu.testing.scenario import notes_in_order as notes
from fuwu.testing.scenario import reasons as allowed

H, M = 3600, 60
PROCEDURE = "vacant_unit_inspection"
TITLE = "空房巡视 3栋2单元1502"
CHANNEL = "visit"
SC = "service_center"
ALL_OK = {"structure_ok": True, "fittings_ok": True, "keys_ok": True, "hygiene_ok": True}
ROUND = {"inspected_at": "2025-03-10T10:00:00+08:00"}


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


def round_(world, client, **kw):
    return open_case(world, client, {"round_label": "2025年3月第2周"}, **kw)


def test_normal_round_is_recorded_and_archived(world, api):
    agent, tech = api("agent"), api("technician")
    body = round_(world, agent, channel="phone", expect=400)
    assert body["code"] == "channel_not_allowed"
    case = round_(world, agent)
    where(case, "inspect", "open", SC)
    assert since(case, "response_due", "created_at") == 8 * H
    assert since(case, "resolution_due", "created_at") == 40 * H
    assert since(case, "step_due", "created_at") == 8 * H

    assert {k: ok for k, (ok, _) in allowed(tech, case).items()} == {
        "normal": False,
        "problem_found": False,
    }
    refused(tech, case, "normal", ROUND, ALL_OK, status=403, code="role_not_allowed")
    # Every one of the four seed items must be answered, and the time of the round recorded.
    body = refused(
        agent,
        case,
        "normal",
        {},
        {"structure_ok": True},
        code="invalid_form",
        fields=[
            "inspected_at",
            "checklist.fittings_ok",
            "checklist.keys_ok",
            "checklist.hygiene_ok",
        ],
    )
    assert "checklist.photos" not in body["details"]["fields"]  # photos are optional
    refused(agent, case, "normal", ROUND, {**ALL_OK, "hygiene_ok": False}, code="guard_failed")
    refused(
        agent,
        case,
        "problem_found",
        {**ROUND, "problem_description": "x", "responsible_department": "engineering"},
        ALL_OK,
        code="guard_failed",
    )  # nothing failed: no problem to report
    case = take(
        agent,
        case,
        "normal",
        {**ROUND, "findings": "门窗完好，室内整洁"},
        {**ALL_OK, "photos": "upload://vacant/1502-0310.jpg"},
    )
    where(case, "archived", "closed", SC)
    assert case["resolved_at"] == case["closed_at"] == case["updated_at"]
    assert case["checks"]["inspect"]["keys_ok"] == {"value": True, "passed": True}
    assert path(case) == [("archived", SC)]
    assert kinds(case) == ["opened", "transitioned"]
    assert notes(case) == []
    assert differences() == []


def test_problem_found_put_right_by_engineering(world, api):
    agent, agent2, tech, eng_mgr, finance = (
        api("agent"),
        api("agent2"),
        api("technician"),
        api("eng_manager"),
        api("finance"),
    )
    case = round_(world, agent, priority="urgent")
    assert since(case, "resolution_due", "created_at") == 8 * H
    assert since(case, "step_due", "created_at") == 1 * H
    refused(
        agent,
        case,
        "problem_found",
        ROUND,
        {**ALL_OK, "fittings_ok": False},
        code="invalid_form",
        fields=["problem_description", "responsible_department"],
    )
    case = take(
        agent,
        case,
        "problem_found",
        {
            **ROUND,
            "problem_description": "卫生间下水管渗水，地面积水",
            "responsible_department": "engineering",
        },
        {**ALL_OK, "fittings_ok": False, "hygiene_ok": False},
    )
    # The department that puts it right owns the case now; its manager is told.
    where(case, "rectify", "open", "engineering")
    assert since(case, "step_due") == 4 * H  # urgent
    assert notes(case) == ["eng_manager"]
    assert case["checks"]["inspect"]["fittings_ok"] == {"value": False, "passed": False}

    refused(finance, case, "rectified", {"rectification": "x"}, status=403, code="role_not_allowed")
    refused(tech, case, "not_ours", {"return_reason": "x"}, status=403, code="role_not_allowed")
    refused(tech, case, "rectified", {}, code="invalid_form", fields=["rectification"])
    r = eng_mgr.post(
        f"/api/cases/{case['id']}/assign", {"version": case["version"], "assignee": "technician"}
    )
    assert r.status_code == 200, r.json()
    case = take(
        tech,
        r.json(),
        "rectified",
        {"rectification": "更换下水管接头并清理积水", "rectified_by": "technician"},
    )
    where(case, "track", "resolved", SC)
    assert case["assignee"] is None  # back to the service centre: its own people decide
    assert case["resolved_at"] == case["updated_at"] and since(case, "step_due") == 2 * H

    refused(tech, case, "done", {}, {"problem_solved": True}, status=403, code="role_not_allowed")
    refused(agent2, case, "done", {}, {}, code="invalid_form", fields=["checklist.problem_solved"])
    refused(agent2, case, "done", {}, {"problem_solved": False}, code="guard_failed")
    refused(
        agent2,
        case,
        "not_done",
        {"verification": "x"},
        {"problem_solved": True},
        code="guard_failed",
    )
    case = take(agent2, case, "done", {"verification": "复查无渗漏"}, {"problem_solved": True})
    where(case, "archived", "closed", SC)
    assert case["comeback_count"] == 0
    assert path(case) == [("rectify", "engineering"), ("track", SC), ("archived", SC)]
    assert transitions_taken(case) == ["problem_found", "rectified", "done"]
    assert kinds(case) == ["opened", "transitioned", "assigned", "transitioned", "transitioned"]
    assert differences() == []


def test_rectification_not_done_goes_back_until_it_is(world, api):
    agent, tech = api("agent"), api("technician")
    case = round_(world, agent)
    case = take(
        agent,
        case,
        "problem_found",
        {**ROUND, "problem_description": "客厅天花板裂缝", "responsible_department": "engineering"},
        {**ALL_OK, "structure_ok": False},
    )
    where(case, "rectify", "open", "engineering")
    assert since(case, "step_due") == 24 * H
    case = take(tech, case, "rectified", {"rectification": "裂缝修补"})
    where(case, "track", "resolved", SC)
    first_resolved = case["resolved_at"]
    refused(
        agent,
        case,
        "not_done",
        {},
        {"problem_solved": False},
        code="invalid_form",
        fields=["verification"],
    )
    case = take(
        agent,
        case,
        "not_done",
        {"verification": "修补处仍有裂纹，未刷漆"},
        {"problem_solved": False},
    )
    # Back to the department: a comeback, a new resolution cycle, its manager told again.
    where(case, "rectify", "open", "engineering")
    assert case["comeback_count"] == 1 and case["resolved_at"] is None and first_resolved
    assert since(case, "resolution_due") == 40 * H
    assert notes(case) == ["eng_manager", "eng_manager"]
    case = take(tech, case, "rectified", {"rectification": "重新批灰刷漆"})
    where(case, "track", "resolved", SC)
    case = take(agent, case, "done", {"verification": "复查合格"}, {"problem_solved": True})
    where(case, "archived", "closed", SC)
    assert path(case) == [
        ("rectify", "engineering"),
        ("track", SC),
        ("rectify", "engineering"),
        ("track", SC),
        ("archived", SC),
    ]
    assert differences() == []


def test_wrong_department_sends_it_back_to_be_rerouted(world, api):
    agent, agent2, security, sc_mgr, tech = (
        api("agent"),
        api("agent2"),
        api("security"),
        api("sc_manager"),
        api("technician"),
    )
    case = round_(world, agent)
    case = take(
        agent,
        case,
        "problem_found",
        {**ROUND, "problem_description": "备用钥匙缺一把", "responsible_department": "security"},
        {**ALL_OK, "keys_ok": False},
    )
    where(case, "rectify", "open", "security")
    assert notes(case) == []  # the test world's security department has no manager
    refused(
        security, case, "not_ours", {"return_reason": "x"}, status=403, code="role_not_allowed"
    )  # a manager's decision
    # Security has no manager: the VP above its members decides (not another department's).
    refused(
        sc_mgr, case, "not_ours", {"return_reason": "x"}, status=403, code="step_owned_elsewhere"
    )
    case = take(api("vp"), case, "not_ours", {"return_reason": "门锁完好，钥匙由客服中心保管"})
    where(case, "reroute", "open", SC)
    assert since(case, "step_due") == 4 * H
    refused(
        tech,
        case,
        "reassign",
        {"responsible_department": "service_center"},
        status=403,
        code="role_not_allowed",
    )
    refused(agent, case, "reassign", {}, code="invalid_form", fields=["responsible_department"])
    case = take(agent, case, "reassign", {"responsible_department": "service_center"})
    where(case, "rectify", "open", SC)
    assert notes(case) == ["sc_manager"]
    case = take(agent2, case, "rectified", {"rectification": "从钥匙柜找回，已补登记"})
    where(case, "track", "resolved", SC)
    case = take(agent, case, "done", {}, {"problem_solved": True})
    where(case, "archived", "closed", SC)
    assert path(case) == [
        ("rectify", "security"),
        ("reroute", SC),
        ("rectify", SC),
        ("track", SC),
        ("archived", SC),
    ]
    assert transitions_taken(case) == ["problem_found", "not_ours", "reassign", "rectified", "done"]
    assert differences() == []
