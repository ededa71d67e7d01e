"""The intake desk's two phone journeys, counted (fuwu.testing.clicks): a repair for a known
owner and a complaint from one; a new caller's phone carried into the new-customer form; a
dealership's service advisor booking a car in — in Chinese on a desktop, in English on a phone."""

from __future__ import annotations

import re
from typing import Any

import pytest

from fuwu.cases.models import Case
from fuwu.core.models import Staff
from fuwu.testing.browser import en_phone, zh_desktop
from fuwu.testing.clicks import Clicks
from fuwu.testing.factories import World

pytestmark = pytest.mark.django_db(transaction=True)

VARIANTS = [("zh-hans", False), ("en", True)]
IDS = ["zh-hans-desktop", "en-phone"]
ADVISOR_OFFERS = {
    "zh-hans": ["丰田七步法服务", "售后接待与任务委托书"],
    "en": ["Toyota seven-step service", "After-sales reception and repair order"],
}


def _desk(web: Any, language: str, phone: bool) -> Any:
    Staff.objects.filter(user__username="agent").update(language=language)
    page = web.page(phone=phone)
    web.login(page, "agent")
    page.goto("/intake/")
    return page


def _find_owner(page: Any) -> None:
    page.fill("[data-testid=customer-search]", "13812345678")
    page.wait_for_selector("[data-testid=customer-result]")
    with page.expect_navigation():
        page.click("[data-testid=customer-result]")
    page.wait_for_selector("[data-testid=selected-customer]")


def _choose(page: Any, procedure: str, field: str) -> None:
    page.wait_for_load_state("networkidle")  # the desk's own requests first (history panel)
    page.select_option("[data-testid=procedure]", procedure)
    page.wait_for_selector(f"[data-testid=field-{field}]")
    page.wait_for_load_state("networkidle")  # the history panel refreshes as well


def _open(page: Any) -> Case:
    page.click("[data-testid=open-case]")
    page.wait_for_url(re.compile(r"/cases/\d+/$"))
    return Case.objects.get()


@zh_desktop
def test_phone_repair_intake_for_a_known_owner(
    web: Any, world: World, language: str, phone: bool
) -> None:
    page = _desk(web, language, phone)
    variant = IDS[VARIANTS.index((language, phone))]
    clicks = Clicks(page, "phone repair intake", variant=variant)
    clicks.reset()
    _find_owner(page)
    _choose(page, "property_repair", "repair_item")
    # No title typed: it is the repair item's first line.
    page.fill("[name=step-repair_item]", "厨房水槽下水管漏水")
    page.fill("[name=step-location]", "厨房")
    page.click("label[for=id_step-service_type_1]")  # free repair
    page.click("label[for=id_step-details_confirmed_1]")  # yes
    web.shot(page, f"repair-{variant}")
    case = _open(page)
    clicks.report(limit=6)
    assert (case.customer, case.asset) == (world.customers["owner"], world.assets["unit"])
    assert case.data["repair_item"] == "厨房水槽下水管漏水"
    assert case.title == "厨房水槽下水管漏水"
    assert page.js_errors == []


@en_phone
def test_phone_complaint_intake_from_a_known_owner(
    web: Any, world: World, language: str, phone: bool
) -> None:
    page = _desk(web, language, phone)
    variant = IDS[VARIANTS.index((language, phone))]
    clicks = Clicks(page, "complaint intake", variant=variant)
    clicks.reset()
    _find_owner(page)
    _choose(page, "complaint", "complaint_content")
    # The complainant and their phone are the customer's: shown masked, not asked again.
    complainant = page.locator("[data-testid=field-complainant_name]")
    assert page.locator("[name=step-complainant_name]").get_attribute("placeholder") == "王芳"
    assert "138****5678" in page.inner_text("[data-testid=field-contact_phone]")
    assert "*" not in complainant.locator("label").inner_text()  # no longer required
    page.fill("[name=step-complaint_content]", "维修后水龙头又漏水，师傅态度差。")
    page.click("label[for=id_step-intake_method_3]")  # a call record
    page.fill("[name=step-complaint_summary]", "重复维修，服务态度")
    web.shot(page, f"complaint-{variant}")
    case = _open(page)
    clicks.report(limit=6)
    assert case.customer == world.customers["owner"]
    assert case.title == "维修后水龙头又漏水，师傅态度差。"
    assert case.data["complainant_name"] == "王芳"
    assert case.data["contact_phone"] == "13812345678"
    assert page.js_errors == []


NEW_CUSTOMER = {
    "zh-hans": "用电话 139 0000 1111 建档",
    "en": "New customer with phone 139 0000 1111",
}


@zh_desktop
def test_a_searched_phone_goes_into_the_new_customer_form(
    web: Any, world: World, language: str, phone: bool
) -> None:
    page = _desk(web, language, phone)
    variant = IDS[VARIANTS.index((language, phone))]
    page.fill("[data-testid=customer-search]", "139 0000 1111")
    page.wait_for_selector("[data-testid=no-customer]")
    offer = page.locator("[data-testid=new-customer-from-search]")
    assert offer.inner_text().strip() == NEW_CUSTOMER[language]
    with page.expect_navigation():
        offer.click()
    assert page.locator("#customer_phone").input_value() == "139 0000 1111"
    page.wait_for_load_state()
    assert page.evaluate("document.activeElement.id") == "customer_name"  # type the name next
    web.shot(page, f"new-customer-{variant}")
    page.fill("#customer_name", "赵六")
    page.click("[data-testid=create-customer]")
    page.wait_for_selector("[data-testid=selected-customer]")
    assert "赵六" in page.inner_text("[data-testid=selected-customer]")
    created = world.sites["lanting"].customers.get(name="赵六")
    assert created.phone.replace(" ", "") == "13900001111"
    assert page.js_errors == []


@en_phone
def test_a_service_advisor_books_a_car_in_at_the_desk(
    web: Any, world: World, language: str, phone: bool
) -> None:
    Staff.objects.filter(user__username="advisor").update(language=language)
    page = web.page(phone=phone)
    web.login(page, "advisor")
    page.goto("/intake/")
    variant = IDS[VARIANTS.index((language, phone))]
    page.fill("[data-testid=customer-search]", "粤B")
    page.wait_for_selector("[data-testid=customer-result]")
    with page.expect_navigation():
        page.click("[data-testid=customer-result]")
    procedures = page.locator("[data-testid=procedure] option").all_inner_texts()
    names = ADVISOR_OFFERS[language]
    assert all(name in procedures for name in names), procedures
    _choose(page, "toyota_seven_step", "plate_no")
    assert page.input_value("[name=step-plate_no]") == "粤B·3K5X8"  # the customer's one car
    page.fill("[name=step-customer_request]", "保养，顺便查一下空调异响")
    web.shot(page, f"advisor-{variant}")
    case = _open(page)
    assert case.created_by == world.users["advisor"] and case.asset == world.assets["car"]
    assert case.title == "保养，顺便查一下空调异响"
    web.shot(page, f"advisor-case-{variant}")
    assert page.js_errors == []
