"""In a real browser: the workshop manager opens the parts store from the menu, sees tomorrow's
appointment short of an oil filter, confirms what was arranged, filters the low stock, receives
goods and sees the figures move, and finds the confirmation on the workshop's day page.
In English on a 390×844 phone."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from fuwu.core.models import Staff
from fuwu.scheduling.booking import Job, book
from fuwu.scheduling.tests.crew import seed_workshop
from fuwu.scheduling.tests.stores import seed_store
from fuwu.sla.clocks import site_calendar
from fuwu.testing.browser import en_phone
from fuwu.testing.factories import World

pytestmark = pytest.mark.django_db(transaction=True)
SH = ZoneInfo("Asia/Shanghai")


@en_phone
def test_the_manager_confirms_a_shortage_and_receives_goods(
    web: Any, world: World, language: str, phone: bool
) -> None:
    workshop = seed_workshop(world)
    seed_store(world, workshop, filters="1", oil="20")
    calendar = site_calendar(world.sites["dealer"])
    day = timezone.now().astimezone(SH).date() + timedelta(days=1)
    while not calendar.is_working_day(day):
        day += timedelta(days=1)
    for hh in (9, 10):  # the second is short of a filter
        short = book(
            world.actor("advisor"),
            workshop,
            customer=world.customers["driver"],
            asset=world.assets["car"],
            starts_at=datetime.combine(day, time(hh), SH),
            jobs=[Job(code="M10")],
        )
    en = language == "en"
    Staff.objects.update(language=language)
    page = web.page(phone=phone, language="en-GB" if en else "zh-CN")
    web.login(page, "as_manager")

    page.goto("/work/")
    if phone:
        page.click(".navbar-toggler")
        page.wait_for_selector(".navbar-collapse.show")
    page.click("[data-testid=workshop-menu]")  # the menu's 车间 drop-down
    with page.expect_navigation():
        page.click("[data-testid=parts-link]")
    shortage = page.locator(f"[data-testid=shortage][data-appointment='{short.pk}']")
    text = shortage.inner_text()
    assert "90915-YZZD2" in text and ("1 个 short" if en else "缺 1 个") in text
    oil = page.locator("[data-testid=part][data-part='08880-83717']")
    assert oil.locator("[data-testid=available]").inner_text().strip() == "12"
    web.shot(page, "store")

    shortage.locator("[data-testid=confirm-note]").fill("中心库调货，明早 8 点到")
    with page.expect_navigation():
        shortage.locator("[data-testid=confirm-shortage]").click()
    page.locator("[data-testid=no-shortages]").wait_for()
    web.shot(page, "confirmed")
    page.goto(f"/workshop/?day={day}")
    row = page.locator(f"[data-testid=appointment][data-appointment='{short.pk}']")
    assert "中心库调货" in row.locator("[data-testid=shortage-confirmed]").inner_text()
    row.scroll_into_view_if_needed()
    web.shot(page, "day-confirmed")

    page.goto("/workshop/parts/")
    with page.expect_navigation():
        page.click("[data-testid=low-filter]")
    rows = page.locator("[data-testid=part]")
    assert sorted(rows.evaluate_all("rs => rs.map(r => r.dataset.part)")) == [
        "04465-02220",
        "90915-YZZD2",
    ]
    web.shot(page, "low-stock")

    page.select_option(
        "[data-testid=receive-part]", label="90915-YZZD2 " + ("Oil filter" if en else "机油滤清器")
    )
    page.fill("[data-testid=receive-quantity]", "6")
    with page.expect_navigation():
        page.click("[data-testid=receive]")
    filters = page.locator("[data-testid=part][data-part='90915-YZZD2']")
    assert filters.count() == 0  # no longer low: 7 on hand, 2 reserved, 5 available
    with page.expect_navigation():
        page.click("[data-testid=all-parts]")
    filters = page.locator("[data-testid=part][data-part='90915-YZZD2']")
    assert filters.locator("[data-testid=available]").inner_text().strip() == "5"
    with page.expect_navigation():
        filters.locator("[data-testid=part-link]").click()
    kinds = page.locator("[data-testid=movement]").evaluate_all("ms => ms.map(m => m.dataset.kind)")
    assert kinds[:2] == ["reserve", "receipt"]  # the receipt filled the shortage first
    web.shot(page, "movements")

    page.goto(f"/workshop/?day={day}")  # the goods filled it: no shortage any more
    row = page.locator(f"[data-testid=appointment][data-appointment='{short.pk}']")
    row.locator("[data-testid=parts-ready]").wait_for()
    assert row.locator("[data-testid=short-badge]").count() == 0
