"""In a real browser: the workshop's dispatcher opens the day's on-site routes from the day's
capacity page, plans the day, sees the routes and the plot, moves a visit to another
technician, and is refused a move that would make a customer wait past the agreed window.
In English on a 390×844 phone; screenshots under test-artifacts/."""

from __future__ import annotations

from typing import Any

import pytest

from fuwu.core.models import Staff
from fuwu.scheduling.models import RouteStop
from fuwu.scheduling.tests.fieldcrew import TUESDAY, seed_field, visit
from fuwu.testing.browser import en_phone
from fuwu.testing.factories import World

pytestmark = pytest.mark.django_db(transaction=True)


@en_phone
def test_a_dispatcher_plans_and_changes_the_days_routes(
    web: Any, world: World, language: str, phone: bool
) -> None:
    workshop, techs, electrical = seed_field(world)
    a = visit(world, workshop, 2, "09:00", "09:30", km_east=1, address="兰亭苑 3 栋 1502")
    b = visit(world, workshop, 3, "10:00", "12:00", minutes=60, km_east=-2, address="华庭 5 栋 801")
    visit(world, workshop, -4, "09:00", "10:00", skill=electrical, km_east=3, address="福田 8 号")
    visit(world, workshop, 5, "13:30", "15:00", minutes=90, km_east=2, address="香蜜湖 2 栋")
    visit(world, workshop, -2, "14:00", "16:00", skill=electrical, km_east=-3, address="梅林 6 栋")
    visit(world, workshop, 200, "08:30", "09:00", address="惠州 某小区")
    en = language == "en"
    Staff.objects.update(language=language)
    page = web.page(phone=phone, language="en-GB" if en else "zh-CN")
    web.login(page, "workshop_qc")
    page.goto(f"/workshop/?day={TUESDAY.isoformat()}")
    with page.expect_navigation():
        page.click("[data-testid=routes-link]")
    page.locator("[data-testid=no-routes]").wait_for()
    with page.expect_navigation():
        page.click("[data-testid=plan-routes]")
    assert page.locator("[data-testid=stop]").count() == 5
    assert page.locator("[data-testid=unplanned-visit]").count() == 1
    reason = page.locator("[data-testid=reason]").inner_text()
    assert reason == (
        "Cannot get there in the agreed window within the shift"
        if en
        else "在班次内无法按约定时间赶到"
    )
    web.shot(page, "planned")

    holder = RouteStop.objects.get(visit=b).route.technician_id
    other = next(t for t in techs[1:] if t.pk != holder)
    form = page.locator(f"[data-testid=stop][data-visit='{b.pk}'] form")
    form.locator("select").select_option(str(other.pk))
    form.locator("input[name=position]").fill("1")
    with page.expect_navigation():
        form.locator("[data-testid=move]").click()
    assert RouteStop.objects.get(visit=b).route.technician_id == other.pk
    assert page.locator("[data-testid=route-edited]").count() >= 1
    web.shot(page, "moved")

    form = page.locator(f"[data-testid=stop][data-visit='{a.pk}'] form")
    form.locator("select").select_option(str(other.pk))
    form.locator("input[name=position]").fill("2")
    with page.expect_navigation():
        form.locator("[data-testid=move]").click()
    alert = page.locator(".alert-danger, .alert-error").first.inner_text()
    assert ("09:30" in alert) and (("agreed" in alert) if en else ("约定" in alert))
    web.shot(page, "refused")
