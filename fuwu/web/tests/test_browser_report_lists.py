"""The seeds' lists in a real browser: the reports index, the payment statistics with their
chart, the arrears list and the guards' parking list printed, the survey tally's chart (print media: no menu, filters or
buttons, a bordered table on A4) — in Chinese on a desktop, then English, and the arrears list
on a phone."""

from __future__ import annotations

import pytest

from fuwu.reports.lists.tests.dataset import build, rounds

pytestmark = pytest.mark.django_db(transaction=True)

PERIOD = "site=lanting&from=2026-12-01&to=2026-12-04"


def _rows(page) -> set[str]:  # type: ignore[no-untyped-def]
    rows = page.locator("[data-testid=list-row]")
    return {rows.nth(i).get_attribute("data-case") or "" for i in range(rows.count())}


def test_lists_index_arrears_and_printed_parking_list(web, world) -> None:  # type: ignore[no-untyped-def]
    data = build(world)
    rounds(world, data.units)
    page = web.page()
    web.login(page, "sc_manager")
    page.goto("/work/")
    page.click("[data-testid=reports-menu]")
    page.click("[data-testid=report-index-link]")
    page.wait_for_selector("[data-testid=report-index]")
    web.shot(page, "lists-index-zh")
    page.click("[data-testid=report-index-fees]")
    page.goto(f"/reports/lists/fees/?{PERIOD}")
    page.wait_for_selector("[data-testid=report-chart][data-drawn=true] canvas")
    assert page.locator("[data-testid=tile-rate]").inner_text() == "41.6%"
    web.shot(page, "lists-fees-zh")
    # The arrears of building 1, from its number in the table.
    page.locator("[data-testid=fee-row][data-building='1'] [data-testid=n-arrears]").click()
    page.wait_for_selector("[data-testid=list-table]")
    assert _rows(page) == {str(data.fees["f2"].pk)}
    page.goto(f"/reports/lists/arrears/?{PERIOD}")
    assert _rows(page) == {str(data.fees["f2"].pk), str(data.fees["f3"].pk)}
    web.shot(page, "lists-arrears-zh")
    page.goto("/reports/lists/parking/?site=lanting&month=2026-12")
    assert _rows(page) == {str(data.leases["december"].pk)}
    page.emulate_media(media="print")
    assert not page.locator("nav.navbar").is_visible()
    assert not page.locator("[data-testid=report-filters]").is_visible()
    assert not page.locator("[data-testid=print]").is_visible()
    assert page.locator(".print-meta").is_visible()
    web.shot(page, "lists-parking-print-zh")
    page.emulate_media(media="screen")

    web.to_english(page)
    assert "Parking leases ending in the month" in page.inner_text("h1")
    page.emulate_media(media="print")
    web.shot(page, "lists-parking-print-en")
    page.emulate_media(media="screen")
    page.goto(f"/reports/lists/surveys/?{PERIOD}")
    page.wait_for_selector("[data-testid=report-chart][data-drawn=true] canvas")
    assert page.locator("[data-testid=survey-total] [data-testid=n-return-rate]").inner_text() == (
        "66.7%"
    )
    web.shot(page, "lists-surveys-en")
    page.goto("/reports/lists/gas/?site=lanting&week=2026-12-02")
    assert page.locator("[data-testid=household-count]").inner_text() == "3"
    page.emulate_media(media="print")
    web.shot(page, "lists-gas-print-en")
    assert page.js_errors == []

    phone = web.page(phone=True, language="en")
    web.login(phone, "sc_manager")
    phone.goto(f"/reports/lists/arrears/?{PERIOD}")
    assert _rows(phone) == {str(data.fees["f2"].pk), str(data.fees["f3"].pk)}
    web.shot(phone, "lists-arrears-phone-en")
    assert phone.js_errors == []
