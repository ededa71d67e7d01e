"""The lists as spreadsheets (issue 12): each list's export, from its page's link or the API,
holds the list's own figures on the fixed data set, for those who may read it (test_rights); each list can
be subscribed to and is mailed with its period mapped onto its filters."""

from __future__ import annotations

import io
from datetime import date, datetime
from typing import Any

from django.core import mail
from django.test import Client
from openpyxl import load_workbook

from fuwu.reports import exports
from fuwu.reports import subscriptions as subs
from fuwu.reports.lists import fees, rounds, scope_from_params
from fuwu.reports.lists.tests.dataset import TODAY, Data, local
from fuwu.testing.factories import World

SITE = {"site": "lanting"}


def rows_of(content: bytes) -> list[list[Any]]:
    sheet = load_workbook(io.BytesIO(content)).active
    return [[c.value for c in row] for row in sheet.iter_rows()]


def export(client: Client, family: str, **params: str) -> list[list[Any]]:
    answer = client.get(f"/reports/{family}/export/", {**SITE, **params, "format": "xlsx"})
    assert answer.status_code == 200, (family, answer.status_code)
    return rows_of(b"".join(answer.streaming_content))


def manager(world: World) -> Client:
    c = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    c.force_login(world.users["sc_manager"])
    return c


def subscribed(world: World, families: list[str]) -> dict[str, list[list[Any]]]:
    """A daily subscription to each list, ordered on 3 December and sent on the 4th: the
    workbook each mail carries, by family."""
    user = world.users["sc_manager"]
    user.email = "manager@example.com"
    user.save(update_fields=["email"])
    for family in families:
        subs.subscribe(user, family, "daily", SITE, now=local(3, 9))
    assert subs.send_due(now=TODAY) == len(families)
    out = {}
    for message in mail.outbox:
        (_pdf, pdf, _t), (name, xlsx, _t2) = message.attachments
        assert pdf.startswith(b"%PDF") and name.endswith("-2026-12-03-2026-12-03.xlsx")
        out[name.split("-2026")[0]] = rows_of(xlsx)
    return out


def test_fee_register_and_gas_lists_export(world: World, data: Data, api: Any) -> None:
    c = manager(world)
    scope = scope_from_params(world.actor("sc_manager"), SITE, report="fees", month_to_date=True)
    stats = fees.statistics(fees.households(scope))
    rows = export(c, "fees")
    assert rows[0][:4] == ["楼栋", "出单户数", "已缴清", "应缴（元）"]
    assert [r[0] for r in rows[1:]] == ["1栋", "2栋", "无房号", "合计"]
    total = dict(zip(rows[0], rows[-1], strict=True))
    assert total["应缴（元）"] == float(stats.total.due) == 976.40
    assert (total["收缴率"], total["欠费户数"]) == (stats.total.rate, stats.total.arrears)
    arrears = export(c, "arrears")
    assert [r[0] for r in arrears[1:]] == ["1栋1单元102", "2栋1单元201"]
    assert arrears[1][8] == "欠费" and arrears[1][6] == 150  # outstanding, a number
    week = export(c, "fee-reports", grain="week", **{"from": "2026-11-23", "to": "2026-12-04"})
    report = fees.fee_report(
        scope_from_params(
            world.actor("sc_manager"), {**SITE, "from": "2026-11-23"}, report="fee-reports"
        ),
        "week",
    )
    assert week[0][0] == "周" and week[0][-2:] == ["笔数", "合计（元）"]
    assert week[1][0] == datetime(2026, 11, 23) and week[-1][0] == "合计"
    assert week[-1][-1] == float(report.total.total) and week[-1][-2] == report.total.count
    parking = export(c, "parking")
    assert parking[1][0] == "粤B·12345" and parking[1][6] == datetime(2026, 12, 31)
    gas = export(c, "gas", week="2026-12-02")
    assert [r[1] for r in gas[1:]] == ["1栋1单元101", "1栋1单元102", "2栋1单元201"]
    assert [r[4] for r in gas[1:]] == ["已开通", "家中无人未开通", "待通气"]
    answer = api("sc_manager", "en").get("/api/reports/keys/export", format="csv", **SITE)
    keys = b"".join(answer.streaming_content).decode("utf-8-sig").splitlines()
    assert keys[0].startswith("Key,") and keys[1].split(",")[0:2] == ["K-101", "王芳"]
    assert keys[1].split(",")[4] == "2"  # days overdue
    # Not an agent's (`rights`); a bad filter is the page's error, not a file.
    agent = Client()
    agent.force_login(world.users["agent"])
    assert agent.get("/reports/fees/export/", SITE).status_code == 403
    assert api("agent").get("/api/reports/arrears/export", **SITE).status_code == 403
    assert api("sc_manager").get("/api/reports/arrears/export", state="x").status_code == 422
    bad = c.get("/reports/parking/export/", {"month": "2026-13"})
    assert bad.status_code == 302 and bad["Location"].startswith("/reports/lists/parking/?")

    families = ["fees", "arrears", "fee_reports", "parking", "gas", "keys"]
    sent = subscribed(world, families)
    assert sorted(sent) == sorted(families)
    day = {**SITE, "from": "2026-12-03", "to": "2026-12-03"}
    for family in ("fees", "arrears", "fee_reports"):
        table = exports.table(world.actor("sc_manager"), family.replace("_", "-"), day, "zh-hans")
        assert sent[family][0] == [c.header for c in table.columns]
        assert len(sent[family]) == 1 + len(list(table.rows))
    assert [r[0] for r in sent["parking"][1:]] == ["粤B·12345"]  # December's leases
    assert len(sent["gas"]) == 4  # the week of 3 December
    assert sent["keys"][1][0] == "K-101"


def test_vacant_and_survey_lists_export(world: World, round_data: Any) -> None:
    c = manager(world)
    period = {"from": "2026-12-01", "to": "2026-12-04"}
    vacant = export(c, "vacant", **period)
    assert vacant[0][:4] == ["巡视时间", "房号", "巡视批次", "巡视结果"]
    assert [(r[1], r[3]) for r in vacant[1:]] == [
        ("1栋1单元101", "情况正常"),
        ("2栋1单元202", "卫生间下水管渗水"),
    ]
    assert vacant[1][0].date() == date(2026, 12, 2)
    survey = export(c, "surveys", **period)
    scope = scope_from_params(world.actor("sc_manager"), {**SITE, **period}, report="surveys")
    tally = rounds.survey_tally(rounds.surveyed(scope))
    assert survey[0][:7] == [
        "区域",
        "征询户数",
        "发放征询表",
        "回收",
        "未回收",
        "回收率",
        "反映问题",
    ]
    assert len(survey[0]) == 7 + len(tally.departments)
    total = survey[-1]
    assert total[0] == "合计" and total[5] == tally.total.return_rate == 66.7
    assert total[1:5] == [4, 3, 2, 1]
    sent = subscribed(world, ["vacant", "surveys"])
    assert sent["vacant"][0][0] == "巡视时间" and sent["surveys"][-1][0] == "合计"


def test_a_lists_subscription_names_its_filters() -> None:
    kept = {"building": "1", "state": "arrears", "grain": "week", "round": "2026年下半年"}
    assert subs.describe(kept, "zh-hans") == "1栋 · 欠费 · 收费周报 · 2026年下半年"
    assert subs.describe({"building": fees.NO_BUILDING}, "zh-hans") == "无房号"
