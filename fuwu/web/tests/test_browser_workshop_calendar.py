"""In a real browser: the advisor opens the appointment calendar from the workshop page, sees the
next working day's appointments and hours left, filters by technician, opens an appointment, and
drags one onto a reception slot that is full: the move is refused with the message in the user's
language and the event goes back; dragged to a free time it is rebooked. A walk-in is received.
The calendar in Chinese on a desktop, the no-show list in English."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from fuwu.core.models import Staff
from fuwu.scheduling.booking import Job, book, mark_no_shows
from fuwu.scheduling.models import Appointment
from fuwu.scheduling.tests.crew import seed_workshop
from fuwu.sla.clocks import site_calendar
from fuwu.testing.browser import zh_desktop
from fuwu.testing.factories import World

pytestmark = pytest.mark.django_db(transaction=True)
SH = ZoneInfo("Asia/Shanghai")


def next_working_day(world: World) -> date:
    calendar = site_calendar(world.sites["dealer"])
    day = timezone.now().astimezone(SH).date() + timedelta(days=1)
    while not calendar.is_working_day(day):
        day += timedelta(days=1)
    return day


def drag(page: Any, source: Any, x: float, y: float) -> None:
    """Drag an event with the mouse in small steps, as FullCalendar's pointer dragging expects:
    press on the event's top, move past the drag threshold, travel to (x, y), release."""
    source.hover()
    box = source.bounding_box()
    start_x, start_y = box["x"] + min(20, box["width"] / 2), box["y"] + 8
    page.mouse.move(start_x, start_y)
    page.mouse.down()
    page.mouse.move(start_x, start_y + 12, steps=4)
    page.wait_for_timeout(100)
    page.mouse.move(x, y, steps=20)
    page.wait_for_timeout(100)
    page.mouse.up()


@zh_desktop
def test_the_calendar_shows_the_day_and_refuses_a_drag_onto_a_full_slot(
    web: Any, world: World, language: str, phone: bool
) -> None:
    workshop = seed_workshop(world)
    workshop.arrivals_per_slot = 1  # one customer per advisor per 15 minutes
    workshop.save()
    tech = workshop.technicians.order_by("staff__display_name").first()
    day = next_working_day(world)
    advisor, driver, car = world.actor("advisor"), world.customers["driver"], world.assets["car"]
    first = book(
        advisor,
        workshop,
        customer=driver,
        asset=car,
        starts_at=datetime.combine(day, time(9, 0), SH),
        jobs=[Job(name="更换刹车片", hours=Decimal("1.5"), work_type="repair")],
        technician=tech,
    )
    second = book(
        advisor,
        workshop,
        customer=driver,
        starts_at=datetime.combine(day, time(10, 0), SH),
        jobs=[Job(name="保养", hours=Decimal("1"))],
    )
    en = language == "en"
    Staff.objects.update(language=language)
    page = web.page(phone=phone, language="en-GB" if en else "zh-CN")
    web.login(page, "advisor")

    page.goto(f"/workshop/?day={day}")
    with page.expect_navigation():
        page.click("[data-testid=calendar-link]")
    events = page.locator("[data-testid=event]")
    events.first.wait_for()
    assert events.count() == 2
    capacity = page.locator("[data-testid=day-capacity]").filter(has_text="61.5/64")
    assert capacity.count() == 1  # 64 bookable − 2.5 booked
    assert ("Hours left" if en else "可约剩余") in capacity.first.inner_text()
    if phone:  # the day view by default on a small screen
        assert page.locator(".fc-timeGridDay-view").count() == 1
    else:
        assert page.locator(".fc-timeGridWeek-view").count() == 1
    assert page.locator(".fc-bg-event.fw-lunch").count() >= 1
    web.shot(page, "calendar")

    # By technician: only the job planned for 技师00.
    page.select_option("[data-testid=technician-filter]", str(tech.pk))
    expect(events).to_have_count(1)
    assert "更换刹车片" in events.first.inner_text()
    page.select_option("[data-testid=technician-filter]", "")
    expect(events).to_have_count(2)

    # Clicking an appointment shows it, with the way to its day.
    page.locator(f"[data-appointment='{first.pk}']").click()
    modal = page.locator("[data-testid=event-modal]")
    modal.wait_for(state="visible")
    assert "粤B·3K5X8" in modal.inner_text() and "技师00" in modal.inner_text()
    web.shot(page, "appointment")
    assert f"#appointment-{first.pk}" in (
        modal.locator("[data-testid=event-day]").get_attribute("href") or ""
    )
    modal.locator(".btn-close").click()
    modal.wait_for(state="hidden")

    # Onto 10:00, where the advisor already receives a customer: refused, and back at 09:00.
    expect(page.locator(".modal-backdrop")).to_have_count(0)
    column = page.locator(f"td.fc-timegrid-col[data-date='{day}']").bounding_box()
    ten = page.locator("td.fc-timegrid-slot-lane[data-time='10:00:00']").bounding_box()
    source = page.locator(f".fc-event:not(.fc-event-mirror)[data-appointment='{first.pk}']")
    drag(page, source, column["x"] + column["width"] / 4, ten["y"] + 6)
    error = page.locator("[data-testid=calendar-error]")
    error.wait_for(state="visible")
    if en:
        assert "already receives 1 customers in the 10:00–10:15 slot" in error.inner_text()
    else:
        assert "在 10:00–10:15 这一接待时段已约满 1 位客户" in error.inner_text()
    web.shot(page, "refused")
    first.refresh_from_db()
    assert first.starts_at == datetime.combine(day, time(9, 0), SH)
    # FullCalendar has put it back: its top is above the 10:00 line again.
    expect(source).to_be_visible()
    ten = page.locator("td.fc-timegrid-slot-lane[data-time='10:00:00']").bounding_box()
    assert source.bounding_box()["y"] < ten["y"] - 20  # measured again: the message moved it

    # Onto 10:30: rebooked (the page is measured again: the message has moved it down).
    column = page.locator(f"td.fc-timegrid-col[data-date='{day}']").bounding_box()
    half_past = page.locator("td.fc-timegrid-slot-lane[data-time='10:30:00']").bounding_box()
    drag(page, source, column["x"] + column["width"] / 4, half_past["y"] + 6)
    page.locator("[data-testid=calendar-ok]").wait_for(state="visible")
    first.refresh_from_db()
    assert first.starts_at == datetime.combine(day, time(10, 30), SH)
    second.refresh_from_db()
    assert second.starts_at == datetime.combine(day, time(10, 0), SH)
    web.shot(page, "moved")
    assert Appointment.objects.count() == 2
    assert not page.js_errors


@pytest.mark.parametrize(("language", "phone"), [("en", False)], ids=["en-desktop"])
def test_a_no_show_is_rebooked_from_the_list_and_shows_in_the_week_list(
    web: Any, world: World, language: str, phone: bool
) -> None:
    workshop = seed_workshop(world)
    advisor, driver, car = world.actor("advisor"), world.customers["driver"], world.assets["car"]
    # Booked on 2 December for the 3rd (both working days), missed: the sweep opens the task.
    book(
        advisor,
        workshop,
        customer=driver,
        asset=car,
        starts_at=datetime(2026, 12, 3, 9, 0, tzinfo=SH),
        jobs=[Job(name="保养", hours=Decimal("1.5"))],
        now=datetime(2026, 12, 2, 9, 0, tzinfo=SH),
    )
    assert mark_no_shows() == 1
    day = next_working_day(world)
    en = language == "en"
    Staff.objects.update(language=language)
    page = web.page(phone=phone, language="en-GB" if en else "zh-CN")
    web.login(page, "advisor")
    page.goto(f"/workshop/{workshop.pk}/calendar/?date={day}")
    follow_up = page.locator("[data-testid=follow-up]")
    assert ("Did not come at 2026-12-03 09:00" if en else "2026-12-03 09:00 的预约未到店") in (
        follow_up.inner_text()
    )
    follow_up.locator("[data-testid=follow-up-start]").fill(f"{day}T09:00")
    with page.expect_navigation():
        follow_up.locator("[data-testid=follow-up-rebook]").click()
    assert ("is booked again for" if en else "重新预约") in page.locator(
        ".alert-success.alert-dismissible"
    ).inner_text()
    page.locator("[data-testid=no-follow-ups]").wait_for()
    page.locator(".fc-listWeek-button").click()
    row = page.locator(".fc-list-event[data-testid=event]")
    row.first.wait_for()
    assert "粤B·3K5X8" in row.first.inner_text()
    # Each working day of the week lists its hours left (the site's calendar says which).
    monday = day - timedelta(days=day.weekday())
    calendar = site_calendar(world.sites["dealer"])
    working = [monday + timedelta(days=n) for n in range(7)]
    working = [d for d in working if calendar.is_working_day(d)]
    expect(page.locator("[data-testid=day-capacity]")).to_have_count(len(working))
    web.shot(page, "list-week")
    rebooked = Appointment.objects.get(status="booked")
    assert rebooked.starts_at == datetime.combine(day, time(9, 0), SH)
    if not phone:
        page.locator(".fc-timeGridWeek-button").click()
        page.locator(".fc-timegrid-event[data-testid=event]").first.wait_for()
        web.shot(page, "week")
    page.locator("[data-testid=walk-in-toggle]").click()
    page.locator("[data-testid=walk-in-form]").wait_for(state="visible")
    web.shot(page, "walk-in-form")
    assert not page.js_errors
