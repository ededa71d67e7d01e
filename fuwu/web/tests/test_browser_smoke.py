"""The page frame in a real browser: sign in, menu, language switch, phone size."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db(transaction=True)


def test_sign_in_and_switch_language(web, world):
    page = web.page()
    web.login(page, "agent")
    web.shot(page, "signed-in")
    web.to_english(page)
    assert page.locator("html").get_attribute("lang") == "en"
    web.shot(page, "english")
    assert page.js_errors == []


def test_click_counter_counts_clicks_across_page_loads(web, world):
    """The journeys' click counts (fuwu.testing.clicks) count pointer clicks over navigations."""
    from fuwu.testing.clicks import Clicks

    page = web.page()
    web.login(page, "agent")
    clicks = Clicks(page, "counter self-test")
    assert clicks.count == 0
    web.to_english(page)  # a link: the next page keeps counting
    page.fill("[data-testid=menu-search-input]", "1502")  # typing is not a click
    page.click("body", position={"x": 5, "y": 5})
    assert clicks.report() == 2
