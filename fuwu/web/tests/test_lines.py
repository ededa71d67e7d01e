"""Line items and multi-select on the staff pages and the portal, without a browser: the
editor's inputs, the payload, cell errors after a refusal, the case page's table with totals,
the timeline's account of changed rows, the portal's read-only view."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from django.utils import translation

from fuwu.cases import actions
from fuwu.cases.models import Case, Event
from fuwu.portal.tests.helpers import give_account
from fuwu.procedures.engine.definition import FieldDef, Procedure
from fuwu.web.dynforms import form_for_fields, payload_of
from fuwu.web.tests.casesetup import fresh, move, open_repair, signed_in
from fuwu.web.tests.linesetup import ESTIMATE_YAML, open_estimate
from fuwu.web.values import lines_changes

L = {"zh": "标签", "en": "Label"}


def rows_post(case: Case, rows: list[tuple[str, str, str]], **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"version": case.version, "step": case.step, "cycle": case.step_cycle}
    for i, (item, quantity, price) in enumerate(rows):
        body[f"parts.{i}.item"] = item
        body[f"parts.{i}.quantity"] = quantity
        body[f"parts.{i}.unit_price"] = price
    body.update(extra)
    return body


def texts(html: str, testid: str) -> list[str]:
    pattern = rf'data-testid="{re.escape(testid)}"[^>]*>([^<]*)<'
    return [t.strip() for t in re.findall(pattern, html)]


# -- the editor ----------------------------------------------------------------------------


def test_the_step_form_draws_an_editable_table_and_checkboxes(world, estimate_procedure):
    case = open_estimate(world)
    html = signed_in("technician").get(f"/cases/{case.pk}/").content.decode()
    editor = html[html.index('data-testid="lines-parts"') :]
    for name in ("parts.0.item", "parts.0.quantity", "parts.0.unit_price"):
        assert f'name="{name}"' in editor
    assert 'name="parts.0.total"' not in editor  # computed: shown, never posted
    assert 'data-compute="quantity * unit_price"' in editor
    assert 'data-min="0"' in editor and 'type="number"' in editor
    assert 'data-testid="add-row-parts"' in editor and "<template data-row-template>" in editor
    assert 'data-testid="total-parts-total"' in editor  # the computed money column is summed
    assert 'type="checkbox"' in html and 'name="work_types" value="clean"' in re.sub(
        r'\s+id="[^"]*"', "", html
    )
    assert "static/web/lines.js" in html or "/static/web/lines.js" in html


def test_posted_cells_become_typed_rows_in_order():
    field = FieldDef.model_validate(
        {
            "key": "visits",
            "type": "lines",
            "label": L,
            "columns": [
                {"key": "who", "type": "text", "label": L},
                {"key": "on", "type": "date", "label": L},
                {"key": "at", "type": "datetime", "label": L},
                {"key": "home", "type": "bool", "label": L},
                {"key": "hours", "type": "number", "label": L},
                {"key": "double", "type": "number", "label": L, "compute": "hours * 2"},
            ],
        }
    )
    posted = {
        "visits.1.who": " 李四 ",
        "visits.1.on": "2026-12-04",
        "visits.1.at": "2026-12-04T09:30",
        "visits.1.home": "no",
        "visits.1.hours": "1.5",
        "visits.1.double": "999",  # a computed cell is never taken from input
        "visits.0.who": "张三",
        "visits.0.home": "yes",
        "visits.0.hours": "",
        "visits.2.who": "",  # a blank row is sent along: the engine's row numbers stay the page's
    }
    with translation.override("zh-hans"):
        form = form_for_fields([field], "zh-hans", data=posted)
        rows = payload_of(form).form["visits"]
    assert [r["who"] for r in rows] == ["张三", "李四", ""]
    assert rows[0]["home"] is True and rows[1]["home"] is False
    assert rows[1]["on"] == "2026-12-04" and rows[1]["at"].startswith("2026-12-04T09:30:00+08")
    assert "double" not in rows[1]
    assert form.specs["visits"].kind == "lines"
    assert [c.kind for c in form.specs["visits"].columns] == [
        "text",
        "date",
        "datetime",
        "bool",
        "number",
        "computed",
    ]


def test_blank_rows_and_boxes_send_nothing_unless_they_clear_a_stored_value():
    parts = FieldDef.model_validate(
        {
            "key": "parts",
            "type": "lines",
            "label": L,
            "columns": [{"key": "item", "type": "text", "label": L}],
        }
    )
    tags = FieldDef.model_validate(
        {
            "key": "tags",
            "type": "multi_choice",
            "label": L,
            "options": [{"value": "a", "label": L}, {"value": "b", "label": L}],
        }
    )
    blank = {"parts.0.item": " ", "parts.posted": "1", "tags.posted": "1"}
    assert payload_of(form_for_fields([parts, tags], "en", data=blank)).form == {}
    stored = {"parts": [{"item": "x"}], "tags": ["a"]}
    cleared = form_for_fields([parts, tags], "en", data=blank, initial=stored)
    assert payload_of(cleared).form == {"parts": [], "tags": []}
    # Every row removed on the page (only the table's marker is posted) clears the rows too.
    removed = form_for_fields([parts], "en", data={"parts.posted": "1"}, initial=stored)
    assert payload_of(removed).form == {"parts": []}
    # Fields that were not on the page are left alone.
    absent = form_for_fields([parts, tags], "en", data={"other": "1"}, initial=stored)
    assert payload_of(absent).form == {}
    ticked = form_for_fields([parts, tags], "en", data={"tags": ["b", "a"]})
    assert payload_of(ticked).form == {"tags": ["b", "a"]}


# -- refused and saved -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "message", "summary"),
    [
        ("zh-hans", "不能小于 0", "明细有误，请更正标出的单元格。"),
        ("en", "Must be at least 0", "Some rows have errors: see the marked cells."),
    ],
)
def test_a_negative_quantity_is_refused_at_its_cell_and_changes_nothing(
    world, estimate_procedure, language, message, summary
):
    case = open_estimate(world)
    before = (fresh(case).version, fresh(case).data, Event.objects.filter(case=case).count())
    client = signed_in("technician", language)
    body = rows_post(case, [("阀门", "2", "35.50"), ("管件", "-1", "12")], work_types=["replace"])
    response = client.post(f"/cases/{case.pk}/take/quote/", body, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert response.status_code == 400
    assert texts(html, "error-parts.1.quantity") == [message]
    assert texts(html, "error-parts.0.quantity") == []
    assert summary in html
    # What was typed is still there, row by row.
    assert 'name="parts.1.quantity" id="id_parts_1_quantity" value="-1"' in html
    assert 'name="parts.0.item" id="id_parts_0_item" value="阀门"' in html
    assert re.search(r'value="replace"[^>]*checked', html)
    after = fresh(case)
    assert (after.version, after.data, Event.objects.filter(case=case).count()) == before


def test_saved_rows_are_shown_with_totals_and_in_the_timeline(world, estimate_procedure):
    case = open_estimate(world)
    client = signed_in("technician")
    body = rows_post(
        case, [("阀门", "2", "35.50"), ("人工", "1", "80")], work_types=["replace", "clean"]
    )
    response = client.post(f"/cases/{case.pk}/take/quote/", body)
    assert response.status_code == 302, response.content.decode()[:2000]
    case = fresh(case)
    assert case.step == "approve"
    assert [
        (r["item"], r["quantity"], r["unit_price"], r["total"]) for r in case.data["parts"]
    ] == [
        ("阀门", 2, "35.50", "71.00"),
        ("人工", 1, "80.00", "80.00"),
    ]
    assert case.data["work_types"] == ["replace", "clean"]
    assert case.data["parts_total"] == "151.00"

    html = client.get(f"/cases/{case.pk}/").content.decode()
    shown = html[html.index('data-testid="case-values"') :]
    assert "¥71.00" in shown and "¥80.00" in shown
    total = shown[shown.index('data-testid="lines-view-total"') :]
    assert "¥151.00" in total[: total.index("</tr>")]
    assert texts(shown, "value-work_types") == ["更换、清洗"]
    assert texts(shown, "value-parts_total") == ["¥151.00"]
    timeline = html[html.index('data-testid="timeline"') :]
    assert "配件明细：2 行" in timeline
    assert "· 添加第 1 行：阀门（数量 2、单价 ¥35.50、小计 ¥71.00）" in timeline
    assert "· 添加第 2 行：人工（数量 1、单价 ¥80.00、小计 ¥80.00）" in timeline
    assert "· 小计合计：¥151.00" in timeline
    assert "配件合计（自动计算）：¥151.00" in timeline
    # The next step's form (the agent's) starts from the stored rows.
    form = signed_in("agent").get(f"/cases/{case.pk}/").content.decode()
    assert 'name="parts.1.item" id="id_parts_1_item" value="人工"' in form
    assert 'data-value="80.00"' in form


def test_the_timeline_says_which_rows_changed_in_both_languages(world, estimate_procedure):
    case = open_estimate(world)
    case = actions.take_transition(
        world.actor("technician"),
        case.pk,
        "quote",
        version=case.version,
        form={
            "parts": [
                {"item": "阀门", "quantity": 2, "unit_price": "35.50"},
                {"item": "人工", "quantity": 1, "unit_price": "80"},
            ]
        },
    )
    # The agent agrees the estimate with the customer: one valve, no labour, a seal added.
    body = rows_post(case, [("阀门", "1", "35.50"), ("密封圈", "4", "2.50")])
    response = signed_in("agent").post(f"/cases/{case.pk}/take/accept/", body)
    assert response.status_code == 302, response.content.decode()[:2000]
    zh = signed_in("agent").get(f"/cases/{case.pk}/").content.decode()
    assert "· 修改第 1 行 阀门：数量 2 → 1、小计 ¥71.00 → ¥35.50" in zh
    assert "· 添加第 2 行：密封圈（数量 4、单价 ¥2.50、小计 ¥10.00）" in zh
    assert "· 删除原第 2 行：人工（数量 1、单价 ¥80.00、小计 ¥80.00）" in zh
    assert "· 小计合计 ¥151.00 → ¥45.50" in zh
    en = signed_in("agent", "en").get(f"/cases/{case.pk}/").content.decode()
    assert "Parts: 2 rows" in en
    assert "· Changed row 1 阀门: Quantity 2 → 1, Amount ¥71.00 → ¥35.50" in en
    assert "· Added row 2: 密封圈 (Quantity 4, Unit price ¥2.50, Amount ¥10.00)" in en
    assert "· Removed former row 2: 人工 (Quantity 1, Unit price ¥80.00, Amount ¥80.00)" in en
    assert "· Amount total ¥151.00 → ¥45.50" in en


def test_rows_only_moved_read_as_a_new_order():
    field = FieldDef.model_validate(
        {
            "key": "parts",
            "type": "lines",
            "label": L,
            "columns": [{"key": "item", "type": "text", "label": L}],
        }
    )
    a, b = {"item": "a"}, {"item": "b"}
    with translation.override("en"):
        assert lines_changes(field, [a, b], [b, a], "en") == ["Rows put in a new order"]
        assert lines_changes(field, [a, b], [a, b], "en") == []
        assert lines_changes(field, None, [a], "en") == ["Added row 1: a"]


# -- the intake ----------------------------------------------------------------------------


def test_the_intake_opens_a_case_with_rows(world, estimate_procedure):
    # The estimate's first step is the technician's: an agent may not open it (cases.policy).
    client = signed_in("technician")
    page = client.get(
        "/intake/procedure/",
        {"procedure": "test_estimate", "site": world.sites["lanting"].pk},
        headers={"HX-Request": "true"},
    ).content.decode()
    assert 'name="step-parts.0.item"' in page and 'data-testid="lines-parts"' in page
    body = {
        "site": world.sites["lanting"].pk,
        "customer": world.customers["owner"].pk,
        "procedure": "test_estimate",
        "channel": "phone",
        "priority": "normal",
        "asset": world.assets["unit"].pk,
        "title": "热水器不出热水",
        "step-fault": "不出热水",
        "step-parts.0.item": "温控阀",
        "step-parts.0.quantity": "1",
        "step-parts.0.unit_price": "120",
    }
    refused = client.post("/intake/cases/", {**body, "step-parts.0.quantity": "-2"})
    assert refused.status_code == 400 and Case.objects.count() == 0
    assert texts(refused.content.decode(), "error-step-parts.0.quantity") == ["不能小于 0"]
    response = client.post("/intake/cases/", body)
    assert response.status_code == 302, response.content.decode()[:2000]
    case = Case.objects.get()
    assert case.data["parts"] == [
        {"item": "温控阀", "quantity": 1, "unit_price": "120.00", "total": "120.00"}
    ]


# -- the portal ----------------------------------------------------------------------------


def test_the_portal_shows_the_fields_the_definition_lists_read_only(world, estimate_procedure):
    case = open_estimate(world)
    actions.take_transition(
        world.actor("technician"),
        case.pk,
        "quote",
        version=case.version,
        form={"parts": [{"item": "阀门", "quantity": 2, "unit_price": "35.50"}]},
    )
    give_account(world.customers["owner"], "13812345678", "Owner-pass-1")
    client = signed_in_customer()
    html = client.get(f"/portal/cases/{case.pk}/").content.decode()
    shown = html[html.index('data-testid="portal-values"') :]
    shown = shown[: shown.index('data-testid="milestones"')]
    assert "阀门" in shown and "¥71.00" in shown
    assert texts(shown, "value-parts_total") == ["¥71.00"]
    assert "<input" not in shown and "<form" not in shown
    assert "热水器不出热水" not in shown  # the fault is not in `portal.show`


def signed_in_customer(login: str = "13812345678") -> Any:
    client = Client()
    client.post("/portal/login/", {"login": login, "password": "Owner-pass-1"})
    return client


def test_portal_show_must_name_the_procedures_fields():
    import yaml

    raw = yaml.safe_load(ESTIMATE_YAML)
    raw["portal"] = {"show": ["parts", "estimate_total"]}
    with pytest.raises(
        ValueError, match=r"portal\.show names fields the procedure lacks: estimate_total"
    ):
        Procedure.model_validate(raw)


def test_a_paid_repair_charges_from_its_lines_and_the_customer_sees_them(world):
    case = move(
        world,
        at_repair_paid(world),
        "technician",
        "complete",
        {"diagnosis": "阀芯磨损", "solution": "更换阀芯", "owner_agreed": True},
    )
    assert case.step == "record_result"
    client = signed_in("technician")
    page = client.get(f"/cases/{case.pk}/").content.decode()
    assert 'data-testid="lines-labour"' in page and 'data-testid="lines-materials"' in page
    assert 'data-testid="computed-charge"' in page
    body = {
        "version": case.version,
        "step": case.step,
        "cycle": case.step_cycle,
        "result": "已修复",
        "labour.0.work": "更换阀芯",
        "labour.0.hours": "1.5",
        "labour.0.rate": "60",
        "materials.0.item": "阀芯",
        "materials.0.quantity": "1",
        "materials.0.unit_price": "74",
    }
    response = client.post(f"/cases/{case.pk}/take/to_finance/", body)
    assert response.status_code == 302, response.content.decode()[:3000]
    case = fresh(case)
    assert case.step == "finance_entry" and case.data["charge"] == "164.00"

    give_account(world.customers["owner"], "13812345678", "Owner-pass-1")
    html = signed_in_customer().get(f"/portal/cases/{case.pk}/").content.decode()
    shown = html[html.index('data-testid="portal-values"') :]
    shown = shown[: shown.index('data-testid="milestones"')]
    assert texts(shown, "value-charge") == ["¥164.00"]
    assert "更换阀芯" in shown and "¥90.00" in shown and "¥74.00" in shown
    assert "已修复" not in shown  # the result text is the staff's, not in `portal.show`


def at_repair_paid(world: Any) -> Case:
    case = open_repair(world, service_type="paid")
    case = move(world, case, "agent", "issue_work_order", {"details_confirmed": True})
    return move(world, case, "dispatcher", "repair_now", {"repair_mode": "immediate"})


ESTIMATE_ROWS = [
    {
        "kind": "labour",
        "item": "更换前刹车片",
        "quantity": 1.5,
        "unit_price": "120.00",
        "amount": "180.00",
    },
    {
        "kind": "parts",
        "item": "前刹车片",
        "quantity": 1,
        "unit_price": "420.50",
        "amount": "420.50",
    },
]


@pytest.mark.parametrize(
    ("procedure", "data"),
    [
        ("car_reception_repair_order", {"estimate_total": "600.50"}),
        ("toyota_seven_step", {"estimate": "600.50"}),
    ],
)
def test_the_car_owner_sees_the_estimate_in_the_portal(world, procedure, data):
    """The library's estimates are listed in `portal.show`: the rows the advisor recorded (stored
    here as the engine stores them) are the customer's to read, the rest of the case is not."""
    case = actions.open_case(
        world.actor("cc_agent"),
        procedure_key=procedure,
        site_id=world.sites["dealer"].pk,
        channel="phone",
        title="粤B·3K5X8 刹车异响",
        customer_id=world.customers["driver"].pk,
        asset_id=world.assets["car"].pk,
        data={"plate_no": "粤B·3K5X8"}
        | ({"customer_request": "刹车异响"} if "toyota" in procedure else {}),
    )
    stored = {**case.data, "estimate_lines": ESTIMATE_ROWS, "odometer": 48210, **data}
    Case.objects.filter(pk=case.pk).update(data=stored)
    give_account(world.customers["driver"], "13900001111", "Owner-pass-1")
    client = signed_in_customer("13900001111")
    html = client.get(f"/portal/cases/{case.pk}/").content.decode()
    shown = html[html.index('data-testid="portal-values"') :]
    shown = shown[: shown.index('data-testid="milestones"')]
    assert "更换前刹车片" in shown and "工时费" in shown and "¥420.50" in shown
    total = shown[shown.index('data-testid="lines-view-total"') :]
    assert "¥600.50" in total[: total.index("</tr>")]
    assert "48210" not in shown  # the odometer is the workshop's, not in `portal.show`


def test_the_procedure_page_describes_line_items_and_computed_fields(world):
    html = signed_in("agent").get("/procedures/property_repair/").content.decode()
    assert "明细行" in html and "金额（自动计算：“工时（小时）” × “工时单价（元/小时）”）" in html
    assert "自动计算：" in html  # the charge
    english = signed_in("agent", "en").get("/procedures/property_repair/").content.decode()
    assert "Line items" in english and "Amount (computed: “Quantity” × “Unit price”)" in english
