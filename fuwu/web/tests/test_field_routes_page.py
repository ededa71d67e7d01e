"""The day's on-site routes page (/workshop/routes/): plan the day, see each technician's stops
and the plot, move a visit or be told why not (nothing written), and a 404 for other sites."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from fuwu.scheduling.models import Route, RouteStop, Visit
from fuwu.scheduling.tests.fieldcrew import TUESDAY, seed_field, visit
from fuwu.testing.factories import World

pytestmark = pytest.mark.django_db
URL = f"/workshop/routes/?day={TUESDAY.isoformat()}"


def client_for(world: World, persona: str, language: str = "zh-hans") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(world.users[persona])
    return client


def test_a_dispatcher_plans_the_day_and_moves_a_visit(world: World) -> None:
    workshop, techs, _electrical = seed_field(world)
    a = visit(world, workshop, 2, "09:00", "09:30", address="兰亭苑 3 栋")
    b = visit(world, workshop, 3, "10:00", "12:00", address="华庭 5 栋")
    far = visit(world, workshop, 200, "08:30", "09:00", address="惠州")
    qc = client_for(world, "workshop_qc")
    empty = qc.get(URL)
    assert empty.status_code == 200 and "当天还没有路线" in empty.content.decode()
    done = qc.post("/workshop/routes/plan/", {"day": TUESDAY.isoformat()}, follow=True)
    html = done.content.decode()
    assert "个未能安排" in html and "在班次内无法按约定时间赶到" in html
    assert html.count('data-testid="stop"') == 2 and 'data-testid="route-plot"' in html
    assert f'data-visit="{far.pk}"' in html
    holder = RouteStop.objects.get(visit=b).route.technician_id
    other = next(t for t in techs[1:] if t.pk != holder)
    moved = qc.post(
        f"/workshop/routes/visits/{b.pk}/move/",
        {"technician": other.pk, "position": "1"},
        follow=True,
    )
    assert "已调整 华庭 5 栋 的安排" in moved.content.decode()
    assert RouteStop.objects.get(visit=b).route.technician_id == other.pk
    assert 'data-testid="route-edited"' in moved.content.decode()
    before = list(RouteStop.objects.values_list("visit", "route", "position"))
    refused = client_for(world, "workshop_qc", "en").post(
        f"/workshop/routes/visits/{a.pk}/move/",
        {"technician": other.pk, "position": "2"},
        follow=True,
    )
    assert "after the latest time agreed with the customer, 09:30" in refused.content.decode()
    assert list(RouteStop.objects.values_list("visit", "route", "position")) == before


def test_others_cannot_plan_or_see(world: World) -> None:
    workshop, techs, _electrical = seed_field(world, technicians=1)
    v = visit(world, workshop, 1, "09:00", "10:00")
    tech = client_for(world, "workshop_tech")
    page: Any = tech.get(URL)
    assert page.status_code == 200 and 'data-testid="plan-routes"' not in page.content.decode()
    tech.post("/workshop/routes/plan/", {"day": TUESDAY.isoformat()})
    assert not Route.objects.exists()
    stranger = client_for(world, "dispatcher")  # of another site
    assert stranger.get(f"{URL}&workshop={workshop.pk}").status_code == 404
    moved = stranger.post(f"/workshop/routes/visits/{v.pk}/move/", {"technician": techs[0].pk})
    assert moved.status_code == 404


def test_a_dispatcher_adds_a_visit_from_the_page(world: World) -> None:
    _workshop, _techs, electrical = seed_field(world, technicians=1)
    qc = client_for(world, "workshop_qc")
    form = {
        "day": TUESDAY.isoformat(),
        "address": "梅林一村 6 栋",
        "lat": "22.560000",
        "lon": "114.050000",
        "window_start": "09:00",
        "window_end": "11:00",
        "service_minutes": "45",
        "skill": str(electrical.pk),
    }
    added = qc.post("/workshop/routes/visits/new/", form, follow=True)
    assert "已添加上门服务：梅林一村 6 栋。" in added.content.decode()
    made = Visit.objects.get()
    assert (made.skill, made.service_minutes, made.day) == (electrical, 45, TUESDAY)
    # Before opening hours: refused with the reason, in English too; nothing more written.
    early = client_for(world, "workshop_qc", "en").post(
        "/workshop/routes/visits/new/", {**form, "window_start": "07:00"}, follow=True
    )
    assert "08:30–17:30" in early.content.decode()
    bad = qc.post("/workshop/routes/visits/new/", {**form, "lat": "95"}, follow=True)
    assert "纬度" in bad.content.decode()
    assert Visit.objects.count() == 1
