"""The half-yearly opinion survey (SPEC §9 row 4) and the monthly billing run (row 6) as campaigns:
their summaries count the seed's statistics (统计征询表; 缴费情况统计) from the declared fields, through
the HTTP API, on the compound's real working calendar with time frozen.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from fuwu.cases.models import Case
from fuwu.cases.replay import differences
from fuwu.customers.models import Asset
from fuwu.sla.clocks import forget_calendars
from fuwu.sla.escalation import fire_due
from fuwu.testing.factories import World, build_world
from fuwu.testing.scenario import at, take

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def world(library: None) -> World:
    forget_calendars()
    world = build_world(always_open=False)
    for floor in (1, 2, 3):
        Asset.objects.create(
            site=world.sites["lanting"],
            kind="unit",
            label=f"8栋{floor}01",
            owner=world.customers["owner"],
            attributes={"building": "8", "occupied": True},
        )
    return world


@pytest.fixture
def clock():
    # Wednesday 1 July 2026, 9:00: the first working day of the second half-year.
    with time_machine.travel(datetime(2026, 7, 1, 9, 0, tzinfo=SHANGHAI), tick=False) as t:
        yield t


def campaign(client, procedure, title, data):
    r = client.post(
        "/api/campaigns",
        {
            "procedure": procedure,
            "site": "lanting",
            "title": title,
            "asset_kind": "unit",
            "where": {"building": "8"},
            "data": data,
        },
    )
    assert r.status_code == 201, r.json()
    body = r.json()
    cases = [client.get(f"/api/cases/{c}").json() for c in case_ids(client, body["id"])]
    return body, cases


def case_ids(client, campaign_id):
    # The case list has no campaign filter: the campaign's cases are read from the database.
    return list(
        Case.objects.filter(campaign_id=campaign_id).order_by("pk").values_list("pk", flat=True)
    )


def summary(client, campaign_id):
    return client.get(f"/api/campaigns/{campaign_id}").json()["progress"]["answers"]


def test_the_survey_campaign_counts_forms_returned_problems_and_departments(world, api, clock):
    agent = api("agent")
    body, (one, two, three) = campaign(
        agent,
        "opinion_survey",
        "2026年下半年书面意见征询 · 8栋",
        {"survey_method": "written_survey", "survey_round": "2026年下半年"},
    )
    assert summary(agent, body["id"]) == {"survey_method": {"written_survey": 3}}
    forms = [
        take(agent, case, "hand_out", {"form_no": f"ZX-{n}", "hand_out_method": "mailbox"})
        for n, case in enumerate((one, two, three), 1)
    ]
    # Two households return the form: one without a problem, one with another department's.
    one = take(agent, forms[0], "collected")
    one = take(agent, one, "no_problem", {"opinions": "满意", "problem_found": False})
    one = take(agent, one, "archive", {"satisfaction": "satisfied"})
    two = take(agent, forms[1], "collected")
    two = take(agent, two, "problem", {"opinions": "路灯不亮", "problem_found": True})
    two = take(
        agent,
        two,
        "other_problem",
        {"problem_description": "8栋门前路灯损坏", "responsible_department": "engineering"},
    )
    # The third keeps the form past the step's limit: counted as not returned.
    due = at(forms[2], "step_due")
    clock.move_to(due)
    fire_due(forms[2]["id"], now=due)
    three = agent.get(f"/api/cases/{forms[2]['id']}").json()
    assert three["step"]["key"] == "tally"
    assert summary(agent, body["id"]) == {
        "survey_method": {"written_survey": 3},
        "hand_out_method": {"mailbox": 3},
        "form_returned": {"true": 2, "false": 1},
        "problem_found": {"false": 1, "true": 1},
        "responsible_department": {"engineering": 1},
        "satisfaction": {"satisfied": 1},
    }
    assert differences() == []


def test_the_billing_campaign_counts_the_households_in_arrears(world, api, clock):
    agent, finance = api("agent"), api("finance")
    body, cases = campaign(
        agent,
        "fee_collection",
        "2026年7月物业管理费",
        {"billing_period": "2026年7月", "fee_type": "management_fee"},
    )
    outcomes = []
    for n, case in enumerate(cases, 1):
        case = take(
            agent,
            case,
            "printed",
            {"notice_no": f"TZ-{n}", "amount_due": "300.00", "fee_details": "120㎡ × 2.50"},
        )
        case = take(finance, case, "correct", {"notice_correct": True})
        case = take(agent, case, "handed_out", {"hand_out_method": "in_person"})
        outcomes.append(case)
    paid = {"amount_paid": "300.00", "receipt_no": "R-1", "payment_method": "mobile"}
    take(agent, outcomes[0], "paid", paid)
    for case in outcomes[1:]:
        case = take(agent, case, "overdue")
        take(
            agent,
            case,
            "arrears_recorded",
            {"chase_method": "phone", "arrears_reason": "业主长期在外"},
        )
    answers = summary(agent, body["id"])
    assert answers["in_arrears"] == {"false": 1, "true": 2}
    assert answers["notice_correct"] == {"true": 3}
    assert answers["payment_method"] == {"mobile": 1}
    assert differences() == []
