"""Exports (issue 12): the queue (filtered, and the ticked rows), the API list and the
service-levels report through one exporter; xlsx opens with typed cells, CSV has its BOM,
phones are masked for everyone, and the queries do not grow with the rows."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Any

import pytest
from openpyxl import load_workbook

from fuwu.procedures.registry import definition_of
from fuwu.sheets.cases import BATCH
from fuwu.sheets.writer import local_minute
from fuwu.sla.lateness import next_due_of
from fuwu.web.tests.test_queue import repair, signed_in

pytestmark = pytest.mark.django_db


def body(response: Any) -> bytes:
    return b"".join(response.streaming_content)


def sheet_rows(response: Any) -> tuple[Any, list[tuple[Any, ...]]]:
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    book = load_workbook(io.BytesIO(body(response)))
    sheet = book.worksheets[0]
    return sheet, list(sheet.iter_rows(values_only=True))


def csv_rows(response: Any) -> list[list[str]]:
    raw = body(response)
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 with a BOM: Excel and WPS read the Chinese
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))


def test_queue_export_is_the_filtered_queue_in_xlsx_with_typed_cells(world):
    leak = repair(world, "卫生间漏水")
    repair(world, "灯不亮")
    agent = signed_in(world, "agent")
    sheet, rows = sheet_rows(agent.get("/queue/export/", {"q": "漏水", "format": "xlsx"}))
    assert rows[0][:3] == ("工单号", "标题", "服务程序")
    assert rows[0][11:] == ("受理时间", "时限")
    assert [r[1] for r in rows[1:]] == ["卫生间漏水"]  # the queue's own filter
    assert rows[1][0] == leak.number
    assert rows[1][7] == "138****5678"  # masked
    assert isinstance(rows[1][11], datetime) and isinstance(rows[1][12], datetime)
    # The row is the case's own: step, status and priority by name, the earliest running deadline.
    leak.refresh_from_db()
    step = definition_of(leak.procedure).steps[leak.step].name.get("zh-hans")
    assert rows[1][3:6] == (step, leak.get_status_display(), leak.get_priority_display())
    assert rows[1][12] == local_minute(next_due_of(leak))
    assert sheet.cell(row=2, column=12).number_format == "yyyy-mm-dd hh:mm"
    # Every case the queue shows (not a page) when unfiltered: open ones by default.
    _sheet, everything = sheet_rows(agent.get("/queue/export/", {"format": "xlsx"}))
    assert len(everything) == 3


def test_queue_export_csv_has_a_bom_and_masks_phones_even_for_managers(world):
    repair(world, "卫生间漏水")
    rows = csv_rows(signed_in(world, "sc_manager").get("/queue/export/", {"format": "csv"}))
    assert rows[0][0] == "工单号" and rows[1][1] == "卫生间漏水"
    assert rows[1][7] == "138****5678"
    assert "13812345678" not in ",".join(rows[1])


def test_ticked_rows_export_as_xlsx_only_those_visible(world):
    from fuwu.web.tests.test_queue import dealer_case

    ours, other = repair(world, "一"), repair(world, "二")
    theirs = dealer_case(world)
    response = signed_in(world, "agent").post(
        "/queue/bulk/", {"action": "export_xlsx", "case": [ours.pk, theirs.pk]}
    )
    _sheet, rows = sheet_rows(response)
    assert [r[0] for r in rows[1:]] == [ours.number]
    assert other.number not in [r[0] for r in rows]


def test_api_export_in_english_with_the_list_filters(world, api):
    repair(world, "卫生间漏水")
    repair(world, "灯不亮")
    response = api("agent", "en").get("/api/cases/export", format="csv", q="漏水")
    assert response.status_code == 200
    rows = csv_rows(response)
    assert rows[0][0] == "Case number" and rows[0][11] == "Opened at"
    assert [r[1] for r in rows[1:]] == ["卫生间漏水"]
    assert rows[1][11][:4].isdigit()  # 2026-12-04 09:30
    assert api(None).get("/api/cases/export").status_code == 401


def test_export_queries_do_not_grow_with_the_rows(world, django_assert_max_num_queries):
    for i in range(3):
        repair(world, f"报修{i}")
    agent = signed_in(world, "agent")
    agent.get("/queue/")  # the session and the actor are warm
    with django_assert_max_num_queries(12) as few:
        csv_rows(agent.get("/queue/export/", {"format": "csv"}))
    for i in range(12):
        repair(world, f"更多{i}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        rows = csv_rows(agent.get("/queue/export/", {"format": "csv"}))
    assert len(rows) == 16 and BATCH >= 1000


def test_service_levels_report_exports_for_managers_only(world, api):
    repair(world, "卫生间漏水")
    manager = signed_in(world, "sc_manager")
    _sheet, rows = sheet_rows(manager.get("/reports/service-levels/export/", {"format": "xlsx"}))
    assert rows[0][0] == "服务程序 · 步骤" and rows[0][-2:] == ("按时响应率", "按时解决率")
    assert rows[-1][0] == "合计"
    assert all(isinstance(v, int) for v in rows[-1][1:-3])  # counts are numbers, not text
    assert signed_in(world, "agent").get("/reports/service-levels/export/").status_code == 403
    answer = api("sc_manager", "en").get("/api/reports/service-levels/export", format="csv")
    assert csv_rows(answer)[-1][0] == "Total"
    assert api("agent").get("/api/reports/service-levels/export").status_code == 403
