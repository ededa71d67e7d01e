"""The opening balances of fees (issue 12): a unit's outstanding (and paid) amount per fee item
as the old books had it, imported with the preview and per-row problems of every import, and
counted by the arrears list and the payment statistics from the first day.

"Today" is Friday 4 December 2026 (Asia/Shanghai); the lists default to this month so far."""

from __future__ import annotations

import io
from datetime import date, datetime
from decimal import Decimal as D
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.utils import translation
from openpyxl import Workbook, load_workbook

from fuwu.registers.models import OpeningBalance
from fuwu.reports.lists import fees
from fuwu.reports.lists.tests.dataset import TODAY, _units
from fuwu.reports.lists.tests.test_lists import scope
from fuwu.sheets import actions
from fuwu.sheets.models import ImportBatch
from fuwu.web.tests.test_queue import signed_in

pytestmark = pytest.mark.django_db

ENGLISH_FEES = (
    '"Gas" is not an option; choose one of: Property management fee, Water and electricity, '
    "Parking fee, Other fees collected for others."
)
HEADERS = [
    "楼栋",
    "单元",
    "房号",
    "收费项目",
    "欠费金额（元）",
    "已缴金额（元）",
    "截至日期",
    "收费期间",
]


@pytest.fixture
def today() -> Any:
    with time_machine.travel(TODAY, tick=False):
        yield


def xlsx(headers: list[str], *rows: list[Any]) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.append(headers)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def upload(client: Client, world: Any, content: bytes, name: str = "balances.xlsx") -> Any:
    file = io.BytesIO(content)
    file.name = name
    return client.post(
        "/imports/",
        {"kind": "opening_balances", "site": world.sites["lanting"].pk, "file": file},
    )


def problems(world: Any) -> list[tuple[Any, str, str]]:
    batch = ImportBatch.objects.filter(created_by=world.users["sc_manager"]).first()
    assert batch is not None
    return [(p.row, p.column, p.message) for p in actions.preview(batch).problems]


def test_a_good_file_is_counted_by_the_arrears_list_and_the_statistics(world, today, api):
    _units(world)
    manager = signed_in(world, "sc_manager")
    template = manager.get("/imports/templates/opening_balances/")
    assert template.status_code == 200
    heads = [c.value for c in next(load_workbook(io.BytesIO(template.content)).active.rows)]
    assert heads == HEADERS
    content = xlsx(
        HEADERS,
        [1, 1, 101, "物业管理费", 356.4, None, datetime(2026, 12, 1), "2026年1–11月"],
        ["1栋", "1单元", "102", "水电费", 0, 88.5, "2026/12/01", ""],
        [2, 1, 201, "management_fee", 1000.5, 200, "2026-12-02", ""],
        [3, 2, 1502, "Parking fee", "150", None, "2026年12月2日", ""],  # no building attribute
        [2, 1, 202, "物业管理费", 99, 0, "2026-11-30", ""],  # before this month
    )
    response = upload(manager, world, content)
    assert response.status_code == 302
    batch = ImportBatch.objects.get()
    assert (batch.status, batch.rows, batch.problems) == ("pending", 5, [])
    assert not OpeningBalance.objects.exists()  # nothing before the confirmation
    manager.post(f"/imports/{batch.pk}/confirm/")
    batch.refresh_from_db()
    assert (batch.status, batch.written) == ("done", 5)
    ob = OpeningBalance.objects.get(asset__label="2栋1单元201")
    assert (ob.fee_type, ob.outstanding, ob.paid, ob.as_of) == (
        "management_fee",
        D("1000.50"),
        D("200.00"),
        date(2026, 12, 2),
    )

    # By hand, 1–4 December: building 1 owes 356.40 of 444.90 (88.50 paid, 19.9 %); building 2
    # 1000.50 of 1200.50 (200 paid, 16.7 %); the unit without a building 150 of 150. In all
    # 1506.90 outstanding of 1795.40, 288.50 received (16.1 %), three households in arrears.
    stats = api("sc_manager").get("/api/reports/lists/fees", site="lanting").json()
    assert (stats["from"], stats["to"]) == ("2026-12-01", "2026-12-04")
    lines = {b["building"]: b for b in stats["buildings"]}
    assert set(lines) == {"1", "2", ""}
    one, two, none, total = lines["1"], lines["2"], lines[""], stats["total"]
    assert (one["households"], one["paid"], one["arrears"]) == (2, 1, 1)
    assert (D(one["due"]), D(one["received"]), D(one["outstanding"])) == (
        D("444.90"),
        D("88.50"),
        D("356.40"),
    )
    assert one["collection_rate_percent"] == 19.9 and D(one["arrears_amount"]) == D("356.40")
    assert (two["households"], two["arrears"], D(two["due"]), D(two["received"])) == (
        1,
        1,
        D("1200.50"),
        D("200.00"),
    )
    assert two["collection_rate_percent"] == 16.7
    assert (none["households"], D(none["outstanding"]), none["collection_rate_percent"]) == (
        1,
        D("150.00"),
        0.0,
    )
    assert (total["households"], total["paid"], total["arrears"]) == (4, 1, 3)
    assert (D(total["due"]), D(total["received"]), D(total["outstanding"])) == (
        D("1795.40"),
        D("288.50"),
        D("1506.90"),
    )
    assert total["collection_rate_percent"] == 16.1 and D(total["arrears_amount"]) == D("1506.90")

    # The arrears list: the three owing, marked as opening balances (no case behind them).
    owing = api("sc_manager").get("/api/reports/lists/fees/households", site="lanting").json()
    assert [(i["unit"], i["outstanding"], i["opening_balance"]) for i in owing["items"]] == [
        ("1栋1单元101", "356.40", True),
        ("2栋1单元201", "1000.50", True),
        ("3栋2单元1502", "150.00", True),
    ]
    assert owing["items"][0]["case_id"] is None and owing["items"][0]["customer"] == "业主101"
    assert owing["items"][0]["billing_period"] == "2026年1–11月"
    page = manager.get("/reports/lists/arrears/", {"site": "lanting"}).content.decode()
    assert page.count('data-opening="1"') == 3 and "期初余额" in page
    assert 'data-testid="sum-outstanding">1506.90<' in page
    # November's list holds the balance dated 30 November; the paid parts are no payment of
    # December (the fee report counts money received in Fuwu only).
    november = fees.households(scope(world, **{"from": "2026-11-01", "to": "2026-11-30"}))
    assert [(h.unit, h.outstanding, h.state) for h in november] == [
        ("2栋1单元202", D("99"), fees.ARREARS)
    ]
    assert fees.fee_report(scope(world), "day").total.count == 0


def test_every_bad_row_is_named_and_nothing_is_written(world, today):
    _units(world)
    manager = signed_in(world, "sc_manager")
    content = xlsx(
        HEADERS,
        [9, 1, 101, "物业管理费", 10, 0, "2026-12-01", ""],  # 2: no building 9
        [1, 1, 999, "物业管理费", 10, 0, "2026-12-01", ""],  # 3: no such unit
        [1, 1, 101, "物业管理费", -5, 0, "2026-12-01", ""],  # 4: negative
        [1, 1, 101, "物业管理费", "abc", 0, "2026-12-01", ""],  # 5: not a number
        [1, 1, 101, "物业管理费", 10, 0, "2026-13-01", ""],  # 6: not a date
        [2, 1, 201, "物业管理费", 10, 0, "2026-12-25", ""],  # 7: after today
        [1, 1, 101, "物业管理费", 10, 0, "2026-12-01", ""],  # 8: good
        [1, 1, 101, "management_fee", 20, 0, "2026-12-01", ""],  # 9: row 8 again
        [1, 1, 102, "煤气费", 10, 0, "2026-12-01", ""],  # 10: no such fee
        [1, 1, 102, "水电费", 0, None, "2026-12-01", ""],  # 11: nothing owed nor paid
        [1, 1, 102, "水电费", 10, None, None, ""],  # 12: no date
    )
    upload(manager, world, content)
    assert problems(world) == [
        (2, "楼栋", "本项目没有楼栋“9”。"),
        (3, "房号", "本项目没有房屋“1栋1单元999”。"),
        (4, "欠费金额（元）", "不能小于 0。"),
        (5, "欠费金额（元）", "应为数字，而不是“abc”。"),
        (6, "截至日期", "应为日期（如 2026-11-30），而不是“2026-13-01”。"),
        (7, "截至日期", "不能晚于今天（2026-12-04）。"),
        (9, "收费项目", "与第 8 行重复。"),
        (10, "收费项目", "“煤气费”不是可选值，可选：物业管理费、水电费、车位费、其他代收费用。"),
        (11, "欠费金额（元）", "欠费金额和已缴金额不能都为零。"),
        (12, "截至日期", "必填。"),
    ]
    batch = ImportBatch.objects.get()
    assert batch.status == "refused"
    manager.post(f"/imports/{batch.pk}/confirm/")  # refused: the batch has problems
    assert not OpeningBalance.objects.exists()
    # In English: the headers the template gives in English, the messages too.
    manager.post("/language/", {"language": "en"})
    english = ["Building", "Unit", "Room", "Fee", "Outstanding (CNY)", "Paid (CNY)", "As of"]
    bad = xlsx(
        english,
        [1, 1, 102, "Gas", 5, 0, "2026-11-30"],
        [1, 1, 102, "Water and electricity", 5, 0, "30/11/2026"],
    )
    upload(manager, world, bad)
    with translation.override("en"):
        assert problems(world) == [
            (2, "Fee", ENGLISH_FEES),
            (3, "As of", "Must be a date (such as 2026-11-30), not “30/11/2026”."),
        ]
    manager.post("/language/", {"language": "zh-hans"})

    # A unit and fee item already with a balance is refused, and so is a wrong header.
    upload(manager, world, xlsx(HEADERS, [1, 1, 101, "物业管理费", 10, 0, "2026-12-01", ""]))
    manager.post(f"/imports/{ImportBatch.objects.first().pk}/confirm/")
    assert OpeningBalance.objects.count() == 1
    upload(manager, world, xlsx(HEADERS, [1, 1, 101, "物业管理费", 5, 0, "2026-12-02", ""]))
    assert problems(world) == [(2, "收费项目", "房屋“1栋1单元101”的“物业管理费”已有期初余额。")]
    upload(manager, world, xlsx([*HEADERS[:4], "金额", *HEADERS[5:]], [1, 1, 102, "水电费", 5]))
    assert problems(world) == [
        (1, "欠费金额（元）", "缺少列“欠费金额（元）”。"),
        (1, "金额", "无法识别的列“金额”，请使用模板中的列名。"),
    ]
    assert OpeningBalance.objects.count() == 1
