"""The service-levels report in a real browser: the ECharts chart drawn, a bar and a number
leading to the cases behind them, Chinese and English, desktop and a 390×844 phone."""

from __future__ import annotations

import pytest

from fuwu.reports import fold
from fuwu.reports.tests.dataset import NOW, build
from fuwu.sla.clocks import forget_calendars
from fuwu.testing.factories import World, build_world

pytestmark = pytest.mark.django_db(transaction=True)

URL = "/reports/service-levels/?site=lanting&from=2026-11-24&to=2026-11-30"


@pytest.fixture
def world(library: None) -> World:
    forget_calendars()
    return build_world(always_open=False)


def _drawn(page) -> None:
    page.wait_for_selector("[data-testid=report-chart][data-drawn=true] canvas")


def test_report_page_in_both_languages_and_on_a_phone(web, world):
    cases = build(world)
    fold.catch_up(now=NOW)
    page = web.page()
    web.login(page, "sc_manager")
    page.goto("/work/")
    page.click("[data-testid=reports-menu]")
    page.click("[data-testid=reports-link]")
    page.goto(URL)
    _drawn(page)
    assert page.locator("[data-testid=tile-response]").inner_text() == "50.0%"
    # The three steps with counts, and dispatch, where B is overdue by the real clock.
    steps = page.locator("[data-testid=report-row]")
    assert {steps.nth(i).get_attribute("data-step") for i in range(steps.count())} == {
        f"property_repair/{s}" for s in ("reception", "dispatch", "repair", "return_visit")
    }
    web.shot(page, "service-levels-zh")
    phone = web.page(phone=True)
    web.login(phone, "sc_manager")
    phone.goto(URL)
    _drawn(phone)
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways on a phone ({width}px)"
    web.shot(phone, "service-levels-phone-zh")
    phone.goto(URL.replace("from=2026-11-24", "from=2026-12-24"))
    assert phone.locator("#f-from.is-invalid").count() == 1
    web.shot(phone, "service-levels-phone-bad-period")

    # The chart's last bar (Monday's resolutions on time) opens exactly the two it counted.
    box = page.locator("[data-testid=report-chart] canvas").first.bounding_box()
    bar = page.evaluate(
        "() => window.fuwuReportChart.getModel().getSeriesByIndex(0).getData().getItemLayout(6)"
    )
    with page.expect_navigation():
        page.mouse.click(
            box["x"] + bar["x"] + bar["width"] / 2, box["y"] + bar["y"] + bar["height"] / 2
        )
    assert "measure=resolved_on_time" in page.url and "day=2026-11-30" in page.url
    rows = page.locator("[data-testid=drill-row]")
    assert [rows.nth(i).get_attribute("data-case") for i in range(rows.count())] == [
        str(cases.a.pk),
        str(cases.a.pk),
    ]
    web.shot(page, "drill-resolved-on-time")

    web.to_english(page)
    page.goto(URL)
    _drawn(page)
    assert "Service levels" in page.locator("h1").inner_text()
    assert "Property repair · Reception" in page.locator("[data-testid=report-table]").inner_text()
    web.shot(page, "service-levels-en")
    page.locator("[data-testid=rung-count]").first.click()
    page.wait_for_selector("[data-testid=drill-row]")
    assert page.locator("[data-testid=drill-row]").get_attribute("data-case") == str(cases.b.pk)
    web.shot(page, "drill-escalation-en")
    phone.goto(URL)  # the person's language is now English (kept with their account)
    _drawn(phone)
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    web.shot(phone, "service-levels-phone-en")

    assert page.js_errors == [] and phone.js_errors == []
