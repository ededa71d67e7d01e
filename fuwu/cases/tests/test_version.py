"""Only state changes conflict: what bumps `Case.version` (flow.py's docstring) and what does not."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from fuwu.cases import actions
from fuwu.cases.choices import WorkKind
from fuwu.cases.models import Case, Event
from fuwu.sla.escalation import fire_due

pytestmark = pytest.mark.django_db


def _open(client):
    body = {
        "procedure": "property_repair",
        "site": "lanting",
        "channel": "phone",
        "title": "门禁失灵",
        "data": {"repair_item": "门禁失灵", "service_type": "free"},
    }
    r = client.post("/api/cases", body)
    assert r.status_code == 201, r.json()
    return r.json()


def test_a_comment_and_a_work_log_entry_do_not_make_a_colleagues_move_409(world, api):
    a1, a2 = api("agent"), api("agent2")
    case = _open(a1)
    # agent takes the case ("I'll handle it"): the work log is the assignee's (policy.py).
    r = a1.post(
        f"/api/cases/{case['id']}/assign", {"version": case["version"], "assignee": "agent"}
    )
    assert r.status_code == 200, r.json()
    seen = r.json()["version"]  # agent2 opened the case page at this version
    assert a1.post(f"/api/cases/{case['id']}/comments", {"text": "客户来电催促"}).status_code == 201
    r = a1.post(
        f"/api/cases/{case['id']}/work-log",
        {"kind": "labour", "description": "电话沟通", "hours": "0.25"},
    )
    assert r.status_code == 201, r.json()
    assert Case.objects.get(pk=case["id"]).version == seen
    r = a2.post(
        f"/api/cases/{case['id']}/transitions/issue_work_order",
        {"version": seen, "form": {"details_confirmed": True}},
    )
    assert r.status_code == 200, r.json()
    assert r.json()["version"] == seen + 1  # the move is a state change
    assert Event.objects.filter(case_id=case["id"], kind="commented").count() == 1


def test_a_transition_does_make_a_colleagues_move_409(world, api):
    a1, a2 = api("agent"), api("agent2")
    case = _open(a1)
    r = a1.post(
        f"/api/cases/{case['id']}/transitions/issue_work_order",
        {"version": case["version"], "form": {"details_confirmed": True}},
    )
    assert r.status_code == 200
    r = a2.post(
        f"/api/cases/{case['id']}/transitions/cancel",
        {"version": case["version"], "form": {"cancel_reason": "重复"}},
    )
    assert r.status_code == 409 and r.json()["code"] == "stale"


def test_state_changes_bump_and_notes_do_not(world):
    agent, manager = world.actor("agent"), world.actor("sc_manager")
    case = actions.open_case(
        agent,
        procedure_key="property_repair",
        site_id=world.sites["lanting"].pk,
        channel="phone",
        title="漏水",
        data={"repair_item": "漏水", "service_type": "free"},
    )
    v = case.version

    def version() -> int:
        return Case.objects.get(pk=case.pk).version

    # The agent takes the case: a new assignee is a state change, and the work log is theirs.
    actions.assign(agent, case.pk, assignee_id=world.users["agent"].pk, version=v)
    assert version() == v + 1
    v += 1
    actions.comment(agent, case.pk, text="内部备注", internal=True)
    actions.log_work(
        agent,
        case.pk,
        actions.WorkEntry(WorkKind.PART, "密封圈", quantity=Decimal(2), unit_price=Decimal("3.50")),
    )
    assert version() == v
    # The resolution deadline passes: the manager is told, nothing anyone sees on a form changed.
    fired = fire_due(case.pk, now=case.resolution_due + timedelta(minutes=1))
    assert fired and Event.objects.filter(case=case, kind="escalated").exists()
    assert version() == v
    actions.assign(manager, case.pk, assignee_id=world.users["agent2"].pk, version=v)
    assert version() == v + 1  # the assignee
    actions.pause_clock(agent, case.pk, version=v + 1, reason="等业主在家")
    assert version() == v + 2  # the clocks paused
    actions.resume_clock(agent, case.pk, version=v + 2)
    assert version() == v + 3
    actions.flag_major(manager, case.pk, version=v + 3)
    assert version() == v + 4  # guards may read case.is_major
