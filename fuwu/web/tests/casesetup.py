"""Bringing a case to the step a case-page test needs, through the actions."""

from __future__ import annotations

from typing import Any

from django.test import Client

from fuwu.cases import actions
from fuwu.cases.models import Case
from fuwu.procedures.engine.definition import ChecklistKind
from fuwu.procedures.registry import definition_of


def signed_in(persona: str, language: str = "zh-hans") -> Client:
    client = Client()
    response = client.post("/login/", {"username": persona, "password": f"pw-{persona}"})
    assert response.status_code == 302, response.content.decode()[:500]
    if language != "zh-hans":
        client.post("/language/", {"language": language})
    return client


def fresh(case: Case) -> Case:
    return Case.objects.get(pk=case.pk)


def passing_checklist(case: Case) -> dict[str, Any]:
    """Answers to the current step's checklist that all pass."""
    step = definition_of(case.procedure).steps[case.step]
    checks: dict[str, Any] = {}
    for item in step.checklist:
        if item.when:
            continue
        match item.type:
            case ChecklistKind.YES_NO:
                checks[item.key] = True
            case ChecklistKind.DOCUMENT:
                checks[item.key] = "received"
            case ChecklistKind.MEASUREMENT:
                low = item.min if item.min is not None else 0
                high = item.max if item.max is not None else low + 1
                checks[item.key] = round((low + high) / 2, 3)
            case _:
                checks[item.key] = "ok"
    return checks


def move(world: Any, case: Case, persona: str, key: str, form: dict | None = None) -> Case:
    """Take a move through the action, answering the step's checklist so that it passes."""
    case = fresh(case)
    return actions.take_transition(
        world.actor(persona),
        case.pk,
        key,
        version=case.version,
        form=form or {},
        checklist=passing_checklist(case),
    )


def open_repair(world: Any, **data: Any) -> Case:
    return actions.open_case(
        world.actor("agent"),
        procedure_key="property_repair",
        site_id=world.sites["lanting"].pk,
        channel="phone",
        title="厨房水龙头漏水",
        customer_id=world.customers["owner"].pk,
        asset_id=world.assets["unit"].pk,
        data={"repair_item": "水龙头", "service_type": "free", **data},
    )


def at_dispatch(world: Any) -> Case:
    return move(world, open_repair(world), "agent", "issue_work_order", {"details_confirmed": True})


def at_repair(world: Any) -> Case:
    return move(world, at_dispatch(world), "dispatcher", "repair_now", {"repair_mode": "immediate"})


def at_inspect(world: Any) -> Case:
    """A valve overhaul at its inspection: a checklist with measured items."""
    case = actions.open_case(
        world.actor("dispatcher"),
        procedure_key="valve_overhaul",
        site_id=world.sites["lanting"].pk,
        channel="phone",
        title="3号泵出口阀检修",
        data={"valve_tag": "V-301", "nominal_size": 100, "body_material": "carbon_steel"},
    )
    case = move(world, case, "dispatcher", "start", {"isolation_confirmed": True})
    while case.step != "inspect":
        case = move(world, case, "technician", "done")
    actions.assign(
        world.actor("technician"),
        case.pk,
        assignee_id=world.users["technician"].pk,
        version=case.version,
    )
    return fresh(case)


def at_take_order(world: Any) -> Case:
    """A hot-pot table for four at the order: its move warns when fewer than 8 dishes."""
    case = actions.open_case(
        world.actor("waiter"),
        procedure_key="hotpot_table_service",
        site_id=world.sites["hotpot"].pk,
        channel="walk_in",
        title="8号桌",
        data={"table_no": "8"},
    )
    case = move(world, case, "waiter", "seated", {"guests": 4})
    return move(world, case, "waiter", "tea_served")


def at_prepare(world: Any) -> Case:
    """The same table at the parallel step: kitchen (cook) and floor (waiter) branches."""
    case = at_take_order(world)
    form = {"soup_base": "鸳鸯锅", "order_items": [{"dish": "毛肚", "quantity": 10}]}
    case = move(world, case, "waiter", "read_back", form)
    return move(world, case, "waiter", "confirm", {"order_confirmed": True})


def add_staff(world: Any, persona: str, site: str, department: str, roles: list[str]) -> Any:
    """One more person for a test (password `pw-<persona>`), e.g. the hotel's engineering."""
    from django.contrib.auth import get_user_model

    from fuwu.core.models import Role, Staff

    user = get_user_model().objects.create_user(persona, f"{persona}@example.com", f"pw-{persona}")
    member = Staff.objects.create(
        user=user, display_name=persona, department=world.dept(site, department)
    )
    member.sites.set([world.sites[site]])
    member.roles.set([Role.objects.get(code=r) for r in roles])
    world.users[persona] = user
    return user


def at_room_preparation(world: Any) -> Case:
    """A hotel VIP at room preparation: housekeeping's room and food & beverage's amenities in
    parallel, while the front office owns the case."""
    case = actions.open_case(
        world.actor("front_desk"),
        procedure_key="hotel_vip",
        site_id=world.sites["hotel"].pk,
        channel="phone",
        title="张总贵宾接待",
        data={
            "guest_name": "张伟",
            "arrival_at": "2026-10-08T15:00:00+08:00",
            "departure_at": "2026-10-10T12:00:00+08:00",
        },
    )
    profile = {"gender": "male", "smoking": "non_smoking", "bed_type": "king"}
    case = move(world, case, "front_desk", "profile_done", profile)
    case = move(world, case, "front_desk", "arrived")
    form = {
        "payment_method": "credit_card",
        "nights": 2,
        "room_type": "大床房",
        "room_rate": "1280",
    }
    return move(world, case, "front_desk", "pre_registered", form)
