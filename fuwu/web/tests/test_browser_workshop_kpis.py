"""In a real browser: an advisor goes from the workshop's week to its KPIs, sees the chart
drawn and the hand-worked Monday's figures coloured against the guides, and drills down to the
no-show behind the no-show rate. Chinese on a desktop, English on a 390×844 phone."""

from __future__ import annotations

from typing import Any

import pytest

from fuwu.core.models import Staff
from fuwu.scheduling.tests.kpi_day import monday
from fuwu.testing.browser import two_variants
from fuwu.testing.factories import World

pytestmark = pytest.mark.django_db(transaction=True)


@two_variants
def test_from_the_week_to_the_kpis_and_down_to_the_no_show(
    web: Any, world: World, language: str, phone: bool
) -> None:
    scene = monday(world)
    en = language == "en"
    Staff.objects.update(language=language)
    page = web.page(phone=phone, language="en-GB" if en else "zh-CN")
    web.login(page, "advisor")
    page.goto(f"/workshop/?workshop={scene.workshop.pk}&week=2025-03-03")
    with page.expect_navigation():
        page.click("[data-testid=kpis-link]")
    page.wait_for_selector("#kpi-chart[data-drawn=true]")
    assert page.input_value("#kpi-from") == "2025-03-03"
    rate = page.locator("[data-testid=summary-appointment-rate]")
    assert "60.0 %" in rate.inner_text()
    assert "kpi-bad" in (rate.get_attribute("class") or "")
    assert ("Guide: below 5.0 %" if en else "指导值：低于 5.0 %") in page.locator(
        "[data-testid=summary-carry-over-rate]"
    ).inner_text()
    row = page.locator("[data-testid=kpi-day-2025-03-03]")
    assert row.locator("[data-key=no_show_rate]").inner_text() == "25.0 %"
    web.shot(page, "kpis")
    with page.expect_navigation():
        row.locator("[data-testid=drill-no_shows]").click()
    assert page.locator("[data-testid=item-count]").inner_text() == "1"
    assert page.locator(f"[data-testid=appointment-{scene.appointments['A4'].pk}]").count() == 1
    assert ("No-show" if en else "失约") in page.locator(
        "[data-testid=item-appointments]"
    ).inner_text()
    web.shot(page, "no-shows")
    with page.expect_navigation():
        page.click("[data-testid=back]")
    with page.expect_navigation():
        page.locator("[data-testid=kpi-total] [data-testid=drill-customers]").click()
    assert page.locator("[data-testid=item-count]").inner_text() == "5"
    web.shot(page, "customers")
