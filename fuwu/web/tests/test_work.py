"""My work: cases assigned to me and my department's unassigned cases, breaches first."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from fuwu.cases import actions
from fuwu.cases.models import Case
from fuwu.notifications.models import Notification
from fuwu.web.lists import breaches_first, running_deadline
from fuwu.web.tests.test_queue import dealer_case, repair, signed_in, to_dispatch

pytestmark = pytest.mark.django_db


def shown(response: Any) -> list[int]:
    html = response.content.decode()
    return [int(i) for i in re.findall(r'data-testid="work-row" data-case="(\d+)"', html)]


def give(world: Any, case: Case, persona: str) -> Case:
    return actions.assign(
        world.actor("dispatcher"), case.pk, assignee_id=world.users[persona].pk, version=None
    )


def test_sign_in_required(world):
    assert Client().get("/work/")["Location"].startswith("/login/?next=/work/")
    assert Client().get("/inbox/")["Location"].startswith("/login/?next=/inbox/")


def test_mine_and_my_departments_unassigned_cases(world):
    mine = give(world, to_dispatch(world, repair(world, "水管爆裂")), "technician")
    waiting = to_dispatch(world, repair(world, "门锁坏了"))  # engineering, nobody yet
    others = give(world, to_dispatch(world, repair(world, "灯不亮")), "dispatcher")
    reception = repair(world, "还在客服")  # service centre's
    dealer_case(world)
    tech = signed_in(world, "technician")
    response = tech.get("/work/")
    assert response.status_code == 200
    assert shown(response) == [mine.pk]
    html = response.content.decode()
    assert 'data-testid="count-mine">1<' in html and 'data-testid="count-team">1<' in html
    assert "水管爆裂" in html and "派工" in html and "物业报修" in html
    assert f'href="/cases/{mine.pk}/"' in html
    assert shown(tech.get("/work/?tab=team")) == [waiting.pk]
    # With nothing of one's own, the department's list opens first.
    agent = signed_in(world, "agent")
    assert shown(agent.get("/work/")) == [reception.pk]
    assert others.pk not in shown(signed_in(world, "dispatcher").get("/work/?tab=team"))


def test_breaches_first(world):
    now = timezone.now()
    a, b, c = (
        give(world, to_dispatch(world, repair(world, t)), "technician") for t in ("甲", "乙", "丙")
    )
    # Stored deadlines (the actions set them); move them to make the order plain.
    Case.objects.filter(pk=a.pk).update(step_due=now + timedelta(hours=5))
    Case.objects.filter(pk=b.pk).update(step_due=now - timedelta(minutes=5))  # breached
    # c: its response deadline is the nearest, but it has been answered: that clock stopped.
    Case.objects.filter(pk=c.pk).update(
        response_due=now - timedelta(hours=1),
        first_response_at=now - timedelta(hours=2),
        step_start=now - timedelta(hours=3),  # a window of four hours, in its last hour
        step_due=now + timedelta(hours=1),
    )
    order = [x.pk for x in breaches_first(Case.objects.all())]
    assert order == [b.pk, c.pk, a.pk]
    response = signed_in(world, "technician").get("/work/")
    assert shown(response) == [b.pk, c.pk, a.pk]
    html = response.content.decode()
    assert "deadline-late" in html and "已超时" in html and "deadline-risk" in html
    due, _ = running_deadline(Case.objects.get(pk=c.pk))
    assert due == Case.objects.get(pk=c.pk).step_due


def test_paused_resolution_clock_does_not_count(world):
    case = give(world, to_dispatch(world, repair(world)), "technician")
    Case.objects.filter(pk=case.pk).update(
        paused_at=timezone.now(),
        resolution_due=timezone.now() - timedelta(hours=1),
        step_due=None,
        first_response_at=timezone.now(),
    )
    assert running_deadline(Case.objects.get(pk=case.pk)) == (None, None)


def test_latest_notifications_and_unread_count(world):
    case = give(world, to_dispatch(world, repair(world, "水管爆裂")), "technician")
    assert Notification.objects.filter(recipient=world.users["technician"]).exists()
    tech = signed_in(world, "technician")
    html = tech.get("/work/").content.decode()
    assert "工单" in html and "已指派给您" in html and f"/cases/{case.pk}/" in html
    assert 'data-testid="work-unread">1<' in html
    tech.post("/language/", {"language": "en"})
    html = tech.get("/work/").content.decode()
    assert "is assigned to you" in html


@pytest.mark.parametrize("rows", [5, 50])
def test_a_fixed_number_of_queries(world, rows, django_assert_max_num_queries):
    for i in range(rows):
        # A technician is given only engineering's cases: dispatched ones.
        give(world, to_dispatch(world, repair(world, f"报修{i}")), "technician")
    tech = signed_in(world, "technician")
    tech.get("/work/")
    # Whatever the number of rows; among them one query for the department's open parallel
    # branches (read by id) and one for "has the site tables?" (the table board's link).
    with django_assert_max_num_queries(12):
        response = tech.get("/work/")
    assert len(shown(response)) == rows
