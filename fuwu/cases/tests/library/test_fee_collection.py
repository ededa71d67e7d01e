"""Fee collection (SPEC §9 row 6, fee_collection.yaml) walked through the HTTP API, every seed branch.

Seed 4、收费管理规程: print the payment notice → check it: correct → hand it out / not correct →
correct the wrong data (printed and checked again) → collect the fees → chase the arrears →
payment statistics → archive. One case = one household's notice for one billing period.
The test world runs 24×7: due = moment + limit.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from fuwu.cases.models import Case, Event
from fuwu.cases.replay import differences
from fuwu.testing.scenario import fire, kinds, path, refused, since, take, transitions_taken, where
from fuwu.testing.scenario import reasons as allowed

# Also on PostgreSQL (amounts due and paid summed): fuwu.testing.placement.runs_on_postgres.
pytestmark = pytest.mark.postgres_too

H, M = 3600, 60
PROCEDURE = "fee_collection"
TITLE = "2025年3月物业管理费 3栋2单元1502"
CHANNEL = "system"
SC, FIN = "service_center", "finance"
INTAKE = {"billing_period": "2025年3月", "fee_type": "management_fee"}
NOTICE = {
    "notice_no": "JF-202503-1502",
    "amount_due": "356.40",
    "fee_details": "建筑面积 118.8㎡ × 3.00 元/㎡",
    "pay_by": "2025-03-31",
}
PAID = {"amount_paid": "356.40", "receipt_no": "SJ-0001", "payment_method": "mobile"}


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


def bill(world, client, **kw):
    return open_case(world, client, dict(INTAKE), **kw)


def test_correct_notice_paid_in_time(world, api):
    agent, agent2, finance, tech = api("agent"), api("agent2"), api("finance"), api("technician")
    body = open_case(world, agent, {"billing_period": "2025年3月"}, expect=400)
    assert body["code"] == "invalid_form" and set(body["details"]["fields"]) == {"fee_type"}
    assert bill(world, agent, channel="phone", expect=400)["code"] == "channel_not_allowed"

    case = bill(world, agent)
    where(case, "print_notice", "open", SC)
    assert case["channel"] == "system"
    assert since(case, "response_due", "created_at") == 8 * H
    assert since(case, "resolution_due", "created_at") == 80 * H
    assert since(case, "step_due", "created_at") == 8 * H
    refused(tech, case, "printed", NOTICE, status=403, code="role_not_allowed")
    refused(finance, case, "printed", NOTICE, status=403, code="role_not_allowed")
    refused(
        agent,
        case,
        "printed",
        {"notice_no": "x"},
        code="invalid_form",
        fields=["amount_due", "fee_details"],
    )
    refused(
        agent,
        case,
        "printed",
        {**NOTICE, "amount_due": "0"},
        code="invalid_form",
        fields=["amount_due"],
    )
    case = take(agent, case, "printed", NOTICE)
    # Finance checks the notice: the case is theirs now.
    where(case, "check_notice", "open", FIN)
    assert since(case, "step_due") == 8 * H
    assert case["data"]["amount_due"] == "356.40"

    assert allowed(agent, case) == {"correct": (False, "role"), "incorrect": (False, "role")}
    refused(agent, case, "correct", {"notice_correct": True}, status=403, code="role_not_allowed")
    refused(finance, case, "correct", {}, code="invalid_form", fields=["notice_correct"])
    refused(
        finance,
        case,
        "incorrect",
        {"notice_correct": True, "error_description": "x"},
        code="guard_failed",
    )
    case = take(finance, case, "correct", {"notice_correct": True})
    where(case, "hand_out", "open", SC)
    assert since(case, "step_due") == 16 * H

    refused(agent, case, "handed_out", {}, code="invalid_form", fields=["hand_out_method"])
    case = take(agent, case, "handed_out", {"hand_out_method": "mailbox"})
    where(case, "awaiting_payment", "waiting", SC)
    assert case["paused"] and since(case, "step_due") == 80 * H

    refused(tech, case, "paid", PAID, status=403, code="role_not_allowed")
    refused(
        agent2,
        case,
        "paid",
        {"amount_paid": "356.40"},
        code="invalid_form",
        fields=["receipt_no", "payment_method"],
    )
    refused(agent2, case, "paid", {**PAID, "amount_paid": "300.00"}, code="guard_failed")
    refused(
        agent2,
        case,
        "paid",
        {**PAID, "amount_paid": "300.001"},
        code="invalid_form",
        fields=["amount_paid"],
    )
    case = take(agent2, case, "paid", PAID)
    where(case, "statistics", "resolved", FIN)
    assert not case["paused"] and case["data"]["in_arrears"] is False
    assert case["resolved_at"] == case["updated_at"] and since(case, "step_due") == 16 * H

    refused(
        agent, case, "archive", {}, {"entered_in_ledger": True}, status=403, code="role_not_allowed"
    )
    refused(
        finance,
        case,
        "archive",
        {},
        {},
        code="invalid_form",
        fields=["checklist.entered_in_ledger"],
    )
    refused(finance, case, "archive", {}, {"entered_in_ledger": False}, code="guard_failed")
    case = take(
        finance, case, "archive", {"statistics_note": "按时缴清"}, {"entered_in_ledger": True}
    )
    where(case, "archived", "closed", FIN)
    assert path(case) == [
        ("check_notice", FIN),
        ("hand_out", SC),
        ("awaiting_payment", SC),
        ("statistics", FIN),
        ("archived", FIN),
    ]
    assert transitions_taken(case) == ["printed", "correct", "handed_out", "paid", "archive"]
    assert kinds(case) == [
        "opened",
        "transitioned",
        "transitioned",
        "transitioned",
        "paused",
        "transitioned",
        "resumed",
        "transitioned",
    ]
    assert differences() == []


def test_wrong_notice_corrected_then_overdue_and_chased(world, api):
    agent, finance, sc_mgr = api("agent"), api("finance"), api("sc_manager")
    case = bill(world, agent, priority="high")
    assert since(case, "resolution_due", "created_at") == 40 * H
    case = take(agent, case, "printed", {**NOTICE, "amount_due": "563.40"})
    refused(
        finance,
        case,
        "incorrect",
        {"notice_correct": False},
        code="invalid_form",
        fields=["error_description"],
    )
    refused(finance, case, "correct", {"notice_correct": False}, code="guard_failed")
    case = take(
        finance,
        case,
        "incorrect",
        {"notice_correct": False, "error_description": "金额录入错误，应为356.40元"},
    )
    where(case, "fix_data", "open", SC)
    assert since(case, "step_due") == 4 * H
    refused(agent, case, "reprint", {}, code="invalid_form", fields=["correction"])
    case = take(agent, case, "reprint", {"correction": "更正应缴金额"})
    # Printed again (the corrected amount) and checked again.
    where(case, "print_notice", "open", SC)
    assert case["data"]["amount_due"] == "563.40"
    case = take(agent, case, "printed", NOTICE)
    where(case, "check_notice", "open", FIN)
    case = take(finance, case, "correct", {"notice_correct": True})
    case = take(agent, case, "handed_out", {"hand_out_method": "in_person"})
    where(case, "awaiting_payment", "waiting", SC)

    # Not paid within the window: the system marks it overdue and the arrears are chased.
    assert fire(case, after=-1) == []
    row = Case.objects.get(pk=case["id"])
    assert fire(case) == [f"timeout:{row.step_cycle}"]
    case = agent.get(f"/api/cases/{case['id']}").json()
    where(case, "chase", "open", SC)
    assert not case["paused"] and since(case, "step_due") == 16 * H
    timed_out = Event.objects.get(case_id=case["id"], kind="timed_out")
    assert timed_out.actor is None and timed_out.data["transition"] == "overdue"

    # Paid when chased (the chase form is not demanded: the household simply came to pay).
    case = take(sc_mgr, case, "paid", {**PAID, "payment_method": "cash"})
    where(case, "statistics", "resolved", FIN)
    case = take(finance, case, "archive", {}, {"entered_in_ledger": True})
    where(case, "archived", "closed", FIN)
    assert path(case) == [
        ("check_notice", FIN),
        ("fix_data", SC),
        ("print_notice", SC),
        ("check_notice", FIN),
        ("hand_out", SC),
        ("awaiting_payment", SC),
        ("chase", SC),
        ("statistics", FIN),
        ("archived", FIN),
    ]
    assert transitions_taken(case) == [
        "printed",
        "incorrect",
        "reprint",
        "printed",
        "correct",
        "handed_out",
        "paid",
        "archive",
    ]
    assert kinds(case).count("timed_out") == 1
    assert differences() == []


def test_arrears_chased_twice_then_recorded(world, api):
    agent, finance, tech = api("agent"), api("finance"), api("technician")
    case = bill(world, agent)
    case = take(agent, case, "printed", NOTICE)
    case = take(finance, case, "correct", {"notice_correct": True})
    case = take(agent, case, "handed_out", {"hand_out_method": "online"})
    # A person may also mark it overdue when the pay-by date has passed.
    refused(tech, case, "overdue", status=403, code="role_not_allowed")
    case = take(agent, case, "overdue")
    where(case, "chase", "open", SC)

    refused(
        agent,
        case,
        "promised",
        {"promised_date": (date.today() + timedelta(days=10)).isoformat()},
        code="invalid_form",
        fields=["chase_method"],
    )
    # A promise to pay on a day already gone is no promise (the field is `not_past`).
    past = refused(
        agent,
        case,
        "promised",
        {"chase_method": "phone", "promised_date": "2020-01-10"},
        code="invalid_form",
        fields=["promised_date"],
    )
    assert past["details"]["fields"]["promised_date"] == "不能早于现在"
    refused(
        agent,
        case,
        "promised",
        {"chase_method": "phone"},
        code="invalid_form",
        fields=["promised_date"],
    )
    case = take(
        agent,
        case,
        "promised",
        {
            "chase_method": "phone",
            "chase_note": "业主出差，承诺月中缴",
            "promised_date": (date.today() + timedelta(days=14)).isoformat(),
        },
    )
    where(case, "awaiting_payment", "waiting", SC)
    assert since(case, "step_due") == 80 * H  # a new payment window
    row = Case.objects.get(pk=case["id"])
    assert fire(case) == [f"timeout:{row.step_cycle}"]  # the promise was not kept
    case = agent.get(f"/api/cases/{case['id']}").json()
    where(case, "chase", "open", SC)

    refused(
        agent,
        case,
        "arrears_recorded",
        {"chase_method": "written"},
        code="invalid_form",
        fields=["arrears_reason"],
    )
    case = take(
        agent,
        case,
        "arrears_recorded",
        {"chase_method": "written", "arrears_reason": "业主对收费标准有异议，拒缴"},
    )
    where(case, "statistics", "resolved", FIN)
    assert case["data"]["in_arrears"] is True
    case = take(
        finance, case, "archive", {"statistics_note": "列入欠费名单"}, {"entered_in_ledger": True}
    )
    where(case, "archived", "closed", FIN)
    assert path(case) == [
        ("check_notice", FIN),
        ("hand_out", SC),
        ("awaiting_payment", SC),
        ("chase", SC),
        ("awaiting_payment", SC),
        ("chase", SC),
        ("statistics", FIN),
        ("archived", FIN),
    ]
    assert kinds(case) == [
        "opened",
        "transitioned",
        "transitioned",
        "transitioned",
        "paused",
        "transitioned",
        "resumed",
        "transitioned",
        "paused",
        "timed_out",
        "resumed",
        "transitioned",
        "transitioned",
    ]
    assert differences() == []


def test_nothing_to_bill(world, api):
    agent = api("agent")
    case = bill(world, agent, channel="walk_in")
    refused(agent, case, "not_billable", {}, code="invalid_form", fields=["cancel_reason"])
    case = take(agent, case, "not_billable", {"cancel_reason": "业主已预缴全年物业费"})
    where(case, "cancelled", "cancelled", SC)
    assert case["resolved_at"] is None and case["closed_at"] == case["updated_at"]
    assert path(case) == [("cancelled", SC)]
    assert differences() == []
