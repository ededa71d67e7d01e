"""Parallel branches in the departments' work lists (issue 10, point 9).

A hotel VIP's room preparation is owned by the front office, with a branch for housekeeping
(the room) and one for food & beverage (fruit and drinks). Each branch's department finds the
case in its lists (the queue filtered by department, its htmx fragment, the API list, "my
department" on My work) while its branch is open, and only that department (or those above
it) completes the branch.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from fuwu.cases.choices import TaskState
from fuwu.cases.models import Case, CaseTask
from fuwu.testing.factories import World
from fuwu.web.tests.casesetup import add_staff, at_room_preparation, fresh

# The page's own queries differ by database: it runs on PostgreSQL too.
pytestmark = pytest.mark.postgres_too

ROOM_READY = {
    "room_cleaned": True,
    "linen_changed": True,
    "toiletries_replaced": True,
    "preferences_applied": True,
}


@pytest.fixture
def vip(world: World) -> Case:
    add_staff(world, "fb_server", "hotel", "food_beverage", ["technician"])
    add_staff(world, "hotel_engineer", "hotel", "engineering", ["technician"])
    return at_room_preparation(world)


def _client(world: World, persona: str) -> Client:
    client = Client()
    client.force_login(world.users[persona])
    return client


def _queue_ids(world: World, department: str) -> set[int]:
    r = _client(world, "hotel_manager").get("/queue/", {"department": department, "site": "hotel"})
    assert r.status_code == 200
    return {row.case.pk for row in r.context["page"].rows}


def _api_ids(api: Any, department: str) -> set[int]:
    r = api("hotel_manager").get("/api/cases", department=department, site="hotel")
    assert r.status_code == 200, r.json()
    return {c["id"] for c in r.json()["results"]}


def _team_ids(world: World, persona: str) -> set[int]:
    r = _client(world, persona).get("/work/", {"tab": "team"})
    assert r.status_code == 200
    return {row.case.pk for row in r.context["rows"]}


# department → sees the VIP case while both branches are open
MATRIX = [
    ("front_office", True),  # owns the case
    ("housekeeping", True),  # the room branch
    ("food_beverage", True),  # the amenities branch
    ("engineering", False),
    ("business_centre", False),
]


@pytest.mark.parametrize(("department", "sees"), MATRIX)
def test_department_lists_hold_the_branches(
    world: World, vip: Case, api: Any, department: str, sees: bool
) -> None:
    assert (vip.pk in _queue_ids(world, department)) is sees
    assert (vip.pk in _api_ids(api, department)) is sees


@pytest.mark.parametrize(
    ("persona", "sees"),
    [("housekeeper", True), ("fb_server", True), ("hotel_engineer", False), ("bc_clerk", False)],
)
def test_my_department_tab_holds_the_branches(
    world: World, vip: Case, persona: str, sees: bool
) -> None:
    assert (vip.pk in _team_ids(world, persona)) is sees


def test_a_done_branch_leaves_its_department_list(world: World, vip: Case, api: Any) -> None:
    r = api("housekeeper").post(
        f"/api/cases/{vip.pk}/tasks/room/complete",
        {"version": vip.version, "form": {"room_no": "2808"}, "checklist": ROOM_READY},
    )
    assert r.status_code == 200, r.json()
    assert vip.pk not in _queue_ids(world, "housekeeping")
    assert vip.pk not in _team_ids(world, "housekeeper")
    assert vip.pk in _queue_ids(world, "food_beverage")
    assert vip.pk in _api_ids(api, "food_beverage")
    r = api("fb_server").post(
        f"/api/cases/{vip.pk}/tasks/amenities/complete",
        {
            "version": fresh(vip).version,
            "checklist": {"fruit_delivered": True, "drinks_delivered": True},
        },
    )
    assert r.status_code == 200, r.json()
    assert fresh(vip).step == "check_in"
    for department in ("housekeeping", "food_beverage"):
        assert vip.pk not in _queue_ids(world, department)
    assert vip.pk in _queue_ids(world, "front_office")


def test_a_cancelled_case_leaves_no_branch_work(world: World, vip: Case) -> None:
    """A branch still open when the case left the step (by an earlier cycle, say) is no work."""
    CaseTask.objects.filter(case=vip).update(cycle=vip.step_cycle + 1)
    assert vip.pk not in _queue_ids(world, "housekeeping")
    assert vip.pk not in _team_ids(world, "housekeeper")


def _task(case: Case, branch: str) -> CaseTask:
    return CaseTask.objects.get(case=case, branch=branch)


@pytest.mark.parametrize("persona", ["hotel_engineer", "fb_server", "front_desk"])
def test_another_department_may_not_complete_the_room(
    world: World, vip: Case, persona: str
) -> None:
    client = _client(world, persona)
    page = client.get(f"/cases/{vip.pk}/").content.decode()
    assert 'data-testid="complete-room"' not in page
    r = client.post(
        f"/cases/{vip.pk}/task/room/",
        {
            "version": vip.version,
            "task-room-room_no": "2808",
            **{f"task-room-checklist.{k}": "yes" for k in ROOM_READY},
        },
    )
    assert r.status_code == 403
    assert _task(vip, "room").state == TaskState.OPEN
    assert fresh(vip).version == vip.version


@pytest.mark.parametrize("persona", ["hotel_engineer", "housekeeper"])
def test_the_api_refuses_another_departments_branch(
    world: World, vip: Case, api: Any, persona: str
) -> None:
    r = api(persona).post(
        f"/api/cases/{vip.pk}/tasks/amenities/complete",
        {"version": vip.version, "checklist": {"fruit_delivered": True, "drinks_delivered": True}},
    )
    assert r.status_code == 403, r.json()
    assert r.json()["code"] == "branch_owned_elsewhere"
    assert _task(vip, "amenities").state == TaskState.OPEN


@pytest.mark.parametrize("persona", ["housekeeper", "hotel_manager"])
def test_the_department_or_its_manager_completes_the_room(
    world: World, vip: Case, persona: str
) -> None:
    client = _client(world, persona)
    assert 'data-testid="complete-room"' in client.get(f"/cases/{vip.pk}/").content.decode()
    r = client.post(
        f"/cases/{vip.pk}/task/room/",
        {
            "version": vip.version,
            "task-room-room_no": "2808",
            **{f"task-room-checklist.{k}": "yes" for k in ROOM_READY},
        },
    )
    assert r.status_code in (200, 302), r.content.decode()[:300]
    task = _task(vip, "room")
    assert task.state == TaskState.DONE and task.done_by_id == world.users[persona].pk


def test_rows_name_the_open_branches(world: World, vip: Case) -> None:
    r = _client(world, "hotel_manager").get("/queue/", {"department": "housekeeping"})
    [row] = [row for row in r.context["page"].rows if row.case.pk == vip.pk]
    assert row.branches == ("房务部清洁布置客房（房务部）", "提前送上报纸、水果、饮料（餐饮部）")
    assert 'data-testid="row-branch"' in r.content.decode()
    client = _client(world, "housekeeper")
    client.post("/language/", {"language": "en"})
    html = client.get("/work/", {"tab": "team"}).content.decode()
    assert "Housekeeping prepares the room (Housekeeping)" in html
