"""In a real browser (issue 10, points 9 and 10): a hotel VIP's housekeeping branch in the
housekeeper's lists and not in engineering's; a hot-pot seat clock counting down in seconds on
the case page and the queue; a floor manager opening a table in one tap on the table board.
Chinese on a desktop, English on a 390×844 phone."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from fuwu.cases import actions
from fuwu.core.models import Staff
from fuwu.customers.choices import AssetKind
from fuwu.customers.models import Asset
from fuwu.testing.browser import en_phone, zh_desktop
from fuwu.testing.clicks import Clicks
from fuwu.testing.factories import World
from fuwu.web.tests.casesetup import add_staff, at_room_preparation

pytestmark = pytest.mark.django_db(transaction=True)

CLOCK = re.compile(r"\d{2}:\d{2}")


def _page(web: Any, language: str, phone: bool, persona: str) -> Any:
    Staff.objects.update(language=language)
    page = web.page(phone=phone, language="en-GB" if language == "en" else "zh-CN")
    web.login(page, persona)
    return page


@zh_desktop
def test_vip_room_branch_in_housekeepings_lists(
    web: Any, world: World, language: str, phone: bool
) -> None:
    add_staff(world, "hotel_engineer", "hotel", "engineering", ["technician"])
    vip = at_room_preparation(world)
    row = f"[data-testid=work-row][data-case='{vip.pk}']"

    page = _page(web, language, phone, "housekeeper")
    page.goto("/work/?tab=team")
    page.locator(row).wait_for()
    assert page.locator("[data-testid=count-team]").inner_text().strip() == "1"
    branch = "Housekeeping prepares the room" if language == "en" else "房务部清洁布置客房"
    assert branch in page.locator(f"{row} [data-testid=row-branch]").first.inner_text()
    web.shot(page, "housekeeper-my-department")
    page.goto("/queue/?department=housekeeping")
    page.locator(f"[data-testid=case-row][data-case='{vip.pk}']").wait_for()
    web.shot(page, "housekeeping-queue")
    with page.expect_navigation():
        page.click(f"[data-testid=case-row][data-case='{vip.pk}'] [data-testid=case-link]")
    page.locator("[data-testid=complete-room]").wait_for()  # the branch is theirs to complete
    web.shot(page, "housekeeper-case")

    other = _page(web, language, phone, "hotel_engineer")
    other.goto("/work/?tab=team")
    other.locator("[data-testid=work-empty]").wait_for()
    assert other.locator(row).count() == 0
    other.goto("/queue/?department=engineering")
    other.locator("[data-testid=case-table-empty]").wait_for()
    web.shot(other, "engineering-sees-nothing")
    other.goto(f"/cases/{vip.pk}/")
    assert other.locator("[data-testid=complete-room]").count() == 0
    assert not page.js_errors and not other.js_errors


def _sitting(world: World, *, opened_ago: float = 0) -> Any:
    return actions.open_case(
        world.actor("waiter"),
        procedure_key="hotpot_table_service",
        site_id=world.sites["hotpot"].pk,
        channel="walk_in",
        title="A08 桌",
        data={"table_no": "A08"},
        now=timezone.now() - timedelta(seconds=opened_ago),
    )


def _ticks(page: Any, selector: str) -> str:
    """The clock's text, after it has changed once more (it ticks every second)."""
    first = page.locator(selector).first.inner_text()
    assert CLOCK.search(first), first
    page.wait_for_function(
        "([sel, text]) => document.querySelector(sel).textContent !== text",
        arg=[selector, first],
        timeout=5000,
    )
    return str(page.locator(selector).first.inner_text())


@en_phone
def test_the_seat_clock_ticks_in_seconds(
    web: Any, world: World, language: str, phone: bool
) -> None:
    fresh = _sitting(world)
    late = _sitting(world, opened_ago=75)  # the 60 s are up: counting the overdue seconds
    page = _page(web, language, phone, "floor_manager")

    page.goto(f"/cases/{fresh.pk}/")
    clock = "[data-testid=case-deadlines] time[data-seconds]"
    page.locator(clock).first.wait_for()
    later = _ticks(page, clock)
    assert re.search(r"00:[0-5]\d", later), later
    assert ("left" if language == "en" else "剩余") in later
    web.shot(page, "case-seat-clock")

    page.goto(f"/cases/{late.pk}/")
    page.locator(clock).first.wait_for()
    text = _ticks(page, clock)
    assert ("overdue" if language == "en" else "已超时") in text and CLOCK.search(text)
    assert "deadline-late" in (page.locator(clock).first.get_attribute("class") or "")
    web.shot(page, "case-overdue-clock")

    page.goto("/queue/?procedure=hotpot_table_service")
    queue_clock = f"[data-testid=case-row][data-case='{fresh.pk}'] time[data-seconds]"
    page.locator(queue_clock).wait_for()
    _ticks(page, queue_clock)
    web.shot(page, "queue-clocks")
    assert not page.js_errors


@zh_desktop
def test_a_floor_manager_opens_a_table_in_one_tap(
    web: Any, world: World, language: str, phone: bool
) -> None:
    for label in ("A01", "A02", "A03", "包间 1"):
        Asset.objects.create(site=world.sites["hotpot"], kind=AssetKind.TABLE, label=label)
    en = language == "en"
    page = _page(web, language, phone, "floor_manager")
    page.goto("/work/")
    with page.expect_navigation():
        page.click("[data-testid=floor-link]")
    table = page.locator("[data-testid='table-A02']")
    table.locator("[data-testid=open-table]").wait_for()
    web.shot(page, "board-free")

    clicks = Clicks(page, "open a table", variant=f"{language}-{'phone' if phone else 'desktop'}")
    clicks.reset()
    table.locator("[data-testid=open-table]").click()
    step = table.locator("[data-testid=table-step]")
    seat = "Greet the guests and seat them" if en else "迎接顾客并带位就座"
    step.filter(has_text=seat).wait_for()
    clicks.report(limit=1)
    _ticks(page, "[data-testid='table-A02'] time[data-seconds]")
    web.shot(page, "board-table-opened")

    table.locator("[data-testid=number-guests]").fill("4")
    table.locator("[data-testid=tap-seated]").click()
    tea = "Pour the tea and remove the chopstick sleeves" if en else "斟茶撤筷套"
    step.filter(has_text=tea).wait_for()
    _ticks(page, "[data-testid='table-A02'] time[data-seconds]")
    web.shot(page, "board-table-seated")
    assert page.locator("[data-testid=open-table]").count() == 3  # the others are still free
    assert not page.js_errors
