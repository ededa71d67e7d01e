"""Gas activation (SPEC §9 row 9, gas_activation.yaml) walked through the HTTP API, every seed branch.

Seed 9、开通煤气: the owner registers → the gas company is told the number of households → the
owner is told the date and the precautions → on the day the week's list goes to the gas company
→ activated: recorded, summary to finance before the fees are posted / nobody at home: phoned
with the reason, next date booked (loop). One case = one household. 24×7: due = moment + limit.
"""

from __future__ import annotations

import pytest

from fuwu.cases.models import Event
from fuwu.cases.replay import differences
from fuwu.testing.scenario import kinds, path, refused, since, take, transitions_taken, where

# Also on PostgreSQL (the week's gas list read back through SQL): fuwu.testing.placement.runs_on_postgres.
pytestmark = pytest.mark.postgres_too

H, M = 3600, 60
PROCEDURE = "gas_activation"
TITLE = "开通煤气 3栋2单元1502"
CHANNEL = "walk_in"
SC, FIN = "service_center", "finance"
INTAKE = {"applicant_name": "王芳", "contact_phone": "13812345678"}
TOLD = {"date_told": True, "precautions_told": True}


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


def register(world, client, **kw):
    return open_case(world, client, dict(INTAKE), **kw)


def to_activation_day(agent, case, date="2025-03-14"):
    case = take(
        agent,
        case,
        "date_set",
        {"activation_date": date, "week_list_no": "TQ-2025-11", "households_reported": 12},
    )
    where(case, "inform_owner", "open", SC)
    case = take(agent, case, "informed", {"inform_method": "phone"}, TOLD)
    where(case, "activation_day", "waiting", SC)
    return case


def test_registered_activated_and_summarised_to_finance(world, api):
    agent, agent2, finance, tech = api("agent"), api("agent2"), api("finance"), api("technician")
    body = open_case(world, agent, {"applicant_name": "王芳"}, expect=400)
    assert set(body["details"]["fields"]) == {"contact_phone"}
    assert register(world, agent, channel="phone", expect=400)["code"] == "channel_not_allowed"

    case = register(world, agent)
    where(case, "register", "open", SC)
    assert since(case, "response_due", "created_at") == 8 * H
    assert since(case, "resolution_due", "created_at") == 80 * H
    assert since(case, "step_due", "created_at") == 1 * H
    refused(
        tech, case, "registered", {}, {"owner_verified": True}, status=403, code="role_not_allowed"
    )
    refused(
        agent, case, "registered", {}, {}, code="invalid_form", fields=["checklist.owner_verified"]
    )
    refused(agent, case, "registered", {}, {"owner_verified": False}, code="guard_failed")
    case = take(
        agent,
        case,
        "registered",
        {"gas_meter_no": "RQ-880123", "preferred_days": "周末"},
        {"owner_verified": True},
    )
    where(case, "schedule", "open", SC)
    assert since(case, "step_due") == 40 * H  # the weekly call to the gas company

    refused(agent, case, "date_set", {}, code="invalid_form", fields=["activation_date"])
    refused(
        tech,
        case,
        "date_set",
        {"activation_date": "2025-03-14"},
        status=403,
        code="role_not_allowed",
    )
    case = take(
        agent,
        case,
        "date_set",
        {"activation_date": "2025-03-14", "week_list_no": "TQ-2025-11", "households_reported": 12},
    )
    where(case, "inform_owner", "open", SC)
    assert since(case, "step_due") == 8 * H
    refused(
        agent,
        case,
        "informed",
        {"inform_method": "phone"},
        {"date_told": True},
        code="invalid_form",
        fields=["checklist.precautions_told"],
    )
    refused(agent, case, "informed", {}, TOLD, code="invalid_form", fields=["inform_method"])
    case = take(agent, case, "informed", {"inform_method": "sms"}, TOLD)
    where(case, "activation_day", "waiting", SC)
    assert case["paused"] and case["step_due"] is None

    # On the day: the list is handed over; the gas is turned on and recorded.
    refused(
        agent2,
        case,
        "activated",
        {"activated_on": "2025-03-14", "meter_reading": 0},
        {},
        code="invalid_form",
        fields=["checklist.list_handed_over"],
    )
    refused(
        agent2,
        case,
        "activated",
        {"activated_on": "2025-03-14"},
        {"list_handed_over": True},
        code="invalid_form",
        fields=["meter_reading"],
    )
    refused(
        tech,
        case,
        "activated",
        {"activated_on": "2025-03-14", "meter_reading": 0},
        {"list_handed_over": True},
        status=403,
        code="role_not_allowed",
    )
    case = take(
        agent2,
        case,
        "activated",
        {"activated_on": "2025-03-14", "meter_reading": 0.0},
        {"list_handed_over": True},
    )
    where(case, "finance_summary", "resolved", FIN)
    assert not case["paused"] and case["resolved_at"] == case["updated_at"]
    assert since(case, "step_due") == 40 * H

    refused(
        agent,
        case,
        "posted",
        {"posting_period": "2025年3月"},
        {"in_summary": True},
        status=403,
        code="role_not_allowed",
    )
    refused(
        finance,
        case,
        "posted",
        {},
        {"in_summary": True},
        code="invalid_form",
        fields=["posting_period"],
    )
    case = take(finance, case, "posted", {"posting_period": "2025年3月"}, {"in_summary": True})
    where(case, "done", "closed", FIN)
    assert path(case) == [
        ("schedule", SC),
        ("inform_owner", SC),
        ("activation_day", SC),
        ("finance_summary", FIN),
        ("done", FIN),
    ]
    assert transitions_taken(case) == ["registered", "date_set", "informed", "activated", "posted"]
    assert kinds(case) == [
        "opened",
        "transitioned",
        "transitioned",
        "transitioned",
        "paused",
        "transitioned",
        "resumed",
        "asset_updated",  # the unit has gas: written to it as the gas is recorded
        "transitioned",
    ]
    assert differences() == []


def test_nobody_home_phoned_and_rebooked(world, api):
    agent, finance, tech = api("agent"), api("finance"), api("technician")
    case = register(world, agent)
    case = take(agent, case, "registered", {}, {"owner_verified": True})
    case = to_activation_day(agent, case)
    refused(
        tech,
        case,
        "nobody_home",
        {},
        {"list_handed_over": True},
        status=403,
        code="role_not_allowed",
    )
    case = take(agent, case, "nobody_home", {}, {"list_handed_over": True})
    where(case, "absent", "open", SC)
    assert not case["paused"] and since(case, "step_due") == 8 * H

    refused(
        agent,
        case,
        "rebook",
        {"reason_told": "通气日家中无人"},
        {"owner_phoned": True},
        code="invalid_form",
        fields=["next_date_wanted"],
    )
    refused(
        agent,
        case,
        "rebook",
        {"reason_told": "通气日家中无人", "next_date_wanted": "2025-03-21"},
        {"owner_phoned": False},
        code="guard_failed",
    )
    case = take(
        agent,
        case,
        "rebook",
        {"reason_told": "通气日家中无人，煤气公司无法入户", "next_date_wanted": "2025-03-21"},
        {"owner_phoned": True},
    )
    # On the next list: the date is confirmed with the gas company again.
    where(case, "schedule", "open", SC)
    assert (
        case["data"]["activation_date"] is None and case["data"]["next_date_wanted"] == "2025-03-21"
    )
    refused(agent, case, "date_set", {}, code="invalid_form", fields=["activation_date"])
    case = to_activation_day(agent, case, "2025-03-21")
    case = take(
        agent,
        case,
        "activated",
        {"activated_on": "2025-03-21", "meter_reading": 0},
        {"list_handed_over": True},
    )
    where(case, "finance_summary", "resolved", FIN)
    case = take(finance, case, "posted", {"posting_period": "2025年3月"}, {"in_summary": True})
    where(case, "done", "closed", FIN)
    assert path(case) == [
        ("schedule", SC),
        ("inform_owner", SC),
        ("activation_day", SC),
        ("absent", SC),
        ("schedule", SC),
        ("inform_owner", SC),
        ("activation_day", SC),
        ("finance_summary", FIN),
        ("done", FIN),
    ]
    assert kinds(case).count("paused") == 2 and kinds(case).count("resumed") == 2
    assert differences() == []


def test_second_activation_day_needs_its_own_checklist(world, api):
    agent = api("agent")
    case = register(world, agent)
    case = take(agent, case, "registered", {}, {"owner_verified": True})
    case = to_activation_day(agent, case)
    case = take(agent, case, "nobody_home", {}, {"list_handed_over": True})
    case = take(
        agent,
        case,
        "rebook",
        {"reason_told": "家中无人", "next_date_wanted": "2025-03-21"},
        {"owner_phoned": True},
    )
    case = to_activation_day(agent, case, "2025-03-21")
    refused(
        agent,
        case,
        "activated",
        {"activated_on": "2025-03-21", "meter_reading": 0},
        {},
        code="invalid_form",
        fields=["checklist.list_handed_over"],
    )


def test_registration_cancelled_or_owner_gives_up(world, api):
    agent = api("agent")
    case = register(world, agent)
    refused(agent, case, "cancel", {}, code="invalid_form", fields=["cancel_reason"])
    case = take(agent, case, "cancel", {"cancel_reason": "业主重复登记"})
    where(case, "cancelled", "cancelled", SC)
    assert path(case) == [("cancelled", SC)]

    case = register(world, agent)
    case = take(agent, case, "registered", {}, {"owner_verified": True})
    case = to_activation_day(agent, case)
    case = take(agent, case, "nobody_home", {}, {"list_handed_over": True})
    case = take(agent, case, "withdraw", {"cancel_reason": "业主暂不入住，暂缓开通"})
    where(case, "cancelled", "cancelled", SC)
    assert case["resolved_at"] is None and case["closed_at"]
    assert path(case)[-2:] == [("absent", SC), ("cancelled", SC)]
    assert differences() == []


# -- the unit's gas status is written when the gas is on -----------------------------------------


def test_activation_writes_the_units_gas_status(world, api):
    agent = api("agent")
    unit = world.assets["unit"]
    case = register(world, agent)
    case = take(agent, case, "registered", {"gas_meter_no": "RQ-880123"}, {"owner_verified": True})
    case = to_activation_day(agent, case)
    case = take(
        agent,
        case,
        "activated",
        {"activated_on": "2025-03-14", "meter_reading": 0},
        {"list_handed_over": True},
    )
    where(case, "finance_summary", "resolved", "finance")
    unit.refresh_from_db()
    assert unit.attributes == {
        "gas_activated": True,
        "gas_activated_on": "2025-03-14",
        "gas_meter_reading": 0,
    }
    event = Event.objects.get(case_id=case["id"], kind="asset_updated")
    assert event.data["changes"]["gas_activated"] == {"from": None, "to": True}
    assert differences() == []
