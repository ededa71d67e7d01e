"""Interpreting a procedure without a database: cleaning values and checklists, planning moves.

The second half walks the complaint (SPEC §9 row 3) and the after-sales call-centre (row 17)
procedures through the engine alone, the way the action layer would, to show their paths work.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fuwu.procedures.engine.definition import ChecklistItem, FieldDef, Procedure, StepKind
from fuwu.procedures.engine.errors import EngineError, Forbidden
from fuwu.procedures.engine.machine import (
    CHECKS_KEY,
    CaseView,
    Plan,
    clean_checklist,
    clean_value,
    follow_automatic,
    guard_context,
    offered,
    options,
    plan_transition,
    range_text,
    status_for,
)
from fuwu.procedures.engine.validate import load_file

LIBRARY = Path(__file__).resolve().parents[1] / "library"
L = {"zh": "标签", "en": "Label"}


def fdef(type_: str, **extra: Any) -> FieldDef:
    return FieldDef.model_validate({"key": "f", "type": type_, "label": L, **extra})


def item(type_: str = "yes_no", **extra: Any) -> ChecklistItem:
    return ChecklistItem.model_validate({"key": "i", "type": type_, "label": L, **extra})


# -- clean_value ---------------------------------------------------------------------------

CHOICE = {"options": [{"value": "a", "label": L}, {"value": "b", "label": L}]}
VALUES: list[tuple[str, dict[str, Any], Any, Any, str | None]] = [
    # type, field options, submitted, stored, error code
    ("text", {}, "  漏水  ", "漏水", None),
    ("text", {}, 42, None, "not_text"),
    ("text", {"max_length": 3}, "abcd", None, "too_long"),
    ("text", {"max_length": 3}, " abc ", "abc", None),
    ("number", {}, "3", 3, None),
    ("number", {}, 2.5, 2.5, None),
    ("number", {}, "2.0", 2, None),
    ("number", {"min": 0, "max": 10}, 0, 0, None),
    ("number", {"min": 0, "max": 10}, 10, 10, None),
    ("number", {"min": 0, "max": 10}, -1, None, "below_min"),
    ("number", {"min": 0, "max": 10}, 10.5, None, "above_max"),
    ("number", {}, "abc", None, "not_number"),
    ("number", {}, True, None, "not_number"),
    ("number", {}, "nan", None, "not_number"),
    ("number", {}, "inf", None, "not_number"),
    ("number", {}, [1], None, "not_number"),
    ("money", {}, "12.5", "12.50", None),
    ("money", {}, 12, "12.00", None),
    ("money", {}, "0.01", "0.01", None),
    ("money", {}, "1.005", None, "not_money"),
    ("money", {}, 0.1 + 0.2, None, "not_money"),
    ("money", {}, "12元", None, "not_money"),
    ("money", {}, True, None, "not_money"),
    ("money", {}, "NaN", None, "not_money"),
    ("money", {"min": 0}, "-0.01", None, "below_min"),
    ("money", {"max": 100}, "100.01", None, "above_max"),
    ("choice", CHOICE, "a", "a", None),
    ("choice", CHOICE, "c", None, "bad_choice"),
    ("choice", CHOICE, "A", None, "bad_choice"),
    ("bool", {}, True, True, None),
    ("bool", {}, False, False, None),
    ("bool", {}, "yes", True, None),
    ("bool", {}, "false", False, None),
    ("bool", {}, 0, False, None),
    ("bool", {}, "maybe", None, "not_bool"),
    ("datetime", {}, "2024-05-01T09:30:00+08:00", "2024-05-01T09:30:00+08:00", None),
    ("datetime", {}, "2024-05-01T01:30:00Z", "2024-05-01T01:30:00+00:00", None),
    ("datetime", {}, "2024-05-01T09:30:00", None, "not_datetime"),  # no time zone
    ("datetime", {}, "next tuesday", None, "not_datetime"),
    ("date", {}, "2024-05-01", "2024-05-01", None),
    ("date", {}, "2024-02-30", None, "not_date"),
    ("date", {}, "01/05/2024", None, "not_date"),
    ("person", {}, "li.wei", "li.wei", None),
    ("person", {}, 7, None, "not_person"),
]


@pytest.mark.parametrize(("type_", "extra", "raw", "stored", "error"), VALUES)
def test_clean_value(
    type_: str, extra: dict[str, Any], raw: Any, stored: Any, error: str | None
) -> None:
    value, problem = clean_value(fdef(type_, **extra), raw)
    assert (value, problem.code if problem else None) == (stored, error)


def test_clean_value_error_parameters() -> None:
    _, below = clean_value(fdef("number", min=0.5), 0)
    assert below is not None and below.params == {"min": "0.5"}
    assert below.message("en") == "Must be at least 0.5" and below.message("zh") == "不能小于 0.5"
    _, above = clean_value(fdef("money", max=100), "120")
    assert above is not None and above.params == {"max": "100"}
    _, choice = clean_value(fdef("choice", **CHOICE), "z")
    assert choice is not None and choice.message("en") == "Not an option; choose one of: a, b"


@pytest.mark.parametrize("blank", [None, "", [], {}])
def test_blank_is_required_or_nothing(blank: Any) -> None:
    assert clean_value(fdef("text"), blank) == (None, None)
    value, problem = clean_value(fdef("number", required=True), blank)
    assert value is None and problem is not None and problem.code == "required"


def test_person_is_checked_by_the_callback() -> None:
    staff = {"li.wei"}.__contains__
    assert clean_value(fdef("person"), "li.wei", is_person=staff) == ("li.wei", None)
    value, problem = clean_value(fdef("person"), "nobody", is_person=staff)
    assert value is None and problem is not None and problem.code == "not_person"


# -- clean_checklist -----------------------------------------------------------------------


def test_measurement_passes_or_fails_by_itself() -> None:
    stem = item("measurement", unit="mm", min=0.1, max=0.25)
    assert clean_checklist([stem], {"i": 0.2}) == ({"i": {"value": 0.2, "passed": True}}, {})
    assert clean_checklist([stem], {"i": "0.1"}) == ({"i": {"value": 0.1, "passed": True}}, {})
    # Out of range is a result, not an input error: the guard decides what failing means.
    assert clean_checklist([stem], {"i": 0.3}) == ({"i": {"value": 0.3, "passed": False}}, {})
    results, errors = clean_checklist([stem], {"i": "thin"})
    assert results == {} and errors["checklist.i"].code == "not_number"
    results, errors = clean_checklist([stem], {"i": True})
    assert results == {} and errors["checklist.i"].code == "not_number"


def test_yes_no_text_and_unknown_items() -> None:
    items = [
        item("yes_no"),
        ChecklistItem.model_validate({"key": "note", "type": "text", "label": L}),
    ]
    assert clean_checklist(items, {"i": True, "note": "  ok "}) == (
        {"i": {"value": True, "passed": True}, "note": {"value": "ok", "passed": True}},
        {},
    )
    assert clean_checklist(items, {"i": False})[0] == {"i": {"value": False, "passed": False}}
    results, errors = clean_checklist(items, {"i": "yes", "extra": True, "note": ""})
    assert results == {}  # blank answers are skipped, not recorded
    assert {k: e.code for k, e in errors.items()} == {
        "checklist.i": "not_bool",
        "checklist.extra": "unknown_field",
    }


@pytest.mark.parametrize(
    ("extra", "text"),
    [
        ({"min": 0.1, "max": 0.25}, "0.1–0.25 mm"),
        ({"max": 0.05}, "≤ 0.05 mm"),
        ({"min": 2}, "≥ 2 mm"),
    ],
)
def test_range_text(extra: dict[str, Any], text: str) -> None:
    assert range_text(item("measurement", unit="mm", **extra)) == text


finite = st.floats(allow_nan=False, allow_infinity=False, min_value=-1e9, max_value=1e9)


@given(a=finite, b=finite, value=finite, as_text=st.booleans())
def test_measurement_passes_iff_inside_its_range(
    a: float, b: float, value: float, as_text: bool
) -> None:
    low, high = min(a, b), max(a, b)
    results, errors = clean_checklist(
        [item("measurement", unit="mm", min=low, max=high)],
        {"i": repr(value) if as_text else value},
    )
    assert errors == {}
    assert results["i"] == {"value": value, "passed": low <= value <= high}


@given(bound=finite, value=finite, upper=st.booleans())
def test_one_sided_range(bound: float, value: float, upper: bool) -> None:
    spec = {"max": bound} if upper else {"min": bound}
    results, _ = clean_checklist([item("measurement", unit="mm", **spec)], {"i": value})
    assert results["i"]["passed"] is (value <= bound if upper else value >= bound)


# -- plan_transition and options -----------------------------------------------------------

INSPECTION = {
    "key": "inspection",
    "name": {"zh": "检修", "en": "Inspection"},
    "seed": "test",
    "owner": {"department": "engineering"},
    "fields": [
        {"key": "note", "type": "text", "label": L},
        {
            "key": "kind",
            "type": "choice",
            "label": L,
            "options": [{"value": "a", "label": L}, {"value": "b", "label": L}],
        },
    ],
    "start": "check",
    "steps": {
        "check": {
            "kind": "task",
            "name": L,
            "form": [
                {"key": "result", "type": "text", "required": True, "label": L},
                {"key": "hours", "type": "number", "min": 0, "label": L},
            ],
            "checklist": [
                {
                    "key": "stem_bend",
                    "type": "measurement",
                    "unit": "mm",
                    "min": 0.1,
                    "max": 0.25,
                    "label": L,
                },
                {"key": "clean", "type": "yes_no", "label": L},
                {"key": "remark", "type": "text", "required": False, "label": L},
            ],
            "transitions": [
                {
                    "key": "pass",
                    "to": "flag",
                    "label": L,
                    "roles": ["qc", "technician"],
                    "guard": "checklist.passed",
                    "effects": [{"notify": {"to": "assignee"}}],
                },
                {
                    "key": "urgent",
                    "to": "done",
                    "label": L,
                    "roles": ["manager"],
                    "guard": "case.priority == 'urgent'",
                },
                {
                    "key": "approve",
                    "to": "done",
                    "label": L,
                    "roles": ["manager"],
                    "guard": "data.approved == true",
                    "fields": [{"key": "approved", "type": "bool", "required": True, "label": L}],
                },
                {
                    "key": "kind_b",
                    "to": "done",
                    "label": L,
                    "roles": ["manager"],
                    "guard": "data.kind == 'b'",
                },
                {
                    "key": "hold",
                    "to": "waiting",
                    "label": L,
                    "roles": ["technician"],
                    "require": ["note"],
                },
                {
                    "key": "abandon",
                    "to": "done",
                    "label": L,
                    "roles": ["manager"],
                    "skip_form": True,
                    "fields": [{"key": "reason", "type": "text", "required": True, "label": L}],
                },
            ],
        },
        "waiting": {
            "kind": "wait",
            "name": L,
            "pauses_clock": True,
            "transitions": [{"key": "resume", "to": "check", "label": L, "roles": ["technician"]}],
        },
        "flag": {
            "kind": "automatic",
            "name": L,
            "next": "archive",
            "effects": [{"flag_major": True}],
        },
        "archive": {
            "kind": "automatic",
            "name": L,
            "next": "done",
            "effects": [{"set": {"note": "archived"}}, {"schedule_return_visit": "3d"}],
        },
        "done": {"kind": "end", "name": L},
    },
}
PROCEDURE = Procedure.model_validate(INSPECTION)
GOOD = {"stem_bend": 0.2, "clean": True}


def view(
    step: str = "check",
    *,
    priority: str = "normal",
    data: dict[str, Any] | None = None,
    checks: dict[str, Any] | None = None,
) -> CaseView:
    return CaseView(
        step=step,
        status="open",
        priority=priority,
        channel="phone",
        category="",
        is_major=False,
        comeback_count=0,
        data=data or {},
        checks=checks or {},
    )


def refused(*args: Any, **kwargs: Any) -> EngineError:
    with pytest.raises(EngineError) as info:
        plan_transition(PROCEDURE, *args, **kwargs)
    return info.value


def test_unknown_transition() -> None:
    error = refused(view(), "teleport", ["qc"], {})
    assert error.code == "unknown_transition" and error.params == {
        "step": "check",
        "transition": "teleport",
    }
    assert not isinstance(error, Forbidden)
    assert error.message("en") == "Step 'check' has no action 'teleport'"


def test_wrong_role_is_forbidden() -> None:
    error = refused(view(), "pass", ["agent", "finance"], {"result": "ok"}, GOOD)
    assert isinstance(error, Forbidden) and error.status == 403
    assert error.code == "role_not_allowed" and error.params["roles"] == "qc, technician"
    # A superuser may take any transition the rest of the rules allow.
    plan = plan_transition(PROCEDURE, view(), "pass", [], {"result": "ok"}, GOOD, superuser=True)
    assert plan.to_step == "done"


def test_missing_required_fields_and_checklist() -> None:
    error = refused(view(), "pass", ["qc"], {"hours": 2}, {"clean": True})
    assert error.code == "invalid_form"
    assert {k: e.code for k, e in error.fields.items()} == {
        "result": "required",
        "checklist.stem_bend": "not_done",
    }


def test_transition_fields_and_require() -> None:
    error = refused(view(), "approve", ["manager"], {"result": "ok"}, GOOD)
    assert {k: e.code for k, e in error.fields.items()} == {"approved": "required"}
    error = refused(view(), "hold", ["technician"], {"result": "ok"}, GOOD)
    assert {k: e.code for k, e in error.fields.items()} == {"note": "required"}
    # `require` is met by data the case already holds.
    plan = plan_transition(
        PROCEDURE, view(data={"note": "parts"}), "hold", ["technician"], {"result": "ok"}, GOOD
    )
    assert plan.to_step == "waiting"


def test_skip_form_leaves_without_the_step_form_and_checklist() -> None:
    plan = plan_transition(PROCEDURE, view(), "abandon", ["manager"], {"reason": "客户取消"})
    assert plan.to_step == "done" and plan.values == {"reason": "客户取消"}
    # The transition's own required fields are still demanded.
    error = refused(view(), "abandon", ["manager"], {})
    assert {k: e.code for k, e in error.fields.items()} == {"reason": "required"}
    # Whatever is submitted is still checked.
    error = refused(
        view(), "abandon", ["manager"], {"reason": "x", "hours": "many"}, {"stem_bend": "thin"}
    )
    assert {k: e.code for k, e in error.fields.items()} == {
        "hours": "not_number",
        "checklist.stem_bend": "not_number",
    }


def test_unknown_and_invalid_fields() -> None:
    error = refused(
        view(), "pass", ["qc"], {"result": "ok", "bogus": 1, "hours": -1, "approved": True}, GOOD
    )
    assert error.code == "invalid_form"
    # `approved` belongs to another transition of this step: unknown here.
    assert {k: e.code for k, e in error.fields.items()} == {
        "bogus": "unknown_field",
        "hours": "below_min",
        "approved": "unknown_field",
    }


def test_guard_failing_on_a_measurement_lists_the_checklist_item() -> None:
    error = refused(view(), "pass", ["qc"], {"result": "ok"}, {"stem_bend": 0.3, "clean": True})
    assert error.code == "guard_failed" and error.params == {"transition": "pass"}
    assert list(error.fields) == ["checklist.stem_bend"]
    problem = error.fields["checklist.stem_bend"]
    assert problem.code == "out_of_range"
    assert problem.params == {"value": "0.3", "unit": "mm", "range": "0.1–0.25 mm"}
    assert problem.message("en") == "Measured 0.3mm is outside the accepted range 0.1–0.25 mm"
    assert error.details("en")["fields"] == {"checklist.stem_bend": problem.message("en")}


def test_guard_failing_on_a_yes_no_item_or_data() -> None:
    error = refused(view(), "pass", ["qc"], {"result": "ok"}, {"stem_bend": 0.2, "clean": False})
    assert error.code == "guard_failed" and error.fields == {}
    error = refused(view(), "urgent", ["manager"], {"result": "ok"}, GOOD)
    assert error.code == "guard_failed"
    error = refused(view(), "approve", ["manager"], {"result": "ok", "approved": False}, GOOD)
    assert error.code == "guard_failed"


def test_successful_plan_follows_automatic_steps() -> None:
    data = {"kind": "a"}
    checks = {"check": {"clean": {"value": True, "passed": True}}}
    before = copy.deepcopy((data, checks))
    plan = plan_transition(
        PROCEDURE,
        view(data=data, checks=checks),
        "pass",
        ["technician"],
        {"result": "  all good ", "hours": "1.5"},
        {"stem_bend": "0.15"},
    )
    assert isinstance(plan, Plan)
    assert (plan.from_step, plan.to_step, plan.visited) == (
        "check",
        "done",
        ["flag", "archive", "done"],
    )
    assert plan.values == {"result": "all good", "hours": 1.5}
    # Only what was submitted now; the earlier `clean` answer counted towards the checklist.
    assert plan.checks == {"stem_bend": {"value": 0.15, "passed": True}}
    assert [e.model_dump(exclude_none=True) for e in plan.effects] == [
        {"notify": {"to": "assignee", "level": 1}},
        {"flag_major": True},
        {"set": {"note": "archived"}},
        {"schedule_return_visit": "3d"},
    ]
    assert (data, checks) == before  # planning changes nothing


def test_guards_see_stored_data_and_case_facts() -> None:
    stored = {"kind": "b"}
    checks = {
        "check": {
            "stem_bend": {"value": 0.2, "passed": True},
            "clean": {"value": True, "passed": True},
        }
    }
    plan = plan_transition(
        PROCEDURE,
        view(data={**stored, "result": "ok"}, checks=checks),
        "kind_b",
        ["manager"],
        {},
    )
    assert plan.visited == ["done"] and plan.effects == []
    plan = plan_transition(
        PROCEDURE,
        view(priority="urgent", data={**stored, "result": "ok"}, checks=checks),
        "urgent",
        ["manager"],
        {},
    )
    assert plan.to_step == "done"


def test_guard_context() -> None:
    data = {"kind": "a"}
    checks = {
        "check": {"clean": {"value": False, "passed": False}},
        "other": {"x": {"value": False, "passed": False}},
    }
    context = guard_context(PROCEDURE, view(data=data, checks=checks))
    assert (
        context["data"]["kind"] == "a" and context["data"]["note"] is None
    )  # declared, not yet filled
    assert CHECKS_KEY not in context["data"]
    assert context["checklist"] == {
        "passed": False,
        "failed": ["clean"],
        "items": checks["check"],
    }
    assert context[CHECKS_KEY] == checks  # every step's latest answers, by step
    assert context["case"]["priority"] == "normal" and context["case"]["is_major"] is False


def test_options_mark_role_and_guard() -> None:
    marked = {
        o.transition.key: (o.allowed, o.reason) for o in options(PROCEDURE, view(), ["manager"])
    }
    assert marked == {
        "pass": (False, "role"),
        "urgent": (False, "guard"),  # judged now: it reads only the case
        "approve": (True, None),  # reads a field of its own form: judged on submission
        "kind_b": (True, None),  # reads a blank case field, which may come with the move
        "hold": (False, "role"),
        "abandon": (True, None),
    }
    marked = {
        o.transition.key: (o.allowed, o.reason)
        for o in options(PROCEDURE, view(priority="urgent", data={"kind": "b"}), ["manager"])
    }
    assert marked["urgent"] == (True, None) and marked["kind_b"] == (True, None)
    stored_a = {
        o.transition.key: (o.allowed, o.reason)
        for o in options(PROCEDURE, view(data={"kind": "a"}), ["manager"])
    }
    assert stored_a["kind_b"] == (False, "guard")  # filled already: judged now
    # The checklist is filled on the same form, so a checklist guard is always offered.
    assert {o.transition.key: o.allowed for o in options(PROCEDURE, view(), ["qc"])}["pass"] is True
    assert all(
        o.allowed or o.reason == "guard" for o in options(PROCEDURE, view(), [], superuser=True)
    )


def test_follow_automatic_and_status() -> None:
    assert follow_automatic(PROCEDURE, "waiting") == (["waiting"], [])
    visited, effects = follow_automatic(PROCEDURE, "flag")
    assert visited == ["flag", "archive", "done"] and len(effects) == 3
    steps = PROCEDURE.steps
    assert status_for(steps["check"], resolved=False) == "open"
    assert status_for(steps["check"], resolved=True) == "resolved"
    assert status_for(steps["waiting"], resolved=False) == "waiting"
    assert status_for(steps["done"], resolved=True) == "closed"
    for outcome in ("cancelled", "rejected"):
        assert (
            status_for(steps["done"].model_copy(update={"outcome": outcome}), resolved=False)
            == outcome
        )


# -- regressions: engine bugs found while testing ---------------------------------------


def test_huge_integer_is_not_a_number_error() -> None:
    value, problem = clean_value(fdef("number"), 10**400)
    assert value is None and problem is not None and problem.code == "not_number"


def test_huge_integer_measurement_is_not_a_number_error() -> None:
    _, errors = clean_checklist([item("measurement", unit="mm", max=1)], {"i": 10**400})
    assert errors["checklist.i"].code == "not_number"


def test_whitespace_is_not_a_required_text() -> None:
    _, problem = clean_value(fdef("text", required=True), "   ")
    assert problem is not None and problem.code == "required"


# -- walking the complaint and call-centre procedures --------------------------------------


@dataclass
class Walk:
    """The few facts of a case the engine reads, moved along as the action layer would."""

    procedure: Procedure
    data: dict[str, Any]
    priority: str = "normal"
    step: str = ""
    resolved: bool = False
    is_major: bool = False
    comebacks: int = 0
    departments: list[str | None] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.step = self.procedure.start

    @property
    def status(self) -> str:
        return status_for(self.procedure.steps[self.step], resolved=self.resolved)

    def view(self) -> CaseView:
        return CaseView(
            step=self.step,
            status=self.status,
            priority=self.priority,
            channel="phone",
            category="",
            is_major=self.is_major,
            comeback_count=self.comebacks,
            data=self.data,
        )

    def allowed(self, *roles: str) -> set[str]:
        return {o.transition.key for o in options(self.procedure, self.view(), roles) if o.allowed}

    def take(self, key: str, roles: list[str], form: dict[str, Any] | None = None) -> Walk:
        plan = plan_transition(self.procedure, self.view(), key, roles, form or {})
        self.data = {**self.data, **plan.values}
        if plan.transition.reopens:
            self.resolved = False
            self.comebacks += 1
        for effect in plan.effects:
            if effect.set:
                self.data = {**self.data, **effect.set}
            if effect.flag_major:
                self.is_major = True
        self.step = plan.to_step
        target = self.procedure.steps[self.step]
        self.resolved = self.resolved or target.resolves
        owner = target.owner
        if owner and not owner.keep:
            self.departments.append(owner.department or self.data.get(owner.department_field or ""))
        return self


def library(key: str) -> Procedure:
    loaded = load_file(LIBRARY / f"{key}.yaml")
    assert loaded.procedure is not None, loaded.problems
    return loaded.procedure


@pytest.fixture(scope="module")
def complaint() -> Procedure:
    return library("complaint")


@pytest.fixture(scope="module")
def call_center() -> Procedure:
    return library("after_sales_call_center")


def complaint_walk(procedure: Procedure) -> Walk:
    w = Walk(procedure, {"complaint_content": "保安态度恶劣", "complainant_name": "王先生"})
    w.take(
        "analyse",
        ["agent"],
        {"intake_method": "call_record", "complaint_summary": "门岗保安态度差"},
    )
    return w


def test_complaint_at_fault_loops_until_satisfied(complaint: Procedure) -> None:
    w = complaint_walk(complaint)
    assert w.step == "analyse"
    with pytest.raises(EngineError) as info:
        w.take(
            "not_responsible",
            ["agent"],
            {"complaint_nature": "responsible", "analysis": "门岗服务问题"},
        )
    assert info.value.code == "guard_failed"
    w.take(
        "responsible", ["agent"], {"complaint_nature": "responsible", "analysis": "门岗服务问题"}
    )
    w.take("transfer", ["agent"], {"apology_method": "phone", "responsible_department": "security"})
    assert (w.step, w.departments[-1]) == ("investigate", "security")
    with pytest.raises(EngineError) as info:
        w.take("report_result", ["security"], {"cause": "值班人员态度问题"})
    assert set(info.value.fields) == {"remedy"}
    w.take(
        "report_result", ["security"], {"cause": "值班人员态度问题", "remedy": "批评教育并登门道歉"}
    )
    assert (w.step, w.status, w.departments[-1]) == ("feedback", "resolved", "service_center")
    w.take("fed_back", ["agent"], {"feedback_method": "phone", "result_told": "已处理并道歉"})
    assert w.allowed("agent") == {"close", "handle_again", "explain_again"}  # judged on submission
    with pytest.raises(EngineError) as info:
        w.take("handle_again", ["agent"], {"visit_method": "phone", "satisfied": False})
    assert set(info.value.fields) == {"customer_opinion"}
    w.take(
        "handle_again",
        ["agent"],
        {"visit_method": "phone", "satisfied": False, "customer_opinion": "仍不满意"},
    )
    assert (w.step, w.status, w.comebacks, w.departments[-1]) == (
        "investigate",
        "open",
        1,
        "security",
    )
    w.take("report_result", ["manager"], {"remedy": "调换岗位"})
    w.take("fed_back", ["agent"], {"feedback_method": "visit", "result_told": "已调岗"})
    with pytest.raises(EngineError) as info:
        w.take(
            "explain_again",
            ["agent"],
            {"visit_method": "visit", "satisfied": False, "customer_opinion": "x"},
        )
    assert info.value.code == "guard_failed"  # the explanation loop is for no-fault complaints
    w.take("close", ["agent"], {"visit_method": "visit", "satisfied": True})
    assert (w.step, w.status) == ("closed", "closed")


def test_complaint_without_fault_is_explained(complaint: Procedure) -> None:
    w = complaint_walk(complaint)
    w.take(
        "not_responsible",
        ["manager"],
        {"complaint_nature": "not_responsible", "analysis": "属市政停水"},
    )
    assert w.step == "explain" and w.departments[-1] == "service_center"
    w.take(
        "assist", ["agent"], {"explanation": "市政停水，已告知恢复时间", "assistance_needed": True}
    )
    w.take("assisted", ["agent"], {"assistance": "协助联系自来水公司"})
    w.take("fed_back", ["agent"], {"feedback_method": "sms", "result_told": "已恢复供水"})
    w.take(
        "explain_again",
        ["agent"],
        {"visit_method": "phone", "satisfied": False, "customer_opinion": "补偿?"},
    )
    assert (w.step, w.comebacks) == ("explain", 1)
    w.take("explained", ["agent"], {"assistance_needed": False})
    assert (w.step, w.status) == ("return_visit", "resolved")
    w.take("close", ["agent"], {"satisfied": True})
    assert w.status == "closed"


def test_complaint_major_and_withdrawn(complaint: Procedure) -> None:
    w = complaint_walk(complaint)
    w.take("mark_major", ["manager"], {"complaint_nature": "responsible", "analysis": "多户投诉"})
    assert w.is_major and w.step == "apologise"
    w = Walk(complaint, {"complaint_content": "x", "complainant_name": "y"})
    w.take("withdraw", ["agent"], {"withdraw_reason": "客户已自行解决"})
    assert w.status == "cancelled"


def call_walk(procedure: Procedure) -> Walk:
    return Walk(procedure, {"request": "系统无法登录", "contact_name": "张工"})


def test_consultation_is_answered_and_logged(call_center: Procedure) -> None:
    assert call_center.response_on_open
    w = call_walk(call_center)
    w.take(
        "answer_on_spot",
        ["agent"],
        {"request_type": "consultation", "answer": "请清除缓存", "user_satisfied": True},
    )
    assert (w.step, w.status) == ("consultation_logged", "closed")
    w = call_walk(call_center)
    w.take("ask_engineer", ["agent"], {"request_type": "consultation"})
    w.take("answered", ["engineer"], {"engineer_answer": "升级驱动", "user_satisfied": True})
    assert w.status == "closed"


def test_unanswered_consultation_becomes_a_case(call_center: Procedure) -> None:
    w = call_walk(call_center)
    w.take("ask_engineer", ["agent"], {"request_type": "consultation"})
    assert "open_case" in w.allowed("engineer")  # user_satisfied unknown yet: may not be satisfied
    w.take("open_case", ["engineer"], {"user_satisfied": False, "handling_department": "workshop"})
    assert (w.step, w.departments[-1]) == ("engineer", "workshop")


def test_case_escalates_to_the_vp_and_closes_only_when_solved(call_center: Procedure) -> None:
    w = call_walk(call_center)
    with pytest.raises(EngineError) as info:
        w.take("open_major_case", ["agent"], {"request_type": "support", "in_contract": "yes"})
    assert set(info.value.fields) == {"handling_department"}
    w.take(
        "open_major_case",
        ["agent"],
        {"request_type": "support", "in_contract": "yes", "handling_department": "aftersales"},
    )
    assert w.is_major and (w.step, w.departments[-1]) == ("engineer", "aftersales")
    record = {"problem_description": "服务器宕机", "diagnosis": "RAID 控制器故障"}
    with pytest.raises(EngineError) as info:
        w.take("solve", ["engineer"], {**record, "actions_taken": "重启", "solved": False})
    assert info.value.code == "guard_failed"
    w.take("to_specialist", ["engineer"], {**record, "escalation_reason": "超出能力"})
    w.take("to_manager", ["specialist"], {"escalation_reason": "需厂商支持"})
    w.take("to_vp", ["manager"], {"escalation_reason": "需采购备件"})
    assert w.step == "vp" and w.departments[-1] == "aftersales"
    with pytest.raises(Forbidden):
        w.take("solve", ["manager"], {"actions_taken": "更换控制器", "solved": True})
    w.take("solve", ["vp"], {"actions_taken": "更换控制器", "solved": True})
    w.take("close_case", ["engineer"], {"user_confirmed": True})
    assert (w.step, w.status, w.departments[-1]) == (
        "return_visit",
        "resolved",
        "project_management",
    )
    w.take(
        "reopen",
        ["agent"],
        {
            "visit_method": "phone",
            "fully_solved": False,
            "satisfied": False,
            "user_feedback": "仍偶发宕机",
        },
    )
    assert (w.step, w.status, w.comebacks, w.data["solved"]) == ("engineer", "open", 1, False)
    with pytest.raises(EngineError):  # solved was reset: the Case cannot be closed out again as is
        w.take("solve", ["engineer"], {})
    w.take("solve", ["engineer"], {"solved": True})
    w.take("close_case", ["engineer"], {"user_confirmed": True})
    w.take("close", ["agent"], {"visit_method": "phone", "fully_solved": True, "satisfied": True})
    assert w.status == "closed"


def test_out_of_contract_request_is_coordinated(call_center: Procedure) -> None:
    w = call_walk(call_center)
    w.take("coordinate", ["agent"], {"request_type": "support", "in_contract": "no"})
    assert w.departments[-1] == "call_center"
    w.take("decline", ["manager"], {"coordination": "报价 800 元", "user_accepts": False})
    assert w.status == "rejected"
    w = call_walk(call_center)
    w.take("coordinate", ["agent"], {"request_type": "support", "in_contract": "no"})
    w.take(
        "hand_over",
        ["manager"],
        {
            "coordination": "有偿服务",
            "quote": "800",
            "user_accepts": True,
            "handling_department": "workshop",
        },
    )
    assert (w.step, w.departments[-1], w.data["quote"]) == ("engineer", "workshop", "800.00")


def test_transfer_and_waiting_for_the_user(call_center: Procedure) -> None:
    w = call_walk(call_center)
    w.take(
        "open_case",
        ["agent"],
        {"request_type": "complaint", "in_contract": "yes", "handling_department": "aftersales"},
    )
    w.take(
        "transfer", ["engineer"], {"handling_department": "workshop", "transfer_reason": "硬件问题"}
    )
    assert (w.step, w.departments[-1]) == ("engineer", "workshop")
    w.take("wait_for_user", ["technician"], {"wait_reason": "用户出差"})
    assert w.status == "waiting"
    w.take("resume", ["agent"])
    assert w.status == "open"


@pytest.mark.parametrize("key", ["complaint", "after_sales_call_center"])
def test_every_label_is_bilingual_and_every_end_is_reachable(key: str) -> None:
    procedure = library(key)
    ends = {k for k, s in procedure.steps.items() if s.kind is StepKind.END}
    assert ends <= {t.to for s in procedure.steps.values() for t in s.transitions}
    labels = [
        procedure.name,
        *(s.name for s in procedure.steps.values()),
        *(t.label for s in procedure.steps.values() for t in s.transitions),
        *(f.label for f in procedure.all_fields().values()),
    ]
    for text in labels:
        assert text.zh != text.en, text  # both languages written, not one copied into the other


def test_a_guard_reads_an_earlier_steps_checklist() -> None:
    """`checks.<step>.<item>` is the latest answer of any step: a stem out of limit at the
    inspection forces its replacement two steps later."""
    raw = copy.deepcopy(INSPECTION)
    raw["steps"]["check"]["transitions"][0]["guard"] = "true"  # the inspection records, only
    raw["steps"]["check"]["transitions"][0]["to"] = "repair"
    raw["steps"]["repair"] = {
        "kind": "task",
        "name": L,
        "form": [{"key": "stem_replaced", "type": "bool", "label": L}],
        "transitions": [
            {
                "key": "finish",
                "to": "done",
                "label": L,
                "roles": ["technician"],
                "guard": "checks.check.stem_bend.passed || data.stem_replaced == true",
            }
        ],
    }
    procedure = Procedure.model_validate(raw)
    plan = plan_transition(
        procedure,
        view(),
        "pass",
        ["technician"],
        {"result": "ok"},
        {"stem_bend": 0.4, "clean": True},
    )
    assert plan.checks["stem_bend"] == {"value": 0.4, "passed": False} and plan.to_step == "repair"
    bent = {"check": plan.checks}
    with pytest.raises(EngineError) as error:
        plan_transition(procedure, view("repair", checks=bent), "finish", ["technician"], {})
    assert error.value.code == "guard_failed"
    replaced = plan_transition(
        procedure, view("repair", checks=bent), "finish", ["technician"], {"stem_replaced": True}
    )
    assert replaced.to_step == "done"
    straight = {"check": {"stem_bend": {"value": 0.2, "passed": True}}}
    assert (
        plan_transition(
            procedure, view("repair", checks=straight), "finish", ["technician"], {}
        ).to_step
        == "done"
    )
    context = guard_context(procedure, view("repair", checks=bent))
    assert context["checks"]["check"]["stem_bend"]["passed"] is False


def test_a_form_offers_the_items_that_apply_or_that_it_may_still_make_apply() -> None:
    raw = copy.deepcopy(INSPECTION)
    raw["steps"]["check"]["checklist"] += [
        {"key": "for_b", "label": L, "when": "data.kind == 'b'"},
        {"key": "if_note", "label": L, "when": "data.note == 'x'"},
    ]
    procedure = Procedure.model_validate(raw)
    items = procedure.steps["check"].checklist
    context = guard_context(procedure, view(data={"kind": "a"}))
    shown = [i.key for i in offered(items, context, ["result"])]
    assert "for_b" not in shown and "if_note" not in shown and "stem_bend" in shown
    # `note` is on this form: whether `if_note` applies is known only when it is submitted.
    assert "if_note" in [i.key for i in offered(items, context, ["result", "note"])]
    context = guard_context(procedure, view(data={"kind": "b"}))
    assert "for_b" in [i.key for i in offered(items, context, [])]
