"""The seeds' time limits on the sites' real working calendars, with frozen time.

Sites work 9:00–12:00 and 13:30–18:00 (Asia/Shanghai) with Chinese statutory holidays and 调休.
2026: Sunday 20 September is a make-up working day; 1–7 October (National Day) are off, except
Sunday 4 October which is a weekend day anyway; Saturday 10 October is a make-up working day.

- property repair: the return visit "三天内" is three working days, due at the close of the third;
- Toyota step 1: a reminder the day before the appointment, a no-show 30 minutes after it;
- parking lease: the case leaves "in force" by itself once the last day of the lease is over;
- parking reconciliation: 每月28日—30日, by the close of the last working day of the window;
- community event: preparation due at the close of the working day before the event.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from fuwu.cases.models import Case, Event
from fuwu.core.choices import CalendarKind
from fuwu.sla.escalation import fire_due
from fuwu.testing.scenario import at, take

from .test_community_event import ARRANGE, PLAN
from .test_community_event import open_case as open_event
from .test_parking_lease import CHECKED, DOCS, PAY, VEHICLE, lease
from .test_parking_reconciliation import month
from .test_toyota_seven_step import open_visit

SH = ZoneInfo("Asia/Shanghai")


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=SH)


@pytest.fixture
def site_hours(world):
    for site in world.sites.values():
        site.calendar_kind = CalendarKind.WORKING
        site.save()
    return world


def repair_finished_at(world, api, moment: datetime):
    """A free property repair, done and handed to the return visit at `moment`."""
    agent, dispatcher, tech = api("agent"), api("dispatcher"), api("technician")
    with time_machine.travel(moment, tick=False):
        r = agent.post(
            "/api/cases",
            {
                "procedure": "property_repair",
                "site": "lanting",
                "channel": "phone",
                "title": "厨房水管漏水",
                "customer_id": world.customers["owner"].pk,
                "asset_id": world.assets["unit"].pk,
                "data": {"repair_item": "厨房水管漏水", "service_type": "free"},
            },
        )
        assert r.status_code == 201, r.json()
        case = take(agent, r.json(), "issue_work_order", {"details_confirmed": True})
        r = dispatcher.post(
            f"/api/cases/{case['id']}/assign",
            {"version": case["version"], "assignee": "technician"},
        )
        case = take(dispatcher, r.json(), "repair_now", {"repair_mode": "immediate"})
        case = take(
            tech,
            case,
            "complete",
            {"diagnosis": "接头老化", "solution": "更换接头", "owner_agreed": True},
            {"fault_fixed": True, "site_clean": True},
        )
        return take(tech, case, "to_return_visit", {"result": "已修复,试水正常"})


@pytest.mark.parametrize(
    ("finished", "due"),
    [
        # Friday 17:00 → Monday, Tuesday, Wednesday: the close of Wednesday.
        (local(2026, 11, 13, 17), local(2026, 11, 18, 18)),
        # Friday 17:00 before the make-up Sunday: Sunday 20, Monday 21, Tuesday 22.
        (local(2026, 9, 18, 17), local(2026, 9, 22, 18)),
        # Wednesday 30 September: 1–7 October off → Thursday 8, Friday 9, Saturday 10 (调休).
        (local(2026, 9, 30, 17), local(2026, 10, 10, 18)),
    ],
    ids=["weekend", "make-up sunday", "national day"],
)
def test_property_repair_return_visit_is_three_working_days(site_hours, api, finished, due):
    case = repair_finished_at(site_hours, api, finished)
    assert case["step"]["key"] == "return_visit"
    assert at(case, "return_visit_due") == due
    assert at(case, "step_due") == due
    # The reminder fires at that moment, once.
    assert fire_due(case["id"], now=due) == ["return_visit:0"]
    assert fire_due(case["id"], now=due) == []


def test_toyota_reminds_the_day_before_and_marks_a_no_show(site_hours, api):
    # The call centre takes the call; the aftersales advisor books the visit (their step).
    cc, adv = api("cc_agent"), api("engineer")
    booked = local(2026, 9, 17, 10)  # Thursday
    with time_machine.travel(booked, tick=False):
        case = open_visit(site_hours, cc)
        case = take(
            adv,
            case,
            "book",
            {
                "visit_type": "appointment",
                "job_type": "maintenance",
                "appointment_at": "2026-09-21T09:30:00+08:00",  # Monday
                "booked_hours": 2.3,
            },
        )
    assert case["step"]["key"] == "await_arrival"
    # The day before is calendar time (24 h before), here the make-up working Sunday.
    assert Case.objects.get(pk=case["id"]).next_escalation_at == local(2026, 9, 20, 9, 30)
    assert fire_due(case["id"], now=local(2026, 9, 20, 9, 30)) == ["timer:0:2"]
    reminded = Event.objects.get(case_id=case["id"], kind="escalated")
    assert reminded.data["clock"] == "timer"
    # Not arrived 30 minutes after the appointment: the system records the no-show.
    assert fire_due(case["id"], now=local(2026, 9, 21, 9, 59)) == []
    assert fire_due(case["id"], now=local(2026, 9, 21, 10)) == ["timer:1:2"]
    row = Case.objects.get(pk=case["id"])
    assert row.step == "no_show_follow_up" and row.data["no_show"] is True


def test_parking_lease_leaves_in_force_when_its_last_day_is_over(site_hours, api):
    agent, security = api("agent"), api("security")
    with time_machine.travel(local(2026, 3, 2, 10), tick=False):
        case = lease(site_hours, agent)
        case = take(agent, case, "documents_ok", {}, DOCS)
        case = take(
            agent, case, "signed", {"commitment_no": "CN-0302"}, {"commitment_signed": True}
        )
        case = take(agent, case, "recorded", VEHICLE)
        paid = {**PAY, "lease_start": "2026-03-01", "lease_end": "2026-09-30"}
        case = take(agent, case, "paid", paid)
        case = take(agent, case, "issued", {"permit_no": "TC-2026-0302"})
        case = take(security, case, "verified", {"check_note": "一致"}, CHECKED)
    assert case["step"]["key"] == "in_force" and case["paused"]
    # 租期止 30 September is the last day in force: the limit runs out at 1 October 00:00,
    # a holiday — the lease ends whatever the working calendar says.
    assert at(case, "step_due") == local(2026, 10, 1)
    assert fire_due(case["id"], now=local(2026, 9, 30, 23, 59)) == []
    fired = fire_due(case["id"], now=local(2026, 10, 1))
    assert [k.split(":")[0] for k in fired] == ["timeout"]
    row = Case.objects.get(pk=case["id"])
    assert row.step == "gate_reminder"
    timed_out = Event.objects.get(case_id=case["id"], kind="timed_out")
    assert timed_out.data["transition"] == "expired"


@pytest.mark.parametrize(
    ("opened", "due"),
    [
        (local(2026, 9, 28, 9), local(2026, 9, 30, 18)),  # Wednesday the 30th
        (local(2026, 5, 28, 9), local(2026, 5, 29, 18)),  # the 30th is a Saturday: Friday 29
        (local(2026, 2, 24, 9), local(2026, 2, 28, 18)),  # 28 days; Saturday 28 Feb is 调休
    ],
)
def test_parking_reconciliation_is_due_in_the_month_window(site_hours, api, opened, due):
    with time_machine.travel(opened, tick=False):
        case = month(site_hours, api("agent"))
    assert case["step"]["key"] == "reconcile"
    assert at(case, "step_due") == due


def test_event_preparation_is_due_the_working_day_before_the_event(site_hours, api):
    agent, vp = api("agent"), api("vp")
    with time_machine.travel(local(2026, 9, 1, 10), tick=False):
        case = open_event(site_hours, agent)
        case = take(agent, case, "submit", {**PLAN, "planned_at": "2026-10-12T19:00:00+08:00"})
        case = take(vp, case, "approve", {"approval_note": "同意"})
        case = take(agent, case, "start_preparation", ARRANGE)
    assert case["step"]["key"] == "prepare"
    # Monday 12 October: the working day before is the make-up Saturday 10 October.
    assert at(case, "step_due") == local(2026, 10, 10, 18)
    # The procedure's 100% step rung fires at that moment: a share of an `until` limit.
    assert fire_due(case["id"], now=local(2026, 10, 10, 17, 59)) == []
    fired = fire_due(case["id"], now=local(2026, 10, 10, 18))
    assert [k.rsplit(":", 1)[0] for k in fired] == ["step:1"]
