"""Interpreting a procedure: which moves a person may make, checking a form, planning a move.

Pure functions over a `CaseView` (the few facts of a case the rules look at). The action layer
(`fuwu.cases.actions`) turns a `Plan` into rows, events and side effects inside one transaction.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from fuwu.procedures.engine.compute import evaluate_for, value_of
from fuwu.procedures.engine.computed import defaults, is_blank, recompute
from fuwu.procedures.engine.definition import (
    DOCUMENT_STATES,
    MAX_ROWS,
    ChecklistItem,
    ChecklistKind,
    CopyField,
    Effect,
    FieldDef,
    FieldType,
    Procedure,
    RecordValue,
    Step,
    StepKind,
    Transition,
)
from fuwu.procedures.engine.errors import EngineError, FieldError, Forbidden
from fuwu.procedures.engine.expressions import compile_guard

# Checklist answers are system records, not fields: kept apart from `data` (a case's
# `records[CHECKS_KEY]`, a `CaseView.checks`) and named `checks` in the guard context:
# checks[step][item] = {"value": ..., "passed": bool}, each step's latest answers.
CHECKS_KEY = "checks"
# Names a definition's field keys may not take: the guard context's own names and the system's
# records (and every key starting with "_", kept for the system).
RESERVED_KEYS = frozenset({"data", "case", "checklist", CHECKS_KEY, "confirmation", "rating"})


@dataclass(frozen=True)
class CaseView:
    step: str
    status: str
    priority: str
    channel: str
    category: str
    is_major: bool
    comeback_count: int
    data: dict[str, Any]
    checks: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)


@dataclass(frozen=True)
class Option:
    transition: Transition
    allowed: bool
    reason: str | None  # None, "role" or "guard"


@dataclass
class Plan:
    transition: Transition
    from_step: str
    to_step: str
    visited: list[str]
    values: dict[str, Any]
    checks: dict[str, dict[str, Any]]
    effects: list[Effect] = field(default_factory=list)
    warnings: list[str] = field(
        default_factory=list
    )  # confirmed warnings, in Chinese, for the event


def guard_context(
    procedure: Procedure,
    view: CaseView,
    data: dict[str, Any] | None = None,
    checks: dict[str, dict[str, dict[str, Any]]] | None = None,
) -> dict[str, Any]:
    """What guards and `when` conditions read: `data` (every field, None when blank), `case`,
    `checklist` (this step's answers) and `checks` (every step's latest answers by step key)."""
    data = view.data if data is None else data
    checks = view.checks if checks is None else checks
    full = {key: None for key in procedure.all_fields()}
    full.update(data)
    items = checks.get(view.step, {})
    failed = sorted(k for k, r in items.items() if not r.get("passed", True))
    return {
        "data": full,
        "case": {
            "step": view.step,
            "status": view.status,
            "priority": view.priority,
            "channel": view.channel,
            "category": view.category,
            "is_major": view.is_major,
            "comeback_count": view.comeback_count,
        },
        "checklist": {"passed": not failed, "failed": failed, "items": items},
        CHECKS_KEY: checks,
    }


def _role_ok(transition: Transition, roles: Iterable[str], superuser: bool) -> bool:
    return superuser or bool(set(transition.roles) & set(roles))


def options(
    procedure: Procedure, view: CaseView, roles: Iterable[str], *, superuser: bool = False
) -> list[Option]:
    """Every transition out of the current step, marked allowed or not (and why not)."""
    step = procedure.steps[view.step]
    context = guard_context(procedure, view)
    roles = set(roles)
    out = []
    for t in step.transitions:
        if not _role_ok(t, roles, superuser):
            out.append(Option(t, False, "role"))
        elif t.guard and not _guard_may_pass(t, procedure, step, context):
            out.append(Option(t, False, "guard"))
        else:
            out.append(Option(t, True, None))
    return out


def _guard_may_pass(
    t: Transition, procedure: Procedure, step: Step, context: dict[str, Any]
) -> bool:
    # A guard that reads a field the person fills in on this very form cannot be judged
    # before the form is submitted, so offer the transition and judge it on submission.
    assert t.guard is not None
    # Procedure-level fields can be submitted with any move, so a blank one is judged later too.
    data = context["data"]
    blank_case_fields = {f.key for f in procedure.fields if is_blank(data.get(f.key))}
    form_keys = {f.key for f in step.form} | {f.key for f in t.fields} | blank_case_fields
    here = context["case"]["step"]
    if step.checklist and re.search(rf"\bchecklist\b|\bchecks\.{re.escape(here)}\b", t.guard):
        return True  # this step's answers come with the form
    if any(re.search(rf"\bdata\.{re.escape(k)}\b", t.guard) for k in form_keys):
        return True
    return compile_guard(t.guard).evaluate(context)


PersonCheck = Callable[[str], bool]
# Finds a case by its number or id (the text as typed) among those the person may refer to
# (same site, visible to them); None when there is none. Supplied by the action layer.
CaseFinder = Callable[[str], int | None]
CASE_REF_RE = re.compile(r"\d{1,12}|\d{8}-\d{6,12}")


def clean_field(
    f: FieldDef,
    raw: Any,
    *,
    is_person: PersonCheck | None = None,
    find_case: CaseFinder | None = None,
) -> tuple[Any, dict[str, FieldError]]:
    """Clean one submitted value; errors are keyed by where they are.

    A scalar's error is keyed by the field (`fee`); a lines field's by the field (`parts`: not a
    list, too many or too few rows), a row (`parts.2`: not a mapping) or a cell
    (`parts.2.quantity`), rows counted from 0 in the submitted list.
    """
    if f.compute is not None:
        # Computed from the case data in the action layer; a blank (a form posting the
        # read-only value back empty) is no attempt to enter one.
        blank = is_blank(raw.strip() if isinstance(raw, str) else raw)
        return None, ({} if blank else {f.key: FieldError("computed_field")})
    if f.type is FieldType.LINES:
        return _clean_lines(f, raw, is_person=is_person, find_case=find_case)
    value, error = clean_value(f, raw, is_person=is_person, find_case=find_case)
    return value, ({f.key: error} if error else {})


def past_errors(
    fields: Iterable[FieldDef], values: dict[str, Any], now: datetime | None
) -> dict[str, FieldError]:
    """`not_past` fields whose newly entered value lies before `now`. A date is compared with
    the date of `now` as given, so the caller passes `now` in the site's zone."""
    errors: dict[str, FieldError] = {}
    if now is None:
        return errors
    for f in fields:
        value = values.get(f.key)
        if not f.not_past or value is None:
            continue
        if f.type is FieldType.DATETIME:
            past = datetime.fromisoformat(value) < now
        else:
            past = date.fromisoformat(value) < now.date()
        if past:
            errors[f.key] = FieldError("in_past")
    return errors


def clean_value(
    f: FieldDef,
    raw: Any,
    *,
    is_person: PersonCheck | None = None,
    find_case: CaseFinder | None = None,
) -> tuple[Any, FieldError | None]:
    """Normalise one submitted value to its stored form, or say what is wrong with it.

    For a lines field the error is the first one found; `clean_field` gives all, per cell.
    """
    if f.type is FieldType.LINES:
        rows, errors = _clean_lines(f, raw, is_person=is_person, find_case=find_case)
        return rows, next(iter(errors.values()), None)
    if isinstance(raw, str):
        raw = raw.strip()  # "   " is as empty as "" for a required field
    if is_blank(raw):
        return None, (FieldError("required") if f.required else None)
    match f.type:
        case FieldType.TEXT:
            if not isinstance(raw, str):
                return None, FieldError("not_text")
            value = raw.strip()
            if len(value) > f.max_length:
                return None, FieldError("too_long", max=f.max_length)
            return value, None
        case FieldType.NUMBER:
            if isinstance(raw, bool):
                return None, FieldError("not_number")
            try:
                number = float(raw)
            except (TypeError, ValueError, OverflowError):
                return None, FieldError("not_number")
            if not math.isfinite(number):
                return None, FieldError("not_number")
            if f.min is not None and number < f.min:
                return None, FieldError("below_min", min=_fmt(f.min))
            if f.max is not None and number > f.max:
                return None, FieldError("above_max", max=_fmt(f.max))
            return (int(number) if number.is_integer() else number), None
        case FieldType.MONEY:
            try:
                amount = Decimal(str(raw))
            except InvalidOperation:
                return None, FieldError("not_money")
            if not amount.is_finite() or amount.as_tuple().exponent < -2 or isinstance(raw, bool):  # type: ignore[operator]
                return None, FieldError("not_money")
            if f.min is not None and amount < Decimal(str(f.min)):
                return None, FieldError("below_min", min=_fmt(f.min))
            if f.max is not None and amount > Decimal(str(f.max)):
                return None, FieldError("above_max", max=_fmt(f.max))
            return f"{amount:.2f}", None
        case FieldType.CHOICE:
            values = [o.value for o in f.options or []]
            if raw not in values:
                return None, FieldError("bad_choice", options=", ".join(values))
            return raw, None
        case FieldType.MULTI_CHOICE:
            values = [o.value for o in f.options or []]
            if not isinstance(raw, list | tuple) or not all(isinstance(v, str) for v in raw):
                return None, FieldError("not_choices")
            if any(v not in values for v in raw):
                return None, FieldError("bad_choice", options=", ".join(values))
            # Stored in the definition's order, each once: equal selections compare equal.
            return [v for v in values if v in raw], None
        case FieldType.BOOL:
            if isinstance(raw, bool):
                return raw, None
            if raw in ("true", "yes", "1", 1):
                return True, None
            if raw in ("false", "no", "0", 0):
                return False, None
            return None, FieldError("not_bool")
        case FieldType.DATETIME:
            try:
                moment = datetime.fromisoformat(str(raw))
            except ValueError:
                return None, FieldError("not_datetime")
            if moment.tzinfo is None:
                return None, FieldError("not_datetime")
            return moment.isoformat(), None
        case FieldType.DATE:
            try:
                return date.fromisoformat(str(raw)).isoformat(), None
            except ValueError:
                return None, FieldError("not_date")
        case FieldType.PERSON:
            if not isinstance(raw, str) or (is_person is not None and not is_person(raw)):
                return None, FieldError("not_person")
            return raw, None
        case FieldType.CASE:
            valid = isinstance(raw, int | str) and not isinstance(raw, bool)
            text = str(raw).strip() if valid else ""
            if not CASE_REF_RE.fullmatch(text):
                return None, FieldError("not_case")
            # Without a finder (the engine alone) only an id can be taken as it is.
            found = find_case(text) if find_case else (int(text) if text.isdigit() else None)
            if found is None:
                return None, FieldError("not_case")
            return found, None
    return None, FieldError("not_text")  # pragma: no cover - every type handled above


def _clean_lines(
    f: FieldDef, raw: Any, *, is_person: PersonCheck | None, find_case: CaseFinder | None = None
) -> tuple[list[dict[str, Any]] | None, dict[str, FieldError]]:
    """Rows of cleaned cells: every column key present, blank cells None.

    A row whose every input cell is blank is dropped (an empty row left on a form). A value
    submitted for a computed column is ignored: it is recomputed from the row, so a row read
    from the API can be sent back as it is.
    """
    if is_blank(raw):
        return None, ({f.key: FieldError("required")} if f.required else {})
    if not isinstance(raw, list | tuple):
        return None, {f.key: FieldError("not_lines")}
    cap = min(f.max_rows or MAX_ROWS, MAX_ROWS)
    if len(raw) > cap:
        return None, {f.key: FieldError("too_many_rows", max=cap)}
    columns = f.columns or []
    known = {c.key for c in columns}
    inputs = [c for c in columns if c.compute is None]
    errors: dict[str, FieldError] = {}
    rows: list[dict[str, Any]] = []
    for index, submitted in enumerate(raw):
        where = f"{f.key}.{index}"
        if not isinstance(submitted, dict):
            errors[where] = FieldError("not_row")
            continue
        for key in submitted:
            if key not in known:
                errors[f"{where}.{key}"] = FieldError("unknown_column")
        if all(is_blank(_stripped(submitted.get(c.key))) for c in inputs):
            continue
        row: dict[str, Any] = {}
        for column in inputs:
            value, error = clean_value(
                column, submitted.get(column.key), is_person=is_person, find_case=find_case
            )
            if error:
                errors[f"{where}.{column.key}"] = error
            row[column.key] = value
        rows.append(compute_row(f, row))
    if errors:
        return None, errors
    if f.min_rows is not None and len(rows) < f.min_rows:
        return None, {f.key: FieldError("too_few_rows", min=f.min_rows)}
    if not rows:
        return None, ({f.key: FieldError("required")} if f.required else {})
    return rows, {}


def compute_row(lines: FieldDef, row: dict[str, Any]) -> dict[str, Any]:
    """The row with its computed columns filled, in column order (a compute may read a
    computed column declared before it); the row's keys in column order."""
    out = dict(row)
    for column in lines.columns or []:
        if column.compute is not None:
            env = {c.key: value_of(c, out.get(c.key)) for c in lines.columns or []}
            out[column.key] = evaluate_for(column, column.compute, env)
    return {c.key: out.get(c.key) for c in lines.columns or []}


def _stripped(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def _fmt(number: float) -> str:
    return str(int(number)) if float(number).is_integer() else str(number)


def clean_checklist(
    items: list[ChecklistItem], submitted: dict[str, Any]
) -> tuple[dict[str, dict[str, Any]], dict[str, FieldError]]:
    """Each answered item becomes {"value", "passed"}; a measurement passes only inside its range."""
    results: dict[str, dict[str, Any]] = {}
    errors: dict[str, FieldError] = {}
    by_key = {i.key: i for i in items}
    for key in submitted:
        if key not in by_key:
            errors[f"checklist.{key}"] = FieldError("unknown_field")
    for item in items:
        if item.key not in submitted or is_blank(submitted[item.key]):
            continue
        raw = submitted[item.key]
        if item.type is ChecklistKind.MEASUREMENT:
            try:
                value = float(raw)
                if not math.isfinite(value) or isinstance(raw, bool):
                    raise ValueError
            except (TypeError, ValueError, OverflowError):
                errors[f"checklist.{item.key}"] = FieldError("not_number")
                continue
            passed = (item.min is None or value >= item.min) and (
                item.max is None or value <= item.max
            )
            results[item.key] = {"value": value, "passed": passed}
        elif item.type is ChecklistKind.DOCUMENT:
            if raw not in DOCUMENT_STATES:
                errors[f"checklist.{item.key}"] = FieldError("bad_document")
                continue
            results[item.key] = {"value": raw, "passed": raw == "received"}
        elif item.type is ChecklistKind.YES_NO:
            if not isinstance(raw, bool):
                errors[f"checklist.{item.key}"] = FieldError("not_bool")
                continue
            results[item.key] = {"value": raw, "passed": raw}
        else:
            if not isinstance(raw, str):
                errors[f"checklist.{item.key}"] = FieldError("not_text")
                continue
            results[item.key] = {"value": raw.strip()[:2000], "passed": True}
    return results, errors


def range_text(item: ChecklistItem) -> str:
    if item.min is not None and item.max is not None:
        return f"{_fmt(item.min)}–{_fmt(item.max)} {item.unit}"
    if item.max is not None:
        return f"≤ {_fmt(item.max)} {item.unit}"
    return f"≥ {_fmt(item.min or 0)} {item.unit}"


def plan_transition(
    procedure: Procedure,
    view: CaseView,
    transition_key: str,
    roles: Iterable[str],
    form: dict[str, Any],
    checklist: dict[str, Any] | None = None,
    *,
    superuser: bool = False,
    is_person: PersonCheck | None = None,
    find_case: CaseFinder | None = None,
    confirmed: bool = False,
    now: datetime | None = None,
) -> Plan:
    """Check a move completely and say what it would do. Raises EngineError; changes nothing.

    Blank fields of this form with a `default` get it, and computed fields are recomputed
    (at `now`, the move's time) before the checklist, guard and warnings are judged.
    """
    step = procedure.steps[view.step]
    transition = next((t for t in step.transitions if t.key == transition_key), None)
    if transition is None:
        raise EngineError("unknown_transition", step=view.step, transition=transition_key)
    if not _role_ok(transition, roles, superuser):
        raise Forbidden(
            "role_not_allowed", transition=transition_key, roles=", ".join(transition.roles)
        )

    fields = {f.key: f for f in procedure.fields}
    fields.update({f.key: f for f in step.form})
    fields.update({f.key: f for f in transition.fields})
    errors: dict[str, FieldError] = {}
    values: dict[str, Any] = {}
    for key, raw in form.items():
        f = fields.get(key)
        if f is None:
            errors[key] = FieldError("unknown_field")
            continue
        value, problems = clean_field(
            f.model_copy(update={"required": False}), raw, is_person=is_person, find_case=find_case
        )
        if problems:
            errors.update(problems)
        elif f.compute is None:
            values[key] = value
    errors.update(past_errors(fields.values(), values, now))
    merged = {**view.data, **values}
    shown = [] if transition.skip_form else step.form
    filled = defaults(procedure, [*shown, *transition.fields], merged, now)
    values.update(filled)
    merged.update(filled)
    merged.update(recompute(procedure, merged, now))
    items = applicable(step.checklist, guard_context(procedure, view, merged, view.checks))
    not_applicable = {i.key for i in step.checklist} - {i.key for i in items}
    submitted = dict(checklist or {})
    for key in not_applicable & set(submitted):
        errors[f"checklist.{key}"] = FieldError("not_applicable")
        submitted.pop(key)
    checks, check_errors = clean_checklist(items, submitted)
    errors.update(check_errors)

    step_checks = {**view.checks.get(view.step, {}), **checks}
    step_required = [] if transition.skip_form else [f.key for f in step.form if f.required]
    required = step_required + [f.key for f in transition.fields if f.required]
    for key in dict.fromkeys([*required, *transition.require]):
        if key not in errors and is_blank(merged.get(key)):
            errors[key] = FieldError("required")
    for item in [] if transition.skip_form else items:
        if item.required and item.key not in step_checks and f"checklist.{item.key}" not in errors:
            errors[f"checklist.{item.key}"] = FieldError("not_done")
    if errors:
        raise EngineError("invalid_form", fields=errors)

    all_checks = {**view.checks, view.step: step_checks} if step_checks else view.checks
    if transition.guard and not compile_guard(transition.guard).evaluate(
        guard_context(procedure, view, merged, all_checks)
    ):
        failed = {
            f"checklist.{i.key}": FieldError(
                "out_of_range",
                value=_fmt(step_checks[i.key]["value"]),
                unit=i.unit or "",
                range=range_text(i),
            )
            for i in step.checklist
            if i.type is ChecklistKind.MEASUREMENT
            and i.key in step_checks
            and not step_checks[i.key]["passed"]
        }
        raise EngineError("guard_failed", transition=transition_key, fields=failed)

    context = guard_context(procedure, view, merged, all_checks)
    raised = [w for w in transition.warnings if compile_guard(w.when).evaluate(context)]
    if raised and not confirmed:
        raise EngineError(
            "confirm_warnings", warnings=[{"zh": w.message.zh, "en": w.message.en} for w in raised]
        )
    visited, effects = follow_automatic(procedure, transition.to)
    return Plan(
        transition,
        view.step,
        visited[-1],
        visited,
        values,
        checks,
        [*transition.effects, *effects],
        [w.message.zh for w in raised],
    )


def follow_automatic(procedure: Procedure, to: str) -> tuple[list[str], list[Effect]]:
    """The steps entered (automatic ones act and move on at once) and the effects of entering them.

    A step's `effects` run when the case enters it, whatever its kind.
    """
    visited = [to]
    effects: list[Effect] = list(procedure.steps[to].effects)
    while procedure.steps[to].kind is StepKind.AUTOMATIC:
        step = procedure.steps[to]
        assert step.next is not None  # validated
        to = step.next
        visited.append(to)
        effects.extend(procedure.steps[to].effects)
    return visited, effects


def status_for(step: Step, *, resolved: bool) -> str:
    """The case status implied by the step it stands on."""
    if step.kind is StepKind.END:
        return "closed" if step.outcome == "done" else step.outcome
    if resolved:
        return "resolved"
    if step.pauses_clock:
        return "waiting"
    return "open"


def applicable(items: list[ChecklistItem], context: dict[str, Any]) -> list[ChecklistItem]:
    """The checklist items whose `when` holds for this case (all items without one)."""
    return [i for i in items if not i.when or compile_guard(i.when).evaluate(context)]


def record_values(
    values: Mapping[str, RecordValue], data: Mapping[str, Any]
) -> tuple[dict[str, Any], list[str]]:
    """What an `update_asset` / `update_customer` writes, given the case's data.

    A literal is written as it is; `{field: x}` copies the case's current value of `x` (a
    lines field's rows as they are). A field without a value is not written (a record's known
    value is not erased by a blank form): its key comes back in the second list.
    """
    out: dict[str, Any] = {}
    blank: list[str] = []
    for key, value in values.items():
        if isinstance(value, CopyField):
            current = data.get(value.field)
            if is_blank(current):
                blank.append(key)
                continue
            out[key] = current
        else:
            out[key] = value
    return out, blank


def offered(
    items: list[ChecklistItem], context: dict[str, Any], open_keys: Iterable[str]
) -> list[ChecklistItem]:
    """The checklist items a form shows: those that apply to the stored case, and those whose
    `when` reads a field this same form may still fill (they are judged on submission)."""
    keys = list(open_keys)
    return [
        i
        for i in items
        if not i.when
        or any(re.search(rf"\bdata\.{re.escape(k)}\b", i.when) for k in keys)
        or compile_guard(i.when).evaluate(context)
    ]
