"""Recurring rounds the seeds ask for, run by schedules (data, as the demo sets them up), through
the HTTP API on the sites' real working calendars with time frozen:

- business centre (SPEC §9 row 23), 商务中心服务工作程序 3.3 "定期检查和维护办公设备": every Monday the
  centre's equipment is checked; a fault goes to engineering and is checked again;
- opinion survey (row 4), 意见征询管理规程(每半年一次): every half year a written survey of the
  occupied units starts as a campaign.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from fuwu.campaigns.actions import run_due
from fuwu.cases.models import Case
from fuwu.cases.replay import differences
from fuwu.customers.models import Asset
from fuwu.demo.recurring import SCHEDULES
from fuwu.sla.clocks import forget_calendars
from fuwu.testing.factories import World, build_world
from fuwu.testing.scenario import at, moves, refused, take, where

SHANGHAI = ZoneInfo("Asia/Shanghai")
PLANS = {plan.procedure: plan for plan in SCHEDULES}
CHECKED = {"powers_on": True, "test_output_ok": True, "consumables_ok": True, "network_ok": True}


@pytest.fixture
def world(library: None) -> World:
    forget_calendars()
    return build_world(always_open=False)


@pytest.fixture
def hotel_engineer(world: World):
    """The hotel's engineering department has no persona in the test world: add a technician
    (the repair step is engineering's, and nobody else has standing there)."""
    from django.contrib.auth import get_user_model

    from fuwu.core.models import Role, Staff

    user = get_user_model().objects.create_user("hotel_engineer", "he@example.com", "pw-he")
    staff = Staff.objects.create(
        user=user, display_name="hotel_engineer", department=world.dept("hotel", "engineering")
    )
    staff.sites.set([world.sites["hotel"]])
    staff.roles.set([Role.objects.get(code="technician")])
    world.users["hotel_engineer"] = user
    return user


def schedule(client, procedure, site, dtstart, **extra):
    plan = PLANS[procedure]  # the demo's plan: the rule and data the demo runs
    r = client.post(
        "/api/schedules",
        {
            "procedure": procedure,
            "site": site,
            "title": plan.title,
            "rrule": plan.rrule,
            "dtstart": dtstart.isoformat(),
            "data": plan.data,
            **extra,
        },
    )
    assert r.status_code == 201, r.json()
    return r.json()


def test_the_weekly_equipment_round_of_the_business_centre(world, api, hotel_engineer):
    manager, clerk, eng = api("hotel_manager"), api("bc_clerk"), api("hotel_engineer")
    hotel_engineering = world.dept("hotel", "engineering")
    first = datetime(2026, 11, 30, 9, 0, tzinfo=SHANGHAI)  # a Monday
    with time_machine.travel(datetime(2026, 11, 27, 15, 0, tzinfo=SHANGHAI), tick=False) as clock:
        schedule(manager, "business_centre", "hotel", first)
        assert run_due() == 0  # nothing before the first Monday
        clock.move_to(datetime(2026, 11, 30, 9, 1, tzinfo=SHANGHAI))
        assert run_due() == 1 and run_due() == 0  # each occurrence exactly once
        row = Case.objects.get(procedure_key="business_centre")
        case = clerk.get(f"/api/cases/{row.pk}").json()
        assert (
            case["title"] == "2026-11-30 商务中心办公设备定期检查" and case["channel"] == "system"
        )
        where(case, "register", "open", "business_centre")
        # No client to register: the round goes straight to the check, without the greeting.
        refused(clerk, case, "equipment_request", checklist={"greeted": True}, code="guard_failed")
        case = take(clerk, case, "routine_check")
        where(case, "equipment_check", "open", "business_centre")
        # The one-hour check is due at 10:01 on the hotel's working calendar.
        assert at(case, "step_due").astimezone(SHANGHAI) == datetime(
            2026, 11, 30, 10, 1, tzinfo=SHANGHAI
        )
        refused(
            clerk, case, "all_ok", {"check_result": "正常"}, CHECKED, code="guard_failed"
        )  # there is no client to confirm
        # The toner runs out: a fault for engineering, then the check again.
        low = CHECKED | {"consumables_ok": False}
        refused(clerk, case, "maintained", {"check_result": "硒鼓缺粉"}, low, code="guard_failed")
        case = take(clerk, case, "send_for_repair", {"check_result": "硒鼓缺粉"}, low)
        where(case, "repair", "open", "engineering")
        assert case["department"]["id"] == hotel_engineering.pk
        # Engineering's technician repairs it (the hotel manager has no standing there).
        case = take(eng, case, "repaired", {"repair_action": "更换硒鼓"})
        where(case, "equipment_check", "open", "business_centre")
        case = take(clerk, case, "maintained", {"check_result": "全部正常"}, CHECKED)
        where(case, "resolved", "closed", "business_centre")
        assert moves(clerk, case) == [
            "equipment_check",
            "repair",
            "equipment_check",
            "resolved",
        ]
        # The next Monday opens the next round.
        clock.move_to(datetime(2026, 12, 7, 9, 1, tzinfo=SHANGHAI))
        assert run_due() == 1
        assert Case.objects.filter(procedure_key="business_centre").count() == 2
    assert differences() == []


def test_the_half_yearly_written_survey_starts_as_a_campaign(world, api):
    vp, agent = api("vp"), api("agent")
    for floor in (1, 2):
        Asset.objects.create(
            site=world.sites["lanting"],
            kind="unit",
            label=f"9栋{floor}01",
            owner=world.customers["owner"],
            attributes={"building": "9", "occupied": True},
        )
    Asset.objects.create(
        site=world.sites["lanting"],
        kind="unit",
        label="9栋301",
        attributes={"building": "9", "occupied": False},
    )
    plan = PLANS["opinion_survey"]
    with time_machine.travel(datetime(2026, 6, 20, 10, 0, tzinfo=SHANGHAI), tick=False) as clock:
        schedule(
            vp,
            "opinion_survey",
            "lanting",
            datetime(2026, 7, 1, 9, 0, tzinfo=SHANGHAI),
            asset_kind="unit",
            where=plan.asset_filter,
        )
        clock.move_to(datetime(2026, 7, 1, 9, 5, tzinfo=SHANGHAI))
        assert run_due() == 1
        cases = list(Case.objects.filter(procedure_key="opinion_survey").order_by("pk"))
        # Every occupied unit (the factory's own unit has no "occupied" attribute): two households.
        assert [c.asset.label for c in cases] == ["9栋101", "9栋201"]
        assert {c.data["survey_method"] for c in cases} == {"written_survey"}
        assert {c.campaign.title for c in cases} == {"2026-07-01 半年度业主书面意见征询"}
        case = agent.get(f"/api/cases/{cases[0].pk}").json()
        where(case, "consult", "open", "service_center")
        case = take(agent, case, "hand_out", {"form_no": "ZX-1", "hand_out_method": "mailbox"})
        where(case, "awaiting_form", "waiting", "service_center")
        # Six months later, the next round.
        clock.move_to(datetime(2027, 1, 1, 9, 5, tzinfo=SHANGHAI))
        assert run_due() == 1
        assert Case.objects.filter(procedure_key="opinion_survey").count() == 4
    assert differences() == []
