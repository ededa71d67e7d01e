"""The report lists' pager (`fuwu.web.views.report_lists`): a page at a time with the filters
kept and the figures over every row, on the lists' fixed data set; queries that do not grow with
the page's size."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from fuwu.reports.lists.tests.dataset import TODAY, Data, build
from fuwu.reports.lists.tests.test_lists_web import SITE, cases_in, client_for
from fuwu.testing.factories import World


@pytest.fixture
def data(world: World) -> Iterator[Data]:
    """The fixed data set, with the clock frozen at "today" (as the lists' own tests have it)."""
    built = build(world)
    with time_machine.travel(TODAY, tick=False):
        yield built


def pager_links(html: str, path: str) -> dict[str, str]:
    """The pager's links (a query string, relative to the page) as paths to get."""
    return {
        name: path + href.replace("&amp;", "&")
        for name, href in re.findall(r'data-testid="page-(prev|next)" href="([^"]+)"', html)
    }


def test_long_lists_are_paged_with_their_filters_and_totals(
    world: World, data: Data, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    """A page at a time (here one row a page): the next page has the next rows, its link keeps
    every filter, and the figures above the table are over every row, not the page's."""
    from fuwu.web.views import report_lists

    monkeypatch.setattr(report_lists, "PER_PAGE", 1)
    c = client_for(world, "sc_manager")
    first = c.get(f"/reports/lists/arrears/?{SITE}&state=arrears").content.decode()
    assert 'data-testid="list-count">2<' in first and 'data-testid="pager"' in first
    assert 'data-testid="sum-outstanding">450.00<' in first
    assert 'data-testid="page-number">第 1 / 2 页<' in first
    shown = cases_in(first)
    assert len(shown) == 1 and "page-prev" not in first
    after = pager_links(first, "/reports/lists/arrears/")["next"]
    assert "site=lanting" in after and "state=arrears" in after and "page=2" in after
    second = c.get(after).content.decode()
    assert cases_in(second) | shown == {data.fees["f2"].pk, data.fees["f3"].pk}
    assert cases_in(second) != shown
    assert 'data-testid="sum-outstanding">450.00<' in second and "page-next" not in second
    assert "site=lanting" in pager_links(second, "/reports/lists/arrears/")["prev"]
    # Past the last page: the last page; not a number: the first.
    assert cases_in(c.get(f"/reports/lists/arrears/?{SITE}&page=9").content.decode()) == (
        cases_in(second)
    )
    assert cases_in(c.get(f"/reports/lists/arrears/?{SITE}&page=x").content.decode()) == shown
    # The payments behind the fee report: the count and sum over all four.
    paid = c.get(f"/reports/lists/fee-reports/payments/?{SITE}").content.decode()
    assert 'data-testid="list-count">4<' in paid and 'data-testid="sum-total">1906.40<' in paid
    seen = cases_in(paid)
    page = paid
    for _ in range(3):
        page = c.get(
            pager_links(page, "/reports/lists/fee-reports/payments/")["next"]
        ).content.decode()
        assert 'data-testid="sum-total">1906.40<' in page
        seen |= cases_in(page)
    assert seen == {p.case_id for p in fees_payments(world)}
    gas = c.get(f"/reports/lists/gas/?{SITE}").content.decode()
    assert 'data-testid="household-count">3<' in gas and len(cases_in(gas)) == 1
    assert 'data-testid="n-absent">1<' in gas and "page-next" in gas
    monkeypatch.setattr(report_lists, "PER_PAGE", 100)
    assert 'data-testid="pager"' not in c.get(f"/reports/lists/arrears/?{SITE}").content.decode()


def fees_payments(world: World):  # type: ignore[no-untyped-def]
    from fuwu.reports.lists import fees, scope_from_params

    scope = scope_from_params(
        world.actor("sc_manager"), {"site": "lanting"}, report="fees", month_to_date=True
    )
    return fees.payments(scope)


def test_paged_lists_do_not_query_per_row(world: World, data: Data, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from fuwu.web.views import report_lists

    c = client_for(world, "sc_manager")
    counts = {}
    for per_page in (1, 100):
        monkeypatch.setattr(report_lists, "PER_PAGE", per_page)
        for url in (
            "/reports/lists/arrears/?state=all&page=2",
            "/reports/lists/fee-reports/payments/?page=2",
        ):
            c.get(url)
            with CaptureQueriesContext(connection) as run:
                assert c.get(url).status_code == 200
            counts[(per_page, url)] = len(run)
    for url in (
        "/reports/lists/arrears/?state=all&page=2",
        "/reports/lists/fee-reports/payments/?page=2",
    ):
        assert counts[(1, url)] == counts[(100, url)] <= 14, counts
