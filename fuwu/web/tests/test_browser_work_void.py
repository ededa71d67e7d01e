"""Correcting the work log on the case page (issue 10, item 13), in real Chromium: a
technician voids a wrong part row with a reason; the row stays struck through, the totals drop
it (the tool row counts) and the timeline tells who voided what and why."""

from __future__ import annotations

import pytest

from fuwu.core.models import Staff
from fuwu.web.tests.test_work_void import _logged

pytestmark = pytest.mark.django_db(transaction=True)

WORDS = {
    "zh-hans": {
        "open": "记录有误？作废",
        "void": "作废",
        "before": "配件 ¥70.00 · 工具 ¥20.00",
        "after": "配件 ¥0.00 · 工具 ¥20.00",
        "voided": "已作废：数量记错",
        "timeline": "作废了工作记录：阀芯",
    },
    "en": {
        "open": "Wrong? Void it",
        "void": "Void",
        "before": "parts ¥70.00 · tools ¥20.00",
        "after": "parts ¥0.00 · tools ¥20.00",
        "voided": "Voided: 数量记错",
        "timeline": "voided the work-log row: 阀芯",
    },
}


@pytest.mark.parametrize(("language", "phone"), [("zh-hans", False)], ids=["zh-desktop"])
def test_technician_voids_a_wrong_work_log_row(web, world, language, phone):
    words = WORDS[language]
    case, part = _logged(world)
    Staff.objects.filter(user__username="technician").update(language=language)
    page = web.page(phone=phone, language="en-GB" if language == "en" else "zh-CN")
    web.login(page, "technician")
    page.goto(f"/cases/{case.pk}/")
    totals = page.locator("[data-testid=work-totals]")
    assert words["before"] in totals.inner_text()
    row = page.locator(f"[data-testid=work-{part.pk}]")
    row.get_by_text(words["open"]).click()
    row.locator("input[name=reason]").fill("数量记错")
    row.scroll_into_view_if_needed()
    web.shot(page, f"{language}-reason-typed", full_page=False)
    with page.expect_response(lambda r: r.url.endswith(f"/work/{part.pk}/void/")):
        row.locator(f"[data-testid=void-{part.pk}]").click()
    page.wait_for_load_state("networkidle")
    row = page.locator(f"[data-testid=work-{part.pk}]")
    assert words["voided"] in row.inner_text()
    assert "text-decoration-line-through" in (row.get_attribute("class") or "")
    assert words["after"] in page.locator("[data-testid=work-totals]").inner_text()
    assert words["timeline"] in page.locator("main").inner_text()
    page.locator("[data-testid=work-log]").scroll_into_view_if_needed()
    web.shot(page, f"{language}-voided", full_page=False)
    assert page.js_errors == []
