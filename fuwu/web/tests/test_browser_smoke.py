"""The page frame in a real browser: sign in, menu, language switch, phone size."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db(transaction=True)


def test_sign_in_and_switch_language(web, world):
    page = web.page()
    web.login(page, "agent")
    web.shot(page, "signed-in")
    page.click("[data-testid=language-en]")
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"
    web.shot(page, "english")
    assert page.js_errors == []
