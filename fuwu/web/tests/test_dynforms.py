"""Forms generated from procedure definitions: inputs, payloads, engine errors back in place."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import pytest
from django.utils import translation

from fuwu.procedures.engine.definition import Procedure
from fuwu.procedures.engine.errors import EngineError, FieldError
from fuwu.procedures.engine.machine import CaseView, plan_transition
from fuwu.procedures.engine.validate import load_file
from fuwu.web.dynforms import add_engine_errors, form_for_fields, payload_of

LIBRARY = Path(__file__).resolve().parents[2] / "procedures" / "library"


@cache
def procedure(key: str) -> Procedure:
    loaded = load_file(LIBRARY / f"{key}.yaml")
    assert loaded.procedure is not None, loaded.problems
    return loaded.procedure


def view(step: str, data: dict | None = None) -> CaseView:
    return CaseView(step, "open", "normal", "phone", "", False, 0, data or {})


def test_typed_inputs_and_required_marks():
    repair = procedure("property_repair").steps["repair"]
    form = form_for_fields(repair.form, "en", checklist=repair.checklist, required=["owner_agreed"])
    specs = form.specs
    assert specs["diagnosis"].kind == "textarea" and specs["diagnosis"].required
    assert specs["owner_agreed"].kind == "radio" and specs["owner_agreed"].required
    assert (
        specs["checklist.fault_fixed"].checklist and specs["checklist.fault_fixed"].kind == "radio"
    )
    assert form.fields["diagnosis"].label == "Diagnosis and cause"
    zh = form_for_fields(repair.form, "zh-hans")
    assert zh.fields["diagnosis"].label == "检查结果与原因"
    html = str(form["diagnosis"])
    assert "<textarea" in html and 'maxlength="2000"' in html


def test_measured_items_carry_their_range_for_the_browser():
    inspect = procedure("valve_overhaul").steps["inspect"]
    form = form_for_fields([], "en", checklist=inspect.checklist)
    spec = form.specs["checklist.radial_clearance"]
    assert (spec.kind, spec.unit, spec.min, spec.max) == ("measure", "mm", 0.2, 0.5)
    assert spec.range == "0.2–0.5 mm"
    html = str(form["checklist.radial_clearance"])
    assert 'data-min="0.2"' in html and 'data-max="0.5"' in html
    assert ' min="' not in html  # out of range is an answer (it fails the item), not a typo


def test_payload_converts_what_was_posted():
    dispatch = procedure("property_repair").steps["dispatch"]
    repair = procedure("property_repair").steps["repair"]
    with translation.override("en"):
        form = form_for_fields(
            [*dispatch.form, *repair.form],
            "en",
            data={
                "repair_mode": "booked",
                "appointment_at": "2030-05-01T09:30",
                "diagnosis": "  leaking seal ",
                "solution": "",
                "owner_agreed": "yes",
                "checklist.fault_fixed": "no",
                "checklist.site_clean": "",
            },
            checklist=repair.checklist,
        )
        payload = payload_of(form)
    assert payload.form["repair_mode"] == "booked"
    assert payload.form["appointment_at"].startswith("2030-05-01T09:30:00+")
    assert payload.form["diagnosis"] == "leaking seal"
    assert "solution" not in payload.form  # blank: left out, so a stored value stays
    assert payload.form["owner_agreed"] is True
    assert payload.checklist == {"fault_fixed": False}
    assert payload_of(form, only=["diagnosis"]).form == {"diagnosis": "leaking seal"}


def test_initial_values_from_the_case():
    dispatch = procedure("property_repair").steps["dispatch"]
    form = form_for_fields(
        dispatch.form,
        "zh-hans",
        initial={"repair_mode": "booked", "appointment_at": "2030-05-01T01:30:00+00:00"},
    )
    assert form["repair_mode"].value() == "booked"
    assert form["appointment_at"].value() == "2030-05-01T09:30"  # Asia/Shanghai


def test_engine_errors_land_next_to_the_fields():
    p = procedure("valve_overhaul")
    inspect = p.steps["inspect"]
    data = {"checklist.radial_clearance": "0.9", "checklist.body_no_cracks": "yes"}
    form = form_for_fields([], "en", data=data, checklist=inspect.checklist)
    payload = payload_of(form)
    with pytest.raises(EngineError) as caught:
        plan_transition(
            p, view("inspect"), "passed", ["technician"], payload.form, payload.checklist
        )
    add_engine_errors(form, caught.value, "en")
    assert form.errors["checklist.stem_bend"] == ["Checklist item not done"]
    assert "checklist.radial_clearance" not in form.errors  # answered: it just fails
    assert form["checklist.radial_clearance"].value() == "0.9"  # what was typed is kept
    # The guard then refuses the out-of-range measurement, next to it, in Chinese too.
    error = EngineError(
        "guard_failed",
        transition="passed",
        fields={
            "checklist.radial_clearance": FieldError(
                "out_of_range", value="0.9", unit="mm", range="0.2–0.5 mm"
            ),
            "repair_item": FieldError("required"),
        },
    )
    form = form_for_fields([], "zh-hans", data=data, checklist=inspect.checklist)
    elsewhere = add_engine_errors(form, error, "zh-hans", labels={"repair_item": "报修项目"})
    assert form.errors["checklist.radial_clearance"] == ["测量值 0.9mm 超出允许范围 0.2–0.5 mm"]
    assert elsewhere == ["报修项目: 必填"]
    assert "报修项目: 必填" in form.non_field_errors()


def test_a_not_past_time_picker_starts_now():
    import time_machine

    dispatch = procedure("property_repair").steps["dispatch"]
    with time_machine.travel("2026-12-03T10:15:00+08:00", tick=False):
        html = str(form_for_fields(dispatch.form, "zh-hans")["appointment_at"])
    assert 'type="datetime-local"' in html and 'min="2026-12-03T10:15"' in html
    fee = procedure("fee_collection").steps["chase"].transitions
    promised = next(t for t in fee if t.key == "promised").fields
    with time_machine.travel("2026-12-03T00:30:00+08:00", tick=False):  # 2 Dec in UTC
        html = str(form_for_fields(promised, "en")["promised_date"])
    assert 'type="date"' in html and 'min="2026-12-03"' in html
