"""Every library definition's guards, computed values and defaults, run on sample data of the
declared types and on blank data: none of them fails at run time.

`procedures check` type-checks the computed values statically; this test runs them (and the CEL
guards, which the `cel` library only checks for syntax) the way a case would.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from fuwu.procedures.engine.compute import ComputeError, compile_expr, data_env
from fuwu.procedures.engine.compute_types import check_source, row_scope
from fuwu.procedures.engine.computed import (
    compute_order,
    placed_effects,
    placed_fields,
    recompute,
    sample_value,
)
from fuwu.procedures.engine.definition import FieldType, Procedure, SetExpr
from fuwu.procedures.engine.expressions import compile_guard
from fuwu.procedures.engine.machine import CHECKS_KEY, CaseView, compute_row, guard_context
from fuwu.procedures.engine.validate import load_file

LIBRARY = sorted((Path(__file__).resolve().parents[1] / "library").glob("*.yaml"))
NOW = datetime.fromisoformat("2026-12-07T10:00:00+08:00")


def load(path: Path) -> Procedure:
    loaded = load_file(path)
    assert loaded.procedure is not None, loaded.problems
    return loaded.procedure


def sample_data(p: Procedure, shift: int) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for i, (key, f) in enumerate(p.all_fields().items()):
        if f.compute is not None:
            continue
        value = sample_value(f, i + shift)
        if f.type is FieldType.LINES:
            value = [compute_row(f, row) for row in value]
        data[key] = value
    # Keys only `set` effects write (not declared fields) hold what an effect writes there.
    for _, effect in placed_effects(p):
        for key, value in (effect.set or {}).items():
            if key not in p.all_fields() and not isinstance(value, SetExpr):
                data.setdefault(key, value)
    return {**data, **recompute(p, data, NOW)}


def expressions(p: Procedure) -> Iterator[tuple[str, str, Any]]:
    """(place, source, the field its value is for) of every computed value and default."""
    for where, f in placed_fields(p):
        if f.compute:
            yield f"{where}.compute", f.compute, f
        if f.default:
            yield f"{where}.default", f.default, f
    for where, effect in placed_effects(p):
        for key, value in (effect.set or {}).items():
            if isinstance(value, SetExpr):
                yield f"{where}.set.{key}", value.expr, p.all_fields()[key]


def guards(p: Procedure) -> Iterator[tuple[str, str, str]]:
    for key, step in p.steps.items():
        for t in step.transitions:
            if t.guard:
                yield key, f"steps.{key}.{t.key}.guard", t.guard
            for w in t.warnings:
                yield key, f"steps.{key}.{t.key}.warning", w.when
        for item in [*step.checklist, *(c for b in step.branches for c in b.checklist)]:
            if item.when:
                yield key, f"steps.{key}.checklist.{item.key}.when", item.when


@pytest.mark.parametrize("path", LIBRARY, ids=lambda p: p.stem)
@pytest.mark.parametrize("shift", [0, 1, 2])
def test_computed_values_and_defaults_run_on_sample_data(path: Path, shift: int) -> None:
    p = load(path)
    data = sample_data(p, shift)
    env = data_env(p.all_fields(), data, NOW)
    for where, source, f in expressions(p):
        try:
            compile_expr(source).evaluate(env)
        except ComputeError as exc:  # pragma: no cover - the failure message is the point
            pytest.fail(f"{path.stem}: {where}: {exc}")
    for _, f in placed_fields(p):
        for column in f.columns or []:
            if column.compute:
                columns = {c.key: c for c in f.columns or []}
                assert check_source(column.compute, row_scope(f))
                for row in data.get(f.key) or []:
                    row_env = data_env(columns, row, NOW)["data"]  # the row as its compute sees it
                    assert compile_expr(column.compute).evaluate(row_env) is not None
    compute_order(p)  # no circle


@pytest.mark.parametrize("path", LIBRARY, ids=lambda p: p.stem)
def test_blank_data_gives_blank_values_not_errors(path: Path) -> None:
    p = load(path)
    env = data_env(p.all_fields(), {}, NOW)
    for where, source, f in expressions(p):
        try:
            compile_expr(source).evaluate(env)
        except ComputeError as exc:  # pragma: no cover
            pytest.fail(f"{path.stem}: {where}: {exc}")
    assert all(v in (None, "0.00", 0) for v in recompute(p, {}, NOW).values())


@pytest.mark.parametrize("path", LIBRARY, ids=lambda p: p.stem)
@pytest.mark.parametrize("shift", [0, 1])
def test_guards_run_on_sample_data(path: Path, shift: int) -> None:
    p = load(path)
    data = sample_data(p, shift)
    for step, where, source in guards(p):
        view = CaseView(step, "open", "normal", "phone", "", False, 0, data)
        items = {i.key: {"value": True, "passed": True} for i in p.steps[step].checklist}
        context = guard_context(p, view, {**data, CHECKS_KEY: {step: items}})
        try:
            result = compile_guard(source).program.execute(context)
        except Exception as exc:  # pragma: no cover - any failure is the finding
            pytest.fail(f"{path.stem}: {where}: {source!r} fails on sample data: {exc!r}")
        assert isinstance(result, bool), (where, result)
