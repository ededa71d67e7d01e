"""Validating `book_visit` and `visit_status` (no database): the day, window, length and address
come from fields of the right type, window options are times, and the department is one."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from fuwu.procedures.engine.validate import load_file
from fuwu.procedures.tests.test_validate import L, problems, valid, write

Mutation = Callable[[dict[str, Any]], None]
WHERE = "steps.work.transitions[0].effects[0]"
TIMES = [{"value": v, "label": L} for v in ("t0900", "t1130", "t1700")]


def with_visit(**spec: Any) -> dict[str, Any]:
    """The small valid procedure whose `finish` books a visit with `spec` (over the defaults)."""
    d = valid()
    d["fields"] += [
        {"key": "visit_day", "type": "date", "label": L},
        {"key": "visit_at", "type": "datetime", "label": L},
        {"key": "earliest", "type": "choice", "options": TIMES, "label": L},
        {"key": "latest", "type": "choice", "options": TIMES, "label": L},
        {"key": "minutes", "type": "number", "label": L},
        {"key": "address", "type": "text", "label": L},
        {
            "key": "team",
            "type": "choice",
            "options": [{"value": "engineering", "label": L}],
            "label": L,
        },
    ]
    effect = {"department": "engineering", "day_field": "visit_day", "minutes": 60, **spec}
    d["steps"]["work"]["transitions"][0]["effects"] = [
        {"book_visit": {k: v for k, v in effect.items() if v is not None}}
    ]
    return d


GOOD: list[tuple[str, dict[str, Any]]] = [
    ("a day and a fixed length", {}),
    (
        "a datetime, a window, a typed length, a skill and an address",
        {
            "day_field": "visit_at",
            "window_from_field": "earliest",
            "window_to_field": "latest",
            "minutes": None,
            "minutes_field": "minutes",
            "skill": "electrical",
            "address_field": "address",
        },
    ),
    ("the department from a field", {"department": None, "department_field": "team"}),
]


@pytest.mark.parametrize(("name", "spec"), GOOD, ids=[g[0] for g in GOOD])
def test_a_visit_is_accepted(tmp_path: Path, name: str, spec: dict[str, Any]) -> None:
    assert problems(tmp_path, with_visit(**spec)) == []


BAD: list[tuple[str, dict[str, Any], str, str]] = [
    (
        "an unknown day field",
        {"day_field": "someday"},
        f"{WHERE}.book_visit.day_field",
        "'someday' is not a field of the procedure",
    ),
    (
        "a text field for the day",
        {"day_field": "address"},
        f"{WHERE}.book_visit.day_field",
        "'address' is a text field; it must be a date or datetime field",
    ),
    (
        "a number field for the window",
        {"window_to_field": "minutes"},
        f"{WHERE}.book_visit.window_to_field",
        "'minutes' is a number field; it must be a choice field",
    ),
    (
        "window options that are not times",
        {"window_from_field": "team"},
        f"{WHERE}.book_visit.window_from_field",
        "the options of 'team' must be times written tHHMM (t0930 for 09:30) (found: engineering)",
    ),
    (
        "a text field for the minutes",
        {"minutes": None, "minutes_field": "address"},
        f"{WHERE}.book_visit.minutes_field",
        "'address' is a text field; it must be a number field",
    ),
    (
        "both minutes and a minutes field",
        {"minutes_field": "minutes"},
        f"{WHERE}.book_visit",
        "a visit takes either `minutes` or `minutes_field`",
    ),
    (
        "neither department nor department field",
        {"department": None},
        f"{WHERE}.book_visit",
        "a visit names either `department` or `department_field`",
    ),
    (
        "a department field that is not a choice",
        {"department": None, "department_field": "address"},
        f"{WHERE}.book_visit.department_field",
        "'address' is a text field; it must be a choice field",
    ),
    (
        "zero minutes",
        {"minutes": 0},
        f"{WHERE}.book_visit.minutes",
        "Input should be greater than or equal to 1",
    ),
]


@pytest.mark.parametrize(("name", "spec", "where", "message"), BAD, ids=[b[0] for b in BAD])
def test_a_bad_visit_is_refused_with_where_and_why(
    tmp_path: Path, name: str, spec: dict[str, Any], where: str, message: str
) -> None:
    assert (where, message) in problems(tmp_path, with_visit(**spec))


def test_departments_are_checked_when_the_organisation_is_known(tmp_path: Path) -> None:
    known = frozenset({"service_center", "engineering"})
    path = write(tmp_path, with_visit(department="garage"))
    found = [(p.where, p.message) for p in load_file(path, departments=known).problems]
    assert found == [(f"{WHERE}.book_visit.department", "unknown department 'garage'")]
    path = write(tmp_path, with_visit(department=None, department_field="team"))
    found = [(p.where, p.message) for p in load_file(path, departments=known).problems]
    assert found == []
    found = [
        (p.where, p.message)
        for p in load_file(path, departments=frozenset({"service_center"})).problems
    ]
    assert (
        f"{WHERE}.book_visit.department_field",
        "option 'engineering' is not a department",
    ) in found


def test_visit_status_is_done_or_cancelled(tmp_path: Path) -> None:
    d = valid()
    d["steps"]["work"]["transitions"][0]["effects"] = [{"visit_status": "done"}]
    assert problems(tmp_path, d) == []
    d["steps"]["work"]["transitions"][0]["effects"] = [{"visit_status": "arrived"}]
    found = problems(tmp_path, d)
    assert found == [
        (f"{WHERE}.visit_status", "Input should be 'done' or 'cancelled'"),
    ]
