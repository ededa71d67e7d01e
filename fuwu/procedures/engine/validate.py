"""Load procedure files and report every problem precisely: file, place, what is wrong.

`load_file` parses YAML into the typed model (`definition.py`) and then checks what a schema
cannot: that transitions lead to existing steps, required fields exist, guards compile and
name only known variables, every step is reachable and can reach an end, and so on.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from fuwu.procedures.engine.computed import check_procedure
from fuwu.procedures.engine.definition import (
    CopyField,
    Effect,
    FieldType,
    NotifyTarget,
    Procedure,
    Step,
    StepKind,
)
from fuwu.procedures.engine.durations import parse_from_field
from fuwu.procedures.engine.expressions import GUARD_VARIABLES, compile_guard
from fuwu.procedures.engine.machine import RESERVED_KEYS

DEFAULT_ROLES = frozenset(
    {
        "agent",
        "service_advisor",
        "dispatcher",
        "technician",
        "engineer",
        "specialist",
        "manager",
        "vp",
        "qc",
        "finance",
        "security",
        "admin",
        "customer",
    }
)


@dataclass(frozen=True)
class Problem:
    file: str
    where: str
    message: str

    def __str__(self) -> str:
        return (
            f"{self.file}: {self.where}: {self.message}"
            if self.where
            else f"{self.file}: {self.message}"
        )


@dataclass(frozen=True)
class Loaded:
    path: str
    procedure: Procedure | None
    raw: dict[str, Any] | None
    problems: list[Problem]

    @property
    def checksum(self) -> str:
        return definition_checksum(self.raw or {})


def definition_checksum(raw: dict[str, Any]) -> str:
    """A stable hash of a definition's content: the same content is the same version."""
    return hashlib.sha256(json.dumps(raw, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


class _UniqueKeyLoader(yaml.SafeLoader):
    """A safe loader that refuses duplicated keys (YAML would silently keep the last one)."""


def _construct_mapping(
    loader: _UniqueKeyLoader, node: yaml.MappingNode, deep: bool = False
) -> dict[Any, Any]:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        if key_node.tag == "tag:yaml.org,2002:merge":
            continue  # `<<: *anchor` merges are flattened by construct_mapping below
        key = loader.construct_object(key_node, deep=deep)  # type: ignore[no-untyped-call]
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicated key '{key}'", key_node.start_mark
            )
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _loc(loc: Iterable[Any]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def parse(
    raw: Any,
    file: str,
    *,
    roles: frozenset[str] = DEFAULT_ROLES,
    departments: frozenset[str] | None = None,
) -> tuple[Procedure | None, list[Problem]]:
    """Validate an already-parsed definition (a dict). Returns the procedure or the problems."""
    if not isinstance(raw, dict):
        return None, [
            Problem(file, "", "a procedure file must be a mapping (key: value) at the top")
        ]
    try:
        procedure = Procedure.model_validate(raw)
    except ValidationError as exc:
        problems = []
        for err in exc.errors(include_url=False):
            msg = err["msg"].removeprefix("Value error, ")
            problems.append(Problem(file, _loc(err["loc"]), msg))
        return None, problems
    problems = [
        Problem(file, w, m) for w, m in check(procedure, roles=roles, departments=departments)
    ]
    return (procedure if not problems else None), problems


def load_file(
    path: Path | str,
    *,
    roles: frozenset[str] = DEFAULT_ROLES,
    departments: frozenset[str] | None = None,
) -> Loaded:
    path = Path(path)
    name = str(path)
    try:
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=_UniqueKeyLoader)  # noqa: S506 - a SafeLoader
    except OSError as exc:
        return Loaded(name, None, None, [Problem(name, "", f"cannot read: {exc.strerror}")])
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        reason = getattr(exc, "problem", None) or str(exc)
        return Loaded(name, None, None, [Problem(name, where, f"YAML syntax error: {reason}")])
    procedure, problems = parse(raw, name, roles=roles, departments=departments)
    if procedure is not None and path.stem != procedure.key:
        problems.append(
            Problem(
                name, "key", f"the key '{procedure.key}' must match the file name '{path.stem}'"
            )
        )
        procedure = None
    return Loaded(name, procedure, raw if isinstance(raw, dict) else None, problems)


def load_directory(directory: Path | str, **kwargs: Any) -> list[Loaded]:
    loaded = [load_file(p, **kwargs) for p in sorted(Path(directory).glob("*.yaml"))]
    known = {item.procedure.key for item in loaded if item.procedure}
    # Links between procedures can only be checked once all files are read.
    for item in loaded:
        if not item.procedure:
            continue
        for step_key, step in item.procedure.steps.items():
            places = [(f"steps.{step_key}.effects[{j}]", e) for j, e in enumerate(step.effects)]
            places += [
                (f"steps.{step_key}.transitions[{i}].effects[{j}]", e)
                for i, t in enumerate(step.transitions)
                for j, e in enumerate(t.effects)
            ]
            for where, effect in places:
                if effect.open_linked_case and effect.open_linked_case.procedure not in known:
                    item.problems.append(
                        Problem(
                            item.path,
                            f"{where}.open_linked_case",
                            f"no procedure '{effect.open_linked_case.procedure}' in the library",
                        )
                    )
    return loaded


def check(
    p: Procedure, *, roles: frozenset[str], departments: frozenset[str] | None
) -> list[tuple[str, str]]:
    """Cross-reference checks. Returns (where, message) pairs; empty means valid."""
    problems: list[tuple[str, str]] = []
    add = problems.append
    steps = p.steps
    if p.start not in steps:
        add(("start", f"no step '{p.start}'"))
    procedure_fields = {f.key for f in p.fields}
    _unique([f.key for f in p.fields], "fields", problems)

    def check_owner(where: str, department: str | None, role: str | None) -> None:
        if role and role not in roles:
            add((where + ".role", f"unknown role '{role}'"))
        if department and departments is not None and department not in departments:
            add((where + ".department", f"unknown department '{department}'"))

    check_owner("owner", p.owner.department, p.owner.role)
    for code, stand_ins in p.departments.items():
        if not stand_ins:
            add((f"departments.{code}", "name at least one department that stands in for it"))
        for other in stand_ins:
            if departments is not None and other not in departments:
                add((f"departments.{code}", f"unknown department '{other}'"))
    if not p.owner.department:
        add(
            (
                "owner.department",
                "the procedure's owner must name the department that receives new cases",
            )
        )
    declared = set(p.all_fields()) | {
        key
        for step in p.steps.values()
        for effect in [*step.effects, *(e for t in step.transitions for e in t.effects)]
        for key in (effect.set or {})
    }
    checklists = {key: {c.key for c in step.checklist} for key, step in steps.items()}
    _check_reserved(p, add)
    for key, step in steps.items():
        where = f"steps.{key}"
        if step.owner:
            check_owner(where + ".owner", step.owner.department, step.owner.role)
            chosen = step.owner.department_field
            if chosen:
                f = p.all_fields().get(chosen)
                if f is None or f.type.value != "choice":
                    add(
                        (
                            where + ".owner.department_field",
                            f"'{chosen}' is not a choice field of the procedure",
                        )
                    )
                elif departments is not None:
                    for o in f.options or []:
                        if o.value not in departments:
                            add(
                                (
                                    where + ".owner.department_field",
                                    f"option '{o.value}' is not a department",
                                )
                            )
        _check_step_shape(where, step, steps, add)
        step_fields = procedure_fields | {f.key for f in step.form}
        _unique([f.key for f in step.form], where + ".form", problems)
        _unique([c.key for c in step.checklist], where + ".checklist", problems)
        _unique([t.key for t in step.transitions], where + ".transitions", problems)
        for b_i, branch in enumerate(step.branches):
            check_owner(
                f"{where}.branches[{b_i}].owner", branch.owner.department, branch.owner.role
            )
        _unique([b.key for b in step.branches], where + ".branches", problems)
        for i, t in enumerate(step.transitions):
            tw = f"{where}.transitions[{i}]"
            if t.to not in steps:
                add((tw + ".to", f"no step '{t.to}'"))
            for role in t.roles:
                if role not in roles:
                    add((tw + ".roles", f"unknown role '{role}'"))
            available = step_fields | {f.key for f in t.fields}
            for field in t.require:
                if field not in available:
                    add(
                        (
                            tw + ".require",
                            f"'{field}' is not a field of this step, this transition or the procedure",
                        )
                    )
            if t.guard:
                _check_expression(tw + ".guard", t.guard, declared, add, checklists)
            for j, w in enumerate(t.warnings):
                _check_expression(f"{tw}.warnings[{j}].when", w.when, declared, add, checklists)
            for j, effect in enumerate(t.effects):
                _check_notify(f"{tw}.effects[{j}].notify", effect.notify, roles, add)
                _check_record_write(f"{tw}.effects[{j}]", effect, declared, add)
                _check_booking(f"{tw}.effects[{j}]", effect, p, add)
                _check_visit(f"{tw}.effects[{j}]", effect, p, departments, add)
        for j, effect in enumerate(step.effects):
            _check_notify(f"{where}.effects[{j}].notify", effect.notify, roles, add)
            _check_record_write(f"{where}.effects[{j}]", effect, declared, add)
            _check_booking(f"{where}.effects[{j}]", effect, p, add)
            _check_visit(f"{where}.effects[{j}]", effect, p, departments, add)
        if step.on_timeout and step.on_timeout not in {t.key for t in step.transitions}:
            add((where + ".on_timeout", f"no transition '{step.on_timeout}' in this step"))
        for j, item in enumerate(
            [*step.checklist, *(c for b in step.branches for c in b.checklist)]
        ):
            if item.when:
                _check_expression(
                    f"{where}.checklist[{j}].when", item.when, declared, add, checklists
                )
        if step.on_timeout and not step.limit:
            add((where + ".on_timeout", "needs a `limit` to time out after"))
        _check_system_take(where + ".on_timeout", step, step.on_timeout, add)
        if step.limit and step.limit.until:
            _check_date_field(where + ".limit.until", step.limit.until, p, add)
        for j, timer in enumerate(step.timers):
            tw = f"{where}.timers[{j}]"
            _check_date_field(tw + ".at", timer.at, p, add)
            if timer.take is not None:
                if timer.take not in {t.key for t in step.transitions}:
                    add((tw + ".take", f"no transition '{timer.take}' in this step"))
                _check_system_take(tw + ".take", step, timer.take, add)
            for k, effect in enumerate(timer.effects):
                _check_notify(f"{tw}.effects[{k}].notify", effect.notify, roles, add)
    for i, rung in enumerate(p.escalation):
        if rung.notify is NotifyTarget.ROLE and not rung.role:
            add((f"escalation[{i}].role", "a rung that notifies a role must name it"))
        if rung.notify is NotifyTarget.DEPARTMENT and not rung.department:
            add(
                (
                    f"escalation[{i}].department",
                    "a rung that notifies a department must name its code",
                )
            )
        if rung.notify is NotifyTarget.CUSTOMER:
            add((f"escalation[{i}].notify", "escalation notifies staff, not the customer"))
        limit = p.limits.response if rung.clock == "response" else p.limits.resolution
        if rung.clock != "step" and limit is None:
            add((f"escalation[{i}].clock", f"the procedure has no {rung.clock} limit"))
    for clock in ("response", "resolution"):
        limit = getattr(p.limits, clock)
        if limit is not None and limit.until:
            _check_date_field(f"limits.{clock}.until", limit.until, p, add)
    if p.major_notify:
        _check_notify("major_notify", p.major_notify, roles, add)
    if p.start in steps:
        _check_graph(p, add)
    problems.extend(check_procedure(p))
    return problems


def _check_expression(
    where: str, source: str, declared: set[str], add: Any, checklists: dict[str, set[str]]
) -> None:
    try:
        compiled = compile_guard(source)
    except ValueError as exc:
        add((where, f"does not compile: {exc}"))
        return
    unknown = set(compiled.variables) - GUARD_VARIABLES
    if unknown:
        add((where, f"unknown names {sorted(unknown)}; use data, case, checklist or checks"))
    for name in sorted(set(re.findall(r"\bdata\.([A-Za-z_]\w*)", source)) - declared):
        add((where, f"'data.{name}' is not a field of the procedure"))
    for step, item in sorted(
        set(re.findall(r"\bchecks\.([A-Za-z_]\w*)(?:\.([A-Za-z_]\w*))?", source))
    ):
        if step not in checklists:
            add((where, f"'checks.{step}' is not a step of the procedure"))
        elif not item or item not in checklists[step]:
            add((where, f"'checks.{step}.{item}' is not a checklist item of step '{step}'"))


def _check_reserved(p: Procedure, add: Any) -> None:
    """Field keys are the author's, but not the names the system keeps for itself."""
    places: list[tuple[str, str]] = [(f"fields[{i}]", f.key) for i, f in enumerate(p.fields)]
    for key, step in p.steps.items():
        places += [(f"steps.{key}.form[{i}]", f.key) for i, f in enumerate(step.form)]
        for i, t in enumerate(step.transitions):
            places += [
                (f"steps.{key}.transitions[{i}].fields[{j}]", f.key) for j, f in enumerate(t.fields)
            ]
            places += [
                (f"steps.{key}.transitions[{i}].effects[{j}].set", k)
                for j, e in enumerate(t.effects)
                for k in e.set or {}
            ]
        places += [
            (f"steps.{key}.effects[{j}].set", k)
            for j, e in enumerate(step.effects)
            for k in e.set or {}
        ]
        for b, branch in enumerate(step.branches):
            places += [
                (f"steps.{key}.branches[{b}].form[{i}]", f.key) for i, f in enumerate(branch.form)
            ]
    for where, key in places:
        if key in RESERVED_KEYS or key.startswith("_"):
            add(
                (
                    where,
                    f"'{key}' is a name the system keeps for itself (reserved: "
                    f"{', '.join(sorted(RESERVED_KEYS))} and names starting with '_'); "
                    "choose another key",
                )
            )


def _check_booking(where: str, effect: Effect, p: Procedure, add: Any) -> None:
    """A `book_appointment` takes its time from a datetime field and its hours from a number."""
    spec = effect.book_appointment
    if spec is None:
        return
    fields = p.all_fields()
    wanted_types = [
        ("at_field", spec.at_field, FieldType.DATETIME),
        ("hours_field", spec.hours_field, FieldType.NUMBER),
    ]
    if spec.operations_field is not None:
        wanted_types.append(("operations_field", spec.operations_field, FieldType.TEXT))
    for name, key, wanted in wanted_types:
        f = fields.get(key)
        if f is None:
            add((f"{where}.book_appointment.{name}", f"'{key}' is not a field of the procedure"))
        elif f.type is not wanted:
            add(
                (
                    f"{where}.book_appointment.{name}",
                    f"'{key}' is a {f.type.value} field; it must be a {wanted.value} field",
                )
            )


CLOCK_RE = re.compile(r"^t([01][0-9]|2[0-3])[0-5][0-9]$")  # t0930: 09:30


def _check_visit(
    where: str, effect: Effect, p: Procedure, departments: frozenset[str] | None, add: Any
) -> None:
    """A `book_visit` reads its day, window, length and address from fields of the right type,
    and its workshop from a known department (or a choice field of department codes)."""
    spec = effect.book_visit
    if spec is None:
        return
    where = f"{where}.book_visit"
    fields = p.all_fields()
    if spec.department and departments is not None and spec.department not in departments:
        add((f"{where}.department", f"unknown department '{spec.department}'"))
    wanted: list[tuple[str, str | None, tuple[FieldType, ...]]] = [
        ("department_field", spec.department_field, (FieldType.CHOICE,)),
        ("day_field", spec.day_field, (FieldType.DATE, FieldType.DATETIME)),
        ("window_from_field", spec.window_from_field, (FieldType.CHOICE,)),
        ("window_to_field", spec.window_to_field, (FieldType.CHOICE,)),
        ("minutes_field", spec.minutes_field, (FieldType.NUMBER,)),
        ("address_field", spec.address_field, (FieldType.TEXT,)),
    ]
    for name, key, types in wanted:
        if key is None:
            continue
        f = fields.get(key)
        if f is None:
            add((f"{where}.{name}", f"'{key}' is not a field of the procedure"))
            continue
        if f.type not in types:
            kinds = " or ".join(t.value for t in types)
            add(
                (
                    f"{where}.{name}",
                    f"'{key}' is a {f.type.value} field; it must be a {kinds} field",
                )
            )
            continue
        options = [o.value for o in f.options or []]
        if name.startswith("window_"):
            bad = [o for o in options if not CLOCK_RE.match(o)]
            if bad:
                add(
                    (
                        f"{where}.{name}",
                        f"the options of '{key}' must be times written tHHMM (t0930 for 09:30)"
                        f" (found: {', '.join(bad)})",
                    )
                )
        elif name == "department_field" and departments is not None:
            for o in options:
                if o not in departments:
                    add((f"{where}.{name}", f"option '{o}' is not a department"))


def _check_record_write(where: str, effect: Effect, declared: set[str], add: Any) -> None:
    """A value an `update_asset` / `update_customer` copies from a field names a declared one."""
    if effect.update_asset:
        where, values = f"{where}.update_asset.attributes", effect.update_asset.attributes
    elif effect.update_customer:
        where, values = f"{where}.update_customer.preferences", effect.update_customer.preferences
    else:
        return
    for key, value in values.items():
        if isinstance(value, CopyField) and value.field not in declared:
            add((f"{where}.{key}", f"'{value.field}' is not a field of the procedure"))


def _check_date_field(where: str, source: str, p: Procedure, add: Any) -> None:
    """A moment taken from data names a `date` or `datetime` field of the procedure."""
    name = parse_from_field(source).field
    f = p.all_fields().get(name)
    if f is None:
        add((where, f"'{name}' is not a field of the procedure"))
    elif f.type not in (FieldType.DATE, FieldType.DATETIME):
        add((where, f"'{name}' is a {f.type.value} field; a moment needs a date or datetime field"))


def _check_system_take(where: str, step: Step, key: str | None, add: Any) -> None:
    """The system takes on_timeout and timer transitions with an empty form."""
    transition = next((t for t in step.transitions if t.key == key), None)
    if transition and (transition.require or any(f.required for f in transition.fields)):
        add((where, "the system takes this transition by itself: it cannot require fields"))


def _unique(keys: list[str], where: str, problems: list[tuple[str, str]]) -> None:
    seen: set[str] = set()
    for k in keys:
        if k in seen:
            problems.append((where, f"'{k}' appears twice"))
        seen.add(k)


def _check_notify(where: str, notify: Any, roles: frozenset[str], add: Any) -> None:
    if notify is None:
        return
    if notify.to is NotifyTarget.ROLE and (not notify.role or notify.role not in roles):
        add((where + ".role", "notify a role: name a known `role`"))
    if notify.to is NotifyTarget.DEPARTMENT and not notify.department:
        add((where + ".department", "notify a department: name its `department` code"))


def _check_step_shape(where: str, step: Step, steps: dict[str, Step], add: Any) -> None:
    kind = step.kind
    if kind is StepKind.END:
        if step.transitions or step.next or step.branches:
            add((where, "an end step has no transitions, next or branches"))
        return
    if kind in (StepKind.AUTOMATIC, StepKind.PARALLEL):
        if not step.next:
            add((where + ".next", f"{_article(kind.value)} step needs `next`"))
        elif step.next not in steps:
            add((where + ".next", f"no step '{step.next}'"))
        if step.transitions:
            add(
                (
                    where + ".transitions",
                    f"{_article(kind.value)} step moves on by itself; use `next`",
                )
            )
    elif step.next:
        add((where + ".next", f"{_article(kind.value)} step moves by its transitions, not `next`"))
    if kind is StepKind.PARALLEL and len(step.branches) < 2:
        add((where + ".branches", "a parallel step hands work to two or more branches"))
    if kind is not StepKind.PARALLEL and step.branches:
        add((where + ".branches", "only a parallel step has branches"))
    if kind in (StepKind.TASK, StepKind.WAIT) and not step.transitions:
        add((where + ".transitions", f"{_article(kind.value)} step needs at least one transition"))
    if kind is StepKind.APPROVAL and len(step.transitions) < 2:
        add((where + ".transitions", "an approval step needs an approve and a reject transition"))
    if kind is not StepKind.WAIT and step.pauses_clock:
        add((where + ".pauses_clock", "only a wait step pauses the clock"))


def _article(word: str) -> str:
    return ("an " if word[0] in "aeiou" else "a ") + word


def _check_graph(p: Procedure, add: Any) -> None:
    def successors(step: Step) -> list[str]:
        nxt = [t.to for t in step.transitions]
        if step.next:
            nxt.append(step.next)
        return [s for s in nxt if s in p.steps]

    reachable: set[str] = set()
    stack = [p.start]
    while stack:
        key = stack.pop()
        if key in reachable:
            continue
        reachable.add(key)
        stack.extend(successors(p.steps[key]))
    for key in p.steps:
        if key not in reachable:
            add((f"steps.{key}", "cannot be reached from the start step"))
    ends = {k for k, s in p.steps.items() if s.kind is StepKind.END}
    if not ends:
        add(("steps", "the procedure has no end step"))
        return
    # Reverse reachability from the end steps.
    can_end = set(ends)
    changed = True
    while changed:
        changed = False
        for key, step in p.steps.items():
            if key not in can_end and any(s in can_end for s in successors(step)):
                can_end.add(key)
                changed = True
    for key in p.steps:
        if key in reachable and key not in can_end:
            add((f"steps.{key}", "no path from here leads to an end step"))
    # Automatic steps chain by themselves: a loop of them would never stop.
    for key, step in p.steps.items():
        seen = {key}
        nxt = step.next if step.kind is StepKind.AUTOMATIC else None
        while nxt and nxt in p.steps:
            if nxt in seen:
                add((f"steps.{key}.next", "automatic steps form a loop"))
                break
            seen.add(nxt)
            following = p.steps[nxt]
            nxt = following.next if following.kind is StepKind.AUTOMATIC else None
