"""The quality and workload reports as spreadsheets (issue 12): the page's export and the API's
hold the report's own figures on the fixed day (`dataset`), for managers only, and each report
can be subscribed to and mailed (`subscriptions.send_due`)."""

from __future__ import annotations

import io
from datetime import date
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.test import Client
from openpyxl import load_workbook

from fuwu.reports import fold, quality, workload
from fuwu.reports import subscriptions as subs
from fuwu.reports.service_levels import Filters
from fuwu.reports.tests.dataset import NOW, build, complaint
from fuwu.reports.tests.test_subscriptions import at

DAY = {"site": "lanting", "from": "2026-11-30", "to": "2026-11-30"}


def rows_of(content: bytes) -> list[list[Any]]:
    sheet = load_workbook(io.BytesIO(content)).active
    return [[c.value for c in row] for row in sheet.iter_rows()]


@pytest.fixture
def manager(world: Any) -> Client:
    c = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    c.force_login(world.users["vp"])
    return c


def test_quality_and_workload_export_their_main_tables(world, manager, api):
    build(world)
    complaint(world)
    fold.catch_up(now=NOW)
    monday = date(2026, 11, 30)
    day = Filters(site_ids=(world.sites["lanting"].pk,), start=monday, end=monday)
    q = quality.report(day, language="zh-hans")
    answer = manager.get("/reports/quality/export/", {**DAY, "format": "xlsx"})
    assert answer.status_code == 200 and answer["Content-Disposition"].startswith(
        'attachment; filename="quality-'
    )
    rows = rows_of(b"".join(answer.streaming_content))
    heads = rows[0]
    assert heads[0] == "服务程序" and heads[1:7] == [str(h) for _k, h in quality.HEADINGS]
    assert heads[-2:] == ["一次修复率", "回访满意率"]
    total = dict(zip(heads, rows[-1], strict=True))
    assert total["服务程序"] == "合计" and rows[1][0] == "物业报修"
    assert total["返修（客户带回）"] == q.total.n("comeback_returned") == 1
    assert total["一次修复率"] == q.total.first_time_rate == 50.0
    w = workload.report(day, language="zh-hans")
    csv = api("vp", "en").get("/api/reports/workload/export", format="csv", **DAY)
    assert csv.status_code == 200
    lines = b"".join(csv.streaming_content).decode("utf-8-sig").splitlines()
    assert lines[0].startswith("Person,Week (Monday),")
    assert len(lines) == 1 + len(w.scores) and w.scores
    first = w.scores[0]
    assert lines[1].split(",")[1:5] == [
        "2026-11-30",
        "" if first.on_time_rate is None else str(first.on_time_rate),
        str(first.n("resolved_on_time")),
        str(first.n("resolved_late")),
    ]
    # Managers only, the page's checks; an unknown report is not found.
    agent = Client()
    agent.force_login(world.users["agent"])
    assert agent.get("/reports/workload/export/", DAY).status_code == 403
    assert api("agent").get("/api/reports/quality/export", **DAY).status_code == 403
    assert api("vp").get("/api/reports/nothing/export").status_code == 404
    assert api("vp").get("/api/reports/quality/export", to="2026-02-30").status_code == 422
    refused = manager.get("/reports/quality/export/", {"to": "2026-02-30"})
    assert refused.status_code == 302 and refused["Location"].startswith("/reports/quality/?")


def test_quality_and_workload_subscriptions_are_mailed(world):
    build(world)
    fold.catch_up(now=NOW)
    vp = world.users["vp"]
    vp.email = "vp@example.com"
    vp.save(update_fields=["email"])
    with time_machine.travel(at(date(2026, 11, 30), 8), tick=False):
        for report in ("quality", "workload"):
            subs.subscribe(vp, report, "daily", {"site": "lanting"})
    assert subs.send_due(now=at(date(2026, 12, 1), 7, 30)) == 2
    by_subject = {m.subject: m for m in mail.outbox}
    quality_mail = by_subject["质量报表（2026-11-30）"]
    assert "/reports/quality/?site=lanting&from=2026-11-30&to=2026-11-30" in quality_mail.body
    rows = rows_of(quality_mail.attachments[1][1])
    assert rows[0][0] == "服务程序" and rows[-1][0] == "合计"
    rows = rows_of(by_subject["工作量报表（2026-11-30）"].attachments[1][1])
    assert rows[0][:2] == ["人员", "周（周一）"] and len(rows) > 1


def book_of(content: bytes) -> dict[str, list[list[Any]]]:
    book = load_workbook(io.BytesIO(content))
    return {s.title: [[c.value for c in row] for row in s.iter_rows()] for s in book.worksheets}


def test_the_xlsx_carries_the_pages_secondary_tables_one_sheet_each(world, manager, api):
    build(world)
    complaint(world)
    fold.catch_up(now=NOW)
    answer = manager.get("/reports/quality/export/", {**DAY, "format": "xlsx"})
    book = book_of(b"".join(answer.streaming_content))
    assert list(book) == [
        "按服务程序",
        "每月投诉数量",
        "投诉性质",
        "投诉责任部门",
        "七个区域满意度",
        "客户评分",
        "意见征询满意度",
    ]
    assert book["按服务程序"][-1][0] == "合计"
    # Twelve months to November 2026: E, the walk-in complaint, the only one.
    months = book["每月投诉数量"]
    assert months[0] == ["月份", "投诉数量"] and len(months) == 13
    assert months[1] == ["2025-12", 0] and months[-1] == ["2026-11", 1]
    assert book["投诉性质"] == [["投诉性质", "投诉数量"], ["责任投诉", 1]]
    assert book["投诉责任部门"] == [["责任部门", "投诉数量"], ["工程部", 1]]
    assert book["七个区域满意度"] == [["区域", "满意", "不满意", "满意率"]]  # no 4S follow-up
    assert book["客户评分"] == [
        ["评分", "评价数"],
        *([f"{n} ★", 0] for n in (5, 4, 3, 2, 1)),
    ]
    assert book["意见征询满意度"][0][0] == "意见涉及方面" and len(book["意见征询满意度"]) == 1
    # The CSV is the main table alone.
    csv = manager.get("/reports/quality/export/", {**DAY, "format": "csv"})
    lines = b"".join(csv.streaming_content).decode("utf-8-sig").splitlines()
    assert lines[0].startswith("服务程序,") and lines[-1].startswith("合计,")

    answer = manager.get("/reports/workload/export/", {**DAY, "format": "xlsx"})
    book = book_of(b"".join(answer.streaming_content))
    assert list(book) == ["人员质量记分卡", "按渠道与时段受理", "当前积压", "每人每天的工作量"]
    intake = book["按渠道与时段受理"]
    assert intake[0][:4] == ["渠道", "合计", "00时", "01时"] and intake[0][-1] == "23时"
    by_channel = {row[0]: row for row in intake[1:]}
    # Phone: D at 07:30, A and B at 09:00, C at 10:00; the complaint walked in at 13:40.
    phone = by_channel["电话"]
    assert phone[1] == 4 and (phone[2 + 7], phone[2 + 9], phone[2 + 10]) == (1, 2, 1)
    assert by_channel["来访"][1] == 1 and by_channel["来访"][2 + 13] == 1
    assert by_channel["合计"][1] == 5
    backlog = book["当前积压"]
    assert backlog[0] == ["服务程序 · 步骤", "部门", "工单数"]
    # Nothing closed: C and D at reception, A at its return visit, B at dispatch, E with
    # engineering (the department responsible).
    assert backlog[1] == ["物业报修 · 接待受理", "客服中心", 2] and backlog[-1] == ["合计", None, 5]
    assert sorted(backlog[2:-1]) == [
        ["投诉处理 · 责任部门调查处理", "工程部", 1],
        ["物业报修 · 客服中心回访", "客服中心", 1],
        ["物业报修 · 派工", "工程部", 1],
    ]
    per_day = {row[0]: row for row in book["每人每天的工作量"][1:]}
    agent = world.users["agent"]
    name = agent.staff.display_name
    # The agent took in five cases and completed six steps that one day.
    assert per_day[name][1:5] == [1, 5, 5.0, 5] and per_day[name][5] == 6
    heads = book["每人每天的工作量"][0]
    assert (
        heads[:3] == ["人员", "工作天数", "受理工单 · 合计"]
        and heads[-1] == "修理单超过 20 张的天数"
    )

    english = api("vp", "en").get("/api/reports/workload/export", format="xlsx", **DAY)
    book = book_of(b"".join(english.streaming_content))
    assert list(book)[1:] == [
        "Intake by channel and hour",
        "Backlog now",
        "Workload per person a day",
    ]
