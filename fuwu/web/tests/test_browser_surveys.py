"""Surveys in a real browser: a customer answers the Toyota three-day follow-up through a
one-time link on a phone (the facilities question appears only after "yes", a missing answer is
named, a low score is taken, the link then refuses a second answer), another customer answers in
English, and the advisor's manager reads the round's analysis with its chart in both languages."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from fuwu.core.actors import SYSTEM
from fuwu.customers.models import Customer
from fuwu.sla.clocks import forget_calendars
from fuwu.surveys import actions
from fuwu.surveys.loader import load_library
from fuwu.testing.factories import World, build_world

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def world(library: None) -> World:
    forget_calendars()
    built = build_world()
    assert not load_library().problems
    return built


GOOD = {
    "courtesy": 4,
    "repair": 4,
    "price": 3,
    "on_time": "yes",
    "clean": 4,
    "explained": 4,
    "used_facilities": "no",
}


def test_customer_answers_by_link_on_a_phone_and_staff_read_the_analysis(web, world):
    dealer = world.sites["dealer"].pk
    earlier = actions.create_round(
        SYSTEM,
        questionnaire_key="toyota_follow_up",
        site_id=dealer,
        title="十一月追踪",
        opens_at=timezone.now() - timedelta(days=30),
    )
    old = actions.invite(SYSTEM, earlier.pk, customer_id=world.customers["driver"].pk)
    actions.answer_by_link(actions.link_token(old), GOOD)
    round_ = actions.create_round(
        SYSTEM, questionnaire_key="toyota_follow_up", site_id=dealer, title="十二月追踪"
    )
    other = Customer.objects.create(site=world.sites["dealer"], name="Tom Lee", phone="13700001111")
    zh = actions.link_token(
        actions.invite(SYSTEM, round_.pk, customer_id=world.customers["driver"].pk)
    )
    en = actions.link_token(actions.invite(SYSTEM, round_.pk, customer_id=other.pk))

    phone = web.page(phone=True)
    phone.goto(f"/portal/s/{zh}/")
    facilities = phone.locator("[data-question=facilities]")
    assert facilities.is_hidden()
    for key, value in {
        "courtesy": 5,
        "repair": 2,
        "price": 4,
        "on_time": "yes",
        "clean": 5,
        "explained": 4,
        "used_facilities": "yes",
    }.items():
        phone.click(f"[data-testid=q-{key}-{value}]")
    assert facilities.is_visible()
    phone.fill("[data-testid=q-comments]", "修理后异响仍在")
    with phone.expect_navigation():
        phone.click("[data-testid=survey-submit]")
    assert phone.locator("[data-testid=error-facilities]").inner_text() == "必填"
    assert phone.locator("[data-testid=survey-error]").is_visible()
    web.shot(phone, "link-phone-zh-missing-answer")
    phone.click("[data-testid=q-facilities-3]")
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the survey scrolls sideways on a phone ({width}px)"
    with phone.expect_navigation():
        phone.click("[data-testid=survey-submit]")
    assert phone.locator("[data-testid=survey-thanks]").inner_text() == "感谢您的宝贵意见！"
    web.shot(phone, "link-phone-zh-thanks")
    phone.goto(f"/portal/s/{zh}/")
    assert "已经提交过了" in phone.locator("[data-testid=survey-message]").inner_text()

    english = web.page(phone=True, language="en")
    english.goto(f"/portal/s/{en}/")
    assert (
        english.locator("[data-testid=survey-title]").inner_text() == "Three-day follow-up survey"
    )
    for key, value in GOOD.items():
        english.click(f"[data-testid=q-{key}-{value}]")
    web.shot(english, "link-phone-en-form")
    with english.expect_navigation():
        english.click("[data-testid=survey-submit]")
    assert (
        english.locator("[data-testid=survey-thanks]").inner_text() == "Thank you for your opinion!"
    )
    assert phone.js_errors == [] and english.js_errors == []

    page = web.page()
    web.login(page, "as_manager")
    page.goto("/work/")
    page.click("[data-testid=surveys-link]")
    page.click(f"[data-testid=round-{round_.pk}]")
    page.wait_for_selector("[data-testid=survey-chart][data-drawn=true] canvas")
    page.wait_for_selector("[data-testid=survey-distribution][data-drawn=true] canvas")
    assert page.locator("[data-testid=response-rate]").inner_text() == "100.0%"
    assert page.locator("[data-testid=follow-ups]").inner_text() == "1"  # the repair scored 2
    repair = page.locator("[data-testid=area-repair]")
    assert repair.locator("[data-testid=area-mean]").inner_text() == "平均分 3.0"
    assert repair.locator("[data-testid=area-change]").inner_text() == "-1.0"
    assert page.locator("[data-testid=comment]").first.inner_text().startswith("修理后异响仍在")
    web.shot(page, "analysis-zh")
    web.to_english(page)
    page.wait_for_selector("[data-testid=survey-chart][data-drawn=true] canvas")
    assert (
        page.locator("[data-testid=area-repair] [data-testid=area-mean]").inner_text() == "Mean 3.0"
    )
    web.shot(page, "analysis-en")
    assert page.js_errors == []
