"""The case page shows the on-site visit its procedure booked (book_visit): the day and window,
then, once the day's routes are planned, the technician and the planned arrival; the timeline
says it was booked, and the procedure page says what the effect does. Chinese and English."""

from __future__ import annotations

import pytest

from fuwu.scheduling import routes
from fuwu.scheduling.models import Visit
from fuwu.scheduling.tests.fieldcases import (
    TUESDAY,
    booked,
    engineering,
    monday,
    open_repair,
    place,
)
from fuwu.testing.scenario import take
from fuwu.web.tests.casesetup import signed_in

pytestmark = pytest.mark.django_db
__all__ = ["monday"]  # a fixture


def test_the_case_page_shows_the_visit_and_then_its_technician(world, api, monday):
    workshop = engineering(world, technicians=1)
    place(world.assets["unit"])
    case = take(api("dispatcher"), open_repair(world, api("agent")), "book", booked())
    visit = Visit.objects.get(case_id=case["id"])
    page = f"/cases/{case['id']}/"

    html = signed_in("dispatcher").get(page).content.decode()
    assert 'data-testid="case-visits"' in html
    assert "2026-12-08 09:00–11:00" in html and "待排" in html and "约 90 分钟" in html
    assert "等待调度排线" in html and "3栋2单元1502" in html
    assert f"?workshop={workshop.pk}&amp;day=2026-12-08" in html
    assert "已安排上门服务：2026-12-08 09:00–11:00 之间开始，约 90 分钟" in html  # timeline

    routes.plan_routes(world.actor("dispatcher"), workshop, TUESDAY)
    html = signed_in("dispatcher").get(page).content.decode()
    assert f'data-testid="visit-{visit.pk}" data-status="planned"' in html
    assert "已排" in html and "预计 08:34 到达，09:00 开始" in html  # 08:30 + 4 minutes' drive
    name = visit.stop.route.technician.staff.display_name
    assert f"{name}，预计 08:34 到达" in html

    english = signed_in("dispatcher", "en").get(page).content.decode()
    assert 'bi-geo-alt"></i> Visit</div>' in english  # the card's title
    assert "arriving about 08:34, starting 09:00" in english and "about 90 min" in english
    assert "booked an on-site visit: 2026-12-08, starting between 09:00 and 11:00" in english


def test_a_case_of_a_procedure_without_visits_shows_no_visit_card(world, api):
    r = api("advisor").post(
        "/api/cases",
        {
            "procedure": "toyota_seven_step",
            "site": "dealer",
            "channel": "phone",
            "title": "保养",
            "customer_id": world.customers["driver"].pk,
            "data": {"plate_no": "粤B·3K5X8", "customer_request": "保养"},
        },
    )
    assert r.status_code == 201, r.json()
    html = signed_in("advisor").get(f"/cases/{r.json()['id']}/").content.decode()
    assert 'data-testid="case-visits"' not in html


def test_the_procedure_page_says_what_books_the_visit(world):
    html = signed_in("dispatcher").get("/procedures/property_repair/").content.decode()
    assert "安排工程部上门服务：日期取“约定上门时间”，时间窗取“最晚上门时间”" in html
    assert "上门服务记为：已完成" in html and "上门服务记为：已取消" in html
    english = signed_in("dispatcher", "en").get("/procedures/property_repair/").content.decode()
    assert "Book an on-site visit with " in english
    assert "on “Agreed visit time”, window from “Latest start”, time on site from" in english
    assert "Mark the on-site visit: Done" in english
