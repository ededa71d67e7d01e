"""Write-back effects (`update_asset`, `update_customer`) in the engine: format, check, values.

No database: what the effects write is worked out by `record_values` from the case's data; the
action layer (fuwu.cases.flow) hands that to the customer actions.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from fuwu.procedures.engine.definition import CopyField, Effect
from fuwu.procedures.engine.machine import record_values
from fuwu.procedures.tests.test_validate import problems, valid


def with_effect(effect: dict[str, Any]) -> dict[str, Any]:
    data = valid()
    data["steps"]["work"]["transitions"][0]["effects"] = [effect]
    return data


def test_a_write_back_names_literals_and_fields(tmp_path: Path) -> None:
    effect = {"update_asset": {"attributes": {"occupied": True, "reading": {"field": "result"}}}}
    assert problems(tmp_path, with_effect(effect)) == []
    parsed = Effect.model_validate(effect)
    assert parsed.update_asset is not None
    assert parsed.update_asset.attributes == {
        "occupied": True,
        "reading": CopyField(field="result"),
    }


@pytest.mark.parametrize(
    ("effect", "where", "message"),
    [
        (
            {"update_asset": {"attributes": {"reading": {"field": "nope"}}}},
            "steps.work.transitions[0].effects[0].update_asset.attributes.reading",
            "'nope' is not a field of the procedure",
        ),
        (
            {"update_customer": {"preferences": {"diet": {"field": "nope"}}}},
            "steps.work.transitions[0].effects[0].update_customer.preferences.diet",
            "'nope' is not a field of the procedure",
        ),
    ],
)
def test_a_field_to_copy_must_be_declared(
    tmp_path: Path, effect: dict[str, Any], where: str, message: str
) -> None:
    assert (where, message) in problems(tmp_path, with_effect(effect))


@pytest.mark.parametrize(
    "effect",
    [
        {"update_asset": {"attributes": {}}},  # nothing to write
        {"update_asset": {"attributes": {"Bad Key": 1}}},
        {"update_asset": {"attributes": {"x": {"field": "result", "extra": 1}}}},
        {"update_asset": {"attributes": {"x": {"nested": "mapping"}}}},  # a literal is a scalar
        {"update_asset": {"owner": 3}},
        {"update_customer": {"attributes": {"x": 1}}},
        {"update_asset": {"attributes": {"x": 1}}, "mark_comeback": True},
    ],
)
def test_a_malformed_write_back_is_refused(tmp_path: Path, effect: dict[str, Any]) -> None:
    found = problems(tmp_path, with_effect(effect))
    assert found and all(
        where.startswith("steps.work.transitions[0].effects[0]") for where, _ in found
    )


def test_values_are_literals_or_the_cases_current_values() -> None:
    spec = {
        "occupied": True,
        "water": CopyField(field="water_meter"),
        "members": CopyField(field="family"),
        "note": CopyField(field="missing"),
        "blank": CopyField(field="empty"),
    }
    data = {"water_meter": 12.5, "family": [{"name": "王芳"}, {"name": "李强"}], "empty": ""}
    values, blank = record_values(spec, data)
    assert values == {
        "occupied": True,
        "water": 12.5,
        "members": [{"name": "王芳"}, {"name": "李强"}],
    }
    assert blank == ["note", "blank"]
