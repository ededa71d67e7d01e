"""In a real browser: a service advisor opens the workshop's capacity from the menu, goes to the
next working day, books a catalogue job for a customer's car and sees the hours left fall.
Chinese on a desktop (the workshop's pages in English: test_browser_parts)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from fuwu.core.models import Staff
from fuwu.scheduling.models import Appointment, LabourOperation, WorkType
from fuwu.scheduling.tests.crew import seed_workshop
from fuwu.sla.clocks import site_calendar
from fuwu.testing.browser import zh_desktop
from fuwu.testing.factories import World

pytestmark = pytest.mark.django_db(transaction=True)


@zh_desktop
def test_an_advisor_books_a_job_and_the_hours_left_fall(
    web: Any, world: World, language: str, phone: bool
) -> None:
    seed_workshop(world)
    LabourOperation.objects.create(
        site=world.sites["dealer"],
        code="OIL",
        name="更换机油",
        name_en="Oil change",
        standard_hours=Decimal("1.5"),
        work_type=WorkType.MAINTENANCE,
    )
    # The next working day after today (real clock: the live server books with it).
    calendar = site_calendar(world.sites["dealer"])
    day = timezone.now().astimezone(ZoneInfo("Asia/Shanghai")).date() + timedelta(days=1)
    while not calendar.is_working_day(day):
        day += timedelta(days=1)
    en = language == "en"
    Staff.objects.update(language=language)
    page = web.page(phone=phone, language="en-GB" if en else "zh-CN")
    web.login(page, "advisor")

    page.goto("/work/")
    if phone:
        page.click(".navbar-toggler")
        page.wait_for_selector(".navbar-collapse.show")
    page.click("[data-testid=workshop-menu]")  # the menu's 车间 drop-down
    with page.expect_navigation():
        page.click("[data-testid=workshop-link]")
    page.locator("[data-testid=day-link]").first.wait_for()
    web.shot(page, "week")
    page.goto(f"/workshop/?week={day}")  # the day may be in next week
    week_card = page.locator(f"[data-testid=day-{day}]")
    assert week_card.locator("[data-testid=left]").inner_text().strip() == "64"
    with page.expect_navigation():
        week_card.locator("[data-testid=day-link]").click()
    summary = page.locator("[data-testid=day-summary]")
    assert summary.locator("[data-testid=left]").inner_text().strip() == "64"
    web.shot(page, "day-before")

    page.fill("[data-testid=customer-q]", "13987654321")
    with page.expect_navigation():
        page.click("[data-testid=customer-search-button]")
    # The car list follows the customer: only their cars, their one car taken.
    groups = page.eval_on_selector_all(
        "[data-testid=asset] optgroup:not([disabled])", "els => els.map(e => e.dataset.owner)"
    )
    assert groups == [str(world.customers["driver"].pk)]
    assert page.input_value("[data-testid=asset]") == str(world.assets["car"].pk)
    page.fill("[data-testid=time]", "10:30")
    page.check("[data-testid=op-OIL]")
    assert ("Oil change" if en else "更换机油") in page.locator(
        "[data-testid=operations]"
    ).inner_text()
    web.shot(page, "form-filled")
    with page.expect_navigation():
        page.click("[data-testid=book]")
    summary.locator("[data-testid=left]").filter(has_text="62.5").wait_for()
    row = page.locator("[data-testid=appointment]")
    assert "10:30" in row.inner_text() and "粤B·3K5X8" in row.inner_text()
    assert ("Oil change" if en else "更换机油") in row.inner_text()  # the job in the reader's words
    assert ("Booked" if en else "已预约") in row.locator(
        "[data-testid=appointment-status]"
    ).inner_text()
    web.shot(page, "day-after")
    appointment = Appointment.objects.get()
    assert appointment.hours == Decimal("1.5") and appointment.asset == world.assets["car"]
    assert not page.js_errors
