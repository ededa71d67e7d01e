"""The permission matrix through the staff pages (the table: fuwu/cases/tests/test_policy_matrix.py).

Each cell signs in as the persona, opens the case page and checks that the control for the
write is shown exactly when the write is allowed (no button that then fails), then posts to the
write's handler and checks the answer: a redirect when allowed, 403 (or 400 on the form) when
refused and nothing changed, 404 for another site's case.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from fuwu.cases.models import Case
from fuwu.cases.tests.test_policy_matrix import (
    ALLOW,
    BRANCH_MATRIX,
    CASES,
    HIDDEN,
    MATRIX,
    WRITES,
    Setting,
    assert_outcome,
    at_prepare,
    prepare,
    state,
)
from fuwu.testing.factories import World

pytestmark = pytest.mark.django_db

# The control on the case page that offers each write.
CONTROLS = {
    "transition": None,  # the move's own button: take-<key>
    "assign": "assign-form",
    "self_assign": "take-myself",
    "transfer": "transfer-form",
    "pause": "pause-form",
    "resume": "resume-submit",
    "work_log": "work-form",
    "comment": "comment-form",
    "flag_major": "major-submit",
}


def cells() -> list[Any]:
    return [
        pytest.param(persona, case, write, row[write], id=f"{persona}-{relation}-{case}-{write}")
        for persona, relation, case, row in MATRIX
        for write in WRITES
    ]


def page_write(
    client: Client, world: World, setting: Setting, persona: str, case: Case, write: str
) -> Any:
    base = f"/cases/{case.pk}/"
    v = {"version": str(case.version)}
    match write:
        case "transition":
            form = {k: "yes" if v is True else str(v) for k, v in setting.form.items()}
            body = {**v, "step": case.step, "cycle": str(case.step_cycle), **form}
            return client.post(f"{base}take/{setting.transition}/", body)
        case "assign":
            other = next(p for p in setting.assignees if p != persona)
            return client.post(f"{base}assign/", {**v, "assignee": world.users[other].pk})
        case "self_assign":
            return client.post(f"{base}assign/", {**v, "self": "1"})
        case "transfer":
            target = world.dept("lanting", setting.transfer_to).pk
            return client.post(f"{base}transfer/", {**v, "department": target, "note": "涉及门禁"})
        case "pause":
            return client.post(f"{base}pause/", {**v, "reason": "等业主"})
        case "resume":
            return client.post(f"{base}resume/", v)
        case "work_log":
            body = {**v, "kind": "labour", "description": "检查", "hours": "1"}
            return client.post(f"{base}work/", body)
        case "comment":
            return client.post(
                f"{base}comment/", {"text": "已电话联系业主", "visibility": "public"}
            )
        case "flag_major":
            return client.post(f"{base}major/", v)
    raise AssertionError(write)


@pytest.mark.parametrize(("persona", "setting", "write", "expected"), cells())
def test_pages_matrix(world: World, persona: str, setting: str, write: str, expected: str) -> None:
    case = prepare(world, CASES[setting], write)
    client = Client()
    client.force_login(world.users[persona])
    page = client.get(f"/cases/{case.pk}/")
    if expected == HIDDEN:
        assert page.status_code == 404
    else:
        control = CONTROLS[write] or f"take-{CASES[setting].transition}"
        shown = f'data-testid="{control}"' in page.content.decode()
        assert shown == (expected == ALLOW), f"{control} shown={shown}"
    before = state(case)
    r = page_write(client, world, CASES[setting], persona, case, write)
    assert_outcome(r.status_code, expected, r.content.decode()[:300], before, case)


@pytest.mark.parametrize(("persona", "relation", "expected"), BRANCH_MATRIX)
def test_pages_branch_matrix(world: World, persona: str, relation: str, expected: str) -> None:
    case = at_prepare(world)
    client = Client()
    client.force_login(world.users[persona])
    page = client.get(f"/cases/{case.pk}/")
    if expected == HIDDEN:
        assert page.status_code == 404
    else:
        shown = 'data-testid="complete-kitchen"' in page.content.decode()
        assert shown == (expected == ALLOW)
    before = state(case)
    r = client.post(
        f"/cases/{case.pk}/task/kitchen/",
        {"version": case.version, "task-kitchen-checklist.dishes_ready": "yes"},
    )
    assert_outcome(r.status_code, expected, r.content.decode()[:300], before, case)
