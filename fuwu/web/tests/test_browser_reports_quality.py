"""The quality and workload reports in a real browser: reached from the menu, a filter changed,
a number and a chart bar leading to the cases behind them; Chinese on a desktop, English on a
390×844 phone."""

from __future__ import annotations

import pytest

from fuwu.reports import fold
from fuwu.reports.tests.dataset import NOW, build, complaint
from fuwu.sla.clocks import forget_calendars
from fuwu.testing.factories import World, build_world

pytestmark = pytest.mark.django_db(transaction=True)

PERIOD = "?site=lanting&from=2026-11-24&to=2026-11-30"


@pytest.fixture
def world(library: None) -> World:
    forget_calendars()
    return build_world(always_open=False)


def _drawn(page) -> None:
    page.wait_for_selector("[data-testid=report-chart][data-drawn=true] canvas")


def _cases(page) -> list[str]:
    rows = page.locator("[data-testid=drill-row]")
    return sorted(rows.nth(i).get_attribute("data-case") for i in range(rows.count()))


def test_quality_and_workload_reports(web, world):
    cases = build(world)
    e = complaint(world)
    fold.catch_up(now=NOW)
    page = web.page()
    web.login(page, "sc_manager")
    page.goto("/work/")
    page.click("[data-testid=reports-menu]")
    with page.expect_navigation():
        page.click("[data-testid=quality-link]")
    page.goto("/reports/quality/" + PERIOD)
    _drawn(page)
    assert page.locator("[data-testid=tile-first-time]").inner_text() == "50.0%"
    assert page.locator("[data-testid=tile-complaints]").inner_text() == "1"
    # A filter changed: the technician, whose repair came back, keeps the comeback; the
    # complaint (taken in by the agent) goes.
    page.select_option("#f-person", str(world.users["technician"].pk))
    with page.expect_navigation():
        page.click("[data-testid=report-apply]")
    assert f"person={world.users['technician'].pk}" in page.url
    assert page.locator("[data-testid=tile-complaints]").inner_text() == "0"
    web.shot(page, "quality-zh")
    with page.expect_navigation():
        page.click("[data-testid=quality-total] [data-measure=comeback_returned]")
    assert _cases(page) == [str(cases.a.pk)]
    web.shot(page, "quality-drill-comeback-zh")

    page.click("[data-testid=reports-menu]")
    with page.expect_navigation():
        page.click("[data-testid=workload-link]")
    page.goto("/reports/workload/" + PERIOD)
    _drawn(page)
    assert page.locator("[data-testid=tile-backlog]").inner_text() == "5"  # A–D and E
    assert e.status == "open"
    web.shot(page, "workload-zh")
    # The phone channel's bar at 09:00 opens A and B, taken in then.
    series = page.evaluate(
        "() => JSON.parse(document.getElementById('workload-data').textContent)"
        ".series.map(s => s.key)"
    )
    box = page.locator("[data-testid=report-chart] canvas").first.bounding_box()
    bar = page.evaluate(
        f"() => window.fuwuReportChart.getModel().getSeriesByIndex({series.index('phone')})"
        ".getData().getItemLayout(9)"
    )
    with page.expect_navigation():
        page.mouse.click(
            box["x"] + bar["x"] + bar["width"] / 2, box["y"] + bar["y"] + bar["height"] / 2
        )
    assert "channel=phone" in page.url and "hour=9" in page.url
    assert _cases(page) == sorted([str(cases.a.pk), str(cases.b.pk)])
    web.shot(page, "workload-drill-hour-zh")

    web.to_english(page)
    phone = web.page(phone=True)
    web.login(phone, "sc_manager")
    for name in ("quality", "workload"):
        phone.goto(f"/reports/{name}/" + PERIOD)
        _drawn(phone)
        assert name.capitalize() in phone.locator("h1").inner_text()
        width = phone.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"the {name} page scrolls sideways on a phone ({width}px)"
        web.shot(phone, f"{name}-phone-en")
    # The biggest backlog first: C and D, waiting at reception.
    phone.locator("[data-testid=backlog-row] a").first.click()
    phone.wait_for_selector("[data-testid=drill-row]")
    assert _cases(phone) == sorted([str(cases.c.pk), str(cases.d.pk)])
    assert "Workload" in phone.locator(".breadcrumb").inner_text()
    web.shot(phone, "workload-drill-backlog-phone-en")
    assert page.js_errors == [] and phone.js_errors == []
