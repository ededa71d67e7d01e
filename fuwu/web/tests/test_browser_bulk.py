"""In a real browser (issue 10 item 8): a dispatcher ticks rows of the queue — with the keyboard
and with "select all" — assigns them in one go, reads which were done and which the policy
refused, and opens the shortcuts' help with "?". In English on a phone."""

from __future__ import annotations

import pytest

from fuwu.cases.models import Case
from fuwu.web.tests.test_queue import repair, to_dispatch

pytestmark = pytest.mark.django_db(transaction=True)

TEXT = {
    "zh": {
        "two": "已选 2 个工单",
        "three": "已选 3 个工单",
        "done": "已处理 2 个工单",
        "refused": "未处理",
        "help": "键盘快捷键",
    },
    "en": {
        "two": "2 selected",
        "three": "3 selected",
        "done": "Done for 2 case(s)",
        "refused": "not changed",
        "help": "Keyboard shortcuts",
    },
}


@pytest.mark.parametrize(("lang", "phone"), [("en", True)], ids=["en-phone"])
def test_dispatcher_assigns_ticked_rows_and_opens_the_help(web, world, lang, phone):
    elsewhere = repair(world, "还在客服接待")  # the service centre's: the dispatcher may not assign
    ours = [to_dispatch(world, repair(world, t)) for t in ("电梯困人", "门锁坏了")]
    text = TEXT[lang]
    name = f"{lang}-{'phone' if phone else 'desktop'}"
    page = web.page(phone=phone)
    web.login(page, "dispatcher")
    page.goto("/queue/")
    if lang == "en":
        if phone:
            page.locator("button.navbar-toggler").click()
        web.to_english(page)
        page.goto("/queue/")
    rows = page.locator("[data-testid=case-row]")
    assert rows.count() == 3
    count = page.locator("[data-testid=bulk-count]")
    assert page.locator("[data-testid=bulk-assign]").is_disabled()  # nothing ticked yet

    # The keyboard: j to the first row, x ticks it; then a tap on the second row's box.
    page.keyboard.press("j")
    page.keyboard.press("x")
    rows.nth(1).locator("[data-testid=select-row]").click()
    assert count.inner_text() == text["two"]
    web.shot(page, f"bulk-two-ticked-{name}")
    # Everything on the page, the service centre's case too.
    page.click("[data-testid=select-all-phone]" if phone else "[data-testid=select-all]")
    assert count.inner_text() == text["three"]
    page.keyboard.press("a")  # to the person to assign
    assert page.evaluate("document.activeElement.id") == "bulk-assignee"
    page.select_option("[data-testid=bulk-assignee]", "technician")
    if phone:
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.click("[data-testid=bulk-assign]")
    page.wait_for_load_state()
    alerts = page.locator(".flash-messages .alert")
    alerts.first.wait_for()
    said = [alerts.nth(i).inner_text() for i in range(alerts.count())]
    assert any(text["done"] in s for s in said), said
    assert any(s.startswith(elsewhere.number) and text["refused"] in s for s in said), said
    web.shot(page, f"bulk-assigned-{name}")
    tech = world.users["technician"].pk
    assert [c.assignee_id for c in Case.objects.filter(pk__in=[c.pk for c in ours])] == [tech] * 2
    assert Case.objects.get(pk=elsewhere.pk).assignee_id is None

    # "?" opens the help; Escape closes it.
    page.locator("body").click(position={"x": 5, "y": 5})
    page.keyboard.press("?")
    help_box = page.locator("[data-testid=shortcuts-help]")
    help_box.wait_for(state="visible")
    # Shown once the fade is over and the focus is in the dialog (Bootstrap ignores Escape before).
    page.wait_for_function(
        "() => document.getElementById('shortcuts-help').contains(document.activeElement)"
    )
    assert text["help"] in help_box.inner_text()
    web.shot(page, f"bulk-help-{name}", full_page=False)
    page.keyboard.press("Escape")
    help_box.wait_for(state="hidden")
    if phone:
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert page.js_errors == []
