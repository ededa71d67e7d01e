"""Site calendars come from Django's cache, are forgotten when an administrator changes them,
and a holiday added or removed moves the stored deadlines of the open cases it affects."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django_tasks_db.models import DBTaskResult

from fuwu.cases import actions
from fuwu.cases.models import Case
from fuwu.core.choices import CalendarKind, DayKind
from fuwu.core.models import CalendarDay, Site
from fuwu.sla.clocks import CACHE_SECONDS, LOCAL_SECONDS, cache_seconds, site_calendar
from fuwu.sla.recompute import recompute_site_deadlines

SH = ZoneInfo("Asia/Shanghai")
MONDAY = datetime(2026, 11, 16, 17, tzinfo=SH)  # no holiday near it
TUESDAY = date(2026, 11, 17)


@pytest.fixture
def lanting(world) -> Site:
    site = world.sites["lanting"]
    site.calendar_kind = CalendarKind.WORKING
    site.save()
    return Site.objects.get(pk=site.pk)


def _recompute_tasks() -> list[DBTaskResult]:
    return list(
        DBTaskResult.objects.filter(task_path__endswith="recompute_deadlines").order_by(
            "enqueued_at"
        )
    )


def test_a_cached_calendar_costs_no_query(lanting, django_assert_num_queries):
    first = site_calendar(lanting)
    with django_assert_num_queries(0):
        assert site_calendar(lanting) is first


def test_a_holiday_added_or_removed_is_seen_at_once(lanting):
    assert site_calendar(lanting).is_working_day(TUESDAY)
    day = CalendarDay.objects.create(site=lanting, date=TUESDAY, kind=DayKind.HOLIDAY, note="停电")
    assert not site_calendar(lanting).is_working_day(TUESDAY)
    day.delete()
    assert site_calendar(lanting).is_working_day(TUESDAY)


def test_another_process_with_its_own_cache_sees_a_change_within_a_minute(lanting, settings):
    """A change made elsewhere (another app worker, the admin on another host) fires no signal
    here: the local-memory cache keeps the calendar a minute, a shared one a day."""
    assert settings.CACHES["default"]["BACKEND"].endswith("LocMemCache")
    assert cache_seconds() == LOCAL_SECONDS == 60
    with time_machine.travel(MONDAY, tick=False) as clock:
        assert site_calendar(lanting).is_working_day(TUESDAY)
        # Written without signals, as in another process: this one's entry stays.
        CalendarDay.objects.bulk_create([CalendarDay(site=lanting, date=TUESDAY, kind="holiday")])
        clock.shift(LOCAL_SECONDS - 1)
        assert site_calendar(lanting).is_working_day(TUESDAY)
        clock.shift(2)
        assert not site_calendar(lanting).is_working_day(TUESDAY)
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache"}}
    assert cache_seconds() == CACHE_SECONDS


def test_a_day_for_every_site_and_new_hours_are_seen_at_once(world, lanting):
    dealer = world.sites["dealer"]
    dealer.calendar_kind = CalendarKind.WORKING
    dealer.save()
    assert site_calendar(dealer).is_working_day(TUESDAY)
    CalendarDay.objects.create(site=None, date=TUESDAY, kind=DayKind.HOLIDAY)
    assert not site_calendar(dealer).is_working_day(TUESDAY)
    assert not site_calendar(lanting).is_working_day(TUESDAY)

    lanting.work_end = time(17, 30)
    lanting.save()
    assert site_calendar(lanting).periods[-1] == (time(13, 30), time(17, 30))


def test_a_holiday_moves_the_deadlines_of_open_cases(world, lanting):
    with time_machine.travel(MONDAY, tick=False):
        case = actions.open_case(
            world.actor("agent"),
            procedure_key="property_repair",
            site_id=lanting.pk,
            channel="phone",
            title="电梯异响",
            customer_id=world.customers["owner"].pk,
            data={"repair_item": "电梯异响", "service_type": "free"},
        )
    # normal: 24 business hours from Monday 17:00: 1 h + 3 × 7.5 h + 30 min → Friday 9:30.
    assert case.resolution_due == datetime(2026, 11, 20, 9, 30, tzinfo=SH)
    assert case.step_due == datetime(2026, 11, 16, 17, 15, tzinfo=SH)  # reception: 15 min
    assert case.response_due == datetime(2026, 11, 16, 18, tzinfo=SH)  # normal: 1 h
    closed = actions.open_case(
        world.actor("agent"),
        procedure_key="property_repair",
        site_id=lanting.pk,
        channel="phone",
        title="另一单",
        data={"repair_item": "x", "service_type": "free"},
        now=MONDAY,
    )
    Case.objects.filter(pk=closed.pk).update(closed_at=MONDAY, resolution_due=None)

    queued = len(_recompute_tasks())
    CalendarDay.objects.create(site=lanting, date=TUESDAY, kind=DayKind.HOLIDAY)
    # The signal queued the recomputation in the same transaction.
    assert [t.args_kwargs["args"] for t in _recompute_tasks()[queued:]] == [[[lanting.pk]]]
    assert recompute_site_deadlines([lanting.pk]) == 1

    case.refresh_from_db()
    assert case.resolution_due == datetime(2026, 11, 23, 9, 30, tzinfo=SH)  # a working day later
    # Monday's clocks end before the holiday: they stay where they were.
    assert case.step_due == datetime(2026, 11, 16, 17, 15, tzinfo=SH)
    assert case.response_due == datetime(2026, 11, 16, 18, tzinfo=SH)
    assert Case.objects.get(pk=closed.pk).resolution_due is None  # closed cases stay as they are
    assert recompute_site_deadlines([lanting.pk]) == 0  # nothing moves twice

    # The holiday is withdrawn: the deadlines come back.
    CalendarDay.objects.filter(site=lanting, date=TUESDAY).delete()
    assert recompute_site_deadlines(None) == 1
    case.refresh_from_db()
    assert case.resolution_due == datetime(2026, 11, 20, 9, 30, tzinfo=SH)
