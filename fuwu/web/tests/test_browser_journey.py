"""One repair from the phone call to the archive, through the pages people use, in a real browser.

An agent takes the owner's call and opens a repair case; the dispatcher finds it in the queue,
picks the technician and sends him (which also gives him the case); the technician, on his phone, records the diagnosis,
ticks the checklist and hands the case back for the return visit; two agents then open the
return visit at once: the first archives it, the second gets the stale-form message and the
fresh state. Each person in their own language: the agents in Chinese and English, the
dispatcher in English, the technician in Chinese.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from fuwu.cases.models import Case
from fuwu.core.models import Staff
from fuwu.testing.factories import World

pytestmark = pytest.mark.django_db(transaction=True)


def _yes(page: Any, key: str) -> None:
    """Answer yes to a yes/no field or checklist item (the first of its two buttons)."""
    page.click(f"label[for=id_{key}_1]")


def _take(page: Any, transition: str) -> None:
    """Take a move and wait for the page to show its answer (not the previous one's)."""
    with page.expect_response(lambda r: f"/take/{transition}/" in r.url):
        page.click(f"[data-testid=take-{transition}]")
    page.wait_for_selector("[data-testid=notice-success]")
    # The page's own requests after the swap (the history panel) answered before the test reads
    # the database: on SQLite the live server and the test share one in-memory connection.
    page.locator("[data-testid=case-history] .spinner-border").wait_for(state="detached")
    page.locator(".htmx-request").first.wait_for(state="detached")


def test_a_repair_from_call_to_archive(web: Any, world: World) -> None:
    Staff.objects.update(language="zh-hans")
    Staff.objects.filter(user__username__in=["dispatcher", "agent2"]).update(language="en")

    # 1. The agent takes the call at the intake desk and opens the case.
    agent = web.page()
    web.login(agent, "agent")
    assert agent.locator("html").get_attribute("lang") == "zh-hans"
    agent.goto("/intake/")
    agent.fill("[data-testid=customer-search]", "13812345678")
    agent.click("[data-testid=customer-result]")
    agent.wait_for_selector("[data-testid=selected-customer]")
    # Choosing a customer and a procedure each start htmx requests (fields, history panel);
    # let them finish so the live test server (one shared SQLite connection) serves one at a time.
    agent.wait_for_load_state("networkidle")
    agent.click("[data-testid=tab-case]")
    agent.select_option("[data-testid=procedure]", "property_repair")
    agent.wait_for_selector("[data-testid=field-repair_item]")
    agent.wait_for_load_state("networkidle")
    agent.fill("#id_title", "厨房水龙头漏水")
    agent.fill("[name=step-repair_item]", "水龙头")
    agent.click("label[for=id_step-service_type_1]")  # free of charge
    agent.click("label[for=id_step-details_confirmed_1]")  # confirmed with the owner
    web.shot(agent, "1-agent-intake")
    agent.click("[data-testid=open-case]")
    agent.wait_for_url(re.compile(r"/cases/\d+/$"))
    case = Case.objects.get()
    assert case.step == "reception" and case.channel == "phone"
    _take(agent, "issue_work_order")
    web.shot(agent, "2-agent-issued")
    assert Case.objects.get().step == "dispatch"

    # 2. The dispatcher finds it in the queue, assigns the technician and sends him now.
    dispatcher = web.page()
    web.login(dispatcher, "dispatcher")
    assert dispatcher.locator("html").get_attribute("lang") == "en"
    dispatcher.goto("/queue/?open=true&procedure=property_repair")
    dispatcher.click(f"[data-testid=case-link] >> text={case.number}")
    dispatcher.wait_for_url(re.compile(rf"/cases/{case.pk}/$"))
    dispatcher.click("[data-testid=picker-technician] [data-testid=person-technician]")
    _take(dispatcher, "repair_now")  # sends him now and gives him the case
    assert Case.objects.get().assignee == world.users["technician"]
    web.shot(dispatcher, "3-dispatcher-sent")

    # 3. The technician, on a phone, finds it in My work and completes the repair.
    technician = web.page(phone=True)
    web.login(technician, "technician")
    technician.goto("/work/")
    web.shot(technician, "4-technician-my-work", full_page=False)
    technician.click(f"[data-testid=work-row][data-case='{case.pk}']")
    technician.wait_for_url(re.compile(rf"/cases/{case.pk}/$"))
    technician.fill("#id_diagnosis", "阀芯垫圈老化")
    technician.fill("#id_solution", "更换垫圈")
    _yes(technician, "owner_agreed")
    _yes(technician, "checklist\\.fault_fixed")
    _yes(technician, "checklist\\.site_clean")
    web.shot(technician, "5-technician-checklist")
    _take(technician, "complete")
    technician.fill("#id_result", "已修复，试用正常")
    _take(technician, "to_return_visit")
    web.shot(technician, "6-technician-handed-back", full_page=False)
    assert Case.objects.get().step == "return_visit"

    # 4. Two agents open the return visit; the first archives it, the second is told it changed.
    agent.goto(f"/cases/{case.pk}/")
    second = web.page()
    web.login(second, "agent2")
    second.goto(f"/cases/{case.pk}/")
    for page in (agent, second):
        page.click("label[for=id_visit_method_1]")  # by phone
    _take(agent, "archive")
    web.shot(agent, "7-agent-archived")
    second.click("[data-testid=take-archive]")
    second.wait_for_selector("[data-testid=notice-warning]")
    notice = second.inner_text("[data-testid=notice-warning]")
    assert "changed" in notice  # the second agent reads English
    assert "Archived" in second.inner_text("[data-testid=case-step]")
    web.shot(second, "8-second-agent-stale")

    closed = Case.objects.get()
    assert closed.step == "archived" and closed.status == "closed"
    assert closed.events.filter(kind="transitioned").count() == 5
    for page in (agent, dispatcher, technician, second):
        assert page.js_errors == []
