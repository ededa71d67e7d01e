"""The quality and workload report pages: figures, links to exactly the occurrences counted,
filters refused with messages per field, managers only."""

from __future__ import annotations

import re

import pytest
import time_machine
from django.test import Client

from fuwu.reports import fold
from fuwu.reports.tests.dataset import NOW, build, complaint
from fuwu.sla.clocks import forget_calendars
from fuwu.testing.factories import World, build_world

# The page's own queries differ by database: it runs on PostgreSQL too.
pytestmark = pytest.mark.postgres_too

DAY = "from=2026-11-30&to=2026-11-30&site=lanting"


@pytest.fixture
def world(library: None) -> World:
    forget_calendars()
    return build_world(always_open=False)


def _client(world: World, persona: str, language: str = "zh-hans") -> Client:
    c = Client(HTTP_ACCEPT_LANGUAGE=language)
    c.force_login(world.users[persona])
    return c


def _cases(html: str) -> list[int]:
    return sorted(int(n) for n in re.findall(r'data-testid="drill-row" data-case="(\d+)"', html))


def test_the_pages_and_their_drill_downs(world):
    cases = build(world)
    e = complaint(world)
    fold.catch_up(now=NOW)
    c = _client(world, "sc_manager")
    with time_machine.travel(NOW, tick=False):
        html = c.get(f"/reports/quality/?{DAY}").content.decode()
        assert 'data-testid="tile-first-time">50.0%' in html
        assert 'data-testid="tile-complaints">1<' in html
        href = re.search(r'<a href="([^"]+)" data-measure="fixed_after_comeback"', html)
        assert href is not None
        drilled = c.get(href.group(1).replace("&amp;", "&")).content.decode()
        assert _cases(drilled) == [cases.a.pk] and "返修后修复" in drilled and "质量报表" in drilled
        html = c.get(f"/reports/workload/?{DAY}").content.decode()
        assert 'data-testid="tile-intake">5<' in html and 'data-testid="tile-backlog">5<' in html
        assert html.count('data-testid="backlog-row"') == 4
        assert 'data-testid="quality-link"' in html and 'data-testid="workload-link"' in html
        backlog = c.get("/reports/workload/cases/?" + DAY + "&measure=backlog").content.decode()
        assert _cases(backlog) == sorted([cases.a.pk, cases.b.pk, cases.c.pk, cases.d.pk, e.pk])
        en = _client(world, "sc_manager", "en")
        page = en.get(f"/reports/workload/?{DAY}").content.decode()
        assert "Workload" in page and "Backlog now" in page
        bad = en.get("/reports/quality/?from=2026-12-01&to=2026-11-01")
        assert bad.status_code == 422 and "report-error" in bad.content.decode()
        assert en.get("/reports/workload/cases/?measure=backlog&hour=30").status_code == 422
    assert _client(world, "agent").get("/reports/quality/").status_code == 403
    assert _client(world, "agent").get("/reports/workload/cases/?measure=intake").status_code == 403


def test_drill_downs_are_paged(world, monkeypatch):
    """The backlog's five cases two a page: each page the next ones, in order, the count of all
    five above, the filters in the pager's links; past the end, the last page."""
    from fuwu.web.views import reports

    cases = build(world)
    e = complaint(world)
    fold.catch_up(now=NOW)
    monkeypatch.setattr(reports, "DRILL_PAGE", 2)
    c = _client(world, "sc_manager")
    every = sorted([cases.a.pk, cases.b.pk, cases.c.pk, cases.d.pk, e.pk])
    with time_machine.travel(NOW, tick=False):
        url = "/reports/workload/cases/?" + DAY + "&measure=backlog"
        seen: list[int] = []
        for number in (1, 2, 3):
            html = c.get(url + f"&page={number}").content.decode()
            assert 'data-testid="drill-count">5<' in html
            assert f'data-testid="page-number">第 {number} / 3 页<' in html
            seen += _cases(html)
            assert len(_cases(html)) == (2 if number < 3 else 1)
            nxt = re.search(r'data-testid="page-next" href="([^"]+)"', html)
            if number < 3:
                assert nxt is not None and "site=lanting" in nxt.group(1)
                assert f"page={number + 1}" in nxt.group(1) and "measure=backlog" in nxt.group(1)
            else:
                assert nxt is None
        assert sorted(seen) == every
        assert _cases(c.get(url + "&page=7").content.decode()) == _cases(
            c.get(url + "&page=3").content.decode()
        )


def test_scorecards_are_paged_on_their_own(world, monkeypatch):
    """The workload page's scorecards a page at a time on `scores_page` (the rest of the page
    whole); the pager's links keep every other parameter."""
    from django.core.paginator import Paginator
    from django.test import RequestFactory

    from fuwu.web.views import reports_quality

    build(world)
    complaint(world)
    fold.catch_up(now=NOW)
    c = _client(world, "sc_manager")
    month = "from=2026-11-01&to=2026-11-30&site=lanting"
    with time_machine.travel(NOW, tick=False):
        whole = c.get(f"/reports/workload/?{month}").content.decode()
        assert whole.count('data-testid="score-row"') == 1 and 'data-testid="pager"' not in whole
        monkeypatch.setattr(reports_quality, "SCORES_PAGE", 1)
        past = c.get(f"/reports/workload/?{month}&scores_page=5").content.decode()
        assert past.count('data-testid="score-row"') == 1  # past the end: the last page
        assert past.count('data-testid="backlog-row"') == whole.count('data-testid="backlog-row"')
    request = RequestFactory().get(f"/reports/workload/?{month}&scores_page=2")
    page = Paginator([1, 2, 3], 1).get_page(2)
    after = reports_quality._page_url(request, "scores_page", page, 1)
    before = reports_quality._page_url(request, "scores_page", page, -1)
    assert after.endswith("#scores") and "scores_page=3" in after and "site=lanting" in after
    assert "scores_page=1" in before and "from=2026-11-01" in before
    last = Paginator([1, 2, 3], 1).get_page(3)
    assert reports_quality._page_url(request, "scores_page", last, 1) == ""
