"""An agent takes a phone call at the intake desk: finds the owner, answers one question on the
spot, then opens a repair case for the owner's unit — in Chinese, in English, on a phone."""

from __future__ import annotations

import re
from typing import Any

import pytest

from fuwu.cases.models import Case, Consultation
from fuwu.testing.factories import World

pytestmark = pytest.mark.django_db(transaction=True)


def _find_owner(page: Any, web: Any, shot: str) -> None:
    page.fill("[data-testid=customer-search]", "1381234")  # a phone is found from 7 digits on
    page.wait_for_selector("[data-testid=customer-result]")
    web.shot(page, shot)
    page.click("[data-testid=customer-result]")
    page.wait_for_selector("[data-testid=selected-customer]")


def test_agent_takes_a_phone_call(web: Any, world: World) -> None:
    page = web.page()
    web.login(page, "agent")
    page.goto("/intake/")
    assert page.locator("[data-testid=consultation-count]").get_attribute("data-count") == "0"
    web.shot(page, "desk")

    _find_owner(page, web, "search-by-phone")
    assert "138****5678" in page.inner_text("[data-testid=selected-customer]")
    assert "3栋2单元1502" in page.inner_text("[data-testid=selected-customer]")

    # A question answered on the spot: recorded and counted, no case.
    page.click("[data-testid=tab-consult]")
    page.fill("#consult_topic", "物业费什么时候交")
    page.fill("#consult_answer", "每季度第一个月的 1 日至 15 日，可在服务中心或微信缴纳。")
    page.click("[data-testid=log-consultation]")
    page.wait_for_selector("[data-testid=intake-notice]")
    count = page.locator("[data-testid=consultation-count]")
    assert count.get_attribute("data-count") == "1"
    web.shot(page, "consultation-logged")
    assert Consultation.objects.filter(customer=world.customers["owner"]).count() == 1
    assert Case.objects.count() == 0

    # Then a repair: the procedure's first-step form is drawn from its definition.
    page.click("[data-testid=tab-case]")
    page.select_option("[data-testid=procedure]", "property_repair")
    page.wait_for_selector("[data-testid=field-repair_item]")
    page.wait_for_load_state("networkidle")  # the history panel refreshes as well
    assert page.locator("#id_asset").input_value() == str(world.assets["unit"].pk)
    # Submitting without the required intake fields is refused, with the fields marked.
    page.fill("#id_title", "厨房水管漏水")
    page.click("[data-testid=open-case]")
    page.wait_for_selector("[data-testid=intake-notice]")
    assert page.locator("[data-testid=field-repair_item] .invalid-feedback").count() == 1
    web.shot(page, "case-form-errors")
    assert Case.objects.count() == 0

    page.fill("[name=step-repair_item]", "厨房水槽下水管")
    page.fill("[name=step-location]", "厨房")
    page.click("label[for=id_step-service_type_1]")  # 免费维修
    page.click("label[for=id_step-details_confirmed_1]")  # 是
    page.select_option("#id_priority", "high")
    page.fill("#id_description", "业主来电：厨房水槽下水管漏水，地面有积水。")
    web.shot(page, "case-form-filled")
    page.click("[data-testid=open-case]")
    page.wait_for_url(re.compile(r"/cases/\d+/$"))
    case = Case.objects.get()
    assert page.url.endswith(f"/cases/{case.pk}/")
    assert case.data["repair_item"] == "厨房水槽下水管" and case.data["details_confirmed"] is True
    assert (case.customer, case.asset, case.priority) == (
        world.customers["owner"],
        world.assets["unit"],
        "high",
    )
    web.shot(page, "case-page")
    assert page.js_errors == []


def test_the_desk_in_english_and_on_a_phone(web: Any, world: World) -> None:
    page = web.page()
    web.login(page, "agent")
    page.goto("/intake/")
    web.to_english(page)
    assert page.locator("html").get_attribute("lang") == "en"
    _find_owner(page, web, "en-search")
    page.select_option("[data-testid=procedure]", "property_repair")
    page.wait_for_selector("[data-testid=field-repair_item]")
    page.wait_for_load_state("networkidle")  # the history panel refreshes as well
    assert "Repair item" in page.inner_text("[data-testid=first-step]")
    web.shot(page, "en-case-form")
    page.click("[data-testid=tab-consult]")
    web.shot(page, "en-consultation")
    page.click("summary:has-text('New customer')")
    page.click("[data-testid=create-customer]")
    page.wait_for_selector("#new-customer .invalid-feedback")
    web.shot(page, "en-new-customer-errors")
    assert page.js_errors == []

    phone = web.page(phone=True)
    web.login(phone, "agent")
    owner = world.customers["owner"].pk
    phone.goto(f"/intake/?customer={owner}&procedure=property_repair")
    phone.wait_for_selector("[data-testid=field-repair_item]")
    web.shot(phone, "phone-desk")
    phone.fill("[data-testid=customer-search]", "1502")
    phone.wait_for_selector("[data-testid=customer-result]")
    web.shot(phone, "phone-search", full_page=False)
    assert phone.js_errors == []
