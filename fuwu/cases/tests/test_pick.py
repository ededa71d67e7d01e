"""Picking a person on a dispatch step (policy.pick_candidates, check_pick; actions.take_transition).

A dispatch step's person field offers the people who may take the step it leads to, and
choosing one also gives them the case, in the same change as the move: `transitioned`, then
`assigned`, one version. Anyone else is refused on the field and nothing changes.
"""

from __future__ import annotations

import pytest

from fuwu.cases import actions, policy
from fuwu.cases.models import Case, Event
from fuwu.notifications.models import Notification
from fuwu.procedures.engine.errors import EngineError
from fuwu.procedures.registry import current_version, definition_of
from fuwu.web.tests.casesetup import at_dispatch, fresh

pytestmark = pytest.mark.django_db


def _step(case: Case):
    return definition_of(case.procedure).steps[case.step]


def _offered(case: Case, key: str = "technician") -> set[str]:
    return set(policy.pick_candidates(case, _step(case), key).values_list("username", flat=True))


def test_a_dispatch_field_offers_who_may_take_the_next_step(world):
    case = at_dispatch(world)
    assert policy.assigning_fields(_step(case)) == {"technician"}
    # The repair's movers in engineering (technician, dispatcher) and its managers.
    assert _offered(case) == {"technician", "dispatcher", "eng_manager"}
    world.users["technician"].is_active = False
    world.users["technician"].save(update_fields=["is_active"])
    assert "technician" not in _offered(case)


def _steps(key: str):
    version = current_version(key)
    assert version is not None
    return definition_of(version).steps.values()


def test_only_dispatch_steps_assign_by_their_person_fields(world):
    assert {k for s in _steps("toyota_seven_step") for k in policy.assigning_fields(s)} == {
        "technician"
    }
    # Who handled a complaint, whom the advisor consulted: names, not assignments.
    for key in ("complaint", "car_reception_repair_order", "vacant_unit_inspection"):
        assert not any(policy.assigning_fields(s) for s in _steps(key))


def test_picking_the_technician_assigns_in_the_same_change(world):
    case = at_dispatch(world)
    before = Event.objects.filter(case=case).count()
    moved = actions.take_transition(
        world.actor("dispatcher"),
        case.pk,
        "repair_now",
        version=case.version,
        form={"repair_mode": "immediate", "technician": "technician"},
    )
    tech = world.users["technician"]
    assert moved.step == "repair" and moved.assignee_id == tech.pk
    assert moved.version == case.version + 1  # one change
    events = list(Event.objects.filter(case=case).order_by("seq"))[before:]
    assert [e.kind for e in events] == ["transitioned", "assigned"]
    assert events[0].data["values"]["technician"] == "technician"
    assert events[1].data == {"from": None, "to": tech.pk}
    assert events[1].actor_id == world.users["dispatcher"].pk
    assert Notification.objects.filter(recipient=tech, case=case, kind="assigned").count() == 1


def test_dispatching_without_a_pick_leaves_the_assignee_alone(world):
    case = at_dispatch(world)
    moved = actions.take_transition(
        world.actor("dispatcher"),
        case.pk,
        "repair_now",
        version=case.version,
        form={"repair_mode": "immediate"},
    )
    assert moved.step == "repair" and moved.assignee_id is None
    assert not Event.objects.filter(case=case, kind="assigned").exists()


@pytest.mark.parametrize("who", ["agent", "security", "outsider"])
def test_picking_someone_who_may_not_take_the_repair_is_refused(world, who):
    case = at_dispatch(world)
    with pytest.raises(EngineError) as refused:
        actions.take_transition(
            world.actor("dispatcher"),
            case.pk,
            "repair_now",
            version=case.version,
            form={"repair_mode": "immediate", "technician": who},
        )
    assert refused.value.code == "invalid_form"
    fields = refused.value.details("en")["fields"]
    assert "cannot take the next step" in fields["technician"]
    assert "不能承接下一步骤" in refused.value.details("zh-hans")["fields"]["technician"]
    after = fresh(case)
    assert (after.step, after.version, after.assignee_id) == ("dispatch", case.version, None)


def test_the_api_refuses_assigning_an_ineligible_person(world, api):
    case = at_dispatch(world)
    client = api("dispatcher", "en")
    r = client.post(f"/api/cases/{case.pk}/assign", {"version": case.version, "assignee": "agent"})
    assert r.status_code == 400, r.json()
    assert r.json()["code"] == "assignee_not_in_department"
    assert "agent cannot work this step" in r.json()["message"]
    assert fresh(case).assignee_id is None
    ok = client.post(
        f"/api/cases/{case.pk}/assign", {"version": case.version, "assignee": "technician"}
    )
    assert ok.status_code == 200 and fresh(case).assignee_id == world.users["technician"].pk
