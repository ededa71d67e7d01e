"""What an intake takes from what is known (fuwu.procedures.engine.intake): pure, no database."""

from __future__ import annotations

from pathlib import Path

import pytest

from fuwu.procedures.engine.definition import Procedure
from fuwu.procedures.engine.intake import derived_title, fill_profile, profile_fields
from fuwu.procedures.engine.validate import load_file

LIBRARY = Path(__file__).resolve().parents[1] / "library"
KNOWN = {"name": "王芳", "phone": "13812345678", "email": ""}


def procedure(key: str) -> Procedure:
    loaded = load_file(LIBRARY / f"{key}.yaml")
    assert loaded.procedure is not None, loaded.problems
    return loaded.procedure


def test_a_complaints_complainant_and_phone_are_the_customers() -> None:
    p = procedure("complaint")
    assert profile_fields(p) == {"complainant_name": "name", "contact_phone": "phone"}
    filled = fill_profile(p, {"complaint_content": "漏水", "complainant_name": "  "}, KNOWN)
    assert filled == {
        "complaint_content": "漏水",
        "complainant_name": "王芳",
        "contact_phone": "13812345678",
    }
    typed = {"complainant_name": "王芳的儿子", "contact_phone": "13700001111"}
    assert fill_profile(p, typed, KNOWN) == typed  # someone else complaining: kept


def test_a_procedure_without_a_profile_takes_nothing() -> None:
    p = procedure("property_repair")
    assert profile_fields(p) == {}
    assert fill_profile(p, {"repair_item": "水管"}, KNOWN) == {"repair_item": "水管"}


@pytest.mark.parametrize(
    ("key", "values", "title"),
    [
        ("property_repair", {"repair_item": " 厨房水管\n地面积水", "location": "厨房"}, "厨房水管"),
        ("property_repair", {"location": "厨房"}, "厨房"),  # no repair item: the next text
        ("complaint", {"complainant_name": "王芳", "complaint_content": "又漏水了"}, "又漏水了"),
        ("toyota_seven_step", {"plate_no": "粤B·3K5X8", "customer_request": "异响"}, "异响"),
        ("property_repair", {"service_type": "free"}, ""),  # no text at all
        ("property_repair", {"repair_item": "长" * 80}, "长" * 60),
    ],
)
def test_a_blank_title_is_the_first_line_of_what_the_case_is_about(
    key: str, values: dict[str, str], title: str
) -> None:
    assert derived_title(procedure(key), values) == title
