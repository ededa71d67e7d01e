"""Property repair (SPEC row 2) walked from intake to archive through the HTTP API."""

from __future__ import annotations

from datetime import datetime, timedelta

from fuwu.cases.models import Case, Event
from fuwu.cases.replay import differences
from fuwu.notifications.models import Notification
from fuwu.testing.scenario import take


def test_property_repair_end_to_end(world, api):
    agent, dispatcher, tech = api("agent"), api("dispatcher"), api("technician")
    r = agent.post(
        "/api/cases",
        {
            "procedure": "property_repair",
            "site": "lanting",
            "channel": "phone",
            "title": "厨房水管漏水",
            "priority": "high",
            "customer_id": world.customers["owner"].pk,
            "asset_id": world.assets["unit"].pk,
            "data": {
                "repair_item": "厨房水管漏水",
                "location": "厨房水槽下",
                "service_type": "free",
            },
        },
    )
    assert r.status_code == 201, r.json()
    case = r.json()
    assert case["step"]["key"] == "reception" and case["department"]["code"] == "service_center"
    assert case["status"] == "open" and case["priority"] == "high"
    assert case["response_due"] and case["resolution_due"] and case["step_due"]
    # high priority: 30 min response, 8 h resolution, reception step 15 min (24×7 test calendar)
    created = datetime.fromisoformat(case["created_at"])
    assert (datetime.fromisoformat(case["response_due"]) - created).total_seconds() == 1800
    assert (datetime.fromisoformat(case["resolution_due"]) - created).total_seconds() == 8 * 3600

    # The guard needs the details confirmed with the owner.
    bad = take(agent, case, "issue_work_order", expect=400)
    assert bad["code"] == "invalid_form" and "details_confirmed" in bad["details"]["fields"]
    case = take(agent, case, "issue_work_order", {"details_confirmed": True})
    assert case["step"]["key"] == "dispatch" and case["department"]["code"] == "engineering"
    assert case["assignee"] is None and case["first_response_at"]

    # Only a dispatcher (or manager) may dispatch.
    assert (
        take(tech, case, "book", {"repair_mode": "booked"}, expect=403)["code"]
        == "role_not_allowed"
    )
    r = dispatcher.post(
        f"/api/cases/{case['id']}/assign", {"version": case["version"], "assignee": "technician"}
    )
    assert r.status_code == 200, r.json()
    case = r.json()
    assert case["assignee"]["username"] == "technician"
    assert Notification.objects.filter(
        recipient=world.users["technician"], kind="assigned"
    ).exists()
    case = take(
        dispatcher,
        case,
        "book",
        # A visit agreed for tomorrow: an appointment may not lie in the past (`not_past`).
        {"repair_mode": "booked", "appointment_at": (created + timedelta(days=1)).isoformat()},
    )
    assert case["step"]["key"] == "booked" and case["assignee"]["username"] == "technician"
    case = take(tech, case, "arrive")
    assert case["step"]["key"] == "repair"

    # Waiting on the owner pauses the clock; coming back moves the resolution deadline on.
    case = take(tech, case, "wait_for_owner", {"wait_reason": "业主外出,需取钥匙"})
    assert case["step"]["key"] == "waiting_owner" and case["status"] == "waiting" and case["paused"]
    due_before = case["resolution_due"]
    case = take(tech, case, "owner_ready")
    assert not case["paused"] and case["status"] == "open"
    assert case["resolution_due"] >= due_before

    # A failed checklist item blocks completion; a passing one completes.
    failed = take(
        tech,
        case,
        "complete",
        {"diagnosis": "接头老化", "solution": "更换接头", "owner_agreed": True},
        {"fault_fixed": False, "site_clean": True},
        expect=400,
    )
    assert failed["code"] == "guard_failed"
    case = take(
        tech,
        case,
        "complete",
        {"diagnosis": "接头老化", "solution": "更换接头", "owner_agreed": True},
        {"fault_fixed": True, "site_clean": True},
    )
    assert case["step"]["key"] == "record_result"
    assert case["status"] == "resolved" and case["resolved_at"]
    work = tech.post(
        f"/api/cases/{case['id']}/work-log",
        {"kind": "part", "description": "PPR 接头", "quantity": 2, "unit_price": "12.50"},
    )
    assert work.status_code == 201 and work.json()["amount"] == "25.00"
    case = tech.get(f"/api/cases/{case['id']}").json()
    assert (
        take(tech, case, "to_finance", {"result": "已修复"}, expect=400)["code"] == "invalid_form"
    )  # charge missing
    case = take(tech, case, "to_return_visit", {"result": "已修复,试水正常"})
    assert case["step"]["key"] == "return_visit" and case["department"]["code"] == "service_center"
    assert case["return_visit_due"]

    # Dissatisfied return visit: reopened to repair, counted as a comeback.
    case = take(
        agent, case, "reopen", {"visit_method": "phone", "satisfied": False, "feedback": "仍有渗水"}
    )
    assert (
        case["step"]["key"] == "repair" and case["status"] == "open" and case["comeback_count"] == 1
    )
    assert case["resolved_at"] is None
    case = take(
        tech,
        case,
        "complete",
        {"diagnosis": "阀门密封圈损坏", "solution": "更换密封圈"},
        {"fault_fixed": True, "site_clean": True},
    )
    case = take(tech, case, "to_return_visit", {"result": "更换密封圈"})
    case = take(agent, case, "archive", {"visit_method": "phone", "satisfied": True})
    assert case["step"]["key"] == "archived" and case["status"] == "closed" and case["closed_at"]

    # Closed: nothing more can be taken.
    assert take(agent, case, "archive", expect=400)["code"] == "case_closed"

    row = Case.objects.get(pk=case["id"])
    steps = [
        e.data.get("to")
        for e in Event.objects.filter(case=row, kind="transitioned").order_by("seq")
    ]
    assert steps == [
        "dispatch",
        "booked",
        "repair",
        "waiting_owner",
        "repair",
        "record_result",
        "return_visit",
        "repair",
        "record_result",
        "return_visit",
        "archived",
    ]
    kinds = list(Event.objects.filter(case=row).order_by("seq").values_list("kind", flat=True))
    assert kinds[0] == "opened" and "assigned" in kinds and "paused" in kinds and "resumed" in kinds
    assert "work_logged" in kinds and "return_visit_scheduled" in kinds
    timeline = agent.get(f"/api/cases/{case['id']}/events").json()
    assert [e["seq"] for e in timeline] == list(range(1, len(timeline) + 1))
    owners = {
        e.data["set"].get("department")
        for e in Event.objects.filter(case=row)
        if "department" in e.data.get("set", {})
    }
    assert owners == {
        world.dept("lanting", "service_center").pk,
        world.dept("lanting", "engineering").pk,
    }
    assert differences() == []
