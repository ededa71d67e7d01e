"""In a real browser: the search box in the menu answers as one types — Chinese words (not
characters across words), a plate typed any way — and Enter opens the results page. Chinese on
a desktop, English on a phone (390×844), the other two pairings too."""

from __future__ import annotations

import re

import pytest

from fuwu.cases import actions
from fuwu.core.models import Staff
from fuwu.testing.browser import two_variants

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres_too]


def _cases(world):
    leak = actions.open_case(
        world.actor("agent"),
        procedure_key="property_repair",
        site_id=world.sites["lanting"].pk,
        channel="phone",
        title="卫生间漏水严重",
        customer_id=world.customers["owner"].pk,
        asset_id=world.assets["unit"].pk,
        data={"repair_item": "卫生间漏水严重", "service_type": "free"},
    )
    inspection = actions.open_case(
        world.actor("agent"),
        procedure_key="property_repair",
        site_id=world.sites["lanting"].pk,
        channel="phone",
        title="部门卫生检查",
        data={"repair_item": "部门卫生检查", "service_type": "free"},
    )
    car = actions.open_case(
        world.actor("cc_agent"),
        procedure_key="after_sales_call_center",
        site_id=world.sites["dealer"].pk,
        channel="phone",
        title="空调不制冷",
        customer_id=world.customers["driver"].pk,
        asset_id=world.assets["car"].pk,
        data={"request": "空调不制冷"},
    )
    return leak, inspection, car


def _live(page):
    return page.locator("[data-testid=menu-search-results]")


def _type(page, text):
    box = page.locator("[data-testid=menu-search-input]")
    box.fill("")
    box.press_sequentially(text, delay=30)


@two_variants
def test_searching_from_the_menu(web, world, language, phone):
    leak, inspection, car = _cases(world)
    Staff.objects.filter(user__username="vp").update(language=language)
    en = language == "en"
    page = web.page(phone=phone, language="en-GB" if en else "zh-CN")
    web.login(page, "vp")
    page.goto("/work/")
    if phone:
        page.locator("button.navbar-toggler").click()
    page.locator("[data-testid=menu-search-input]").wait_for(state="visible")

    _type(page, "漏水")
    _live(page).locator("[data-testid=search-case]").first.wait_for()
    cases = _live(page).locator("[data-testid=search-case]")
    assert cases.count() == 1 and leak.number in cases.first.inner_text()
    assert ("Cases" if en else "工单") in _live(page).inner_text()
    web.shot(page, f"{language}-typed-a-word", full_page=False)

    # 门卫 (a guard) is only characters across two words in 部门卫生检查: no hit.
    _type(page, "门卫")
    _live(page).locator("[data-testid=search-empty]").wait_for()
    assert inspection.title not in _live(page).inner_text()

    # A plate typed with a space and in lower case finds the car and its case.
    _type(page, "粤b 3k5x8")
    _live(page).locator("[data-testid=search-asset]").first.wait_for()
    assert "粤B·3K5X8" in _live(page).locator("[data-testid=search-asset]").inner_text()
    assert car.number in _live(page).locator("[data-testid=search-case]").inner_text()
    web.shot(page, f"{language}-typed-a-plate", full_page=False)

    page.keyboard.press("Escape")
    assert _live(page).inner_text().strip() == ""

    _type(page, "王芳")
    _live(page).locator("[data-testid=search-customer]").first.wait_for()
    page.locator("[data-testid=menu-search-input]").press("Enter")
    page.wait_for_url(re.compile(r"/search/\?q="))
    rows = page.locator("[data-testid=case-row]")
    assert rows.count() == 1 and rows.first.get_attribute("data-case") == str(leak.pk)
    assert "13812345678" in page.locator("[data-testid=search-customers]").inner_text()
    web.shot(page, f"{language}-results-page")
    rows.first.locator("[data-testid=case-link]").click()
    page.wait_for_url(re.compile(rf"/cases/{leak.pk}/$"))
    assert page.js_errors == []
