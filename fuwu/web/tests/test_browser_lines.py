"""Line items on the case page in real Chromium, Chinese on a desktop (the customer's view in English on a phone): rows
added, moved and removed with the keyboard, computed amounts and the total as you type, a
negative quantity refused at its cell with nothing changed, the saved rows on the page and in
the timeline."""

from __future__ import annotations

import pytest

from fuwu.cases.models import Case, Event
from fuwu.core.models import Staff
from fuwu.portal.tests.helpers import give_account
from fuwu.testing.browser import zh_desktop
from fuwu.web.tests.casesetup import fresh
from fuwu.web.tests.linesetup import open_estimate, paid_repair_with_lines

pytestmark = pytest.mark.django_db(transaction=True)

WORDS = {
    "zh-hans": {
        "refused": "不能小于 0",
        "added": "添加第 1 行：阀门（数量 2、单价 ¥35.50、小计 ¥71.00）",
        "moved": "已移到第 1 行",
    },
    "en": {
        "refused": "Must be at least 0",
        "added": "Added row 1: 阀门 (Quantity 2, Unit price ¥35.50, Amount ¥71.00)",
        "moved": "Moved to row 1",
    },
}


def cell(page, row: int, column: str):
    return page.locator(f"[data-testid=lines-parts] tbody tr.lines-row >> nth={row}").locator(
        f"[data-testid=cell-{column}]"
    )


def show(page, selector: str) -> None:
    """Scroll so the element's top is just under the sticky menu bar (the pointer out of the way,
    so no button shows its hover colour in the screenshot)."""
    page.mouse.move(1, 1)
    page.locator(selector).evaluate(
        "e => window.scrollTo(0, e.getBoundingClientRect().top + window.scrollY - 70)"
    )


def total(page) -> str:
    return page.locator("[data-testid=total-parts-total]").inner_text().strip()


@zh_desktop
def test_technician_enters_parts_lines(web, world, estimate_procedure, language, phone):
    words = WORDS[language]
    case = open_estimate(world)
    events = Event.objects.filter(case=case).count()
    Staff.objects.filter(user__username="technician").update(language=language)
    page = web.page(phone=phone)
    web.login(page, "technician")
    page.goto(f"/cases/{case.pk}/")
    where = f"{'phone' if phone else 'desktop'}-{language}"
    editor = page.locator("[data-testid=lines-parts]")
    assert editor.locator("tbody tr.lines-row").count() == 1
    if phone:  # each row reads as a card: no header row, the column names by the inputs
        assert editor.locator("thead").evaluate("e => getComputedStyle(e).display") == "none"
        label = editor.locator("tbody tr.lines-row >> nth=0").locator("label.cell-label >> nth=0")
        assert label.is_visible()
    else:
        assert editor.locator("thead").is_visible()

    # The first line: the amount and the total follow the typing.
    cell(page, 0, "item").fill("阀门")
    cell(page, 0, "quantity").fill("2")
    cell(page, 0, "unit_price").fill("35.50")
    assert cell(page, 0, "total").inner_text() == "71.00"
    assert total(page) == "¥71.00"

    # A second line from the keyboard: the new row's first cell has the focus.
    page.locator("[data-testid=add-row-parts]").focus()
    page.keyboard.press("Enter")
    assert editor.locator("tbody tr.lines-row").count() == 2
    assert page.evaluate("document.activeElement.name") == "parts.1.item"
    page.keyboard.type("管件")
    cell(page, 1, "quantity").fill("-1")
    cell(page, 1, "unit_price").fill("12")
    assert cell(page, 1, "total").inner_text() == "-12.00"
    assert total(page) == "¥59.00"
    # Flagged as typed: below the column's minimum.
    assert "is-invalid" in (cell(page, 1, "quantity").get_attribute("class") or "")
    page.locator("[data-testid=work_types-replace] + label").click()
    show(page, "[data-testid=field-parts]")
    web.shot(page, f"{where}-typed", full_page=False)

    # Moved up and back with the keyboard; the names follow the order on screen.
    up = editor.locator("tbody tr.lines-row >> nth=1").locator("[data-act=up]")
    up.focus()
    page.keyboard.press("Enter")
    assert cell(page, 0, "item").input_value() == "管件"
    assert cell(page, 0, "item").get_attribute("name") == "parts.0.item"
    assert editor.locator("[data-live]").inner_text() == words["moved"]
    page.keyboard.press("Tab")  # from "up" (now disabled in row 1) the focus is on "down"
    assert page.evaluate("document.activeElement.dataset.act") in ("down", "remove")
    editor.locator("tbody tr.lines-row >> nth=0").locator("[data-act=down]").click()
    assert cell(page, 0, "item").input_value() == "阀门"

    # Enter in the last row's cell adds a row (it does not send the form); that empty row goes.
    cell(page, 1, "unit_price").press("Enter")
    assert editor.locator("tbody tr.lines-row").count() == 3
    assert page.evaluate("document.activeElement.name") == "parts.2.unit_price"
    assert fresh(case).step == "estimate"
    editor.locator("tbody tr.lines-row >> nth=2").locator("[data-act=remove]").click()
    assert editor.locator("tbody tr.lines-row").count() == 2
    assert total(page) == "¥59.00"

    # Sent anyway: refused, the message at the cell, what was typed kept, nothing changed.
    page.click("[data-testid=take-quote]")
    page.wait_for_selector("[data-testid=notice-danger]")
    error = page.locator("[data-testid='error-parts.1.quantity']")
    assert error.is_visible() and error.inner_text() == words["refused"]
    assert cell(page, 1, "quantity").input_value() == "-1"
    assert cell(page, 0, "item").input_value() == "阀门"
    assert total(page) == "¥59.00"  # computed again after the swap
    after = fresh(case)
    assert after.step == "estimate" and "parts" not in after.data
    assert Event.objects.filter(case=case).count() == events
    show(page, "[data-testid=field-parts]")
    web.shot(page, f"{where}-refused", full_page=False)

    # Corrected: the message goes as they type; saved.
    cell(page, 1, "quantity").fill("1")
    assert not page.locator("[data-testid='error-parts.1.quantity']").is_visible()
    row = editor.locator("tbody tr.lines-row >> nth=1")
    assert "has-error" not in (row.get_attribute("class") or "")
    assert not page.locator("[data-testid=error-parts]").is_visible()  # the table's summary
    assert total(page) == "¥83.00"
    page.click("[data-testid=take-quote]")
    page.wait_for_selector("[data-testid=notice-success]")
    after = fresh(case)
    assert after.step == "approve"
    assert [(r["item"], r["quantity"], r["total"]) for r in after.data["parts"]] == [
        ("阀门", 2, "71.00"),
        ("管件", 1, "12.00"),
    ]
    assert after.data["work_types"] == ["replace"]

    values = page.locator("[data-testid=value-parts]")
    assert values.locator("[data-testid=lines-view-row]").count() == 2
    assert "¥83.00" in values.locator("[data-testid=lines-view-total]").inner_text()
    show(page, "[data-testid=case-values]")
    web.shot(page, f"{where}-saved", full_page=False)
    timeline = page.locator("[data-testid=timeline]")
    assert words["added"] in timeline.inner_text()
    timeline.locator("[data-testid=timeline-entry]").last.scroll_into_view_if_needed()
    web.shot(page, f"{where}-timeline", full_page=False)
    assert page.js_errors == []
    assert Case.objects.get(pk=case.pk).data["parts_total"] == "83.00"


@pytest.mark.parametrize("language", ["en"])
def test_customer_reads_the_charge_lines_on_a_phone(web, world, language):
    case = paid_repair_with_lines(world)
    assert case.data["charge"] == "171.00"
    owner = world.customers["owner"]
    owner.language = language  # the portal speaks the customer's language from sign-in
    owner.save(update_fields=["language"])
    give_account(owner, "13812345678", "Owner-pass-1")
    page = web.page(phone=True, language="en-GB" if language == "en" else "zh-CN")
    page.goto("/portal/login/")
    page.fill("#id_login", "13812345678")
    page.fill("#id_password", "Owner-pass-1")
    page.click("button[type=submit]")
    page.wait_for_load_state()
    page.goto(f"/portal/cases/{case.pk}/")
    card = page.locator("[data-testid=portal-values]")
    assert card.is_visible()
    assert card.locator("[data-testid=value-charge]").inner_text() == "¥171.00"
    materials = card.locator("[data-testid=value-materials]")
    assert materials.locator("[data-testid=lines-view-row]").count() == 2
    assert "¥81.00" in materials.locator("[data-testid=lines-view-total]").inner_text()
    assert card.locator("input, textarea, select, button").count() == 0  # read-only
    show(page, "[data-testid=portal-values]")
    web.shot(page, f"portal-phone-{language}", full_page=False)
    assert page.js_errors == []


def test_technician_opens_a_case_with_lines_at_the_intake_desk(web, world, estimate_procedure):
    # The estimate's first step is the technician's: an agent may not open it (cases.policy).
    page = web.page()
    web.login(page, "technician")
    page.goto(f"/intake/?customer={world.customers['owner'].pk}")
    page.click("[data-testid=tab-case]")
    # The first step's fields arrive by htmx (swapped out of band): the editor still works.
    page.select_option("[data-testid=procedure]", "test_estimate")
    page.wait_for_selector("[data-testid=field-parts]")
    page.wait_for_load_state("networkidle")  # the desk's history panel refreshes too
    add = page.locator("[data-testid=add-row-parts]")
    add.wait_for(state="visible")  # the editor is built once the swap has settled
    assert add.is_visible()
    page.fill("#id_title", "热水器不出热水")
    page.fill("[name=step-fault]", "不出热水")
    page.fill("[name='step-parts.0.item']", "温控阀")
    page.fill("[name='step-parts.0.quantity']", "1")
    page.fill("[name='step-parts.0.unit_price']", "120")
    add.click()
    page.fill("[name='step-parts.1.item']", "人工")
    page.fill("[name='step-parts.1.quantity']", "1.5")
    page.fill("[name='step-parts.1.unit_price']", "60")
    assert total(page) == "¥210.00"
    show(page, "[data-testid=field-parts]")
    web.shot(page, "intake-lines", full_page=False)
    page.click("[data-testid=open-case]")
    page.wait_for_url(lambda url: "/cases/" in url)
    case = Case.objects.get()
    assert [(r["item"], r["total"]) for r in case.data["parts"]] == [
        ("温控阀", "120.00"),
        ("人工", "90.00"),
    ]
    assert case.data["parts_total"] == "210.00"
    assert page.js_errors == []


def test_the_live_arithmetic_is_decimal(web, world, estimate_procedure):
    """What lines.js works out as you type is what the engine stores: decimal, half up."""
    case = open_estimate(world)
    page = web.page()
    web.login(page, "technician")
    page.goto(f"/cases/{case.pk}/")
    cases = {
        "a + b": ({"a": "0.1", "b": "0.2"}, "0.3"),
        "a * b": ({"a": "1.5", "b": "35.50"}, "53.25"),
        "a * b - 1": ({"a": "3", "b": "0.335"}, "0.005"),
        "a / b": ({"a": "10", "b": "4"}, "2.5"),
        "a / b ": ({"a": "1", "b": "0"}, None),  # blank, as the engine's x/0
        "a > b ? a : b": ({"a": "2", "b": "3"}, "3"),
        "(a + b) * -2": ({"a": "1", "b": "2"}, "-6"),
        "row.a * 2": ({"a": "4"}, "8"),
        "a * b ": ({"a": "4", "b": ""}, None),  # a blank cell: a blank amount
        "round(a)": ({"a": "4.4"}, "unsupported"),  # functions are left to the server
    }
    for source, (row, expected) in cases.items():
        got = page.evaluate(
            """([source, row]) => {
                const f = window.fuwuLines.compile(source);
                if (!f) return "unsupported";
                const v = f((name) => row[name] ? window.fuwuLines.dec(row[name]) : null);
                return v === null || v === undefined ? null : window.fuwuLines.text(v);
            }""",
            [source, row],
        )
        if expected not in (None, "unsupported"):
            got = got.rstrip("0").rstrip(".") if got and "." in got else got
        assert got == expected, (source, row, got)
    # Money is rounded half up to cents, as Decimal's ROUND_HALF_UP: 0.125 → 0.13.
    cents = page.evaluate("window.fuwuLines.text(window.fuwuLines.dec('0.125'), 2)")
    assert cents == "0.13"
    assert page.js_errors == []
