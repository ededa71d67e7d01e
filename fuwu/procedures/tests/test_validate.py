"""Loading and validating procedure files: the built-in library, and precise problems for bad files.

No database: the engine is plain Python. Each malformed definition is a small change to one
valid definition, written to `tmp_path`, so a test names exactly the mistake it is about.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from fuwu.procedures.engine.validate import (
    DEFAULT_ROLES,
    Problem,
    _UniqueKeyLoader,
    definition_checksum,
    load_directory,
    load_file,
    parse,
)

LIBRARY = Path(__file__).resolve().parents[1] / "library"
LIBRARY_FILES = sorted(LIBRARY.glob("*.yaml"))

L = {"zh": "标签", "en": "Label"}


def valid() -> dict[str, Any]:
    """A small valid procedure: work → (automatic) → done, with a limit, a rung and a checklist."""
    return {
        "key": "mini",
        "name": {"zh": "最小程序", "en": "Minimal procedure"},
        "seed": "test",
        "owner": {"department": "service_center"},
        "fields": [{"key": "note", "type": "text", "label": L}],
        "start": "work",
        "limits": {"resolution": "8h"},
        "escalation": [{"at": "100%", "notify": "department_manager"}],
        "steps": {
            "work": {
                "kind": "task",
                "name": {"zh": "处理", "en": "Work"},
                "owner": {"department": "engineering", "role": "technician"},
                "limit": "2h",
                "form": [{"key": "result", "type": "text", "label": L}],
                "checklist": [
                    {
                        "key": "gap",
                        "type": "measurement",
                        "unit": "mm",
                        "min": 0.1,
                        "max": 0.2,
                        "label": L,
                    }
                ],
                "transitions": [
                    {
                        "key": "finish",
                        "to": "archive",
                        "label": L,
                        "roles": ["technician"],
                        "require": ["result"],
                        "guard": "checklist.passed && data.result != ''",
                    }
                ],
            },
            "archive": {
                "kind": "automatic",
                "name": L,
                "next": "done",
                "effects": [{"set": {"note": "archived"}}],
            },
            "done": {"kind": "end", "name": {"zh": "完成", "en": "Done"}},
        },
    }


def write(tmp_path: Path, data: Any, name: str = "mini") -> Path:
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def problems(tmp_path: Path, data: Any) -> list[tuple[str, str]]:
    path = write(tmp_path, data)
    loaded = load_file(path)
    assert all(p.file == str(path) for p in loaded.problems)
    if loaded.problems:
        assert loaded.procedure is None  # an invalid file never yields a procedure
    return [(p.where, p.message) for p in loaded.problems]


# -- the built-in library ------------------------------------------------------------------


@pytest.mark.parametrize("path", LIBRARY_FILES, ids=lambda p: p.stem)
def test_builtin_file_is_valid(path: Path) -> None:
    loaded = load_file(path)
    assert loaded.problems == []
    assert loaded.procedure is not None and loaded.procedure.key == path.stem


def test_builtin_library_is_valid_as_a_whole() -> None:
    # Links between procedures (open_linked_case) are only checked across the directory.
    loaded = load_directory(LIBRARY)
    assert {Path(item.path).stem for item in loaded} >= {
        "property_repair",
        "complaint",
        "after_sales_call_center",
    }
    assert [str(p) for item in loaded for p in item.problems] == []


def test_the_minimal_definition_is_valid(tmp_path: Path) -> None:
    assert problems(tmp_path, valid()) == []


def test_checksum_ignores_key_order() -> None:
    data = valid()
    reordered = dict(reversed(list(data.items())))
    assert definition_checksum(data) == definition_checksum(reordered)
    changed = valid()
    changed["steps"]["work"]["limit"] = "3h"
    assert definition_checksum(changed) != definition_checksum(data)


# -- file-level problems -------------------------------------------------------------------


def test_yaml_syntax_error_gives_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "mini.yaml"
    path.write_text("key: mini\nname: {zh: 甲, en: A\nseed: x\n", encoding="utf-8")
    loaded = load_file(path)
    assert loaded.procedure is None and loaded.raw is None
    [problem] = loaded.problems
    assert problem.file == str(path)
    assert problem.where == "line 3, column 5"
    assert problem.message.startswith("YAML syntax error: ")
    assert str(problem) == f"{path}: line 3, column 5: {problem.message}"


def test_top_level_must_be_a_mapping(tmp_path: Path) -> None:
    assert problems(tmp_path, ["key", "mini"]) == [
        ("", "a procedure file must be a mapping (key: value) at the top")
    ]


def test_unreadable_file(tmp_path: Path) -> None:
    loaded = load_file(tmp_path / "absent.yaml")
    [problem] = loaded.problems
    assert problem.where == "" and problem.message.startswith("cannot read: ")


def test_key_must_match_file_name(tmp_path: Path) -> None:
    path = write(tmp_path, valid(), name="other")
    loaded = load_file(path)
    assert loaded.procedure is None
    assert loaded.problems == [
        Problem(str(path), "key", "the key 'mini' must match the file name 'other'")
    ]


def test_open_linked_case_needs_a_procedure_in_the_library(tmp_path: Path) -> None:
    linking = valid()
    linking["steps"]["work"]["transitions"][0]["effects"] = [
        {"open_linked_case": {"procedure": "ghost"}},
        {"open_linked_case": {"procedure": "sibling", "copy_fields": ["note"]}},
    ]
    sibling = valid()
    sibling["key"] = "sibling"
    path = write(tmp_path, linking)
    write(tmp_path, sibling, name="sibling")
    loaded = {Path(item.path).stem: item for item in load_directory(tmp_path)}
    assert loaded["sibling"].problems == []
    assert loaded["mini"].problems == [
        Problem(
            str(path),
            "steps.work.transitions[0].effects[0].open_linked_case",
            "no procedure 'ghost' in the library",
        )
    ]


# -- schema and cross-reference problems ---------------------------------------------------

Mutation = Callable[[dict[str, Any]], None]


def _typo(d: dict[str, Any]) -> None:
    d["steps"]["work"]["transitons"] = d["steps"]["work"].pop("transitions")


def _no_en(d: dict[str, Any]) -> None:
    del d["steps"]["done"]["name"]["en"]


def _empty_zh(d: dict[str, Any]) -> None:
    d["name"]["zh"] = ""


def _to_missing(d: dict[str, Any]) -> None:
    d["steps"]["work"]["transitions"][0]["to"] = "nowhere"


def _unknown_role(d: dict[str, Any]) -> None:
    d["steps"]["work"]["transitions"][0]["roles"] = ["technician", "agnet"]


def _unknown_owner_role(d: dict[str, Any]) -> None:
    d["steps"]["work"]["owner"]["role"] = "plumber"


def _require_unknown(d: dict[str, Any]) -> None:
    d["steps"]["work"]["transitions"][0]["require"] = ["result", "reslt"]


def _guard_syntax(d: dict[str, Any]) -> None:
    d["steps"]["work"]["transitions"][0]["guard"] = "data.result =="


def _guard_variable(d: dict[str, Any]) -> None:
    d["steps"]["work"]["transitions"][0]["guard"] = "result == 'ok'"


def _unreachable(d: dict[str, Any]) -> None:
    d["steps"]["orphan"] = {
        "kind": "task",
        "name": L,
        "transitions": [{"key": "go", "to": "done", "label": L, "roles": ["agent"]}],
    }


def _dead_end(d: dict[str, Any]) -> None:
    d["steps"]["work"]["transitions"].append(
        {"key": "park", "to": "parked", "label": L, "roles": ["agent"]}
    )
    d["steps"]["parked"] = {
        "kind": "wait",
        "name": L,
        "transitions": [{"key": "again", "to": "parked", "label": L, "roles": ["agent"]}],
    }


def _end_with_transitions(d: dict[str, Any]) -> None:
    d["steps"]["done"]["transitions"] = [
        {"key": "again", "to": "work", "label": L, "roles": ["agent"]}
    ]


def _automatic_without_next(d: dict[str, Any]) -> None:
    del d["steps"]["archive"]["next"]


def _automatic_loop(d: dict[str, Any]) -> None:
    d["steps"]["archive"]["next"] = "relay"
    d["steps"]["relay"] = {"kind": "automatic", "name": L, "next": "archive"}


def _automatic_with_transitions(d: dict[str, Any]) -> None:
    d["steps"]["archive"]["transitions"] = [
        {"key": "go", "to": "done", "label": L, "roles": ["agent"]}
    ]


def _parallel_one_branch(d: dict[str, Any]) -> None:
    d["steps"]["archive"] = {
        "kind": "parallel",
        "name": L,
        "next": "done",
        "branches": [{"key": "only", "name": L, "owner": {"department": "engineering"}}],
    }


def _branches_on_a_task(d: dict[str, Any]) -> None:
    d["steps"]["work"]["branches"] = [{"key": "b", "name": L, "owner": {"department": "finance"}}]


def _measurement_no_range(d: dict[str, Any]) -> None:
    item = d["steps"]["work"]["checklist"][0]
    del item["min"], item["max"]


def _measurement_no_unit(d: dict[str, Any]) -> None:
    del d["steps"]["work"]["checklist"][0]["unit"]


def _range_on_yes_no(d: dict[str, Any]) -> None:
    d["steps"]["work"]["checklist"].append({"key": "ok", "type": "yes_no", "max": 1, "label": L})


def _choice_without_options(d: dict[str, Any]) -> None:
    d["fields"].append({"key": "kind", "type": "choice", "label": L})


def _options_on_text(d: dict[str, Any]) -> None:
    d["fields"][0]["options"] = [{"value": "a", "label": L}]


def _min_above_max(d: dict[str, Any]) -> None:
    d["fields"].append({"key": "count", "type": "number", "min": 5, "max": 1, "label": L})


def _bad_duration(d: dict[str, Any]) -> None:
    d["steps"]["work"]["limit"] = "5 parsecs"


def _bad_priority_duration(d: dict[str, Any]) -> None:
    d["limits"]["resolution"] = {"normal": "8h", "urgent": "soon"}


def _zero_duration(d: dict[str, Any]) -> None:
    d["limits"]["resolution"] = "0h"


def _percent_without_sign(d: dict[str, Any]) -> None:
    d["escalation"][0]["at"] = "80"


def _zero_percent(d: dict[str, Any]) -> None:
    d["escalation"][0]["at"] = "0%"


def _rung_without_limit(d: dict[str, Any]) -> None:
    d["escalation"].append({"at": "50%", "clock": "response", "notify": "assignee"})


def _rung_role_unnamed(d: dict[str, Any]) -> None:
    d["escalation"].append({"at": "120%", "notify": "role"})


def _rung_to_customer(d: dict[str, Any]) -> None:
    d["escalation"].append({"at": "120%", "notify": "customer"})


def _timeout_without_limit(d: dict[str, Any]) -> None:
    del d["steps"]["work"]["limit"]
    d["steps"]["work"]["on_timeout"] = "finish"


def _timeout_unknown_transition(d: dict[str, Any]) -> None:
    d["steps"]["work"]["on_timeout"] = "finsh"


def _start_missing(d: dict[str, Any]) -> None:
    d["start"] = "begin"


def _no_end(d: dict[str, Any]) -> None:
    d["steps"]["done"] = {
        "kind": "task",
        "name": L,
        "transitions": [{"key": "again", "to": "work", "label": L, "roles": ["agent"]}],
    }


def _duplicate_transition(d: dict[str, Any]) -> None:
    t = d["steps"]["work"]["transitions"]
    t.append(copy.deepcopy(t[0]))


def _approval_one_way(d: dict[str, Any]) -> None:
    d["steps"]["work"]["kind"] = "approval"


def _pause_on_task(d: dict[str, Any]) -> None:
    d["steps"]["work"]["pauses_clock"] = True


def _next_on_task(d: dict[str, Any]) -> None:
    d["steps"]["work"]["next"] = "done"


def _two_effects_in_one(d: dict[str, Any]) -> None:
    d["steps"]["archive"]["effects"] = [{"mark_comeback": True, "flag_major": True}]


def _notify_role_unnamed(d: dict[str, Any]) -> None:
    d["steps"]["work"]["transitions"][0]["effects"] = [{"notify": {"to": "role"}}]


def _notify_department_unnamed(d: dict[str, Any]) -> None:
    d["steps"]["work"]["transitions"][0]["effects"] = [{"notify": {"to": "department"}}]


def _department_field_not_choice(d: dict[str, Any]) -> None:
    d["steps"]["work"]["owner"] = {"department_field": "note"}


def _department_and_field(d: dict[str, Any]) -> None:
    d["steps"]["work"]["owner"]["department_field"] = "note"


def _empty_owner(d: dict[str, Any]) -> None:
    d["steps"]["work"]["owner"] = {}


def _bad_key(d: dict[str, Any]) -> None:
    d["steps"]["Work Step"] = d["steps"].pop("work")
    d["start"] = "Work Step"


def _bad_channel(d: dict[str, Any]) -> None:
    d["channels"] = ["phone", "fax"]


def _bad_outcome(d: dict[str, Any]) -> None:
    d["steps"]["done"]["outcome"] = "finished"


def _schedule_bad_duration(d: dict[str, Any]) -> None:
    d["steps"]["work"]["transitions"][0]["effects"] = [{"schedule_return_visit": "3 days"}]


def _reserved_field(d: dict[str, Any]) -> None:
    d["steps"]["work"]["form"].append({"key": "rating", "type": "number", "label": L})


def _reserved_set(d: dict[str, Any]) -> None:
    d["steps"]["archive"]["effects"] = [{"set": {"confirmation": "x"}}]


def _reserved_checks(d: dict[str, Any]) -> None:
    d["fields"].append({"key": "checks", "type": "text", "label": L})


def _checks_unknown_step(d: dict[str, Any]) -> None:
    d["steps"]["work"]["transitions"][0]["guard"] = "checks.wrok.gap.passed"


def _checks_unknown_item(d: dict[str, Any]) -> None:
    d["steps"]["work"]["transitions"][0]["guard"] = "checks.work.gasp.passed"


TW = "steps.work.transitions[0]"
CASES: list[tuple[str, Mutation, str, str]] = [
    ("unknown key (typo)", _typo, "steps.work.transitons", "Extra inputs are not permitted"),
    ("label without en", _no_en, "steps.done.name.en", "Field required"),
    ("empty zh label", _empty_zh, "name.zh", "String should have at least 1 character"),
    ("transition to a missing step", _to_missing, TW + ".to", "no step 'nowhere'"),
    ("unknown role", _unknown_role, TW + ".roles", "unknown role 'agnet'"),
    ("unknown owner role", _unknown_owner_role, "steps.work.owner.role", "unknown role 'plumber'"),
    (
        "require names an unknown field",
        _require_unknown,
        TW + ".require",
        "'reslt' is not a field of this step, this transition or the procedure",
    ),
    ("guard does not compile", _guard_syntax, TW + ".guard", "does not compile: "),
    (
        "guard uses an unknown variable",
        _guard_variable,
        TW + ".guard",
        "unknown names ['result']; use data, case, checklist or checks",
    ),
    ("unreachable step", _unreachable, "steps.orphan", "cannot be reached from the start step"),
    ("no path to an end", _dead_end, "steps.parked", "no path from here leads to an end step"),
    (
        "end step with transitions",
        _end_with_transitions,
        "steps.done",
        "an end step has no transitions, next or branches",
    ),
    (
        "automatic step without next",
        _automatic_without_next,
        "steps.archive.next",
        "an automatic step needs `next`",
    ),
    ("automatic loop", _automatic_loop, "steps.archive.next", "automatic steps form a loop"),
    (
        "automatic step with transitions",
        _automatic_with_transitions,
        "steps.archive.transitions",
        "an automatic step moves on by itself; use `next`",
    ),
    (
        "parallel with one branch",
        _parallel_one_branch,
        "steps.archive.branches",
        "a parallel step hands work to two or more branches",
    ),
    (
        "branches on a task",
        _branches_on_a_task,
        "steps.work.branches",
        "only a parallel step has branches",
    ),
    (
        "measurement without range",
        _measurement_no_range,
        "steps.work.checklist[0]",
        "a measurement needs an accepted range: `min`, `max` or both",
    ),
    (
        "measurement without unit",
        _measurement_no_unit,
        "steps.work.checklist[0]",
        "a measurement needs a `unit`",
    ),
    (
        "range on a yes/no item",
        _range_on_yes_no,
        "steps.work.checklist[1]",
        "only a measurement takes `min`/`max`",
    ),
    (
        "choice without options",
        _choice_without_options,
        "fields[1]",
        "a choice field needs `options`",
    ),
    (
        "options on a text field",
        _options_on_text,
        "fields[0]",
        "only a choice or multi_choice field takes `options`",
    ),
    ("min above max", _min_above_max, "fields[1]", "`min` is greater than `max`"),
    (
        "bad duration",
        _bad_duration,
        "steps.work.limit.default",
        "'5 parsecs' is not a duration: write a number and a unit s, m, h (business time),"
        " d, w, mo (calendar) or wd (working days) (e.g. 30m, 2h, 3wd)",
    ),
    (
        "bad duration for one priority",
        _bad_priority_duration,
        "limits.resolution.urgent",
        "'soon' is not a duration",
    ),
    ("zero duration", _zero_duration, "limits.resolution.default", "'0h' must be longer than zero"),
    (
        "percentage without %",
        _percent_without_sign,
        "escalation[0].at",
        "write a percentage of the limit, such as 80% or 150%",
    ),
    ("zero percent", _zero_percent, "escalation[0].at", "write a percentage of the limit"),
    (
        "rung on a clock without a limit",
        _rung_without_limit,
        "escalation[1].clock",
        "the procedure has no response limit",
    ),
    (
        "rung notifying an unnamed role",
        _rung_role_unnamed,
        "escalation[1].role",
        "a rung that notifies a role must name it",
    ),
    (
        "rung notifying the customer",
        _rung_to_customer,
        "escalation[1].notify",
        "escalation notifies staff, not the customer",
    ),
    (
        "on_timeout without limit",
        _timeout_without_limit,
        "steps.work.on_timeout",
        "needs a `limit` to time out after",
    ),
    (
        "on_timeout naming no transition",
        _timeout_unknown_transition,
        "steps.work.on_timeout",
        "no transition 'finsh' in this step",
    ),
    ("start names no step", _start_missing, "start", "no step 'begin'"),
    ("no end step", _no_end, "steps", "the procedure has no end step"),
    (
        "transition key twice",
        _duplicate_transition,
        "steps.work.transitions",
        "'finish' appears twice",
    ),
    (
        "approval with one transition",
        _approval_one_way,
        "steps.work.transitions",
        "an approval step needs an approve and a reject transition",
    ),
    (
        "pauses_clock on a task",
        _pause_on_task,
        "steps.work.pauses_clock",
        "only a wait step pauses the clock",
    ),
    (
        "next on a task",
        _next_on_task,
        "steps.work.next",
        "a task step moves by its transitions, not `next`",
    ),
    (
        "effect with two keys",
        _two_effects_in_one,
        "steps.archive.effects[0]",
        "an effect has exactly one of: notify, schedule_return_visit, open_linked_case,"
        " mark_comeback, flag_major, set, register_out, register_in, update_asset,"
        " update_customer, book_appointment, appointment_status, open_repair_jobs,"
        " book_visit, visit_status (found: mark_comeback, flag_major)",
    ),
    (
        "notify a role without naming it",
        _notify_role_unnamed,
        TW + ".effects[0].notify.role",
        "notify a role: name a known `role`",
    ),
    (
        "notify a department without a code",
        _notify_department_unnamed,
        TW + ".effects[0].notify.department",
        "notify a department: name its `department` code",
    ),
    (
        "department_field not a choice",
        _department_field_not_choice,
        "steps.work.owner.department_field",
        "'note' is not a choice field of the procedure",
    ),
    (
        "department and department_field",
        _department_and_field,
        "steps.work.owner",
        "name either `department` or `department_field`, not both",
    ),
    (
        "owner naming nobody",
        _empty_owner,
        "steps.work.owner",
        "an owner names a `department`, a `department_field`, a `role`, or `keep: true`",
    ),
    ("step key not a key", _bad_key, "steps.Work Step.[key]", "String should match pattern"),
    ("unknown channel", _bad_channel, "channels[1]", "Input should be"),
    (
        "unknown outcome",
        _bad_outcome,
        "steps.done.outcome",
        "Input should be 'done', 'cancelled' or 'rejected'",
    ),
    (
        "bad return-visit delay",
        _schedule_bad_duration,
        TW + ".effects[0]",
        "'3 days' is not a duration",
    ),
    (
        "a field takes a reserved name",
        _reserved_field,
        "steps.work.form[1]",
        "'rating' is a name the system keeps for itself",
    ),
    (
        "a set effect writes a reserved name",
        _reserved_set,
        "steps.archive.effects[0].set",
        "'confirmation' is a name the system keeps for itself",
    ),
    ("a field named checks", _reserved_checks, "fields[1]", "'checks' is a name the system"),
    (
        "checks of an unknown step",
        _checks_unknown_step,
        TW + ".guard",
        "'checks.wrok' is not a step of the procedure",
    ),
    (
        "checks of an unknown item",
        _checks_unknown_item,
        TW + ".guard",
        "'checks.work.gasp' is not a checklist item of step 'work'",
    ),
]


@pytest.mark.parametrize(
    ("mutate", "where", "message"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_malformed_definition_gives_a_precise_problem(
    tmp_path: Path, mutate: Mutation, where: str, message: str
) -> None:
    data = valid()
    mutate(data)
    found = problems(tmp_path, data)
    assert any(w == where and m.startswith(message) for w, m in found), found


def test_schema_problems_are_all_reported_at_once(tmp_path: Path) -> None:
    data = valid()
    _typo(data)
    _no_en(data)
    _bad_duration(data)
    wheres = {w for w, _ in problems(tmp_path, data)}
    assert {"steps.work.transitons", "steps.done.name.en", "steps.work.limit.default"} <= wheres


def test_unknown_department_only_when_departments_are_known() -> None:
    data = valid()
    data["steps"]["work"]["owner"]["department"] = "plumbing"
    assert parse(data, "f.yaml")[1] == []
    procedure, found = parse(
        data, "f.yaml", departments=frozenset({"service_center", "engineering"})
    )
    assert procedure is None
    assert found == [
        Problem("f.yaml", "steps.work.owner.department", "unknown department 'plumbing'")
    ]


def test_department_field_options_must_be_departments() -> None:
    data = valid()
    data["fields"].append(
        {
            "key": "dept",
            "type": "choice",
            "label": L,
            "options": [{"value": "engineering", "label": L}, {"value": "moon_base", "label": L}],
        }
    )
    data["steps"]["work"]["owner"] = {"department_field": "dept", "role": "technician"}
    assert parse(data, "f.yaml")[1] == []
    found = parse(data, "f.yaml", departments=frozenset({"service_center", "engineering"}))[1]
    assert found == [
        Problem(
            "f.yaml", "steps.work.owner.department_field", "option 'moon_base' is not a department"
        )
    ]


def test_roles_can_be_extended() -> None:
    data = valid()
    data["steps"]["work"]["transitions"][0]["roles"] = ["waiter"]
    assert parse(data, "f.yaml")[1] != []
    assert parse(data, "f.yaml", roles=DEFAULT_ROLES | {"waiter"})[1] == []


# -- regressions: validator gaps found while testing -------------------------------------


def test_open_linked_case_in_an_automatic_step_is_checked(tmp_path: Path) -> None:
    data = valid()
    data["steps"]["archive"]["effects"] = [{"open_linked_case": {"procedure": "ghost"}}]
    write(tmp_path, data)
    [item] = load_directory(tmp_path)
    assert any("ghost" in p.message for p in item.problems)


def test_a_duplicated_step_key_is_a_problem(tmp_path: Path) -> None:
    path = tmp_path / "mini.yaml"
    text = yaml.safe_dump(valid(), allow_unicode=True, sort_keys=False)
    # A second `done:` step: YAML allows the text, the first definition silently disappears.
    path.write_text(
        text + "  done:\n    kind: end\n    name: {zh: 又完成, en: Done again}\n", encoding="utf-8"
    )
    assert load_file(path).problems != []


def test_yaml_merge_keys_are_allowed(tmp_path: Path) -> None:
    data = valid()
    text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False)
    text = "x-label: &lab {zh: 完成, en: Done}\n" + text
    path = tmp_path / "mini.yaml"
    path.write_text(text, encoding="utf-8")
    problems = load_file(path).problems
    # Only the unknown top-level key is a problem, not the anchor or a merge.
    assert [p.where for p in problems] == ["x-label"]
    merged = "base: &b {kind: end}\ndone2:\n  <<: *b\n  name: {zh: 完成, en: Done}\n"
    assert yaml.load(merged, Loader=_UniqueKeyLoader)["done2"] == {
        "kind": "end",
        "name": {"zh": "完成", "en": "Done"},
    }
