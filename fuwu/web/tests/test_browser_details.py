"""Everything a case holds on its page and on paper (issue 10, item 1), in real Chromium, on a
phone in English: an agent opens a complaint worked through four steps, reads the
intake values (content, complainant, phone, demand) and each step's values under that step, then
opens the print view and prints it."""

from __future__ import annotations

import pytest

from fuwu.core.models import Staff
from fuwu.testing.browser import en_phone
from fuwu.web.tests.test_case_details import PHONE, investigated

pytestmark = pytest.mark.django_db(transaction=True)

WORDS = {
    "zh-hans": {
        "intake": "受理信息",
        "investigate": "责任部门调查处理",
        "nature": "责任投诉",
        "print": "打印",
    },
    "en": {
        "intake": "At intake",
        "investigate": "Department investigates and remedies",
        "nature": "We are at fault",
        "print": "Print",
    },
}
STEPS = ["_intake", "record", "analyse", "apologise", "investigate"]


def show(page, selector: str) -> None:
    """Scroll the element to just under the sticky menu bar, the pointer out of the way."""
    page.mouse.move(1, 1)
    page.locator(selector).evaluate(
        "e => window.scrollTo(0, e.getBoundingClientRect().top + window.scrollY - 70)"
    )


@en_phone
def test_agent_reads_and_prints_everything_a_complaint_holds(web, world, language, phone):
    words = WORDS[language]
    case = investigated(world)
    Staff.objects.filter(user__username="agent").update(language=language)
    page = web.page(phone=phone)
    web.login(page, "agent")
    page.goto(f"/cases/{case.pk}/")
    where = f"{'phone' if phone else 'desktop'}-{language}"

    card = page.locator("[data-testid=case-values]")
    groups = card.locator("section.details-group")
    assert [g.get_attribute("data-testid") for g in groups.all()] == [f"details-{k}" for k in STEPS]
    intake = card.locator("[data-testid=details-_intake]")
    assert words["intake"] in intake.locator("h2").inner_text()
    assert (
        "上周修过的水龙头又漏水"
        in intake.locator("[data-testid=value-complaint_content]").inner_text()
    )
    assert intake.locator("[data-testid=value-contact_phone]").inner_text() == PHONE
    assert intake.locator("[data-testid=value-customer_request]").inner_text() == "免费重修并道歉"
    related = intake.locator("[data-testid=value-related_case] a")
    assert related.is_visible()
    investigate = card.locator("[data-testid=details-investigate]")
    assert words["investigate"] in investigate.locator("h2").inner_text()
    assert investigate.locator("[data-testid=value-handled_by]").inner_text() == "张师傅"
    assert investigate.locator("[data-testid=value-compensation]").inner_text() == "¥200.00"
    analyse = card.locator("[data-testid=details-analyse]")
    assert analyse.locator("[data-testid=value-complaint_nature]").inner_text() == words["nature"]
    if phone:  # label above value is not needed: the rows stay readable side by side
        box = intake.locator("[data-testid=value-complaint_content]").bounding_box()
        assert box is not None and box["x"] + box["width"] <= 390
    show(page, "[data-testid=case-values]")
    web.shot(page, f"{where}-details", full_page=False)

    # The print view opens beside the case; its button prints (window.print, no inline script).
    link = card.locator("[data-testid=print-link]")
    assert words["print"] in link.inner_text()
    with page.context.expect_page() as opened:
        link.click()
    sheet = opened.value
    sheet.wait_for_load_state()
    sheet.on("pageerror", lambda exc: page.js_errors.append(str(exc)))
    assert case.number in sheet.locator("[data-testid=print-number]").inner_text()
    assert sheet.locator("section.print-group[data-testid^=details-]").count() == len(STEPS)
    assert sheet.locator("[data-testid=print-timeline] tr").count() >= 5
    web.shot(sheet, f"{where}-print-screen")
    sheet.evaluate("window.print = () => { window.printed = true; }")
    sheet.locator("[data-testid=print-button]").click()
    assert sheet.evaluate("window.printed === true")

    # On paper: no buttons, the sheet from the page's edge.
    sheet.emulate_media(media="print")
    assert not sheet.locator("[data-testid=print-toolbar]").is_visible()
    web.shot(sheet, f"{where}-print-paper")
    if not phone:
        pdf = sheet.pdf(format="A4", print_background=False)
        assert pdf.startswith(b"%PDF")
    assert page.js_errors == []
