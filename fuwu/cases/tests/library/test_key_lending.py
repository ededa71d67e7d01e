"""Key lending (SPEC §9 row 10, key_lending.yaml) walked through the HTTP API, every branch of the seed.

Seed 10、钥匙管理: identity confirmed with the owner → the owner borrows: register and lend /
someone else: ask the owner, lend if they agree / identity not confirmed: not lent → return:
register the return, key back in its place. The test world runs 24×7: due = moment + limit.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from fuwu.cases.models import Case
from fuwu.cases.replay import differences
from fuwu.notifications.models import Notification
from fuwu.sla.escalation import fire_due
from fuwu.testing.scenario import kinds, path, refused, since, take, transitions_taken, where
from fuwu.testing.scenario import reasons as allowed

# Also on PostgreSQL (the key register read back): fuwu.testing.placement.runs_on_postgres.
pytestmark = pytest.mark.postgres_too

H, M = 3600, 60
PROCEDURE = "key_lending"


# -- helpers (each library test file is self-contained) ----------------------------------------


def open_case(world, client, data, *, channel="walk_in", priority=None, expect=201):
    body = {
        "procedure": PROCEDURE,
        "site": "lanting",
        "channel": channel,
        "title": "借用 3栋2单元1502 钥匙",
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

INTAKE = {"borrower_name": "王芳", "borrower_phone": "13812345678", "purpose": "装修进场"}
SC = "service_center"


def test_intake_is_walk_in_and_names_the_borrower(world, api):
    agent = api("agent")
    body = open_case(world, agent, {"purpose": "看房"}, expect=400)
    assert body["code"] == "invalid_form" and set(body["details"]["fields"]) == {"borrower_name"}
    body = open_case(world, agent, INTAKE, channel="phone", expect=400)
    assert body["code"] == "channel_not_allowed"
    assert not Case.objects.exists()


def test_the_owner_borrows_and_returns_the_key(world, api):
    agent, agent2, tech, security = api("agent"), api("agent2"), api("technician"), api("security")
    case = open_case(world, agent, INTAKE)
    where(case, "identify", "open", SC)
    assert since(case, "response_due", "created_at") == 15 * M
    assert since(case, "resolution_due", "created_at") == 2 * H
    assert since(case, "step_due", "created_at") == 15 * M

    # Only the service centre's agents (or a manager) work the key cabinet.
    assert allowed(agent, case) == {
        "owner_borrows": (True, None),
        "ask_owner": (True, None),
        "not_confirmed": (True, None),
    }
    assert {k for k, (ok, why) in allowed(tech, case).items() if not ok and why == "role"} == {
        "owner_borrows",
        "ask_owner",
        "not_confirmed",
    }
    form = {
        "borrower_relation": "owner",
        "identity_confirmed": True,
        "identity_check": "owner_present",
    }
    refused(tech, case, "owner_borrows", form, status=403, code="role_not_allowed")
    refused(security, case, "owner_borrows", form, status=403, code="role_not_allowed")
    refused(
        agent,
        case,
        "owner_borrows",
        {"borrower_relation": "owner"},
        code="invalid_form",
        fields=["identity_confirmed"],
    )
    refused(agent, case, "ask_owner", {**form, "borrower_id_no": "x"}, code="guard_failed")
    refused(agent, case, "not_confirmed", {**form, "refusal_reason": "x"}, code="guard_failed")

    case = take(agent, case, "owner_borrows", form)
    where(case, "lend", "open", SC)
    assert case["first_response_at"] == case["updated_at"]
    assert since(case, "step_due") == 15 * M

    lend = {"key_no": "K-3-2-1502", "key_count": 2, "expected_return": "2030-05-01T18:00:00+08:00"}
    refused(agent, case, "lent", lend, code="invalid_form", fields=["checklist.register_signed"])
    refused(
        agent,
        case,
        "lent",
        {"key_no": "K-1"},
        {"register_signed": True},
        code="invalid_form",
        fields=["key_count", "expected_return"],
    )
    refused(agent, case, "lent", lend, {"register_signed": False}, code="guard_failed")
    refused(
        tech, case, "lent", lend, {"register_signed": True}, status=403, code="role_not_allowed"
    )
    case = take(agent, case, "lent", lend, {"register_signed": True})
    # The borrower holds the key: the case waits and its resolution clock is paused.
    where(case, "key_out", "waiting", SC)
    assert case["paused"] and since(case, "step_due") == 8 * H
    assert case["checks"]["lend"]["register_signed"] == {"value": True, "passed": True}
    # 《钥匙借用表》: the key is out, held by the borrower, due back at the agreed time.
    out = agent.get("/api/registers/key").json()
    assert [(e["item"], e["holder"], e["case_id"]) for e in out] == [
        ("K-3-2-1502", "王芳", case["id"])
    ]
    assert out[0]["due_back"].startswith("2030-05-01T10:00:00")  # 18:00 Shanghai time

    refused(
        agent2,
        case,
        "returned",
        {},
        {"return_registered": True, "key_in_place": True},
        code="invalid_form",
        fields=["returned_by"],
    )
    refused(
        agent2,
        case,
        "returned",
        {"returned_by": "王芳"},
        {"return_registered": True},
        code="invalid_form",
        fields=["checklist.key_in_place"],
    )
    refused(
        agent2,
        case,
        "returned",
        {"returned_by": "王芳"},
        {"return_registered": True, "key_in_place": False},
        code="guard_failed",
    )
    refused(
        tech,
        case,
        "returned",
        {"returned_by": "王芳"},
        {"return_registered": True, "key_in_place": True},
        status=403,
        code="role_not_allowed",
    )
    case = take(
        agent2,
        case,
        "returned",
        {"returned_by": "王芳", "key_condition": "完好"},
        {"return_registered": True, "key_in_place": True},
    )
    where(case, "returned", "closed", SC)
    assert agent.get("/api/registers/key").json() == []  # back in its place
    assert agent.get("/api/registers/key", open="false").json()[0]["returned_at"]
    assert not case["paused"] and case["closed_at"] == case["updated_at"] == case["resolved_at"]
    assert since(case, "resolution_due", "created_at") >= 2 * H  # the paused time is given back
    assert allowed(agent, case) == {}
    refused(agent, case, "returned", code="case_closed")

    assert path(case) == [("lend", SC), ("key_out", SC), ("returned", SC)]
    assert transitions_taken(case) == ["owner_borrows", "lent", "returned"]
    assert kinds(case) == [
        "opened",
        "transitioned",
        "transitioned",
        "paused",
        "registered",
        "transitioned",
        "resumed",
        "registered",
    ]
    assert differences() == []


def test_someone_else_borrows_with_the_owners_consent_and_is_late(world, api):
    agent, tech = api("agent"), api("technician")
    case = open_case(
        world,
        agent,
        {**INTAKE, "borrower_name": "李师傅", "purpose": "水管维修"},
        priority="urgent",
    )
    assert since(case, "response_due", "created_at") == 5 * M
    assert since(case, "resolution_due", "created_at") == 30 * M
    assert since(case, "step_due", "created_at") == 5 * M
    form = {
        "borrower_relation": "other",
        "identity_confirmed": True,
        "identity_check": "phone_owner",
    }
    refused(agent, case, "owner_borrows", form, code="guard_failed")  # not the owner
    refused(agent, case, "ask_owner", form, code="invalid_form", fields=["borrower_id_no"])
    case = take(agent, case, "ask_owner", {**form, "borrower_id_no": "440301198001011234"})
    where(case, "owner_consent", "open", SC)
    assert since(case, "step_due") == 15 * M  # urgent

    consent = {"owner_agrees": True, "consent_method": "phone", "owner_conditions": "当天归还"}
    refused(tech, case, "owner_agrees", consent, status=403, code="role_not_allowed")
    refused(
        agent,
        case,
        "owner_agrees",
        {"owner_agrees": True},
        code="invalid_form",
        fields=["consent_method"],
    )
    refused(agent, case, "owner_refuses", consent, code="guard_failed")
    case = take(agent, case, "owner_agrees", consent)
    where(case, "lend", "open", SC)
    assert since(case, "step_due") == 5 * M
    case = take(
        agent,
        case,
        "lent",
        {"key_no": "K-3-2-1502", "key_count": 1, "expected_return": "2030-05-01T12:00:00+08:00"},
        {"register_signed": True},
    )
    where(case, "key_out", "waiting", SC)
    assert since(case, "step_due") == 4 * H  # urgent borrowing time

    # Not back by the agreed time: the step rung tells the service centre manager, once.
    due = datetime.fromisoformat(case["step_due"])
    assert fire_due(case["id"], now=due - timedelta(seconds=1)) == []
    row = Case.objects.get(pk=case["id"])
    fired = fire_due(case["id"], now=due + timedelta(seconds=1))
    assert fired == [f"step:3:{row.step_cycle}"]
    assert fire_due(case["id"], now=due + timedelta(hours=1)) == []
    assert list(
        Notification.objects.filter(case_id=case["id"], kind="escalation").values_list(
            "recipient__username", flat=True
        )
    ) == ["sc_manager"]

    case = agent.get(f"/api/cases/{case['id']}").json()
    case = take(
        agent,
        case,
        "returned",
        {"returned_by": "李师傅"},
        {"return_registered": True, "key_in_place": True},
    )
    where(case, "returned", "closed", SC)
    assert path(case) == [("owner_consent", SC), ("lend", SC), ("key_out", SC), ("returned", SC)]
    assert kinds(case) == [
        "opened",
        "transitioned",
        "transitioned",
        "transitioned",
        "paused",
        "registered",
        "escalated",
        "transitioned",
        "resumed",
        "registered",
    ]
    assert differences() == []


def test_the_owner_refuses(world, api):
    agent = api("agent")
    case = open_case(world, agent, {**INTAKE, "borrower_name": "张三"})
    case = take(
        agent,
        case,
        "ask_owner",
        {
            "borrower_relation": "other",
            "identity_confirmed": True,
            "borrower_id_no": "440301199001011234",
        },
    )
    refused(
        agent,
        case,
        "owner_agrees",
        {"owner_agrees": False, "consent_method": "phone"},
        code="guard_failed",
    )
    case = take(agent, case, "owner_refuses", {"owner_agrees": False, "consent_method": "phone"})
    where(case, "refused", "rejected", SC)
    assert case["closed_at"] == case["updated_at"] and case["resolved_at"] is None
    assert case["data"]["refusal_reason"] == "业主不同意借用"  # the transition's `set` effect
    assert path(case) == [("owner_consent", SC), ("refused", SC)]
    assert kinds(case) == ["opened", "transitioned", "transitioned"]
    assert differences() == []


def test_the_owner_cannot_be_reached(world, api):
    agent = api("agent")
    case = open_case(world, agent, {**INTAKE, "borrower_name": "张三"})
    case = take(
        agent,
        case,
        "ask_owner",
        {
            "borrower_relation": "other",
            "identity_confirmed": True,
            "borrower_id_no": "440301199001011234",
        },
    )
    # Leaving without the consent form, but with a reason.
    refused(agent, case, "owner_unreachable", {}, code="invalid_form", fields=["refusal_reason"])
    case = take(agent, case, "owner_unreachable", {"refusal_reason": "业主电话三次无人接听"})
    where(case, "refused", "rejected", SC)
    assert path(case) == [("owner_consent", SC), ("refused", SC)]
    assert differences() == []


def test_identity_cannot_be_confirmed(world, api):
    agent, tech = api("agent"), api("technician")
    case = open_case(world, agent, {**INTAKE, "borrower_name": "自称业主亲戚"})
    form = {"borrower_relation": "other", "identity_confirmed": False}
    refused(agent, case, "ask_owner", {**form, "borrower_id_no": "x"}, code="guard_failed")
    refused(agent, case, "not_confirmed", form, code="invalid_form", fields=["refusal_reason"])
    refused(
        tech,
        case,
        "not_confirmed",
        {**form, "refusal_reason": "x"},
        status=403,
        code="role_not_allowed",
    )
    case = take(agent, case, "not_confirmed", {**form, "refusal_reason": "业主否认认识借用人"})
    where(case, "refused", "rejected", SC)
    assert case["closed_at"] and case["resolved_at"] is None
    assert path(case) == [("refused", SC)]
    assert transitions_taken(case) == ["not_confirmed"]
    assert kinds(case) == ["opened", "transitioned"]
    assert differences() == []
