"""In a real browser: a dispatcher books the owner's repair for a visit on the case page (day,
latest start, time on site), then, once the day's routes are planned, sees the technician and
the planned arrival on the case. In English on a 390×844 phone."""

from __future__ import annotations

from typing import Any

import pytest

from fuwu.core.models import Staff
from fuwu.scheduling import routes
from fuwu.scheduling.models import Visit
from fuwu.scheduling.tests.fieldcases import TUESDAY, engineering, monday, open_repair, place
from fuwu.testing.browser import en_phone
from fuwu.testing.factories import World

pytestmark = pytest.mark.django_db(transaction=True)
__all__ = ["monday"]  # a fixture


@en_phone
def test_a_dispatcher_books_a_visit_and_sees_its_technician(
    web: Any, world: World, api: Any, language: str, phone: bool, monday: None
) -> None:
    workshop = engineering(world, technicians=1)
    place(world.assets["unit"])
    case = open_repair(world, api("agent"))
    en = language == "en"
    Staff.objects.update(language=language)
    page = web.page(phone=phone, language="en-GB" if en else "zh-CN")
    web.login(page, "dispatcher")
    page.goto(f"/cases/{case['id']}/")
    # The button decides the repair mode (预约维修); the form gives the day and the window.
    page.fill("#id_appointment_at", "2026-12-08T09:00")
    page.select_option("#id_visit_latest", "t1100")
    page.fill("#id_visit_minutes", "90")
    web.shot(page, "dispatch-form")
    page.click("[data-testid=take-book]")
    card = page.locator("[data-testid=case-visits]")
    card.wait_for()
    assert "2026-12-08 09:00–11:00" in card.inner_text()
    web.shot(page, "visit-booked")

    routes.plan_routes(world.actor("dispatcher"), workshop, TUESDAY)
    visit = Visit.objects.get(case_id=case["id"])
    assert visit.status == "planned"
    page.reload()
    who = page.locator("[data-testid=visit-technician]")
    text = who.inner_text()
    assert ("arriving about 08:34, starting 09:00" if en else "预计 08:34 到达，09:00 开始") in text
    card.scroll_into_view_if_needed()
    web.shot(page, "visit-routed")
    assert page.js_errors == []
