"""Computed values in a procedure: `procedures check` finds bad expressions with their place;
`recompute`, `defaults` and `set` work on case data; `plan_transition` refuses computed input."""

from __future__ import annotations

import copy
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from fuwu.procedures.engine.computed import defaults, recompute, set_values
from fuwu.procedures.engine.definition import Procedure
from fuwu.procedures.engine.errors import EngineError
from fuwu.procedures.engine.machine import CaseView, plan_transition
from fuwu.procedures.tests.test_validate import L, problems, valid

NOW = datetime.fromisoformat("2026-12-03T10:00:00+08:00")
PARTS = {
    "key": "parts",
    "type": "lines",
    "label": L,
    "columns": [
        {"key": "quantity", "type": "number", "label": L, "min": 0, "required": True},
        {"key": "unit_price", "type": "money", "label": L, "required": True},
        {"key": "total", "type": "money", "label": L, "compute": "quantity * unit_price"},
    ],
}


def computing() -> dict[str, Any]:
    d = valid()
    d["fields"] += [
        {"key": "area", "type": "number", "label": L},
        {"key": "rate", "type": "money", "label": L, "default": "2.50"},
        {"key": "fee", "type": "money", "label": L, "compute": "data.area * data.rate"},
        {"key": "due", "type": "money", "label": L, "compute": "data.fee + data.parts_total"},
        {"key": "when", "type": "date", "label": L, "default": "date(now)"},
    ]
    d["steps"]["work"]["form"] += [
        copy.deepcopy(PARTS),
        {
            "key": "parts_total",
            "type": "money",
            "label": L,
            "compute": "sum(data.parts.map(p, p.total))",
        },
    ]
    d["steps"]["work"]["checklist"] = []
    d["steps"]["work"]["transitions"][0]["guard"] = None
    d["steps"]["archive"]["effects"] = [{"set": {"note": {"expr": "'fee ' + data.note"}}}]
    return d


def procedure() -> Procedure:
    return Procedure.model_validate(computing())


def test_a_computing_definition_is_valid(tmp_path: Path) -> None:
    assert problems(tmp_path, computing()) == []


def _set(path: str, value: Any) -> Any:
    def mutate(d: dict[str, Any]) -> None:
        target: Any = d
        *parents, last = path.split("/")
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        target[last] = value

    return mutate


@pytest.mark.parametrize(
    ("mutate", "where", "message"),
    [
        (_set("fields/3/compute", "data.rate * data.note"), "fields[3].compute", "money * text"),
        (
            _set("fields/3/compute", "data.area > 1"),
            "fields[3].compute",
            "gives bool, but `fee` is a money field",
        ),
        (
            _set("fields/3/compute", "data.nope * 2"),
            "fields[3].compute",
            "unknown name `data.nope`",
        ),
        (_set("fields/3/compute", "data.area *"), "fields[3].compute", "unexpected 'end'"),
        (
            _set("fields/2/default", "'x'"),
            "fields[2].default",
            "gives text, but `rate` is a money field",
        ),
        (
            _set("steps/work/form/1/columns/2/compute", "quantity * colour"),
            "steps.work.form[1].columns[2].compute",
            "unknown name `colour`",
        ),
        (
            _set("steps/work/form/1/columns/2/compute", "data.area * quantity"),
            "steps.work.form[1].columns[2].compute",
            "unknown name `data`",
        ),
        (
            _set("steps/archive/effects/0/set", {"note": {"expr": "data.area + 1"}}),
            "steps.archive.effects[0].set.note",
            "gives number, but `note` is a text field",
        ),
        (
            _set("steps/archive/effects/0/set", {"other": {"expr": "1"}}),
            "steps.archive.effects[0].set.other",
            "an expression is stored in a declared field only",
        ),
        (
            _set("steps/archive/effects/0/set", {"fee": "1.00"}),
            "steps.archive.effects[0].set.fee",
            "`fee` is computed; it cannot be set",
        ),
        (
            _set("fields/3/compute", "data.due"),
            "fields",
            "computed fields read each other in a circle: due, fee",
        ),
    ],
)
def test_check_reports_expression_problems_with_their_place(
    tmp_path: Path, mutate: Any, where: str, message: str
) -> None:
    data = computing()
    mutate(data)
    found = problems(tmp_path, data)
    assert any(w == where and message in m for w, m in found), found


def test_recompute_follows_dependencies_and_reports_only_changes() -> None:
    p = procedure()
    parts = [{"quantity": 2, "unit_price": "35.00", "total": "70.00"}]
    changed = recompute(p, {"area": 120, "rate": "2.50", "parts": parts}, NOW)
    assert changed == {"fee": "300.00", "parts_total": "70.00", "due": "370.00"}
    same = {"area": 120, "rate": "2.50", "parts": parts, **changed}
    assert recompute(p, same, NOW) == {}
    # Blank inputs: nothing stored, no noise; an earlier value is blanked out.
    assert recompute(p, {}, NOW) == {"parts_total": "0.00"}
    assert recompute(p, {"fee": "300.00", "parts_total": "0.00"}, NOW) == {"fee": None}


def test_defaults_fill_only_blank_fields() -> None:
    p = procedure()
    assert defaults(p, p.fields, {}, NOW) == {"rate": "2.50", "when": "2026-12-03"}
    assert defaults(p, p.fields, {"rate": "3.00"}, NOW) == {"when": "2026-12-03"}
    ranged = p.model_copy(
        update={
            "fields": [f.model_copy(update={"min": 3}) if f.key == "rate" else f for f in p.fields]
        }
    )
    assert defaults(ranged, ranged.fields, {}, NOW) == {"when": "2026-12-03"}  # 2.50 < min 3


def test_set_with_an_expression() -> None:
    p = procedure()
    effect = p.steps["archive"].effects[0]
    assert effect.set is not None
    assert set_values(p, effect.set, {"note": "ok"}, NOW) == {"note": "fee ok"}


def view(data: dict[str, Any]) -> CaseView:
    return CaseView("work", "open", "normal", "phone", "", False, 0, data)


def test_a_submitted_computed_value_is_refused_and_nothing_planned() -> None:
    p = procedure()
    with pytest.raises(EngineError) as refused:
        plan_transition(p, view({}), "finish", ["technician"], {"result": "x", "parts_total": "1"})
    assert {k: e.code for k, e in refused.value.fields.items()} == {"parts_total": "computed_field"}
    assert refused.value.fields["parts_total"].message("en") == (
        "This value is computed; it cannot be entered"
    )


def test_a_guard_sees_values_computed_from_this_form() -> None:
    d = computing()
    d["steps"]["work"]["transitions"][0]["guard"] = "double(data.parts_total) > 100.0"
    p = Procedure.model_validate(d)
    rows = [{"quantity": 3, "unit_price": "35.00"}]
    plan = plan_transition(p, view({}), "finish", ["technician"], {"result": "x", "parts": rows})
    assert plan.values["parts"] == [{"quantity": 3, "unit_price": "35.00", "total": "105.00"}]
    with pytest.raises(EngineError) as refused:
        one = [{"quantity": 1, "unit_price": "35.00"}]
        plan_transition(p, view({}), "finish", ["technician"], {"result": "x", "parts": one})
    assert refused.value.code == "guard_failed"


def test_line_errors_come_back_per_row_and_column_and_nothing_is_planned() -> None:
    p = procedure()
    rows = [{"quantity": 1, "unit_price": "1.00"}, {"quantity": -1, "unit_price": "1.00", "x": 1}]
    with pytest.raises(EngineError) as refused:
        plan_transition(p, view({}), "finish", ["technician"], {"result": "x", "parts": rows})
    assert {k: e.code for k, e in refused.value.fields.items()} == {
        "parts.1.quantity": "below_min",
        "parts.1.x": "unknown_column",
    }


def test_a_blank_default_field_is_filled_on_submission() -> None:
    d = copy.deepcopy(computing())
    d["steps"]["work"]["form"].append(
        {"key": "stamp", "type": "text", "label": L, "required": True, "default": "'auto'"}
    )
    p = Procedure.model_validate(d)
    plan = plan_transition(p, view({}), "finish", ["technician"], {"result": "x"})
    assert plan.values["stamp"] == "auto"
    plan = plan_transition(p, view({}), "finish", ["technician"], {"result": "x", "stamp": "mine"})
    assert plan.values["stamp"] == "mine"
