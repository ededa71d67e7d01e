"""Monthly parking reconciliation (SPEC §9 row 8, parking_reconciliation.yaml) through the HTTP API.

Seed 7、机动车位租赁管理流程: every month on the 28th–30th finance, the service centre and security
check the compound's parking spaces (one task each, in parallel); the daily and weekly fee reports
are checked by finance. The service centre compares the results: all match → archive /
differences → settle them → archive. One case = one month. 24×7: due = moment + limit.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import time_machine

from fuwu.cases.models import Event
from fuwu.cases.replay import differences
from fuwu.testing.scenario import at, complete, kinds, path, refused, since, take, where
from fuwu.testing.scenario import notes_in_order as notes

H, M = 3600, 60
PROCEDURE = "parking_reconciliation"
TITLE = "2025年3月车位核对"
CHANNEL = "system"
SC, FIN, SEC = "service_center", "finance", "security"
FINANCE = (
    {"fees_collected": "86400.00", "unpaid_count": 3},
    {"reports_received": True, "fees_match_receipts": True},
)
REGISTER = ({"active_leases": 48, "permits_issued": 6}, {"register_complete": True})
SITE = ({"vehicles_counted": 47, "unregistered_vehicles": 1}, {"spaces_walked": True})


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


def tasks(case) -> dict[str, tuple[str, str]]:
    return {t["branch"]: (t["department"], t["state"]) for t in case["tasks"]}


def month(world, client, **kw):
    return open_case(world, client, {"month": "2025年3月"}, **kw)


@time_machine.travel("2026-09-28 10:00 +0800")  # opened on the 28th, as the seed's window opens
def test_three_departments_check_and_all_match(world, api):
    agent, finance, security, tech, sc_mgr = (
        api("agent"),
        api("finance"),
        api("security"),
        api("technician"),
        api("sc_manager"),
    )
    assert set(open_case(world, agent, {}, expect=400)["details"]["fields"]) == {"month"}
    assert month(world, agent, channel="phone", expect=400)["code"] == "channel_not_allowed"
    case = month(world, agent)
    where(case, "reconcile", "open", SC)
    assert since(case, "response_due", "created_at") == 8 * H
    assert since(case, "resolution_due", "created_at") == 40 * H
    # 每月28日—30日: by the close of the 30th (midnight on the 24×7 test calendar).
    assert at(case, "step_due") == datetime(2026, 10, 1, tzinfo=ZoneInfo("Asia/Shanghai"))
    depts = {"finance_check": FIN, "register_check": SC, "site_check": SEC}
    assert {b: d for b, (d, _) in tasks(case).items()} == depts
    assert {s for _, s in tasks(case).values()} == {"open"}

    # Each branch is its own department's (or a manager's); its form and checklist are enforced.
    assert (
        complete(agent, case, "finance_check", *FINANCE, expect=403)["code"]
        == "branch_owned_elsewhere"
    )
    assert complete(tech, case, "site_check", *SITE, expect=403)["code"] == "branch_owned_elsewhere"
    assert (
        complete(finance, case, "site_check", *SITE, expect=403)["code"] == "branch_owned_elsewhere"
    )
    body = complete(
        finance,
        case,
        "finance_check",
        {"fees_collected": "86400.00"},
        {"reports_received": True},
        expect=400,
    )
    assert body["code"] == "invalid_form" and "unpaid_count" in body["details"]["fields"]
    body = complete(
        finance, case, "finance_check", FINANCE[0], {"reports_received": True}, expect=400
    )
    assert set(body["details"]["fields"]) == {"checklist.fees_match_receipts"}
    case = complete(finance, case, "finance_check", *FINANCE)
    where(case, "reconcile", "open", SC)
    assert tasks(case)["finance_check"][1] == "done"
    assert complete(finance, case, "finance_check", *FINANCE, expect=400)["code"] == "task_done"
    case = complete(agent, case, "register_check", *REGISTER)
    where(case, "reconcile", "open", SC)
    case = complete(security, case, "site_check", *SITE)
    # All three done: the case moves on to the comparison.
    where(case, "compare", "open", SC)
    assert since(case, "step_due") == 8 * H
    assert case["data"]["fees_collected"] == "86400.00" and case["data"]["vehicles_counted"] == 47

    refused(
        tech, case, "all_match", {"discrepancies_found": False}, status=403, code="role_not_allowed"
    )
    refused(agent, case, "all_match", {}, code="invalid_form", fields=["discrepancies_found"])
    refused(
        agent,
        case,
        "discrepancies",
        {"discrepancies_found": True},
        code="invalid_form",
        fields=["discrepancy_list"],
    )
    refused(agent, case, "all_match", {"discrepancies_found": True}, code="guard_failed")
    case = take(sc_mgr, case, "all_match", {"discrepancies_found": False})
    where(case, "archived", "closed", SC)
    assert path(case) == [("compare", SC), ("archived", SC)]
    k = kinds(case)
    assert k == [
        "opened",
        "task_completed",
        "task_completed",
        "task_completed",
        "joined",
        "transitioned",
    ]
    actors = [
        e.actor.username
        for e in Event.objects.filter(case_id=case["id"], kind="task_completed").order_by("seq")
    ]
    assert actors == ["finance", "agent", "security"]
    assert differences() == []


def test_differences_are_settled_before_archiving(world, api):
    agent, finance, security = api("agent"), api("finance"), api("security")
    case = month(world, agent)
    case = complete(security, case, "site_check", *SITE)
    case = complete(agent, case, "register_check", *REGISTER)
    case = complete(finance, case, "finance_check", *FINANCE)
    where(case, "compare", "open", SC)
    case = take(
        agent,
        case,
        "discrepancies",
        {
            "discrepancies_found": True,
            "discrepancy_list": "现场47辆、登记48辆；1辆无证车辆；3辆欠费",
        },
    )
    where(case, "settle", "resolved", SC)
    assert case["resolved_at"] == case["updated_at"] and since(case, "step_due") == 16 * H
    assert notes(case) == ["sc_manager"]
    refused(agent, case, "settled", {}, code="invalid_form", fields=["settlement"])
    case = take(
        agent, case, "settled", {"settlement": "无证车辆已劝离；欠费车辆转催收；1辆已退租注销"}
    )
    where(case, "archived", "closed", SC)
    assert path(case) == [("compare", SC), ("settle", SC), ("archived", SC)]
    assert differences() == []


def test_branch_lists_every_missing_answer_at_once(world, api):
    agent, finance = api("agent"), api("finance")
    case = month(world, agent)
    body = complete(
        finance,
        case,
        "finance_check",
        {"fees_collected": "86400.00"},
        {"reports_received": True},
        expect=400,
    )
    assert set(body["details"]["fields"]) == {"unpaid_count", "checklist.fees_match_receipts"}
