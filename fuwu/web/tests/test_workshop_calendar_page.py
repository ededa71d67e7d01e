"""The appointment calendar page (/workshop/<id>/calendar/) without a browser: who sees it, the
move a drag posts (rebooked, or refused with the message and nothing changed), the walk-in desk
(into the reserve, refused when it is gone) and the no-shows to call back."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client

from fuwu.scheduling.booking import Job, book, mark_no_shows
from fuwu.scheduling.models import Appointment, FollowUp, Workshop
from fuwu.scheduling.tests.crew import seed_workshop
from fuwu.testing.factories import World

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")
TUESDAY, WEDNESDAY = date(2025, 3, 4), date(2025, 3, 5)
NOW = datetime(2025, 3, 4, 8, 0, tzinfo=SH)


def at(day: date, hh: int, mm: int = 0) -> datetime:
    return datetime.combine(day, time(hh, mm), SH)


@pytest.fixture(autouse=True)
def frozen() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def workshop(world: World) -> Workshop:
    return seed_workshop(world)


def signed_in(world: World, persona: str, language: str = "zh-hans") -> Client:
    client = Client()
    client.force_login(world.users[persona])
    client.cookies["django_language"] = language
    return client


def test_the_page_shows_the_calendar_its_filters_and_config(world, workshop):
    page = signed_in(world, "advisor").get(f"/workshop/{workshop.pk}/calendar/?date=2025-03-04")
    assert page.status_code == 200
    html = page.content.decode()
    assert "vendor/fullcalendar/index.global.min.js" in html and "zh-cn.global.min.js" in html
    config = json.loads(
        html.split('id="calendar-config" type="application/json">')[1].split("</script>")[0]
    )
    assert config["feed"] == f"/api/workshops/{workshop.pk}/calendar"
    assert (config["opens"], config["closes"], config["lunch"]) == (
        "08:30",
        "17:30",
        ["12:00", "13:00"],
    )
    assert (config["date"], config["locale"], config["editable"]) == ("2025-03-04", "zh-cn", True)
    assert html.count('data-testid="technician-filter"') == 1 and "技师09" in html
    assert 'data-testid="walk-in-form"' in html
    english = signed_in(world, "advisor", "en").get(f"/workshop/{workshop.pk}/calendar/")
    assert "Appointment calendar" in english.content.decode()
    assert signed_in(world, "agent").get(f"/workshop/{workshop.pk}/calendar/").status_code == 404
    # The workshop pages link it.
    assert (
        f"/workshop/{workshop.pk}/calendar/"
        in signed_in(world, "advisor").get("/workshop/").content.decode()
    )


def test_a_move_rebooks_or_is_refused_with_the_reason(world, workshop):
    advisor = world.actor("advisor")
    driver = world.customers["driver"]
    made = book(
        advisor,
        workshop,
        customer=driver,
        starts_at=at(TUESDAY, 9),
        jobs=[Job(name="保养", hours=Decimal("2"))],
    )
    client = signed_in(world, "advisor")
    url = f"/workshop/{workshop.pk}/calendar/move/"
    moved = client.post(url, {"appointment": made.pk, "start": "2025-03-05T14:00:00"})
    assert moved.status_code == 200 and moved.json()["ok"] is True
    made.refresh_from_db()
    assert made.starts_at == at(WEDNESDAY, 14)
    closed = signed_in(world, "advisor", "en").post(
        url, {"appointment": made.pk, "start": "2025-03-08T10:00:00"}
    )
    assert closed.status_code == 422
    assert closed.json() == {
        "ok": False,
        "code": "closed_day",
        "message": "The workshop is closed on 2025-03-08",
    }
    made.refresh_from_db()
    assert made.starts_at == at(WEDNESDAY, 14)
    assert (
        client.post(url, {"appointment": made.pk, "start": "2025-03-05T14:00:00+08:00"}).status_code
        == 400
    )
    assert client.get(url).status_code == 405
    assert (
        signed_in(world, "agent")
        .post(url, {"appointment": made.pk, "start": "2025-03-05T15:00:00"})
        .status_code
        == 404
    )


def test_the_walk_in_desk_takes_the_reserve_and_then_says_no(world, workshop):
    driver = world.customers["driver"]
    book(
        world.actor("advisor"),
        workshop,
        customer=driver,
        starts_at=at(TUESDAY, 9),
        jobs=[Job(name="大修", hours=Decimal("64"))],
    )
    client = signed_in(world, "advisor")
    url = f"/workshop/{workshop.pk}/calendar/walk-in/"
    tech = workshop.technicians.order_by("pk").first()
    with time_machine.travel(at(TUESDAY, 10, 12), tick=False):
        done = client.post(
            url,
            {
                "customer": driver.pk,
                "asset": world.assets["car"].pk,
                "job_name": "补胎",
                "job_hours": "16",
                "work_type": "repair",
                "technician": tech.pk,
            },
        )
        assert done.status_code == 302, done.content.decode()[:3000]
        walk_in = Appointment.objects.get(walk_in=True)
        assert (walk_in.status, walk_in.starts_at, walk_in.technician) == (
            "arrived",
            at(TUESDAY, 10, 12),
            tech,
        )
        refused = client.post(
            url,
            {"customer": driver.pk, "job_name": "洗车", "job_hours": "0.5", "work_type": "repair"},
        )
        assert refused.status_code == 400
        assert "今天的可用工时已用完（含预留工时）" in refused.content.decode()
    assert Appointment.objects.filter(walk_in=True).count() == 1


def test_no_shows_are_listed_and_rebooked_from_the_page(world, workshop):
    driver = world.customers["driver"]
    book(
        world.actor("advisor"),
        workshop,
        customer=driver,
        starts_at=at(TUESDAY, 9),
        jobs=[Job(name="保养", hours=Decimal("1"))],
    )
    with time_machine.travel(at(TUESDAY, 10), tick=False):
        mark_no_shows()
        client = signed_in(world, "advisor")
        page = client.get(f"/workshop/{workshop.pk}/calendar/").content.decode()
        assert (
            page.count('data-testid="follow-up"') == 1 and "2025-03-04 09:00 的预约未到店" in page
        )
        task = FollowUp.objects.get()
        url = f"/workshop/{workshop.pk}/follow-ups/{task.pk}/rebook/"
        refused = client.post(url, {"start": "2025-03-08T09:00"}, follow=True)
        assert "车间不营业" in refused.content.decode()
        done = client.post(url, {"start": "2025-03-05T09:00"}, follow=True)
        assert "已为 李强 重新预约 2025-03-05 09:00。" in done.content.decode()
    task.refresh_from_db()
    assert task.outcome == "rebooked" and task.rebooked.starts_at == at(WEDNESDAY, 9)
    assert (
        'data-testid="no-follow-ups"'
        in client.get(f"/workshop/{workshop.pk}/calendar/").content.decode()
    )
