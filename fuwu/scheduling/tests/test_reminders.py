"""The reminder the day before, by the customer's channel, exactly once; on the dealer's real
working calendar (seed_workshop: 08:30–17:30, the statutory calendar with its 调休 days)."""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django_tasks_db.models import DBTaskResult

from fuwu.notifications.messages import render
from fuwu.notifications.models import Notification
from fuwu.scheduling.booking import Job, book, rebook, set_status
from fuwu.scheduling.reminders import remind_due
from fuwu.scheduling.tasks import send_reminder_email
from fuwu.scheduling.tests.crew import seed_workshop
from fuwu.testing.factories import World

SH = ZoneInfo("Asia/Shanghai")
MONDAY = date(2025, 3, 3)
THURSDAY_BEFORE = datetime(2025, 2, 27, 9, 0, tzinfo=SH)


def at(day: date, hh: int, mm: int = 0) -> datetime:
    return datetime.combine(day, time(hh, mm), SH)


def jobs() -> list[Job]:
    return [Job(name="保养", hours=Decimal("1.5"))]


@pytest.mark.django_db
def test_a_portal_customer_is_reminded_on_sunday_at_ten_for_monday_once(world: World) -> None:
    workshop = seed_workshop(world)
    driver = world.customers["driver"]
    driver.user = get_user_model().objects.create(username="liqiang", email="li@example.cn")
    driver.save()
    made = book(
        world.actor("advisor"),
        workshop,
        customer=driver,
        asset=world.assets["car"],
        starts_at=at(MONDAY, 9),
        jobs=jobs(),
        now=THURSDAY_BEFORE,
    )
    assert made.remind_at == at(date(2025, 3, 2), 10)  # Sunday: the customer reads it any day
    assert remind_due(at(date(2025, 3, 2), 9, 59)) == 0
    assert remind_due(at(date(2025, 3, 2), 10, 0)) == 1
    assert remind_due(at(date(2025, 3, 2), 10, 5)) == 0  # exactly once
    made.refresh_from_db()
    assert made.reminder_channel == "portal"
    note = Notification.objects.get(kind="appointment_reminder")
    assert note.recipient == driver.user
    assert render(note.kind, note.data, "zh-hans") == (
        "提醒：李强，您的车辆（粤B·3K5X8）已预约于 2025-03-03 09:00 到"
        f"{workshop.site.name}保养维修，请准时到店"
    )


@pytest.mark.django_db
def test_a_phone_reminder_is_the_advisors_call_on_the_last_working_day_before(
    world: World,
) -> None:
    workshop = seed_workshop(world)
    driver = world.customers["driver"]  # no account, no e-mail: a phone call
    made = book(
        world.actor("advisor"),
        workshop,
        customer=driver,
        starts_at=at(MONDAY, 9),
        jobs=jobs(),
        now=THURSDAY_BEFORE,
    )
    assert made.remind_at == at(date(2025, 2, 28), 10)  # Friday: the desk is shut at weekends
    assert remind_due(at(date(2025, 2, 28), 10)) == 1
    call = Notification.objects.get(kind="appointment_reminder_call")
    assert call.recipient == world.users["advisor"]
    assert "电话" in render(call.kind, call.data, "zh-hans")
    assert "phone call" in render(call.kind, call.data, "en")
    # The 调休 calendar: for Sunday 26 Jan 2025 (a make-up working day) the last working day
    # before is Friday 24 Jan (Saturday 25 is off); for Saturday 8 Feb 2025, Friday 7 Feb.
    for day, expected in (
        (date(2025, 1, 26), date(2025, 1, 24)),
        (date(2025, 2, 8), date(2025, 2, 7)),
    ):
        other = book(
            world.actor("advisor"),
            workshop,
            customer=driver,
            starts_at=at(day, 10),
            jobs=jobs(),
            now=datetime(2025, 1, 20, 9, tzinfo=SH),
        )
        assert other.remind_at == at(expected, 10)


@pytest.mark.django_db
def test_an_email_customer_gets_a_mail_and_rebooking_reminds_again(world: World) -> None:
    workshop = seed_workshop(world)
    driver = world.customers["driver"]
    driver.email = "li@example.cn"
    driver.preferences = {"contact_channel": "email"}
    driver.language = "en"
    driver.save()
    advisor = world.actor("advisor")
    made = book(
        advisor,
        workshop,
        customer=driver,
        starts_at=at(MONDAY, 9),
        jobs=jobs(),
        now=THURSDAY_BEFORE,
    )
    assert remind_due(at(date(2025, 3, 2), 10)) == 1
    queued = DBTaskResult.objects.filter(task_path__endswith="send_reminder_email")
    assert queued.count() == 1
    assert send_reminder_email.call(made.pk) is True
    assert mail.outbox[-1].to == ["li@example.cn"]
    assert "please arrive on time" in mail.outbox[-1].body
    # Moved to Wednesday: reminded again on Tuesday, once.
    wednesday = date(2025, 3, 5)
    rebook(advisor, made.pk, starts_at=at(wednesday, 14), now=at(date(2025, 3, 2), 11))
    made.refresh_from_db()
    assert (made.reminded_at, made.remind_at) == (None, at(date(2025, 3, 4), 10))
    assert remind_due(at(date(2025, 3, 4), 10)) == 1
    assert remind_due(at(date(2025, 3, 4), 11)) == 0


@pytest.mark.django_db
def test_no_reminder_when_booked_late_cancelled_or_for_a_case(world: World) -> None:
    workshop = seed_workshop(world)
    driver, advisor = world.customers["driver"], world.actor("advisor")
    late = book(
        advisor,
        workshop,
        customer=driver,
        starts_at=at(MONDAY, 9),
        jobs=jobs(),
        now=at(date(2025, 2, 28), 15),  # after Friday's call: the customer was just told
    )
    assert late.remind_at is None
    cancelled = book(
        advisor,
        workshop,
        customer=driver,
        starts_at=at(MONDAY, 10),
        jobs=jobs(),
        now=THURSDAY_BEFORE,
    )
    set_status(advisor, cancelled.pk, "cancelled", now=THURSDAY_BEFORE)
    assert remind_due(at(MONDAY, 8)) == 0
    assert not Notification.objects.filter(kind__startswith="appointment_reminder").exists()
