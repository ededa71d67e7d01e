"""The notifications inbox: own notifications newest first, in the reader's language; mark read."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from fuwu.notifications.models import Notification
from fuwu.web.tests.test_queue import repair, signed_in

pytestmark = pytest.mark.django_db


def note(world, persona="technician", *, minutes=0, case=None, read=False):
    return Notification.objects.create(
        recipient=world.users[persona],
        case=case,
        kind="notify",
        data={
            "number": case.number if case else "-",
            "message_zh": "请上门",
            "message_en": "Please visit",
        },
        created_at=timezone.now() - timedelta(minutes=minutes),
        read_at=timezone.now() if read else None,
    )


def test_own_notifications_newest_first_in_the_reader_language(world):
    case = repair(world)
    old = note(world, minutes=30, case=case, read=True)
    new = note(world, minutes=1, case=case)
    note(world, "agent2")  # someone else's
    tech = signed_in(world, "technician")
    html = tech.get("/inbox/").content.decode()
    assert html.index(f'id="notification-{new.pk}"') < html.index(f'id="notification-{old.pk}"')
    assert html.count('data-testid="notification"') == 2
    assert f"工单 {case.number}:请上门" in html and f'href="/cases/{case.pk}/"' in html
    assert html.count('data-unread="1"') == 1
    unread = tech.get("/inbox/?unread=1").content.decode()
    assert unread.count('data-testid="notification"') == 1
    tech.post("/language/", {"language": "en"})
    assert f"Case {case.number}: Please visit" in tech.get("/inbox/").content.decode()


def test_mark_read_and_mark_all_read(world):
    a, b, c = note(world), note(world), note(world)
    theirs = note(world, "agent2")
    tech = signed_in(world, "technician")
    assert tech.get(f"/inbox/{a.pk}/read/").status_code == 405  # never a change on GET
    response = tech.post(f"/inbox/{a.pk}/read/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert 'data-unread="1"' not in response.content.decode()
    assert '"fuwu:unread": {"count": 2}' in response["HX-Trigger"]
    a.refresh_from_db()
    assert a.read_at is not None
    # Someone else's notification is not touched.
    tech.post(f"/inbox/{theirs.pk}/read/", HTTP_HX_REQUEST="true")
    theirs.refresh_from_db()
    assert theirs.read_at is None
    # Without htmx: back to the page it came from.
    response = tech.post(f"/inbox/{b.pk}/read/", {"next": "/work/"})
    assert response.status_code == 302 and response["Location"] == "/work/"
    response = tech.post("/inbox/read-all/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and 'id="inbox-list"' in response.content.decode()
    c.refresh_from_db()
    assert c.read_at is not None
    assert Notification.objects.filter(recipient=world.users["agent2"], read_at=None).count() == 1
    response = tech.post("/inbox/read-all/", {"next": "https://evil.example/"})
    assert response["Location"] == "/inbox/"


def test_paging_and_queries(world, django_assert_max_num_queries):
    for i in range(60):
        note(world, minutes=i)
    tech = signed_in(world, "technician")
    tech.get("/inbox/")
    with django_assert_max_num_queries(8):
        html = tech.get("/inbox/").content.decode()
    assert html.count('data-testid="notification"') == 50 and "page=2" in html
    html = tech.get("/inbox/?page=2").content.decode()
    assert html.count('data-testid="notification"') == 10
    assert tech.get("/inbox/?page=x").status_code == 200
