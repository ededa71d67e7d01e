"""The desk's person picker and the folded journeys, in a real browser (issue 10, points 4 and 5).

- Dispatch: the dispatcher finds the repairer by pinyin initials, sees his skills, today's
  shift and open load, picks him and presses the one button: the case moves and is his.
- The assign panel lists the same people, only those who may work the step.
- The technician's completion on a phone and the follow-up call, with their click counts.

Each runs one way, the ways alternating: Chinese on a desktop, English on a 390×844 phone.
"""

from __future__ import annotations

import re
from datetime import time
from typing import Any

import pytest

from fuwu.cases import actions
from fuwu.cases.models import Case
from fuwu.core.models import Shift, Skill, Staff
from fuwu.testing.browser import en_phone, zh_desktop
from fuwu.testing.clicks import Clicks
from fuwu.web.tests.casesetup import at_dispatch, at_repair, fresh

pytestmark = pytest.mark.django_db(transaction=True)

WORDS = {
    "zh-hans": {"plumbing": "水电", "shift": "今天上班 08:00–16:00", "load": "1 件在办"},
    "en": {"plumbing": "Plumbing", "shift": "On today 08:00–16:00", "load": "1 open case"},
}


def _variant(language: str, phone: bool) -> str:
    return f"{language}, {'phone' if phone else 'desktop'}"


def _staff(language: str) -> None:
    """Everyone speaks `language`; the technician is 周军 (plumbing, building works, early shift)
    and already has one open case."""
    Staff.objects.update(language=language)
    early = Shift.objects.create(name="早班", start=time(8), end=time(16))
    tech = Staff.objects.get(user__username="technician")
    tech.display_name, tech.shift = "周军", early
    tech.save(update_fields=["display_name", "shift"])
    tech.skills.set(
        [
            Skill.objects.create(code="plumbing_electric", name="水电", name_en="Plumbing"),
            Skill.objects.create(code="civil", name="土建", name_en="Building works"),
        ]
    )
    Staff.objects.filter(user__username="dispatcher").update(display_name="孙丽")


def _take(page: Any, transition: str) -> None:
    with page.expect_response(lambda r: f"/take/{transition}/" in r.url):
        page.click(f"[data-testid=take-{transition}]")
    page.wait_for_selector("[data-testid=notice-success]")


@zh_desktop
def test_dispatch_by_initials_in_two_clicks(web: Any, world: Any, language: str, phone: bool):
    _staff(language)
    busy = at_repair(world)
    Case.objects.filter(pk=busy.pk).update(assignee=world.users["technician"])
    case = at_dispatch(world)
    words = WORDS[language]
    page = web.page(phone=phone)
    web.login(page, "dispatcher")
    page.goto(f"/cases/{case.pk}/")
    page.wait_for_load_state("networkidle")  # the history panel loads by htmx
    clicks = Clicks(page, "dispatch (property repair)", variant=_variant(language, phone))
    picker = page.locator("[data-testid=picker-technician]")
    assert page.locator("[data-testid=field-repair_mode]").count() == 0  # the buttons say it
    clicks.reset()
    # Typing is not a click: "zj" narrows the list to 周军.
    with page.expect_response(lambda r: "/people/" in r.url):
        picker.locator("[data-testid=person-search]").fill("zj")
    picker.locator("[data-testid=person-dispatcher]").wait_for(state="detached")
    card = picker.locator("[data-testid=person-technician]")
    text = card.inner_text()
    assert "周军" in text and words["plumbing"] in text and words["load"] in text
    assert words["shift"] in text
    web.shot(page, "1-picker-found-by-initials", full_page=False)
    card.click()
    _take(page, "repair_now")
    assert clicks.report(limit=2) == 2
    web.shot(page, "2-dispatched")
    after = fresh(case)
    assert after.step == "repair" and after.data["repair_mode"] == "immediate"
    assert after.assignee_id == world.users["technician"].pk
    assert "周军" in page.inner_text("[data-testid=case-header]")
    assert page.js_errors == []


@en_phone
def test_the_assign_panel_offers_only_eligible_people(
    web: Any, world: Any, language: str, phone: bool
):
    _staff(language)
    case = at_dispatch(world)
    page = web.page(phone=phone)
    web.login(page, "dispatcher")
    page.goto(f"/cases/{case.pk}/")
    page.wait_for_load_state("networkidle")  # the history panel loads by htmx
    page.click("[data-bs-target='#act-assign']")
    panel = page.locator("[data-testid=picker-assignee]")
    panel.wait_for()
    offered = set(
        panel.locator("[data-testid^=person-]:not([data-testid=person-search])").evaluate_all(
            "els => els.map(e => e.dataset.testid.slice(7))"
        )
    )
    assert offered == {"technician", "dispatcher", "eng_manager"}
    assert WORDS[language]["plumbing"] in panel.inner_text()
    panel.locator("[data-testid=person-technician]").scroll_into_view_if_needed()
    web.shot(page, "assign-panel", full_page=False)
    panel.locator("[data-testid=person-technician]").click()
    with page.expect_response(lambda r: r.url.endswith("/assign/")):
        page.click("[data-testid=assign-submit]")
    page.wait_for_selector("[data-testid=notice-success]")
    assert fresh(case).assignee_id == world.users["technician"].pk
    assert page.js_errors == []


@zh_desktop
def test_technician_completes_the_repair(web: Any, world: Any, language: str, phone: bool):
    _staff(language)
    case = at_dispatch(world)
    actions.take_transition(
        world.actor("dispatcher"),
        case.pk,
        "repair_now",
        version=case.version,
        form={"repair_mode": "immediate", "technician": "technician"},
    )
    page = web.page(phone=phone)
    web.login(page, "technician")
    page.goto("/work/")
    clicks = Clicks(page, "technician completion", variant=_variant(language, phone))
    clicks.reset()
    page.click(f"[data-testid=work-row][data-case='{case.pk}']")
    page.wait_for_url(re.compile(rf"/cases/{case.pk}/$"))
    page.wait_for_load_state("networkidle")
    page.fill("#id_diagnosis", "washer worn" if language == "en" else "阀芯垫圈老化")
    page.fill("#id_solution", "replaced the washer" if language == "en" else "更换垫圈")
    for key in ("owner_agreed", "checklist\\.fault_fixed", "checklist\\.site_clean"):
        page.click(f"label[for=id_{key}_1]")
    web.shot(page, "technician-filled", full_page=False)
    _take(page, "complete")
    assert clicks.report(limit=5) == 5
    assert fresh(case).step == "record_result"
    assert page.js_errors == []


@en_phone
def test_follow_up_call(web: Any, world: Any, language: str, phone: bool):
    _staff(language)
    case = at_dispatch(world)
    actions.take_transition(
        world.actor("dispatcher"),
        case.pk,
        "repair_now",
        version=case.version,
        form={"repair_mode": "immediate", "technician": "technician"},
    )
    case = fresh(case)
    actions.take_transition(
        world.actor("technician"),
        case.pk,
        "complete",
        version=case.version,
        form={"diagnosis": "阀芯垫圈老化", "solution": "更换垫圈", "owner_agreed": True},
        checklist={"fault_fixed": True, "site_clean": True},
    )
    case = fresh(case)
    actions.take_transition(
        world.actor("technician"),
        case.pk,
        "to_return_visit",
        version=case.version,
        form={"result": "已修复"},
    )
    page = web.page(phone=phone)
    web.login(page, "agent")
    page.goto("/work/")
    # The call itself leaves the browser (tel:); keep the test page where it is.
    page.evaluate(
        "document.addEventListener('click', e => {"
        " if (e.target.closest('a[href^=\"tel:\"]')) e.preventDefault(); }, true)"
    )
    clicks = Clicks(page, "follow-up call", variant=_variant(language, phone))
    clicks.reset()
    page.click(f"[data-testid=work-row][data-case='{case.pk}']")
    page.wait_for_url(re.compile(rf"/cases/{case.pk}/$"))
    page.wait_for_load_state("networkidle")
    page.evaluate(
        "document.addEventListener('click', e => {"
        " if (e.target.closest('a[href^=\"tel:\"]')) e.preventDefault(); }, true)"
    )
    tel = page.locator("[data-testid=customer-tel]")
    assert tel.get_attribute("href") == "tel:13812345678"
    tel.click()  # the call
    assert page.locator("[data-testid=field-satisfied]").count() == 0  # the buttons say it
    page.click("label[for=id_visit_method_1]")  # by phone
    page.fill("#id_feedback", "very quick" if language == "en" else "很及时")
    web.shot(page, "return-visit", full_page=False)
    _take(page, "archive")
    assert clicks.report(limit=4) == 4
    after = fresh(case)
    assert after.step == "archived" and after.data["satisfied"] is True
    assert after.data["visit_method"] == "phone"
    assert page.js_errors == []


def _toyota_at_dispatch(world: Any, api: Any) -> Case:
    """A Toyota service visit booked, received and released to the workshop (through the API)."""
    from fuwu.cases.tests.library.test_toyota_seven_step import ORDER, RECEIVED, open_visit
    from fuwu.testing.scenario import take

    adv = api("engineer")
    case = open_visit(world, api("cc_agent"))
    booking = {
        "visit_type": "appointment",
        "job_type": "maintenance",
        "appointment_at": "2031-05-12T08:00:00+08:00",
        "booked_hours": 2.3,
    }
    case = take(adv, case, "book", booking)
    case = take(adv, case, "arrived", {"parts_confirmed": True, "reminded": True})
    case = take(adv, case, "received", {"odometer": 40120, "key_tag": "K-17"}, RECEIVED)
    case = take(adv, case, "release", {**ORDER, "promised_at": "2031-05-12T13:30:00+08:00"})
    assert case["step"]["key"] == "dispatch"
    return Case.objects.get(pk=case["id"])


@zh_desktop
def test_toyota_dispatch_in_two_clicks(web: Any, world: Any, api: Any, language: str, phone: bool):
    Staff.objects.update(language=language)
    case = _toyota_at_dispatch(world, api)
    page = web.page(phone=phone)
    web.login(page, "workshop_qc")  # the workshop's controller (dispatcher)
    page.goto(f"/cases/{case.pk}/")
    page.wait_for_load_state("networkidle")  # the history panel loads by htmx
    clicks = Clicks(page, "dispatch (Toyota)", variant=_variant(language, phone))
    clicks.reset()
    picker = page.locator("[data-testid=picker-technician]")
    assert picker.locator("[data-testid=person-cc_agent]").count() == 0
    page.fill("#id_planned_hours", "2.3")
    page.fill("#id_latest_start", "2031-05-12T10:00")
    picker.locator("[data-testid=person-workshop_tech]").click()
    web.shot(page, "toyota-dispatch", full_page=False)
    _take(page, "start")
    assert clicks.report(limit=2) == 2
    after = fresh(case)
    assert after.step == "production" and after.data["technician"] == "workshop_tech"
    assert after.assignee_id == world.users["workshop_tech"].pk
    assert page.js_errors == []
