"""Where computed values apply in a procedure: fields' `compute` and `default`, `set` effects.

The language is `compute.py`; this module knows the procedure. `check_procedure` is the static
part of `procedures check` (every expression parses, names declared fields, has the type its
field can hold, and computed fields do not depend on each other in a circle). The run-time
functions are pure: the action layer calls `recompute` in the one place a case is written
(`fuwu.cases.flow.Change.finish`) and the engine calls it before judging guards.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from fuwu.procedures.engine.compute import (
    ComputeError,
    compile_expr,
    data_env,
    evaluate_for,
    stored_form,
    value_of,
)
from fuwu.procedures.engine.compute_types import check_source, data_scope, fits, row_scope, type_of
from fuwu.procedures.engine.definition import Effect, FieldDef, FieldType, Procedure, SetExpr

Problems = list[tuple[str, str]]


def is_blank(value: Any) -> bool:
    """Not given: None, an empty text, list or mapping (the one rule for forms and computes)."""
    return value is None or value == "" or value == [] or value == {}


# -- static check --------------------------------------------------------------------------


def placed_fields(p: Procedure) -> Iterable[tuple[str, FieldDef]]:
    """Every field declaration with its place in the definition, as `procedures check` names it."""
    for i, f in enumerate(p.fields):
        yield f"fields[{i}]", f
    for key, step in p.steps.items():
        for i, f in enumerate(step.form):
            yield f"steps.{key}.form[{i}]", f
        for b, branch in enumerate(step.branches):
            for i, f in enumerate(branch.form):
                yield f"steps.{key}.branches[{b}].form[{i}]", f
        for t, transition in enumerate(step.transitions):
            for i, f in enumerate(transition.fields):
                yield f"steps.{key}.transitions[{t}].fields[{i}]", f


def placed_effects(p: Procedure) -> Iterable[tuple[str, Effect]]:
    for key, step in p.steps.items():
        for j, effect in enumerate(step.effects):
            yield f"steps.{key}.effects[{j}]", effect
        for t, transition in enumerate(step.transitions):
            for j, effect in enumerate(transition.effects):
                yield f"steps.{key}.transitions[{t}].effects[{j}]", effect


def _check_one(
    where: str, source: str, scope: Mapping[str, Any], target: FieldDef | None, add: Any
) -> None:
    try:
        result = check_source(source, scope)
    except ComputeError as exc:
        add((where, f"{exc} (in `{source}`)"))
        return
    if target is not None and not fits(result, target):
        add((where, f"gives {result}, but `{target.key}` is a {type_of(target)} field"))


def check_procedure(p: Procedure) -> Problems:
    """Every compute, default and `set` expression, checked against the declared fields."""
    problems: Problems = []
    add = problems.append
    fields = p.all_fields()
    scope = data_scope(fields)
    for where, f in placed_fields(p):
        if f.compute is not None:
            _check_one(where + ".compute", f.compute, scope, f, add)
        if f.default is not None:
            _check_one(where + ".default", f.default, scope, f, add)
        for k, column in enumerate(f.columns or []):
            if column.compute is not None:
                columns = row_scope(f)
                _check_one(f"{where}.columns[{k}].compute", column.compute, columns, column, add)
            if column.default is not None:
                add((f"{where}.columns[{k}].default", "a column takes `compute`, not `default`"))
    for where, effect in placed_effects(p):
        for key, value in (effect.set or {}).items():
            if key in fields and fields[key].compute is not None:
                add((f"{where}.set.{key}", f"`{key}` is computed; it cannot be set"))
                continue
            if not isinstance(value, SetExpr):
                continue
            target = fields.get(key)
            if target is None:
                add((f"{where}.set.{key}", "an expression is stored in a declared field only"))
                continue
            _check_one(f"{where}.set.{key}", value.expr, scope, target, add)
    if not problems:
        try:
            compute_order(p)
        except ComputeError as exc:
            add(("fields", str(exc)))
    return problems


def compute_order(p: Procedure) -> list[FieldDef]:
    """The computed fields, each after the computed fields it reads (a circle is an error)."""
    computed = {k: f for k, f in p.all_fields().items() if f.compute is not None}
    reads = {
        k: compile_expr(f.compute or "").data_names & set(computed) for k, f in computed.items()
    }
    order: list[FieldDef] = []
    done: set[str] = set()
    while len(done) < len(computed):
        ready = [k for k in computed if k not in done and reads[k] <= done]
        if not ready:
            circle = sorted(set(computed) - done)
            raise ComputeError(f"computed fields read each other in a circle: {', '.join(circle)}")
        for k in ready:
            order.append(computed[k])
            done.add(k)
    return order


# -- run time ------------------------------------------------------------------------------


def recompute(p: Procedure, data: Mapping[str, Any], now: datetime | None) -> dict[str, Any]:
    """The computed fields' new values where they differ from `data` (empty when none does).

    A computed value that comes out blank (an input not filled yet) is stored only to blank out
    an earlier value, so untouched cases gain no keys and no event noise.
    """
    fields = p.all_fields()
    try:
        order = compute_order(p)
    except ComputeError:
        return {}  # refused by `procedures check`; never loaded into the registry
    env = data_env(fields, data, now)
    changed: dict[str, Any] = {}
    for f in order:
        value = evaluate_for(f, f.compute or "", env)
        if value != data.get(f.key) and not (value is None and f.key not in data):
            changed[f.key] = value
        env["data"][f.key] = value_of(f, value)  # later computed fields read this one
    return changed


def defaults(
    p: Procedure, form: Iterable[FieldDef], data: Mapping[str, Any], now: datetime | None
) -> dict[str, Any]:
    """Values for the blank fields of `form` that have a `default`, computed over `data`.

    The pages call this to pre-fill a form; the engine calls it when a form is submitted with
    such a field blank. A default outside the field's `min`/`max` is left out.
    """
    fields = p.all_fields()
    env = data_env(fields, data, now)
    found: dict[str, Any] = {}
    for f in form:
        if f.default is not None and f.compute is None and is_blank(data.get(f.key)):
            value = evaluate_for(f, f.default, env)
            if value is not None and _in_range(f, value):
                found[f.key] = value
    return found


def _in_range(f: FieldDef, value: Any) -> bool:
    """A default outside the field's range is not offered (the person enters a value)."""
    if f.type not in (FieldType.NUMBER, FieldType.MONEY):
        return True
    number = Decimal(str(value))
    low = f.min is None or number >= Decimal(str(f.min))
    return low and (f.max is None or number <= Decimal(str(f.max)))


def set_values(
    p: Procedure, values: Mapping[str, Any], data: Mapping[str, Any], now: datetime | None
) -> dict[str, Any]:
    """What a `set` effect stores: fixed values as written, `{expr: ...}` computed over `data`."""
    fields = p.all_fields()
    env = data_env(fields, data, now)
    out: dict[str, Any] = {}
    for key, value in values.items():
        if isinstance(value, SetExpr):
            target = fields.get(key)
            out[key] = None if target is None else evaluate_for(target, value.expr, env)
        else:
            out[key] = value
    return out


def sample_value(f: FieldDef, index: int = 0) -> Any:
    """A plausible stored value of the field's type (for tests that walk the library)."""
    match f.type:
        case FieldType.NUMBER | FieldType.CASE:
            return 3 + index
        case FieldType.MONEY:
            return f"{12 + index}.50"
        case FieldType.BOOL:
            return index % 2 == 0
        case FieldType.DATE:
            return f"2026-12-{1 + index % 28:02d}"
        case FieldType.DATETIME:
            return f"2026-12-{1 + index % 28:02d}T10:30:00+08:00"
        case FieldType.CHOICE:
            options = f.options or []
            return options[index % len(options)].value
        case FieldType.MULTI_CHOICE:
            return [o.value for o in (f.options or [])[: 1 + index % 2]]
        case FieldType.LINES:
            return [
                {c.key: sample_value(c, index + n) for c in f.columns or [] if c.compute is None}
                for n in range(2)
            ]
    return f"样例{index}"


__all__ = [
    "check_procedure",
    "compute_order",
    "defaults",
    "placed_fields",
    "recompute",
    "sample_value",
    "set_values",
    "stored_form",
]
