"""Property repair (SPEC §9 row 2, property_repair.yaml): the paths the seed's chart adds to the
repair walk in `test_property_repair_scenario.py`, through the HTTP API.

Seed 基本接待流程: 接待受理 → 特约维修 | 其他特约服务 → 做好记录 → 通知责任部门 → … → 客服中心回访服务结果
→ 记录归档; 业主客户报修处理工作程序 二.2: 及时回复确认收到报修. The site runs on its real working
calendar (Asia/Shanghai, 9:00–12:00 and 13:30–18:00, Chinese holidays and 调休) with time frozen.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from fuwu.cases import actions
from fuwu.cases.models import Event
from fuwu.cases.replay import differences
from fuwu.portal.access import customer_actor
from fuwu.portal.tests.helpers import give_account
from fuwu.sla.clocks import forget_calendars
from fuwu.testing.factories import World, build_world
from fuwu.testing.scenario import at, moves, notes, owners, refused, take, where

SHANGHAI = ZoneInfo("Asia/Shanghai")
FRIDAY_5PM = datetime(
    2026, 11, 27, 17, 0, tzinfo=SHANGHAI
)  # a working Friday, an hour before closing


@pytest.fixture
def world(library: None) -> World:
    forget_calendars()
    return build_world(always_open=False)


@pytest.fixture
def clock():
    with time_machine.travel(FRIDAY_5PM, tick=False) as traveller:
        yield traveller


def open_request(world, client, service_type, **data):
    r = client.post(
        "/api/cases",
        {
            "procedure": "property_repair",
            "site": "lanting",
            "channel": "wechat",
            "title": "家中保洁",
            "customer_id": world.customers["owner"].pk,
            "asset_id": world.assets["unit"].pk,
            "data": {"repair_item": "入住前全屋开荒保洁", "service_type": service_type, **data},
        },
    )
    assert r.status_code == 201, r.json()
    return r.json()


def local(case, name):
    return at(case, name).astimezone(SHANGHAI)


def test_the_owner_is_told_the_request_was_received(world, api, clock):
    # Without a portal account nobody can be told, and the request is opened all the same.
    silent = open_request(world, api("agent"), "free")
    assert notes(silent) == []
    give_account(world.customers["owner"], "wangfang")
    case = open_request(world, api("agent"), "free")
    # The acknowledgement goes out with the opening, before anyone has worked on the case.
    assert notes(case) == ["wangfang"] and case["first_response_at"] is None
    # Friday 17:00 on the working calendar: the 15-minute reception step is due at 17:15 and the
    # one-hour response at closing time, 18:00.
    assert local(case, "step_due") == datetime(2026, 11, 27, 17, 15, tzinfo=SHANGHAI)
    assert local(case, "response_due") == datetime(2026, 11, 27, 18, 0, tzinfo=SHANGHAI)
    assert differences() == []


def test_other_special_service_goes_to_the_responsible_department(world, api, clock):
    give_account(world.customers["owner"], "wangfang")
    department = world.dept("lanting", "security")
    department.manager = world.users["security"]  # the test world's security has no manager
    department.save(update_fields=["manager"])
    agent, security, sc_manager = api("agent"), api("security"), api("sc_manager")
    case = open_request(world, agent, "other_special")
    where(case, "reception", "open", "service_center")

    # A special service is not a repair: it cannot be sent to engineering as a work order, and the
    # department it goes to must be named.
    refused(agent, case, "issue_work_order", {"details_confirmed": True}, code="guard_failed")
    refused(
        agent,
        case,
        "notify_department",
        {"details_confirmed": True},
        code="invalid_form",
        fields=["responsible_department"],
    )
    refused(
        agent,
        case,
        "notify_department",
        {"details_confirmed": True, "responsible_department": "kitchen"},
        code="invalid_form",
        fields=["responsible_department"],
    )
    clock.move_to(datetime(2026, 11, 27, 17, 30, tzinfo=SHANGHAI))
    case = take(
        agent,
        case,
        "notify_department",
        {"details_confirmed": True, "responsible_department": "security"},
    )
    where(case, "special_service", "open", "security")
    assert case["assignee"] is None and case["first_response_at"]
    # The owner's acknowledgement, then the security department's head is told.
    assert notes(case) == ["security", "wangfang"]
    # Eight business hours from Friday 17:30: half an hour on Friday, then Monday 9:00–12:00 and
    # 13:30–18:00 — due at Monday's closing time.
    assert local(case, "step_due") == datetime(2026, 11, 30, 18, 0, tzinfo=SHANGHAI)

    # A repair transition of the other branch does not exist here; the department reports back.
    refused(security, case, "service_done", code="invalid_form", fields=["service_result"])
    clock.move_to(datetime(2026, 11, 30, 10, 0, tzinfo=SHANGHAI))
    case = take(security, case, "service_done", {"service_result": "已安排保洁两人完成开荒"})
    where(case, "service_return_visit", "resolved", "service_center")
    assert case["resolved_at"] and case["return_visit_due"]

    # Not satisfied: back to the same department, counted as a comeback; its manager is told.
    refused(
        agent,
        case,
        "redo_service",
        {"visit_method": "phone", "satisfied": False},
        code="invalid_form",
        fields=["feedback"],
    )
    refused(
        agent,
        case,
        "archive_service",
        {"visit_method": "phone", "satisfied": False},
        code="guard_failed",
    )
    case = take(
        agent,
        case,
        "redo_service",
        {"visit_method": "phone", "satisfied": False, "feedback": "阳台未清洁"},
    )
    where(case, "special_service", "open", "security")
    assert case["comeback_count"] == 1 and case["resolved_at"] is None
    assert notes(case) == ["security", "security", "wangfang"]
    case = take(security, case, "service_done", {"service_result": "补做阳台清洁"})
    case = take(sc_manager, case, "archive_service", {"visit_method": "visit", "satisfied": True})
    where(case, "archived", "closed", "service_center")
    assert moves(agent, case) == [
        "special_service",
        "service_return_visit",
        "special_service",
        "service_return_visit",
        "archived",
    ]
    assert owners(case) == [
        "service_center",
        "security",
        "service_center",
        "security",
        "service_center",
    ]
    assert differences() == []


def test_repairs_do_not_take_the_special_service_branch(world, api, clock):
    agent = api("agent")
    case = open_request(world, agent, "paid")
    refused(
        agent,
        case,
        "notify_department",
        {"details_confirmed": True, "responsible_department": "security"},
        code="guard_failed",
    )
    case = take(agent, case, "issue_work_order", {"details_confirmed": True})
    where(case, "dispatch", "open", "engineering")


def test_a_low_portal_rating_of_a_special_service_escalates(world, api, clock):
    owner = world.customers["owner"]
    give_account(owner, "wangfang")
    agent, security = api("agent"), api("security")
    case = open_request(world, agent, "other_special")
    case = take(
        agent,
        case,
        "notify_department",
        {"details_confirmed": True, "responsible_department": "security"},
    )
    case = take(security, case, "service_done", {"service_result": "已完成"})
    where(case, "service_return_visit", "resolved", "service_center")
    # The portal's rating answers only the repair's return visit; here a low score is not a move
    # but an escalation to the owning department's manager and the head of the line.
    row = actions.rate_case(customer_actor(owner), case["id"], score=1, comment="没有打扫干净")
    assert row.step == "service_return_visit" and row.comeback_count == 0
    rated = Event.objects.get(case_id=case["id"], kind="rated")
    assert rated.data["outcome"] == "escalated" and rated.data["transition"] is None
    assert differences() == []
