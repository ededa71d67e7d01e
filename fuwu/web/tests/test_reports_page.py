"""The service-levels report page and its drill-down list: figures, links to exactly the
occurrences counted, filters refused with messages per field, managers only."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
import time_machine
from django.test import Client

from fuwu.reports import fold
from fuwu.reports.tests.dataset import NOW, Cases, build
from fuwu.sla.clocks import forget_calendars
from fuwu.testing.factories import World, build_world

# The page's own queries differ by database: it runs on PostgreSQL too.
pytestmark = pytest.mark.postgres_too

DAY = "from=2026-11-30&to=2026-11-30"


@pytest.fixture
def world(library: None) -> World:
    forget_calendars()
    return build_world(always_open=False)


@pytest.fixture
def folded(world: World) -> Iterator[Cases]:
    cases = build(world)
    fold.catch_up(now=NOW)
    with time_machine.travel(NOW, tick=False):
        yield cases


def client_for(world: World, persona: str, language: str = "zh-hans") -> Client:
    c = Client(HTTP_ACCEPT_LANGUAGE=language)
    c.force_login(world.users[persona])
    return c


def links(html: str) -> dict[str, list[tuple[str, str]]]:
    """measure → [(href, number)] of the table's links."""
    out: dict[str, list[tuple[str, str]]] = {}
    for href, measure, n in re.findall(
        r'<a href="([^"]+)" data-measure="(\w+)"[^>]*>(\d+)</a>', html
    ):
        out.setdefault(measure, []).append((href.replace("&amp;", "&"), n))
    return out


def test_the_page_and_every_number_drills_to_what_it_counted(world, folded):
    c = client_for(world, "sc_manager")
    r = c.get(f"/reports/service-levels/?{DAY}")
    assert r.status_code == 200
    html = r.content.decode()
    assert 'data-testid="tile-response">50.0%' in html
    assert 'data-testid="tile-overdue">2<' in html
    found = links(html)
    assert set(found) == {
        "intake",
        "responded_on_time",
        "responded_late",
        "resolved_on_time",
        "reopened",
        "comeback",
        "escalated",
        "overdue",
    }
    for measure, pairs in found.items():
        for href, n in pairs:
            page = c.get(href).content.decode()
            rows = re.findall(r'data-testid="drill-row" data-case="(\d+)"', page)
            assert len(rows) == int(n), (measure, href)
            assert f'data-testid="drill-count">{n}<' in page
    overdue = dict(found)["overdue"][-1][0]  # the total's
    page = c.get(overdue).content.decode()
    assert set(re.findall(r'data-case="(\d+)"', page)) == {str(folded.c.pk), str(folded.d.pk)}
    # The menu has the entry for managers.
    assert 'data-testid="reports-link"' in html


def test_english(world, folded):
    html = (
        client_for(world, "sc_manager", "en")
        .get(f"/reports/service-levels/?{DAY}")
        .content.decode()
    )
    assert (
        "Service levels" in html
        and "Resolved on time" in html
        and "Property repair · Reception" in html
    )


def test_bad_filters_say_what_is_wrong(world, folded):
    c = client_for(world, "sc_manager")
    r = c.get("/reports/service-levels/?from=2026-12-01&to=2026-11-30&person=abc")
    assert r.status_code == 422
    html = r.content.decode()
    assert "开始日期不能晚于结束日期" in html and "应为整数编号" in html
    r = c.get("/reports/service-levels/cases/?measure=nothing")
    assert r.status_code == 422 and "没有这个报表指标" in r.content.decode()


def test_only_managers(world, folded):
    assert client_for(world, "agent").get("/reports/service-levels/").status_code == 403
    assert (
        client_for(world, "agent").get("/reports/service-levels/cases/?measure=intake").status_code
        == 403
    )
    html = client_for(world, "agent").get("/work/").content.decode()
    assert 'data-testid="reports-link"' not in html
    # The dealer's manager may not name 兰亭苑.
    r = client_for(world, "as_manager").get(f"/reports/service-levels/?site=lanting&{DAY}")
    assert r.status_code == 422
