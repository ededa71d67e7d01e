"""The permission matrix (issue 9, item 1): role × own / other department / other site × write.

Each cell opens a fresh case, sends one write as one persona through the API over HTTP and
asserts the answer; a refused write must leave the case as it was (version and events).
The same table drives the staff pages' POST handlers (fuwu/web/tests/test_policy_matrix_pages.py).
The rules themselves are written down in fuwu/cases/policy.py.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from fuwu.cases import actions
from fuwu.cases.models import Case, Event
from fuwu.core.actors import SYSTEM
from fuwu.testing.factories import World

# Every right once, on PostgreSQL when `make test` runs there (conftest.runs_here).
pytestmark = [pytest.mark.django_db, pytest.mark.postgres_once]

WRITES = (
    "transition",
    "assign",
    "self_assign",
    "transfer",
    "pause",
    "resume",
    "work_log",
    "comment",
    "flag_major",
)
ALLOW, DENY, HIDDEN = "allow", "deny", "404"


# -- the cases the cells act on (each cell gets a fresh one) ------------------------------------


def _repair(world: World) -> Case:
    return actions.open_case(
        world.actor("agent"),
        procedure_key="property_repair",
        site_id=world.sites["lanting"].pk,
        channel="phone",
        title="厨房水龙头漏水",
        customer_id=world.customers["owner"].pk,
        asset_id=world.assets["unit"].pk,
        data={"repair_item": "水龙头", "service_type": "free"},
    )


def service_center_case(world: World) -> Case:
    """Reception: the service centre's step (agents take it)."""
    return _repair(world)


def engineering_case(world: World) -> Case:
    """Dispatch: engineering's step (its dispatcher takes it)."""
    case = _repair(world)
    return actions.take_transition(
        world.actor("agent"),
        case.pk,
        "issue_work_order",
        version=case.version,
        form={"details_confirmed": True},
    )


def security_case(world: World) -> Case:
    """Engineering's dispatch step, sent on to security (which owns the case now)."""
    case = engineering_case(world)
    return actions.transfer(world.actor("vp"), case.pk, department_code="security", version=None)


@dataclass(frozen=True)
class Setting:
    """A case and what each write means on it."""

    make: Callable[[World], Case]
    transition: str
    form: dict[str, Any]
    assignees: tuple[str, str]  # someone to assign: the first who is not the one assigning
    transfer_to: str


CASES = {
    "engineering": Setting(
        engineering_case,
        "repair_now",
        {"repair_mode": "immediate"},
        ("technician", "dispatcher"),
        "security",
    ),
    "service_center": Setting(
        service_center_case,
        "issue_work_order",
        {"details_confirmed": True},
        ("agent2", "agent"),
        "engineering",
    ),
    "security": Setting(
        security_case,
        "repair_now",
        {"repair_mode": "immediate"},
        ("security", "dispatcher"),
        "engineering",
    ),
}

# -- the matrix ------------------------------------------------------------------------------------
# One row: persona, their relation to the case's owning department, the case, and per write
# allow / deny / 404 (another site's case does not exist for them). Columns in WRITES order:
#                transition assign self  transfer pause resume work comment major


def _row(*cells: str) -> dict[str, str]:
    assert len(cells) == len(WRITES)
    return dict(zip(WRITES, cells, strict=True))


A, D, H = ALLOW, DENY, HIDDEN
MATRIX: list[tuple[str, str, str, dict[str, str]]] = [
    # engineering's step: its dispatcher, technician and manager; the VP above; everyone else
    ("dispatcher", "own", "engineering", _row(A, A, A, A, A, A, D, A, A)),
    ("technician", "own", "engineering", _row(D, D, A, A, A, A, A, A, A)),
    ("eng_manager", "own (manager)", "engineering", _row(A, A, A, A, A, A, A, A, A)),
    ("vp", "above", "engineering", _row(A, A, D, A, A, A, A, A, A)),
    ("agent", "other", "engineering", _row(D, D, D, D, D, D, D, A, A)),
    ("sc_manager", "other (manager)", "engineering", _row(D, D, D, D, D, D, D, A, D)),
    ("finance", "other", "engineering", _row(D, D, D, D, D, D, D, A, D)),
    ("security", "other", "engineering", _row(D, D, D, D, D, D, D, A, D)),
    ("outsider", "other site", "engineering", _row(H, H, H, H, H, H, H, H, H)),
    # the service centre's step
    ("agent", "own", "service_center", _row(A, D, A, A, A, A, D, A, A)),
    ("sc_manager", "own (manager)", "service_center", _row(A, A, A, A, A, A, A, A, A)),
    ("dispatcher", "other", "service_center", _row(D, D, D, D, D, D, D, A, D)),
    ("technician", "other", "service_center", _row(D, D, D, D, D, D, D, A, D)),
    ("eng_manager", "other (manager)", "service_center", _row(D, D, D, D, D, D, D, A, D)),
    ("cc_agent", "other site", "service_center", _row(H, H, H, H, H, H, H, H, H)),
    # a case security owns now: its step's moves need a dispatcher or manager (no role of
    # security's), so nobody there may work it or be assigned it (400 on the assignee)
    ("security", "own", "security", _row(D, D, D, A, A, A, D, A, A)),
    ("dispatcher", "other", "security", _row(D, D, D, D, D, D, D, A, D)),
    ("vp", "above", "security", _row(A, D, D, A, A, A, A, A, A)),
]

# Parallel branches: the hot-pot kitchen's branch is completed by the kitchen.
BRANCH_MATRIX = [
    ("cook", "own", ALLOW),
    ("floor_manager", "own (manager)", ALLOW),
    ("vp", "above", ALLOW),
    ("waiter", "other", DENY),
    ("outsider", "other site", HIDDEN),
]


def cells() -> list[Any]:
    return [
        pytest.param(persona, case, write, row[write], id=f"{persona}-{relation}-{case}-{write}")
        for persona, relation, case, row in MATRIX
        for write in WRITES
    ]


def prepare(world: World, setting: Setting, write: str) -> Case:
    case = setting.make(world)
    if write == "resume":  # something to resume: paused by the system (allowed everything)
        case = actions.pause_clock(SYSTEM, case.pk, version=None, reason="customer")
    return Case.objects.get(pk=case.pk)


def state(case: Case) -> tuple[int, int, int | None, int | None, bool]:
    fresh = Case.objects.get(pk=case.pk)
    events = Event.objects.filter(case=case).count()
    return fresh.version, events, fresh.assignee_id, fresh.department_id, fresh.is_major


def assert_outcome(status: int, expected: str, body: Any, before: Any, case: Case) -> None:
    if expected == ALLOW:
        assert status in (200, 201, 302), (status, body)
        assert state(case) != before, "an allowed write changed nothing"
        return
    if expected == HIDDEN:
        assert status == 404, (status, body)
    else:
        # 403 naming why; assigning oneself when not eligible is a 400 on the assignee
        assert status in (400, 403), (status, body)
    assert state(case) == before, "a refused write changed the case"


# -- through the API --------------------------------------------------------------------------


def api_write(client: Any, setting: Setting, persona: str, case: Case, write: str) -> Any:
    base = f"/api/cases/{case.pk}"
    v = {"version": case.version}
    match write:
        case "transition":
            return client.post(
                f"{base}/transitions/{setting.transition}", {**v, "form": setting.form}
            )
        case "assign":
            other = next(p for p in setting.assignees if p != persona)
            return client.post(f"{base}/assign", {**v, "assignee": other})
        case "self_assign":
            return client.post(f"{base}/assign", {**v, "assignee": persona})
        case "transfer":
            return client.post(f"{base}/transfer", {**v, "department": setting.transfer_to})
        case "pause":
            return client.post(f"{base}/pause", {**v, "reason": "等业主"})
        case "resume":
            return client.post(f"{base}/resume", v)
        case "work_log":
            body = {"kind": "labour", "description": "检查", "hours": "1.00"}
            return client.post(f"{base}/work-log", body)
        case "comment":
            return client.post(f"{base}/comments", {"text": "已电话联系业主"})
        case "flag_major":
            return client.post(f"{base}/major", v)
    raise AssertionError(write)


@pytest.mark.parametrize(("persona", "setting", "write", "expected"), cells())
def test_api_matrix(
    world: World, api: Any, persona: str, setting: str, write: str, expected: str
) -> None:
    case = prepare(world, CASES[setting], write)
    before = state(case)
    r = api_write(api(persona), CASES[setting], persona, case, write)
    body = r.json()
    assert_outcome(r.status_code, expected, body, before, case)
    if r.status_code == 403:
        assert body["message"], body  # says why, in the reader's language


@pytest.mark.parametrize(("persona", "relation", "expected"), BRANCH_MATRIX)
def test_api_branch_matrix(
    world: World, api: Any, persona: str, relation: str, expected: str
) -> None:
    case = at_prepare(world)
    before = state(case)
    r = api(persona).post(
        f"/api/cases/{case.pk}/tasks/kitchen/complete",
        {"version": case.version, "checklist": {"dishes_ready": True}},
    )
    assert_outcome(r.status_code, expected, r.json(), before, case)


def at_prepare(world: World) -> Case:
    """A hot-pot table at the parallel step: kitchen and floor branches."""
    from fuwu.web.tests.casesetup import at_prepare as setup

    return setup(world)


def test_refusals_name_the_owning_department_in_both_languages(world: World, api: Any) -> None:
    case = engineering_case(world)
    zh = api("sc_manager").post(
        f"/api/cases/{case.pk}/transitions/repair_now",
        {"version": case.version, "form": {"repair_mode": "immediate"}},
    )
    assert zh.status_code == 403 and zh.json()["message"] == "此步骤由工程部办理"
    en = api("sc_manager", "en").post(
        f"/api/cases/{case.pk}/transfer", {"version": case.version, "department": "security"}
    )
    assert en.status_code == 403
    assert en.json()["message"].startswith("The case is with Engineering;")


# -- opening: the API refuses what the intake page does not offer ----------------------------


@pytest.mark.parametrize(
    ("persona", "procedure", "expected"),
    [
        ("agent", "complaint", 201),  # its first step is an agent's
        ("agent", "valve_overhaul", 403),  # its first step is the dispatcher's
        ("dispatcher", "valve_overhaul", 201),
        ("technician", "complaint", 403),
        ("sc_manager", "valve_overhaul", 201),  # managers open any procedure of their site
    ],
)
def test_opening_follows_the_intake_rule(
    world: World, api: Any, persona: str, procedure: str, expected: int
) -> None:
    from django.test import Client

    client = Client()
    client.force_login(world.users[persona])
    offered = f'value="{procedure}"' in client.get("/intake/").content.decode()
    assert offered == (expected == 201)
    data = (
        {"complaint_content": "噪音", "complainant_name": "王芳"}
        if procedure == "complaint"
        else {"valve_tag": "V-301"}
    )
    r = api(persona).post(
        "/api/cases",
        {"procedure": procedure, "site": "lanting", "channel": "phone", "title": "x", "data": data},
    )
    assert r.status_code == expected, r.json()
    if expected == 403:
        assert r.json()["code"] == "open_not_allowed" and not Case.objects.exists()
