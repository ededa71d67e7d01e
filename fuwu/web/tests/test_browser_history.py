"""Issue 10 item 3 in a browser: the owner calls again about the kitchen leak. At the desk the
agent picks her, chooses a repair, sees her unit's open repair and earlier case, and follows the
warning to add to the open case instead of opening a duplicate — in Chinese on a desktop."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine

from fuwu.cases.models import Case
from fuwu.core.models import Staff
from fuwu.testing.factories import World
from fuwu.web.tests.casesetup import open_repair

pytestmark = pytest.mark.django_db(transaction=True)

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize(("language", "phone"), [("zh-hans", False)])
def test_the_desk_warns_of_an_open_repair_on_the_same_unit(
    web: Any, world: World, language: str, phone: bool
) -> None:
    with time_machine.travel(T0, tick=False):
        earlier = open_repair(world, repair_item="门锁")
    Case.objects.filter(pk=earlier.pk).update(status="closed", closed_at=T0 + timedelta(days=1))
    with time_machine.travel(T0 + timedelta(days=20), tick=False):
        leak = open_repair(world)

    Staff.objects.filter(user__username="agent").update(language=language)
    page = web.page(phone=phone)
    web.login(page, "agent")  # the page speaks the profile's language from sign-in
    page.goto("/intake/")
    page.fill("[data-testid=customer-search]", "1381234")
    page.wait_for_selector("[data-testid=customer-result]")
    page.click("[data-testid=customer-result]")
    page.wait_for_selector("[data-testid=selected-customer]")
    # The history is there as soon as the customer is chosen; the warning once a repair is.
    page.wait_for_selector("[data-testid=intake-history]")
    assert page.locator("[data-testid=duplicate-warning]").count() == 0
    page.select_option("[data-testid=procedure]", "property_repair")
    warning = page.wait_for_selector("[data-testid=duplicate-warning]")
    text = warning.inner_text()
    assert leak.number in text and "3栋2单元1502" in text
    assert ("already has an open case" in text) if language == "en" else ("未结的同类工单" in text)
    rows = page.locator("[data-testid=history-row]")
    assert [rows.nth(i).get_attribute("data-case") for i in range(rows.count())] == [
        str(leak.pk),
        str(earlier.pk),
    ]
    page.locator("[data-testid=duplicate-warning]").scroll_into_view_if_needed()
    web.shot(page, f"{language}-desk-warning", full_page=not phone)

    # "Add to it instead": the open case, its comment box ready.
    page.click("[data-testid=duplicate-open]")
    page.wait_for_url(f"**/cases/{leak.pk}/#act-comment")
    page.wait_for_selector("#act-comment.show")
    page.wait_for_function(
        "document.activeElement && document.activeElement.closest('#act-comment')"
    )
    page.wait_for_selector("[data-testid=case-history] [data-testid=history-row]")
    assert page.locator("[data-testid=case-history] [data-testid=history-row]").count() == 1
    web.shot(page, f"{language}-case-comment", full_page=False)
    page.locator("[data-testid=case-history]").scroll_into_view_if_needed()
    web.shot(page, f"{language}-case-history", full_page=False)
    assert page.js_errors == []
