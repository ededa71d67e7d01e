"""Issue 10 item 8, security: bulk work on the queue changes only what each case's own action
allows, reveals nothing about other sites' cases, and an export masks phone numbers for those
who see them masked in lists."""

from __future__ import annotations

import pytest
from django.test import Client

from fuwu.cases.models import Case, Event
from fuwu.web.tests.test_queue import dealer_case, repair, to_dispatch

pytestmark = pytest.mark.django_db


def _client(world, persona: str) -> Client:
    client = Client()
    client.force_login(world.users[persona])
    return client


def test_bulk_on_another_sites_cases_changes_nothing(world):
    ours = to_dispatch(world, repair(world))
    outsider = _client(world, "outsider")  # dispatcher and technician, on the dealer's site
    for data in (
        {"action": "assign", "assignee": "outsider"},
        {"action": "transfer", "department": "workshop"},
        {"action": "priority", "priority": "urgent"},
    ):
        response = outsider.post("/queue/bulk/", {**data, "case": [ours.pk]}, follow=True)
        html = response.content.decode()
        assert ours.number not in html and "3栋2单元1502" not in html
    fresh = Case.objects.get(pk=ours.pk)
    assert (fresh.assignee_id, fresh.department_id, fresh.priority, fresh.version) == (
        None,
        ours.department_id,
        "normal",
        ours.version,
    )
    assert not Event.objects.filter(case=ours, seq__gt=ours.last_seq).exists()


def test_export_gives_no_other_site_and_no_full_phone_to_masked_roles(world):
    ours = to_dispatch(world, repair(world))
    theirs = dealer_case(world)
    response = _client(world, "technician").post(
        "/queue/bulk/", {"action": "export", "case": [ours.pk, theirs.pk]}
    )
    body = b"".join(response.streaming_content).decode("utf-8")
    assert ours.number in body and theirs.number not in body and "李强" not in body
    assert "13812345678" not in body and "138****5678" in body


def test_bulk_needs_a_signed_in_staff_member_and_a_post(world):
    case = repair(world)
    anonymous = Client()
    response = anonymous.post("/queue/bulk/", {"action": "export", "case": [case.pk]})
    assert response.status_code == 302 and "/login/" in response["Location"]
    assert _client(world, "agent").get("/queue/bulk/").status_code == 405
    csrf = Client(enforce_csrf_checks=True)
    csrf.force_login(world.users["agent"])
    assert csrf.post("/queue/bulk/", {"action": "export", "case": [case.pk]}).status_code == 403
