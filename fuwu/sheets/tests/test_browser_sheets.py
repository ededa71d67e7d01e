"""Spreadsheets in Chromium, Chinese on a desktop: a manager uploads
units with a mistake, reads the problem by row and column, uploads the corrected file, confirms
it, and exports the queue to Excel."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from openpyxl import load_workbook

from fuwu.core.models import Staff
from fuwu.customers.models import Asset
from fuwu.testing.browser import zh_desktop
from fuwu.web.tests.test_queue import repair

pytestmark = pytest.mark.django_db(transaction=True)

WORDS = {
    "zh-hans": {
        "header": "楼栋,单元,房号,建筑面积（㎡）,是否入住,住户姓名,住户电话",
        "problem": "与第 2 行重复。",
        "room": "房号",
        "done": "已导入 2 条记录。",
        "case_number": "工单号",
    },
    "en": {
        "header": "Building,Unit,Room,Area (m²),Occupied,Resident name,Resident phone",
        "problem": "Same as row 2.",
        "room": "Room",
        "done": "2 records imported.",
        "case_number": "Case number",
    },
}


def choose(page, content: bytes) -> None:
    page.set_input_files(
        "[data-testid=import-file]",
        files=[{"name": "units.csv", "mimeType": "text/csv", "buffer": content}],
    )


@zh_desktop
def test_import_units_fix_confirm_and_export_the_queue(web, world, language, phone):
    words = WORDS[language]
    repair(world, "卫生间漏水")
    Staff.objects.filter(user__username="sc_manager").update(language=language)
    page = web.page(phone=phone)
    web.login(page, "sc_manager")
    where = f"{'phone' if phone else 'desktop'}-{language}"

    page.goto("/imports/")
    page.select_option("[data-testid=import-kind]", "units")
    bad = words["header"] + "\n11,1,101,90,是,林一,13500000011\n11,1,101,90,是,,\n"
    choose(page, bad.encode("utf-8-sig"))
    with page.expect_navigation():
        page.click("[data-testid=import-upload]")
    problem = page.locator("[data-testid=import-problem]")
    assert problem.count() == 1
    cells = problem.locator("td")
    assert [cells.nth(i).inner_text() for i in range(3)] == ["3", words["room"], words["problem"]]
    assert page.locator("[data-testid=import-confirm]").count() == 0
    assert not Asset.objects.filter(label__startswith="11栋").exists()
    web.shot(page, f"{where}-refused")

    page.click("[data-testid=import-again]")
    page.select_option("[data-testid=import-kind]", "units")
    good = words["header"] + "\n11,1,101,90,是,林一,13500000011\n11,1,102,90,否,,\n"
    choose(page, good.encode())
    with page.expect_navigation():
        page.click("[data-testid=import-upload]")
    assert page.locator("[data-testid=import-rows] tbody tr").count() == 2
    web.shot(page, f"{where}-preview")
    with page.expect_navigation():
        page.click("[data-testid=import-confirm]")
    assert words["done"] in page.locator("[data-testid=import-done]").inner_text()
    assert Asset.objects.filter(label__startswith="11栋").count() == 2
    web.shot(page, f"{where}-done")

    page.goto("/queue/")
    with page.expect_download() as download:
        page.click("[data-testid=queue-export-xlsx]")
    book = load_workbook(io.BytesIO(Path(download.value.path()).read_bytes()))
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    assert rows[0][0] == words["case_number"] and rows[1][1] == "卫生间漏水"
    assert not page.js_errors
