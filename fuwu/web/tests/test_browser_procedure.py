"""The procedure page as people read it (issue 10, item 13), in real Chromium: conditions in
words with no raw expression, Python value or key, and a flowchart whose labels do not overlap,
on the largest procedures of the library."""

from __future__ import annotations

import re

import pytest

from fuwu.core.models import Staff
from fuwu.testing.browser import en_phone

pytestmark = pytest.mark.django_db(transaction=True)

LARGEST = ["car_reception_repair_order", "toyota_seven_step", "business_centre"]
RAW = re.compile(r"\bTrue\b|\bFalse\b|\bNone\b|==|!=|&&|\|\||\bdata\.|\bchecklist\.")
CONDITION = {"zh-hans": "“能否立即确定故障”为“可以立即确定”", "en": "is “Determined now”"}

# Boxes of the drawn labels (steps and moves) on the screen, with their text.
LABEL_BOXES = """el => Array.from(el.querySelectorAll('g.node .label, g.edgeLabel .label'))
  .map(n => [n.getBoundingClientRect(), n.textContent])
  .filter(([r]) => r.width > 0 && r.height > 0)
  .map(([r, t]) => [r.left, r.top, r.right, r.bottom, t])"""


def overlaps(boxes: list[list[float]], slack: float = 1.0) -> list[tuple[int, int]]:
    found = []
    for i, a in enumerate(boxes):
        for j in range(i + 1, len(boxes)):
            b = boxes[j]
            if (
                a[0] + slack < b[2]
                and b[0] + slack < a[2]
                and a[1] + slack < b[3]
                and b[1] + slack < a[3]
            ):
                found.append((i, j))
    return found


@en_phone
def test_procedure_pages_read_as_words_and_their_flowcharts_do_not_overlap(
    web, world, language, phone
):
    Staff.objects.filter(user__username="technician").update(language=language)
    page = web.page(phone=phone, language="en-GB" if language == "en" else "zh-CN")
    web.login(page, "technician")
    for key in LARGEST:
        page.goto(f"/procedures/{key}/")
        diagram = page.locator("[data-testid=diagram]")
        page.wait_for_selector("[data-testid=diagram][data-drawn=true]")
        text = page.locator("main").inner_text()
        assert not RAW.findall(text), (key, sorted(set(RAW.findall(text))))
        diagram.screenshot(path=str(web.shot.folder / f"{key}-whole-flowchart.png"))
        diagram.scroll_into_view_if_needed()
        web.shot(page, f"{key}-flowchart", full_page=False)
        boxes = diagram.evaluate(LABEL_BOXES)
        assert len(boxes) > 20, key
        clashes = [(boxes[i][4], boxes[j][4]) for i, j in overlaps(boxes)]
        assert clashes == [], (key, clashes)
        if key == LARGEST[0]:
            guard = page.locator("[data-testid=guard]").first
            assert CONDITION[language] in page.locator("main").inner_text()
            guard.scroll_into_view_if_needed()
            web.shot(page, f"{key}-conditions", full_page=False)
