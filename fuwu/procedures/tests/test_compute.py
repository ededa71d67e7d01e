"""The computed-value language (`compute.py`): parsing, decimal evaluation, blanks, types."""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal as D
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fuwu.procedures.engine.compute import (
    MAX_DEPTH,
    MAX_LIST,
    MAX_SOURCE,
    ComputeError,
    compile_expr,
    data_env,
    stored_form,
)
from fuwu.procedures.engine.compute_types import check_source, data_scope
from fuwu.procedures.engine.definition import FieldDef
from fuwu.procedures.engine.machine import clean_field

L = {"zh": "标签", "en": "Label"}


def fdef(key: str, type_: str, **extra: Any) -> FieldDef:
    return FieldDef.model_validate({"key": key, "type": type_, "label": L, **extra})


PARTS = fdef(
    "parts",
    "lines",
    columns=[
        {"key": "quantity", "type": "number", "label": L, "min": 0},
        {"key": "unit_price", "type": "money", "label": L},
        {"key": "total", "type": "money", "label": L, "compute": "quantity * unit_price"},
    ],
)
FIELDS = {
    f.key: f
    for f in [
        fdef("area", "number"),
        fdef("rate", "money"),
        fdef("paid", "money"),
        fdef("note", "text"),
        fdef("kind", "choice", options=[{"value": "gas", "label": L}]),
        fdef("urgent", "bool"),
        fdef("due", "date"),
        fdef("done_at", "datetime"),
        fdef("rooms", "multi_choice", options=[{"value": "a", "label": L}]),
        PARTS,
    ]
}
SCOPE = data_scope(FIELDS)


def run(source: str, **data: Any) -> Any:
    now = datetime.fromisoformat("2026-12-03T10:00:00+08:00")
    return compile_expr(source).evaluate(data_env(FIELDS, data, now))


@pytest.mark.parametrize(
    ("source", "data", "result"),
    [
        ("data.area * data.rate", {"area": 120, "rate": "2.50"}, D("300.00")),
        ("(data.area - 100) * data.rate", {"area": 120.5, "rate": "2.50"}, D("51.25")),
        ("data.rate - data.paid", {"rate": "300.00", "paid": "120.50"}, D("179.50")),
        ("1 + 2 * 3", {}, D(7)),
        ("(1 + 2) * 3", {}, D(9)),
        ("10 / 4", {}, D("2.5")),
        ("10 % 4", {}, D(2)),
        ("-data.area", {"area": 3}, D(-3)),
        ("0.1 + 0.2 == 0.3", {}, True),  # decimal, not float
        ("data.urgent ? 2 : 1", {"urgent": True}, D(2)),
        ("data.urgent ? 2 : 1", {"urgent": False}, D(1)),
        ("data.kind == 'gas' && !data.urgent", {"kind": "gas", "urgent": False}, True),
        ("data.kind == 'gas' || data.urgent", {"urgent": True}, True),
        ("'a' in data.rooms", {"rooms": ["a"]}, True),
        ("data.note + '!'", {"note": "好"}, "好!"),
        ("size(data.rooms)", {"rooms": ["a"]}, D(1)),
        ("data.rooms.size()", {"rooms": ["a"]}, D(1)),
        ("[1, 2, 3][1]", {}, D(2)),
        ("round(2.345, 2)", {}, D("2.35")),
        ("round(2.5)", {}, D(3)),
        ("round(-2.5)", {}, D(-3)),
        ("min(3, 1, 2)", {}, D(1)),
        ("max([3, 1, 2])", {}, D(3)),
        ("abs(-1.5)", {}, D("1.5")),
        ("int(7.9)", {}, D(7)),
        ("int(-7.9)", {}, D(-7)),
        ("decimal('12.50') * 2", {}, D("25.00")),
        ("date('2026-12-24')", {}, date(2026, 12, 24)),
        (
            "days_between(data.due, data.done_at)",
            {"due": "2026-12-01", "done_at": "2026-12-04T09:00:00+08:00"},
            D(3),
        ),
        ("days_between(data.due, now)", {"due": "2026-12-01"}, D(2)),
        ("date(now) > data.due", {"due": "2026-12-01"}, True),
    ],
)
def test_evaluates(source: str, data: dict[str, Any], result: Any) -> None:
    assert run(source, **data) == result


def test_lines_macros() -> None:
    rows, errors = clean_field(
        PARTS,
        [
            {"quantity": 2, "unit_price": "35.00"},
            {"quantity": "1.5", "unit_price": "80.00"},
            {"quantity": 0, "unit_price": "9.99"},
        ],
    )
    assert errors == {}
    assert [r["total"] for r in rows] == ["70.00", "120.00", "0.00"]
    assert run("sum(data.parts.map(p, p.total))", parts=rows) == D("190.00")
    assert run("data.parts.filter(p, p.quantity > 0).size()", parts=rows) == D(2)
    assert run("data.parts.exists(p, p.quantity == 0)", parts=rows) is True
    assert run("data.parts.all(p, p.quantity > 0)", parts=rows) is False
    assert run("data.parts[0].total", parts=rows) == D("70.00")


@pytest.mark.parametrize(
    "source",
    [
        "data.area * data.rate",
        "data.area > 3",
        "round(data.rate, 2)",
        "days_between(data.due, now)",
        "-data.area",
        "data.urgent ? 1 : 2",
    ],
)
def test_a_blank_input_gives_a_blank_result(source: str) -> None:
    assert run(source) is None


def test_no_rows_add_up_to_nothing_but_a_blank_cell_is_blank() -> None:
    assert run("sum(data.parts.map(p, p.total))") == 0
    assert run("size(data.parts)") == 0
    assert run("max(data.parts.map(p, p.total))") is None
    rows = [{"quantity": 1, "unit_price": "2.00", "total": "2.00"}, {"quantity": 1}]
    assert run("sum(data.parts.map(p, p.total))", parts=rows) is None


def test_blank_logic_and_equality() -> None:
    assert run("data.area == null") is True
    assert run("data.area != null", area=1) is True
    assert run("data.urgent && false") is False
    assert run("data.urgent || true") is True
    assert run("data.urgent && true") is None
    assert run("1 / (data.area - 3)", area=3) is None  # nothing to divide by yet


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("1 +", "unexpected 'end'"),
        ("data.area * ", "unexpected 'end'"),
        ("(1 + 2", "expected `)`"),
        ("1 2", "unexpected '2'"),
        ("data.area # 2", "unexpected character '#'"),
        ("foo(1)", "unknown function `foo`"),
        ("round(1, 2, 3)", "`round` takes 1 to 2 arguments"),
        ("data.parts.sort()", "unknown method `sort`"),
        ("data.parts.map(1, 2)", "needs a variable name"),
        ("__import__('os')", "unknown function `__import__`"),
    ],
)
def test_malformed_expressions_are_refused(source: str, message: str) -> None:
    with pytest.raises(ComputeError, match=re.escape(message)):
        compile_expr(source)


def test_bounds() -> None:
    with pytest.raises(ComputeError, match="nests deeper"):
        compile_expr("(" * (MAX_DEPTH + 1) + "1" + ")" * (MAX_DEPTH + 1))
    with pytest.raises(ComputeError, match="longer than"):
        compile_expr("1" + " + 1" * MAX_SOURCE)
    many = [{"quantity": 1, "unit_price": "1.00", "total": "1.00"}] * (MAX_LIST + 1)
    with pytest.raises(ComputeError, match="longer than"):
        run("data.parts.map(p, p.total)", parts=many)


@pytest.mark.parametrize(
    ("source", "result"),
    [
        ("data.area * data.rate", "money"),
        ("data.rate / data.paid", "number"),
        ("data.area * 2", "number"),
        ("sum(data.parts.map(p, p.total))", "money"),
        ("data.parts.filter(p, p.quantity > 1)", "list"),
        ("data.urgent ? data.rate : 0", "money"),
        ("date(data.done_at)", "date"),
        ("data.kind", "text"),
    ],
)
def test_types(source: str, result: str) -> None:
    assert check_source(source, SCOPE).kind == result


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("data.rate * data.note", "money * text"),
        ("data.area + data.urgent", "number + bool"),
        ("data.due * 2", "date * number"),
        ("data.missing + 1", "unknown name `data.missing`"),
        ("data.parts.map(p, p.colour)", "unknown name `p.colour`"),
        ("rate * 2", "unknown name `rate`"),
        ("data.note ? 1 : 2", "the condition of `?:` is text"),
        ("data.urgent ? 1 : 'a'", "`?:` mixes number and text"),
        ("sum(data.rooms)", "sum(list of text)"),
        ("data.area.map(x, x)", "`map` needs a list, not number"),
        ("data.parts.filter(p, p.total)", "the condition of `filter` is money"),
        ("days_between(data.area, now)", "days_between(number, datetime)"),
        ("data.kind < 3", "text < number"),
    ],
)
def test_type_errors(source: str, message: str) -> None:
    with pytest.raises(ComputeError, match=re.escape(message)):
        check_source(source, SCOPE)


@pytest.mark.parametrize(
    ("type_", "value", "stored"),
    [
        ("money", D("300"), "300.00"),
        ("money", D("0.125"), "0.13"),  # half up, not banker's
        ("money", D("-0.125"), "-0.13"),
        ("money", D("2.675"), "2.68"),
        ("number", D("3.0"), 3),
        ("number", D("2.5"), 2.5),
        ("text", D("2.50"), "2.50"),
        ("date", date(2026, 12, 3), "2026-12-03"),
        ("bool", True, True),
        ("number", "text", None),
        ("money", True, None),
    ],
)
def test_stored_form(type_: str, value: Any, stored: Any) -> None:
    assert stored_form(fdef("f", type_), value) == stored


money = st.decimals(min_value=0, max_value=100000, places=2, allow_nan=False)
quantity = st.integers(min_value=0, max_value=1000)


@given(st.lists(st.tuples(quantity, money), max_size=30))
def test_the_sum_of_lines_is_the_total_of_the_rows(rows: list[tuple[int, D]]) -> None:
    cleaned, errors = clean_field(PARTS, [{"quantity": q, "unit_price": str(p)} for q, p in rows])
    assert errors == {}
    expected = sum((q * p for q, p in rows), D(0))
    if not rows:
        assert cleaned is None
        return
    assert [r["total"] for r in cleaned] == [f"{q * p:.2f}" for q, p in rows]
    total = run("sum(data.parts.map(p, p.total))", parts=cleaned)
    assert total == expected
    assert stored_form(fdef("f", "money"), total) == f"{expected:.2f}"


@given(st.decimals(min_value=-(10**9), max_value=10**9, places=6, allow_nan=False))
def test_money_is_quantized_half_up_to_cents(value: D) -> None:
    stored = stored_form(fdef("f", "money"), value)
    assert stored is not None
    cents = D(stored)
    assert abs(cents - value) <= D("0.005")
    assert cents.as_tuple().exponent == -2
    if abs(cents - value) == D("0.005"):
        assert abs(cents) > abs(value)  # ties go away from zero


@given(st.decimals(min_value=0, max_value=10**6, places=2), st.integers(0, 10**4))
def test_area_times_rate_is_exact(rate: D, area: int) -> None:
    assert run("data.area * data.rate", area=area, rate=str(rate)) == area * rate


@given(
    st.text(alphabet=st.sampled_from(list("data.x+-*/%()[]?:!&|<>=,'\" 0129abmpsu_")), max_size=60)
)
def test_any_text_compiles_or_is_refused_cleanly(source: str) -> None:
    """Whatever an author types, the parser answers with an expression or a ComputeError."""
    try:
        expression = compile_expr(source)
    except ComputeError:
        return
    try:
        check_source(source, SCOPE)
        expression.evaluate(data_env(FIELDS, {"area": 3, "rate": "2.50"}, None))
    except ComputeError:
        pass


numbers = st.decimals(min_value=-1000, max_value=1000, places=2, allow_nan=False)


@given(numbers, numbers, numbers)
def test_precedence_matches_decimal_arithmetic(a: D, b: D, c: D) -> None:
    env = {"data": {"area": a, "rate": b, "paid": c}}
    assert compile_expr("data.area + data.rate * data.paid").evaluate(env) == a + b * c
    assert compile_expr("(data.area - data.rate) * data.paid").evaluate(env) == (a - b) * c
    assert compile_expr("data.area - data.rate - data.paid").evaluate(env) == a - b - c
