"""The workshop KPI page: the hand-worked Monday's figures beside the guides, and every count's
drill-down listing exactly the appointments, repair orders or jobs counted."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html import unescape

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from fuwu.scheduling import kpis
from fuwu.scheduling.tests.kpi_day import AFTER, TUESDAY, Scene, monday
from fuwu.scheduling.tests.shop import MONDAY
from fuwu.testing.factories import World

# The page's own queries differ by database: it runs on PostgreSQL too.
pytestmark = [pytest.mark.django_db, pytest.mark.postgres_too]


@pytest.fixture
def scene(world: World) -> Iterator[Scene]:
    made = monday(world)
    with time_machine.travel(AFTER, tick=False):
        yield made


def signed_in(world: World, persona: str, language: str = "zh-hans") -> Client:
    client = Client()
    client.force_login(world.users[persona])
    if language != "zh-hans":
        client.post("/language/", {"language": language})
    return client


def section(html: str, testid: str) -> str:
    start = html.index(f'data-testid="{testid}"')
    return html[start : html.index("</tr>", start)]


def links(html: str) -> dict[str, str]:
    return {
        key: unescape(href)
        for href, key in re.findall(r'<a href="([^"]+)" data-testid="drill-([a-z_]+)"', html)
    }


def listed(client: Client, url: str) -> tuple[set[int], set[int], set[int], str]:
    html = client.get(url).content.decode()
    return (
        {int(x) for x in re.findall(r'data-testid="appointment-(\d+)"', html)},
        {int(x) for x in re.findall(r'data-testid="case-(\d+)"', html)},
        {int(x) for x in re.findall(r'data-testid="job-(\d+)"', html)},
        html,
    )


def test_the_page_shows_the_figures_and_every_count_drills_down_to_what_it_counts(
    world: World, scene: Scene
) -> None:
    client = signed_in(world, "advisor")
    base = f"/workshop/{scene.workshop.pk}/kpis/"
    response = client.get(base, {"from": MONDAY.isoformat(), "to": TUESDAY.isoformat()})
    assert response.status_code == 200
    html = response.content.decode()
    card = re.search(r'class="card h-100([^"]*)" data-testid="summary-appointment-rate"', html)
    assert card and "kpi-bad" in card.group(1)
    assert "60.0 %" in section(html, "summary-appointment-rate")
    assert "指导值：不低于 80.0 %" in html and "指导值：低于 5.0 %" in html
    assert "25.0 %" in section(html, "summary-carry-over-rate")
    monday_row = section(html, "kpi-day-2025-03-03")
    assert re.search(r'kpi-bad" data-key="appointment_rate">60.0 %', monday_row)
    assert re.search(r'kpi-bad" data-key="carry_over_rate">25.0 %', monday_row)
    assert '<span class="kpi-pill kpi-bad">2.0</span>' in html  # 4 orders / 2 days, guide 15–20
    assert 'id="kpi-chart"' in html and "vendor/echarts/echarts.min.js" in html

    # Every count of Monday's row lists exactly the ids the report counted.
    report = kpis.report(scene.workshop, MONDAY, TUESDAY, AFTER)
    drills = links(monday_row)
    # Idle hours open the day's board, where the idle stretches are drawn.
    assert drills.pop("idle") == f"/workshop/{scene.workshop.pk}/board/?date=2025-03-03"
    assert set(drills) == {
        "customers",
        "appointment_customers",
        "appointments",
        "no_shows",
        "walk_ins",
        "without_appointment",
        "repaired",
        "carried",
        "orders",
        "booked",
        "sold",
    }
    for kind, url in drills.items():
        appointments, cases, jobs, page = listed(client, url)
        want = kpis.counted(report, kind, day=MONDAY)
        assert (appointments, cases, jobs) == (want.appointments, want.cases, want.jobs), kind
        assert f'data-testid="item-count">{len(want)}<' in page
    assert listed(client, drills["carried"])[1] == {scene.cases["C2"].pk}
    assert listed(client, drills["no_shows"])[0] == {scene.appointments["A4"].pk}
    # The period's row, a technician's sold hours and an advisor's repair orders.
    total = links(section(html, "kpi-total"))
    assert listed(client, total["customers"])[1] == {scene.cases["C3"].pk}
    tech_row = section(html, f"kpi-tech-{scene.techs[0].pk}")
    sold = unescape(re.search(r'href="([^"]+)" data-testid="tech-sold"', tech_row).group(1))
    assert listed(client, sold)[2] == {scene.jobs["J1"].pk, scene.jobs["J3"].pk}
    advisor_row = section(html, f"kpi-advisor-{world.users['advisor'].pk}")
    orders = unescape(
        re.search(r'href="([^"]+)" data-testid="advisor-orders"', advisor_row).group(1)
    )
    assert listed(client, orders)[1] == {c.pk for c in scene.cases.values()}


def test_english_bad_periods_and_rights(world: World, scene: Scene) -> None:
    base = f"/workshop/{scene.workshop.pk}/kpis/"
    english = signed_in(world, "advisor", "en")
    html = english.get(base, {"from": "2025-03-03", "to": "2025-03-04"}).content.decode()
    assert "Appointment rate" in html and "Carry-over rate" in html and "60.0 %" in html
    bad = english.get(base, {"from": "2025-03-04", "to": "2025-03-03"})
    assert bad.status_code == 422 and "at most 93 days" in bad.content.decode()
    chinese = signed_in(world, "advisor")
    garbled = chinese.get(base, {"from": "三月", "to": "2025-03-03"})
    assert garbled.status_code == 422 and "统计期间无效" in garbled.content.decode()
    unknown = chinese.get(base + "items/", {"from": "2025-03-03", "to": "2025-03-03", "kind": "x"})
    assert unknown.status_code == 422 and "没有这一项指标" in unknown.content.decode()
    # Staff of another site: a 404, page and list alike.
    outsider = signed_in(world, "agent")
    assert outsider.get(base).status_code == 404
    assert outsider.get(base + "items/", {"kind": "customers"}).status_code == 404


def test_the_week_day_and_board_pages_link_here(world: World, scene: Scene) -> None:
    client = signed_in(world, "advisor")
    pk = scene.workshop.pk
    week = client.get(f"/workshop/?workshop={pk}&week=2025-03-05").content.decode()
    assert f'/workshop/{pk}/kpis/?from=2025-03-03&to=2025-03-09"' in week
    day = client.get(f"/workshop/?workshop={pk}&day=2025-03-03").content.decode()
    assert f'/workshop/{pk}/kpis/?from=2025-03-03&to=2025-03-03"' in day
    board = client.get(f"/workshop/{pk}/board/?date=2025-03-03").content.decode()
    assert f'/workshop/{pk}/kpis/?to=2025-03-03"' in board


def test_the_page_reads_a_fixed_number_of_queries(world: World, scene: Scene) -> None:
    client = signed_in(world, "advisor")
    base = f"/workshop/{scene.workshop.pk}/kpis/"
    client.get(base, {"from": "2025-03-03", "to": "2025-03-03"})  # warm the session and caches
    with CaptureQueriesContext(connection) as one_day:
        client.get(base, {"from": "2025-03-03", "to": "2025-03-03"})
    with CaptureQueriesContext(connection) as a_quarter:
        client.get(base, {"from": "2025-01-01", "to": "2025-03-31"})
    assert len(a_quarter) == len(one_day)
