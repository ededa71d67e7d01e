"""A no-show leaves the advisor a follow-up task, closed once by a new booking or a refusal."""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from fuwu.procedures.engine.errors import EngineError
from fuwu.scheduling.booking import Job, book, mark_no_shows
from fuwu.scheduling.capacity import day_capacity
from fuwu.scheduling.followups import decline, open_follow_ups, rebook_missed
from fuwu.scheduling.models import Appointment, FollowUp
from fuwu.scheduling.tests.crew import seed_workshop
from fuwu.testing.factories import World

SH = ZoneInfo("Asia/Shanghai")
TUESDAY, WEDNESDAY = date(2025, 3, 4), date(2025, 3, 5)
NOW = datetime(2025, 3, 3, 10, 0, tzinfo=SH)


def at(day: date, hh: int, mm: int = 0) -> datetime:
    return datetime.combine(day, time(hh, mm), SH)


@pytest.mark.django_db
def test_a_no_show_opens_a_follow_up_that_rebooks_the_same_jobs_once(
    world: World, admin_client: Any
) -> None:
    workshop = seed_workshop(world)
    advisor, driver = world.actor("advisor"), world.customers["driver"]
    missed = book(
        advisor,
        workshop,
        customer=driver,
        asset=world.assets["car"],
        starts_at=at(TUESDAY, 9),
        jobs=[Job(name="更换刹车片", hours=Decimal("0.8"), work_type="repair")],
        now=NOW,
    )
    assert mark_no_shows(at(TUESDAY, 9, 30)) == 1
    task = FollowUp.objects.get()
    assert (task.appointment, task.advisor, task.done_at) == (missed, world.users["advisor"], None)
    assert list(open_follow_ups(advisor, workshop.pk)) == [task]
    assert list(open_follow_ups(world.actor("agent"), workshop.pk)) == []  # another site's staff
    with pytest.raises(EngineError) as refused:
        rebook_missed(world.actor("agent"), task.pk, starts_at=at(WEDNESDAY, 9), now=NOW)
    assert refused.value.code == "not_found"
    made = rebook_missed(advisor, task.pk, starts_at=at(WEDNESDAY, 9), now=at(TUESDAY, 10))
    task.refresh_from_db()
    assert (task.outcome, task.rebooked, task.done_by) == (
        "rebooked",
        made,
        world.users["advisor"],
    )
    assert (made.customer, made.asset, made.hours) == (driver, world.assets["car"], Decimal("0.80"))
    assert day_capacity(workshop, WEDNESDAY).booked == Decimal("0.80")
    with pytest.raises(EngineError) as twice:
        rebook_missed(advisor, task.pk, starts_at=at(WEDNESDAY, 10), now=at(TUESDAY, 10))
    assert twice.value.code == "follow_up_done"
    assert Appointment.objects.count() == 2
    assert list(open_follow_ups(advisor)) == []
    # The administrators read the tasks in the admin (in Chinese); they change them nowhere else.
    page = admin_client.get("/admin/scheduling/followup/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    text = page.content.decode()
    assert page.status_code == 200 and "失约跟进" in text and "已改约" in text
    assert driver.name in text and "待跟进" in text
    assert admin_client.get("/admin/scheduling/followup/add/").status_code == 403


@pytest.mark.django_db
def test_a_refused_rebooking_leaves_the_task_open_and_a_declined_one_closes_it(
    world: World,
) -> None:
    workshop = seed_workshop(world)
    advisor, driver = world.actor("advisor"), world.customers["driver"]
    book(
        advisor,
        workshop,
        customer=driver,
        starts_at=at(TUESDAY, 9),
        jobs=[Job(name="保养", hours=Decimal("2"))],
        now=NOW,
    )
    mark_no_shows(at(TUESDAY, 10))
    task = FollowUp.objects.get()
    with pytest.raises(EngineError) as closed:  # Saturday 8 March 2025 is a day off
        rebook_missed(advisor, task.pk, starts_at=at(date(2025, 3, 8), 9), now=at(TUESDAY, 10))
    assert closed.value.code == "closed_day"
    task.refresh_from_db()
    assert task.done_at is None and Appointment.objects.count() == 1
    decline(advisor, task.pk, now=at(TUESDAY, 11))
    task.refresh_from_db()
    assert task.outcome == "declined" and task.rebooked is None


def test_a_cases_appointment_is_left_to_its_procedure(world: World, api: Any) -> None:
    """The Toyota case reminds by its own timer and has its own no-show step: the sweep marks
    the appointment but opens no second task and stores no reminder."""
    from fuwu.scheduling.tests.test_case_booking import booking, open_visit, working_days
    from fuwu.testing.scenario import take

    workshop = seed_workshop(world)
    first = working_days(workshop.site, 1)[0]
    advisor = api("advisor")
    case = take(advisor, open_visit(world, advisor), "book", booking(first, 2))
    appointment = Appointment.objects.get(case_id=case["id"])
    assert appointment.remind_at is None
    assert mark_no_shows(at(first, 9, 30)) == 1
    appointment.refresh_from_db()
    assert appointment.status == "no_show"
    assert not FollowUp.objects.exists()
