"""Line items (`type: lines`) and multi-select (`type: multi_choice`): the definition and cleaning.

Errors are keyed by where they are: the field (`parts`), a row (`parts.1`) or a cell
(`parts.1.quantity`), rows counted from 0 in the submitted list.
"""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from fuwu.procedures.engine.definition import MAX_ROWS, FieldDef
from fuwu.procedures.engine.machine import clean_field, clean_value

L = {"zh": "标签", "en": "Label"}
OPTIONS = [{"value": "a", "label": L}, {"value": "b", "label": L}, {"value": "c", "label": L}]


def parts(**extra: Any) -> FieldDef:
    return FieldDef.model_validate(
        {
            "key": "parts",
            "type": "lines",
            "label": L,
            "columns": [
                {"key": "item", "type": "text", "label": L, "required": True},
                {"key": "quantity", "type": "number", "label": L, "min": 0, "required": True},
                {"key": "unit_price", "type": "money", "label": L, "min": 0},
                {"key": "total", "type": "money", "label": L, "compute": "quantity * unit_price"},
            ],
            **extra,
        }
    )


def test_rows_are_cleaned_cell_by_cell() -> None:
    value, errors = clean_field(
        parts(),
        [
            {"item": " 水龙头 ", "quantity": "2", "unit_price": "35.5"},
            {"item": "人工", "quantity": 1.5, "unit_price": 80, "total": "999"},
        ],
    )
    assert errors == {}
    assert value is not None
    assert [(r["item"], r["quantity"], r["unit_price"]) for r in value] == [
        ("水龙头", 2, "35.50"),
        ("人工", 1.5, "80.00"),
    ]
    assert all(set(r) == {"item", "quantity", "unit_price", "total"} for r in value)


def test_errors_name_the_row_and_column() -> None:
    value, errors = clean_field(
        parts(),
        [
            {"item": "阀门", "quantity": 1},
            {"item": "管件", "quantity": -1},
            {"quantity": 2},
            {"item": "x", "quantity": 1, "colour": "red"},
            "not a row",
        ],
    )
    assert value is None
    assert {k: e.code for k, e in errors.items()} == {
        "parts.1.quantity": "below_min",
        "parts.2.item": "required",
        "parts.3.colour": "unknown_column",
        "parts.4": "not_row",
    }
    assert errors["parts.1.quantity"].message("zh") == "不能小于 0"
    assert errors["parts.3.colour"].message("en") == "The rows have no such column"


def test_row_counts() -> None:
    row = {"item": "x", "quantity": 1}
    _, errors = clean_field(parts(max_rows=2), [row, row, row])
    assert {k: (e.code, e.params) for k, e in errors.items()} == {
        "parts": ("too_many_rows", {"max": 2})
    }
    _, errors = clean_field(parts(min_rows=2), [row])
    assert {k: e.code for k, e in errors.items()} == {"parts": "too_few_rows"}
    _, errors = clean_field(parts(), [row] * (MAX_ROWS + 1))
    assert errors["parts"].params == {"max": MAX_ROWS}
    assert clean_field(parts(max_rows=2), [row, row])[1] == {}


def test_blank_rows_are_dropped_and_blank_lines_are_blank() -> None:
    row = {"item": "x", "quantity": 1}
    value, errors = clean_field(parts(), [{"item": " ", "quantity": ""}, row, {}])
    assert errors == {} and value is not None and len(value) == 1
    assert clean_field(parts(), []) == (None, {})
    assert clean_field(parts(), [{}]) == (None, {})
    _, errors = clean_field(parts(required=True), [{"item": ""}])
    assert {k: e.code for k, e in errors.items()} == {"parts": "required"}


def test_not_a_list() -> None:
    _, errors = clean_field(parts(), {"item": "x"})
    assert {k: e.code for k, e in errors.items()} == {"parts": "not_lines"}
    _, error = clean_value(parts(), "x")
    assert error is not None and error.code == "not_lines"


def multi(**extra: Any) -> FieldDef:
    return FieldDef.model_validate(
        {"key": "m", "type": "multi_choice", "label": L, "options": OPTIONS, **extra}
    )


@pytest.mark.parametrize(
    ("raw", "stored", "code"),
    [
        (["c", "a"], ["a", "c"], None),  # kept in the definition's order
        (["b", "b"], ["b"], None),
        ([], None, None),
        (["a", "z"], None, "bad_choice"),
        ("a", None, "not_choices"),
        ([1], None, "not_choices"),
    ],
)
def test_multi_choice(raw: Any, stored: Any, code: str | None) -> None:
    value, error = clean_value(multi(), raw)
    assert value == stored
    assert (error.code if error else None) == code


def test_required_multi_choice() -> None:
    _, error = clean_value(multi(required=True), [])
    assert error is not None and error.code == "required"


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"type": "lines"}, "needs `columns`"),
        ({"type": "text", "columns": []}, "only a lines field"),
        ({"type": "text", "max_rows": 3}, "only a lines field"),
        ({"type": "multi_choice"}, "needs `options`"),
        ({"type": "text", "compute": "1", "default": "2"}, "not both"),
        (
            {"type": "lines", "columns": [{"key": "a", "type": "text", "label": L}] * 2},
            "named twice",
        ),
        (
            {
                "type": "lines",
                "columns": [{"key": "a", "type": "multi_choice", "label": L, "options": OPTIONS}],
            },
            "one value",
        ),
        (
            {
                "type": "lines",
                "min_rows": 3,
                "max_rows": 2,
                "columns": [{"key": "a", "type": "text", "label": L}],
            },
            "`min_rows` is greater",
        ),
    ],
)
def test_definition_errors(spec: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        FieldDef.model_validate({"key": "f", "label": L, **spec})
