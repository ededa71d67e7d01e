"""Complaint handling (SPEC §9 row 3, complaint.yaml): the no-fault referral of seed 6、投诉处理规程
(无责任投诉 → 转相关单位或部门调查 → 向客户解释事件性质), through the HTTP API; the other paths are walked
in `fuwu/cases/tests/test_complaint_scenario.py`.

The site runs on its real working calendar (Asia/Shanghai, 9:00–12:00 and 13:30–18:00, Chinese
holidays and 调休) with time frozen.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from fuwu.cases.replay import differences
from fuwu.sla.clocks import forget_calendars
from fuwu.testing.factories import World, build_world
from fuwu.testing.scenario import at, moves, notes, owners, refused, take, where

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def world(library: None) -> World:
    forget_calendars()
    return build_world(always_open=False)


@pytest.fixture
def clock():
    # Wednesday 30 September 2026, 16:00: the National Day holiday runs from 1 to 7 October and
    # Saturday 10 October is a make-up working day (调休).
    with time_machine.travel(datetime(2026, 9, 30, 16, 0, tzinfo=SHANGHAI), tick=False) as t:
        yield t


def no_fault_complaint(world, client):
    r = client.post(
        "/api/cases",
        {
            "procedure": "complaint",
            "site": "lanting",
            "channel": "phone",
            "title": "小区停气",
            "customer_id": world.customers["owner"].pk,
            "asset_id": world.assets["unit"].pk,
            "data": {
                "complaint_content": "今天全天停气,物业没有提前通知",
                "complainant_name": "王芳",
                "intake_method": "call_record",
                "complaint_summary": "停气未通知",
            },
        },
    )
    assert r.status_code == 201, r.json()
    case = take(client, r.json(), "analyse")
    return take(
        client,
        case,
        "not_responsible",
        {"complaint_nature": "not_responsible", "analysis": "燃气公司管网检修"},
    )


def local(case, name):
    return at(case, name).astimezone(SHANGHAI)


def test_referred_to_an_outside_unit_then_explained(world, api, clock):
    agent = api("agent")
    case = no_fault_complaint(world, agent)
    where(case, "explain", "open", "service_center")
    refused(agent, case, "refer_outside", code="invalid_form", fields=["referred_unit"])
    case = take(
        agent,
        case,
        "refer_outside",
        {"referred_unit": "市燃气公司客服部", "referral_contact": "张工 96777"},
    )
    # The customer centre keeps the case while the unit investigates: 40 business hours from
    # Wednesday 16:00 skip the National Day week and run on the make-up Saturday 10 October.
    where(case, "outside_referral", "open", "service_center")
    assert case["data"]["referred_unit"] == "市燃气公司客服部"
    assert local(case, "step_due") == datetime(2026, 10, 14, 9, 30, tzinfo=SHANGHAI)
    refused(agent, case, "finding_received", code="invalid_form", fields=["referral_finding"])
    clock.move_to(datetime(2026, 10, 8, 10, 0, tzinfo=SHANGHAI))
    case = take(
        agent, case, "finding_received", {"referral_finding": "燃气公司管网抢修,已提前张贴公告"}
    )
    where(case, "explain", "open", "service_center")
    case = take(
        agent,
        case,
        "explained",
        {"explanation": "停气系燃气公司抢修,已转告其公告", "assistance_needed": False},
    )
    where(case, "return_visit", "resolved", "service_center")
    case = take(agent, case, "close", {"visit_method": "phone", "satisfied": True})
    where(case, "closed", "closed", "service_center")
    assert moves(agent, case) == [
        "analyse",
        "explain",
        "outside_referral",
        "explain",
        "return_visit",
        "closed",
    ]
    assert owners(case) == ["service_center"]
    assert differences() == []


def test_referred_to_another_department_which_reports_back(world, api, clock):
    agent, security = api("agent"), api("security")
    department = world.dept("lanting", "security")
    department.manager = world.users["security"]  # the test world's security has no manager
    department.save(update_fields=["manager"])
    case = no_fault_complaint(world, agent)
    refused(
        agent,
        case,
        "refer_department",
        {"referral_department": "kitchen"},
        code="invalid_form",
        fields=["referral_department"],
    )
    case = take(
        agent,
        case,
        "refer_department",
        {"referral_department": "security", "referral_note": "核实当日是否张贴停气通知"},
    )
    where(case, "department_referral", "open", "security")
    assert notes(case) == ["security"]
    # 16 business hours from Wednesday 16:00: two hours on Wednesday, then the holiday week;
    # Thursday 8 October gives 7.5, Friday the last 6.5 (until 17:00).
    assert local(case, "step_due") == datetime(2026, 10, 9, 17, 0, tzinfo=SHANGHAI)
    refused(security, case, "finding_reported", code="invalid_form", fields=["referral_finding"])
    case = take(
        security, case, "finding_reported", {"referral_finding": "公告已于前一日张贴在各单元门口"}
    )
    where(case, "explain", "open", "service_center")
    assert owners(case) == ["service_center", "security", "service_center"]
    assert differences() == []
