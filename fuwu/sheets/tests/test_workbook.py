"""A report's workbook: its main table and a sheet per secondary table, named as Excel accepts
(no []:*?/\\, at most 31 characters, each name once ignoring case)."""

from __future__ import annotations

import io

from openpyxl import load_workbook

from fuwu.sheets.tables import Column, Kind, SimpleTable
from fuwu.sheets.writer import sheet_titles, write_xlsx


def test_sheet_names_are_cleaned_shortened_and_unique():
    assert sheet_titles(["质量报表 2026/11/30", "a[b]:c*d?", "", "Backlog", "backlog"]) == [
        "质量报表 2026 11 30",
        "a b  c d",
        "Sheet",
        "Backlog",
        "backlog (2)",
    ]
    long = "x" * 40
    assert sheet_titles([long, long]) == ["x" * 31, "x" * 27 + " (2)"]


def test_the_secondary_tables_follow_the_main_one():
    counts = [Column("投诉性质"), Column("投诉数量", Kind.INT)]
    main = SimpleTable(
        "quality",
        [Column("服务程序"), Column("一次修复率", Kind.PERCENT)],
        [("物业报修", 50.0)],
        title="按服务程序",
        more=[
            SimpleTable("natures", counts, [("责任投诉", 1)], title="投诉性质"),
            SimpleTable("empty", counts, [], title="投诉性质"),
        ],
    )
    out = io.BytesIO()
    write_xlsx(main, out)
    book = load_workbook(io.BytesIO(out.getvalue()))
    assert book.sheetnames == ["按服务程序", "投诉性质", "投诉性质 (2)"]
    rows = [list(r) for r in book["投诉性质"].iter_rows(values_only=True)]
    assert rows == [["投诉性质", "投诉数量"], ["责任投诉", 1]]
    assert book["按服务程序"]["B2"].number_format == '0.0"%"'
    # A subscription names the main sheet itself.
    out = io.BytesIO()
    write_xlsx(main, out, title="质量报表 2026-11-30")
    assert load_workbook(io.BytesIO(out.getvalue())).sheetnames[0] == "质量报表 2026-11-30"
