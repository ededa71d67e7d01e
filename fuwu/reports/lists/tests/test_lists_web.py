"""The lists' pages and API on the fixed data set: the same figures, every number a link to the
rows behind it, Chinese and English, the site's people only (every right: test_rights), bad
filters refused (422), and a number of queries that does not grow with the rows."""

from __future__ import annotations

import re

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from fuwu.reports.lists.tests.dataset import Data
from fuwu.testing.factories import World

SITE = "site=lanting"


def client_for(world: World, persona: str, language: str = "zh-hans") -> Client:
    c = Client(HTTP_ACCEPT_LANGUAGE=language)
    c.force_login(world.users[persona])
    return c


def cases_in(html: str) -> set[int]:
    return {int(pk) for pk in re.findall(r'data-testid="list-row" data-case="(\d+)"', html)}


def test_fee_pages_drill_down_to_the_households(world: World, data: Data) -> None:
    c = client_for(world, "sc_manager")
    html = c.get(f"/reports/lists/fees/?{SITE}").content.decode()
    assert 'data-testid="tile-rate">41.6%' in html
    assert 'data-testid="tile-due">976.40<' in html
    assert 'data-testid="tile-arrears">2<' in html
    # Building 1's row: every number links to the arrears page filtered to what it counts.
    row = re.search(r'data-testid="fee-row" data-building="1">(.*?)</tr>', html, re.S)
    assert row is not None
    figures = dict(
        (name, (href.replace("&amp;", "&"), n))
        for href, name, n in re.findall(
            r'<a href="([^"]+)"[^>]*data-testid="n-([\w-]+)">([\d.]+)</a>', row.group(1)
        )
    )
    assert figures["households"][1] == "2" and figures["received"][1] == "406.40"
    assert figures["outstanding"][1] == "150.00" and figures["arrears"][1] == "1"
    assert 'data-testid="n-rate">73.0%' in row.group(1)
    arrears = c.get(figures["arrears"][0]).content.decode()
    assert cases_in(arrears) == {data.fees["f2"].pk}
    households = c.get(figures["households"][0]).content.decode()
    assert cases_in(households) == {data.fees["f1"].pk, data.fees["f2"].pk}
    # The arrears list by default: both households in arrears, their sums.
    page = c.get(f"/reports/lists/arrears/?{SITE}").content.decode()
    assert cases_in(page) == {data.fees["f2"].pk, data.fees["f3"].pk}
    assert 'data-testid="sum-outstanding">450.00<' in page
    assert "物业管理费" in page and "欠费" in page
    # A bad filter: the reason in the reader's language, nothing else.
    bad = c.get(f"/reports/lists/arrears/?{SITE}&state=owing")
    assert bad.status_code == 422 and "没有这个缴费状态" in bad.content.decode()
    bad = c.get(f"/reports/lists/arrears/?{SITE}&to=2026-02-31")
    assert bad.status_code == 422 and "请输入有效的日期（年-月-日）" in bad.content.decode()
    html = c.get(f"/reports/lists/fee-reports/?{SITE}").content.decode()
    assert 'data-testid="n-grand-total">1906.40<' in html
    day = re.search(r'data-start="2026-12-03">(.*?)</tr>', html, re.S)
    assert day is not None
    link = re.search(r'<a href="([^"]+)" data-testid="n-total">1500.00</a>', day.group(1))
    assert link is not None
    page = c.get(link.group(1).replace("&amp;", "&")).content.decode()
    assert cases_in(page) == {data.leases["december"].pk, data.leases["january"].pk}
    assert 'data-testid="sum-total">1500.00<' in page
    week = c.get(f"/reports/lists/fee-reports/?{SITE}&grain=week").content.decode()
    assert "收费周报" in week and 'data-start="2026-11-30"' in week
    assert c.get(f"/reports/lists/fee-reports/?{SITE}&grain=year").status_code == 422


def test_paper_lists_in_both_languages(world: World, data: Data) -> None:
    zh = client_for(world, "sc_manager")
    parking = zh.get(f"/reports/lists/parking/?{SITE}").content.decode()
    assert cases_in(parking) == {data.leases["december"].pk}
    assert "粤B·12345" in parking and "地下车位" in parking and "@media print" not in parking
    assert "report_lists.css" in parking
    gas = zh.get(f"/reports/lists/gas/?{SITE}").content.decode()
    assert 'data-testid="household-count">3<' in gas and 'data-testid="n-absent">1<' in gas
    keys = zh.get(f"/reports/lists/keys/?{SITE}").content.decode()
    assert cases_in(keys) == {data.keys["late"].pk}
    en = client_for(world, "sc_manager", "en")
    page = en.get(f"/reports/lists/parking/?{SITE}&month=2027-01").content.decode()
    assert "Parking leases ending" in page and "Underground" in page
    assert cases_in(page) == {data.leases["january"].pk}
    assert "Nobody at home" in en.get(f"/reports/lists/gas/?{SITE}").content.decode()
    bad = en.get(f"/reports/lists/parking/?{SITE}&month=2027-13")
    assert bad.status_code == 422 and "Enter a valid month" in bad.content.decode()
    index = en.get("/reports/").content.decode()
    for name in (
        "service-levels",
        "fees",
        "arrears",
        "fee-reports",
        "parking",
        "gas",
        "keys",
        "vacant",
        "surveys",
    ):
        assert f'data-testid="report-index-{name}"' in index
    assert client_for(world, "agent").get("/reports/lists/parking/").status_code == 403
    assert client_for(world, "agent").get("/reports/").status_code == 403
    other = client_for(world, "as_manager")
    assert other.get(f"/reports/lists/parking/?{SITE}").status_code == 422
    assert cases_in(other.get("/reports/lists/arrears/?state=all").content.decode()) == set()


def test_pages_do_not_query_per_row(world: World, data: Data) -> None:
    c = client_for(world, "sc_manager")
    counts = {}
    for url in (
        "/reports/lists/fees/",
        "/reports/lists/arrears/?state=all",
        "/reports/lists/fee-reports/",
        "/reports/lists/fee-reports/payments/",
        "/reports/lists/parking/",
        "/reports/lists/gas/",
        "/reports/lists/keys/",
    ):
        c.get(url)  # warm the per-request caches (procedure definitions)
        with CaptureQueriesContext(connection) as run:
            assert c.get(url).status_code == 200
        counts[url] = len(run)
    # Session, person, sites, the list's one read, and the labels of one procedure.
    assert max(counts.values()) <= 14, counts


def test_api_serves_the_same_figures(world: World, data: Data, api) -> None:  # type: ignore[no-untyped-def]
    manager = api("sc_manager")
    body = manager.get("/api/reports/lists/fees", site="lanting").json()
    assert body["from"] == "2026-12-01" and body["to"] == "2026-12-04"
    assert body["total"]["collection_rate_percent"] == 41.6
    assert body["total"]["outstanding"] == "570.00"
    one = body["buildings"][0]
    assert (one["building"], one["due"], one["received"]) == ("1", "556.40", "406.40")
    arrears = manager.client.get(one["drill"]["arrears"], **manager.headers).json()
    assert [i["case_id"] for i in arrears["items"]] == [data.fees["f2"].pk]
    listed = manager.get("/api/reports/lists/fees/households", site="lanting").json()
    assert listed["count"] == 2 and listed["outstanding"] == "450.00"
    report = manager.get("/api/reports/lists/fee-report", site="lanting", grain="week").json()
    assert [(p["start"], p["total"], p["count"]) for p in report["periods"]] == [
        ("2026-11-30", "1906.40", 4)
    ]
    paid = manager.client.get(report["periods"][0]["drill"], **manager.headers).json()
    assert paid["count"] == 4 and paid["total"] == "1906.40"
    parking = manager.get("/api/reports/lists/parking-expiring", site="lanting").json()
    assert parking["month"] == "2026-12" and [i["plate"] for i in parking["items"]] == ["粤B·12345"]
    gas = manager.get("/api/reports/lists/gas-week", site="lanting", week="2026-12-02").json()
    assert gas["households"] == 3 and gas["counts"] == {"waiting": 1, "activated": 1, "absent": 1}
    keys = manager.get("/api/reports/lists/keys-overdue", site="lanting").json()
    assert [(k["key"], k["days_overdue"]) for k in keys] == [("K-101", 2)]
    assert api("agent").get("/api/reports/lists/fees").status_code == 403
    bad = api("sc_manager", "en").get("/api/reports/lists/gas-week", week="soon")
    assert bad.status_code == 422 and "week" in bad.json()["details"]["fields"]
