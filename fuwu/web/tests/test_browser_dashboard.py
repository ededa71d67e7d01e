"""The dashboard (an ECharts canvas) and a procedure page (a Mermaid SVG) in a real browser,
in both languages and on a phone-sized screen."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from fuwu.cases import actions
from fuwu.cases.models import Case, Consultation
from fuwu.testing.factories import World

pytestmark = pytest.mark.django_db(transaction=True)

REPAIR = {"repair_item": "水管漏水", "location": "厨房", "service_type": "free"}


def _some_cases(world: World) -> None:
    """Cases over the last weeks at lanting (some late, two resolved today) and one at the dealer."""
    agent, now = world.actor("agent"), timezone.now()
    opened = []
    for i, (days, channel, priority) in enumerate(
        [
            (0, "phone", "high"),
            (0, "wechat", "normal"),
            (0, "phone", "urgent"),
            (1, "sms", "normal"),
            (2, "phone", "low"),
            (3, "web", "normal"),
            (6, "phone", "normal"),
            (9, "walk_in", "normal"),
            (15, "phone", "high"),
            (27, "email", "low"),
        ]
    ):
        opened.append(
            actions.open_case(
                agent,
                procedure_key="property_repair",
                site_id=world.sites["lanting"].pk,
                channel=channel,
                title=f"报修 {i}",
                priority=priority,
                data=REPAIR,
                is_major=i == 4,
                now=now - timedelta(days=days, hours=1),
            )
        )
    booking = {"repair_mode": "immediate"}
    done = {"diagnosis": "接头老化", "solution": "更换接头", "owner_agreed": True}
    for case in opened[3:6]:
        case = actions.take_transition(
            agent,
            case.pk,
            "issue_work_order",
            version=case.version,
            form={"details_confirmed": True},
        )
        case = actions.take_transition(
            world.actor("dispatcher"), case.pk, "repair_now", version=case.version, form=booking
        )
    for case in opened[4:6]:
        case = Case.objects.get(pk=case.pk)
        actions.take_transition(
            world.actor("technician"),
            case.pk,
            "complete",
            version=case.version,
            form=done,
            checklist={"fault_fixed": True, "site_clean": True},
        )
    actions.open_case(
        world.actor("cc_agent"),
        procedure_key="after_sales_call_center",
        site_id=world.sites["dealer"].pk,
        channel="phone",
        title="来电",
        data={"request": "空调不制冷"},
    )
    for channel in ("phone", "phone", "walk_in"):
        Consultation.objects.create(
            site=world.sites["lanting"],
            channel=channel,
            topic="物业费怎么交",
            handled_by=world.users["agent"],
        )


def _chart_drawn(page) -> None:
    page.wait_for_selector("[data-testid=trend-chart][data-drawn=true] canvas")
    assert page.locator("[data-testid=trend-chart] canvas").count() >= 1


def test_dashboard_in_both_languages_and_on_a_phone(web, world):
    _some_cases(world)
    page = web.page()
    web.login(page, "sc_manager")
    page.goto("/dashboard/")
    _chart_drawn(page)
    assert (
        page.locator("[data-testid=tile-open] .tile-value").inner_text() == "10"
    )  # resolved ones await the return visit
    web.shot(page, "dashboard-zh")

    # A number leads to the queue with those cases.
    href = page.locator("[data-testid=tile-late]").get_attribute("href")
    assert href.startswith("/queue/?") and "overdue=true" in href

    web.to_english(page)
    page.goto("/dashboard/")
    _chart_drawn(page)
    assert "Overdue" in page.locator("[data-testid=tile-late]").inner_text()
    web.shot(page, "dashboard-en")

    phone = web.page(phone=True)
    web.login(phone, "sc_manager")
    phone.goto("/dashboard/")
    _chart_drawn(phone)
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways on a phone ({width}px)"
    web.shot(phone, "dashboard-phone")
    assert page.js_errors == [] and phone.js_errors == []


def test_dashboard_site_selector(web, world):
    _some_cases(world)
    page = web.page()
    web.login(page, "vp")
    page.goto("/dashboard/")
    _chart_drawn(page)
    assert page.locator("[data-testid=tile-open] .tile-value").inner_text() == "11"
    page.select_option("[data-testid=site-select]", "dealer")
    page.wait_for_url("**/dashboard/?site=dealer")
    _chart_drawn(page)
    assert page.locator("[data-testid=tile-open] .tile-value").inner_text() == "1"
    web.shot(page, "dashboard-one-site")
    assert page.js_errors == []


def _diagram_drawn(page) -> None:
    page.wait_for_selector("[data-testid=diagram][data-drawn=true] svg")
    assert page.locator("[data-testid=diagram] svg .node").count() >= 5


def test_procedure_pages_draw_their_diagram(web, world):
    page = web.page()
    web.login(page, "technician")
    page.goto("/procedures/")
    page.fill("[data-testid=procedure-search]", "报修")
    page.wait_for_selector("[data-testid=procedure-hotpot_table_service]", state="detached")
    web.shot(page, "procedures-search-zh")
    page.click("[data-testid=procedure-property_repair] a")
    page.wait_for_url("**/procedures/property_repair/")
    _diagram_drawn(page)
    assert "接待受理" in page.locator("[data-testid=diagram]").inner_text()
    web.shot(page, "procedure-zh")

    web.to_english(page)
    _diagram_drawn(page)
    assert "Reception" in page.locator("[data-testid=diagram]").inner_text()
    web.shot(page, "procedure-en")

    phone = web.page(phone=True)
    web.login(phone, "technician")
    phone.goto("/procedures/general_service/")
    _diagram_drawn(phone)
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways on a phone ({width}px)"
    web.shot(phone, "procedure-phone")
    phone.goto("/procedures/")
    web.shot(phone, "procedures-phone")
    assert page.js_errors == [] and phone.js_errors == []
