"""A fixed small data set for the report tests, walked through the real actions on 兰亭苑's
working calendar (Asia/Shanghai, 9:00–12:00 and 13:30–18:00) with the clock frozen.

Monday 30 November 2026 (a working day); property repair, normal priority: response within one
business hour, resolution within 24, the reception step 15 minutes, dispatch 30, record 2 h.

- A, opened 09:00 by the agent; the agent issues the work order at 09:20 (responded on time,
  due 10:00); the dispatcher sends the technician at 09:30; he completes at 10:00 (resolved on
  time), hands over for the return visit at 10:30; the agent's visit finds the owner unhappy at
  11:00 (reopened, a comeback); completed again at 11:30 (resolved on time, the second time) and
  handed over at 11:45.
- B, opened 09:00 by the agent and left alone: at 10:05 the response rung (100 %, the department
  manager) has fired; the agent issues the work order at 14:00 (responded late).
- C, opened 10:00 by the agent and never touched: its response was due 11:00.
- D, opened 07:30 local time — 23:30 UTC on Sunday — by the agent, never touched: it counts on
  Monday, the site's day; its response was due at 10:00 (one business hour from 9:00).

- E (`complaint()`, not part of `build()`: the service-levels tests count A–D), a complaint
  walked in at 13:40 and taken in by the agent: recorded at 13:50, analysed at
  14:00 as one where we are at fault (`responsible`), the apology made and the complaint
  transferred to engineering (the responsible department) at 14:10.

At 14:20 ("NOW") C and D are overdue; B's dispatch step is due 14:30, A's return visit in 3 days.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import time_machine

from fuwu.cases import actions
from fuwu.cases.models import Case
from fuwu.sla.escalation import fire_due
from fuwu.testing.factories import World

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(h: int, m: int = 0, day: int = 30) -> datetime:
    return datetime(2026, 11, day, h, m, tzinfo=SHANGHAI)


NOW = local(14, 20)


@dataclass
class Cases:
    a: Case
    b: Case
    c: Case
    d: Case


def _open(world: World, at: datetime, title: str) -> Case:
    with time_machine.travel(at, tick=False):
        return actions.open_case(
            world.actor("agent"),
            procedure_key="property_repair",
            site_id=world.sites["lanting"].pk,
            channel="phone",
            title=title,
            customer_id=world.customers["owner"].pk,
            data={"repair_item": title, "service_type": "free"},
        )


def _take(
    world: World, persona: str, at: datetime, case: Case, transition: str, form=None, checklist=None
) -> Case:  # type: ignore[no-untyped-def]
    with time_machine.travel(at, tick=False):
        return actions.take_transition(
            world.actor(persona),
            case.pk,
            transition,
            version=None,
            form=form or {},
            checklist=checklist,
        )


def _assign(world: World, at: datetime, case: Case) -> Case:
    with time_machine.travel(at, tick=False):
        return actions.assign(
            world.actor("dispatcher"),
            case.pk,
            assignee_id=world.users["technician"].pk,
            version=None,
        )


REPAIRED = {"diagnosis": "接头老化", "solution": "更换接头", "owner_agreed": True}
CHECKED = {"fault_fixed": True, "site_clean": True}


def build(world: World) -> Cases:
    d = _open(world, local(7, 30), "楼道灯不亮")
    a = _open(world, local(9), "厨房水管漏水")
    b = _open(world, local(9), "电梯异响")
    a = _take(world, "agent", local(9, 20), a, "issue_work_order", {"details_confirmed": True})
    a = _assign(world, local(9, 25), a)
    a = _take(world, "dispatcher", local(9, 30), a, "repair_now", {"repair_mode": "immediate"})
    c = _open(world, local(10), "门禁卡失灵")
    a = _take(world, "technician", local(10), a, "complete", REPAIRED, CHECKED)
    fire_due(b.pk, now=local(10, 5))
    a = _take(world, "technician", local(10, 30), a, "to_return_visit", {"result": "已修复"})
    a = _take(
        world,
        "agent",
        local(11),
        a,
        "reopen",
        {"visit_method": "phone", "satisfied": False, "feedback": "仍有渗水"},
    )
    a = _take(world, "technician", local(11, 30), a, "complete", REPAIRED, CHECKED)
    a = _take(world, "technician", local(11, 45), a, "to_return_visit", {"result": "更换密封圈"})
    b = _take(world, "agent", local(14), b, "issue_work_order", {"details_confirmed": True})
    return Cases(a, b, c, d)


def complaint(world: World) -> Case:
    """E: a walk-in complaint at fault, transferred to engineering (no more clock than 14:10)."""
    with time_machine.travel(local(13, 40), tick=False):
        e = actions.open_case(
            world.actor("agent"),
            procedure_key="complaint",
            site_id=world.sites["lanting"].pk,
            channel="walk_in",
            title="维修人员态度差",
            customer_id=world.customers["owner"].pk,
            data={"complaint_content": "维修人员态度差", "complainant_name": "王先生"},
        )
    e = _take(
        world,
        "agent",
        local(13, 50),
        e,
        "analyse",
        {"intake_method": "visit_record", "complaint_summary": "态度差"},
    )
    e = _take(
        world,
        "agent",
        local(14),
        e,
        "responsible",
        {"complaint_nature": "responsible", "analysis": "属实"},
    )
    return _take(
        world,
        "agent",
        local(14, 10),
        e,
        "transfer",
        {"apology_method": "phone", "responsible_department": "engineering"},
    )
