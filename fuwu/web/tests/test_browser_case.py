"""The case page in a real browser: a technician's checklist on a phone, two agents at once."""

from __future__ import annotations

import pytest

from fuwu.cases.actions import view_of
from fuwu.cases.models import Case
from fuwu.core.models import Staff
from fuwu.procedures.engine.definition import ChecklistKind
from fuwu.procedures.engine.machine import applicable, guard_context
from fuwu.procedures.registry import definition_of
from fuwu.web.tests.casesetup import at_dispatch, at_inspect

pytestmark = pytest.mark.django_db(transaction=True)


def fill_checklist(page, case: Case, *, radial: str) -> None:
    """Answer every item of the inspection that applies to this valve: yes to each check, a
    passing value for each measurement except the radial clearance, which gets `radial`."""
    procedure = definition_of(case.procedure)
    step = procedure.steps[case.step]
    for item in applicable(step.checklist, guard_context(procedure, view_of(case))):
        if item.type is ChecklistKind.MEASUREMENT:
            low = item.min if item.min is not None else 0
            high = item.max if item.max is not None else low + 1
            value = radial if item.key == "radial_clearance" else f"{(low + high) / 2:g}"
            page.fill(f"#id_checklist\\.{item.key}", value)
        else:
            page.click(f"label[for=id_checklist\\.{item.key}_1]")


@pytest.mark.parametrize("language", ["zh-hans"])
def test_technician_fills_a_measured_checklist_on_a_phone(web, world, language):
    case = at_inspect(world)
    Staff.objects.filter(user__username="technician").update(language=language)
    page = web.page(phone=True)
    web.login(page, "technician")  # the page speaks the profile's language from sign-in
    page.goto(f"/cases/{case.pk}/")
    assert page.locator("[data-testid=checklist]").is_visible()
    web.shot(page, f"inspect-{language}", full_page=False)

    fill_checklist(page, case, radial="0.9")  # out of range: 0.2–0.5 mm
    field = page.locator("#id_checklist\\.radial_clearance")
    warning = page.locator("[data-testid=range-warning-radial_clearance]")
    # Flagged as typed, before anything is sent.
    assert "is-invalid" in (field.get_attribute("class") or "")
    assert warning.is_visible()
    assert "0.2–0.5 mm" in warning.inner_text()
    field.scroll_into_view_if_needed()
    web.shot(page, f"out-of-range-{language}", full_page=False)

    # Sent anyway: the server refuses the move and says why next to the field, input kept.
    page.click("[data-testid=take-passed]")
    page.wait_for_selector("[data-testid=notice-danger]")
    assert page.locator("[data-testid=error-radial_clearance]").is_visible()
    assert page.locator("#id_checklist\\.radial_clearance").input_value() == "0.9"
    assert Case.objects.get(pk=case.pk).step == "inspect"
    page.locator("[data-testid=error-radial_clearance]").scroll_into_view_if_needed()
    web.shot(page, f"refused-{language}", full_page=False)

    # Corrected: the flag goes away as they type, and the step completes.
    field = page.locator("#id_checklist\\.radial_clearance")
    field.fill("0.35")
    assert "is-invalid" not in (field.get_attribute("class") or "")
    assert not page.locator("[data-testid=range-warning-radial_clearance]").is_visible()
    page.click("[data-testid=take-passed]")
    page.wait_for_selector("[data-testid=notice-success]")
    after = Case.objects.get(pk=case.pk)
    assert after.step == "reassemble"
    assert after.records["checks"]["inspect"]["radial_clearance"] == {"value": 0.35, "passed": True}
    page.evaluate("window.scrollTo(0, 0)")
    web.shot(page, f"done-{language}", full_page=False)
    assert page.js_errors == []


def test_second_agent_gets_the_stale_form_message(web, world):
    case = at_dispatch(world)
    first = web.page()
    second = web.page()
    web.login(first, "dispatcher")
    web.login(second, "eng_manager")
    first.goto(f"/cases/{case.pk}/")
    second.goto(f"/cases/{case.pk}/")
    # Both see the dispatch form; the first sends the repairer now, the second books a visit.
    second.fill("#id_appointment_at", "2031-03-04T10:30")
    first.click("[data-testid=take-repair_now]")
    first.wait_for_selector("[data-testid=notice-success]")
    web.shot(first, "first-agent-done")
    # The second still has the old page: their submit is refused with the fresh state.
    second.click("[data-testid=take-book]")
    second.wait_for_selector("[data-testid=notice-warning]")
    text = second.locator("[data-testid=notice-warning]").inner_text()
    assert "调度员" in text or "dispatcher" in text.lower()
    assert second.locator("[data-testid=case-step]").inner_text() == "现场维修"
    web.shot(second, "second-agent-stale")
    after = Case.objects.get(pk=case.pk)
    assert after.step == "repair" and "appointment_at" not in after.data
    assert first.js_errors == [] and second.js_errors == []
