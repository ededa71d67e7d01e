"""A field that refers to another case (`type: case`), cleaned by the engine without a database."""

from __future__ import annotations

import pytest

from fuwu.procedures.engine.definition import FieldDef
from fuwu.procedures.engine.machine import clean_value

LINK = FieldDef.model_validate(
    {"key": "related_case", "type": "case", "label": {"zh": "工单", "en": "Case"}}
)
KNOWN = {"20261203-000123": 123, "123": 123, "7": 7}


def finder(text: str) -> int | None:
    return KNOWN.get(text)


@pytest.mark.parametrize(
    ("raw", "stored"),
    [("20261203-000123", 123), (" 20261203-000123 ", 123), ("123", 123), (123, 123), (7, 7)],
)
def test_a_case_is_taken_by_number_or_id_and_stored_as_its_id(raw: object, stored: int) -> None:
    assert clean_value(LINK, raw, find_case=finder) == (stored, None)


@pytest.mark.parametrize(
    "raw", ["20261203-000124", "999", "call me", "2026-12-03", True, False, 1.5, [123], {"id": 1}]
)
def test_anything_else_is_not_a_case(raw: object) -> None:
    value, error = clean_value(LINK, raw, find_case=finder)
    assert value is None and error is not None and error.code == "not_case"
    assert "20261203-000123" in error.message("zh-hans") and "case" in error.message("en")


def test_blank_is_no_value_unless_required() -> None:
    assert clean_value(LINK, "", find_case=finder) == (None, None)
    required = LINK.model_copy(update={"required": True})
    value, error = clean_value(required, " ", find_case=finder)
    assert value is None and error is not None and error.code == "required"


def test_without_a_finder_only_an_id_is_taken() -> None:
    assert clean_value(LINK, "42") == (42, None)
    value, error = clean_value(LINK, "20261203-000042")
    assert value is None and error is not None and error.code == "not_case"
