"""The procedure diagram endpoint: Mermaid text with steps, labelled transitions, branches, position."""

from __future__ import annotations

import re

from fuwu.cases import actions
from fuwu.procedures.engine.diagram import mermaid, wrap
from fuwu.procedures.engine.validate import load_file
from fuwu.procedures.registry import library_dirs


def test_every_library_procedure_draws(settings):
    for path in sorted(library_dirs()[0].glob("*.yaml")):
        procedure = load_file(path).procedure
        assert procedure is not None, path
        text = mermaid(procedure, language="en")
        assert text.startswith("flowchart TD\n")
        for key, step in procedure.steps.items():
            assert f"    {key}" in text
            for t in step.transitions:
                if t.to == key:  # a move that stays on its step is written inside the step
                    assert f"↻ {wrap(t.label.en)[0]}" in text
                    continue
                assert re.search(rf"{key} -{{2,3}}>\|[^\n]*\| {t.to}\n", text), (key, t.key)
                assert all(line in text for line in wrap(t.label.en)), (key, t.key)


def test_long_labels_break_after_punctuation_or_between_words():
    assert wrap("故障已确定，质量担保已说明") == ["故障已确定，", "质量担保已说明"]
    assert wrap("Issue work order to engineering") == ["Issue work order to", "engineering"]
    assert wrap("接待") == ["接待"]
    assert all(len(line) <= 20 for line in wrap("Fault determined, warranty explained to him"))


def test_diagram_api_marks_a_cases_position(world, api):
    case = actions.open_case(
        world.actor("agent"),
        procedure_key="property_repair",
        site_id=world.sites["lanting"].pk,
        channel="phone",
        title="漏水",
        data={"repair_item": "漏水", "service_type": "free"},
    )
    actions.take_transition(
        world.actor("agent"),
        case.pk,
        "issue_work_order",
        version=case.version,
        form={"details_confirmed": True},
    )
    r = api("agent", "en").get("/api/procedures/property_repair/diagram", case=case.pk)
    assert r.status_code == 200
    body = r.json()
    assert body["format"] == "mermaid" and body["current"] == "dispatch"
    assert body["visited"] == ["reception", "dispatch"]
    text = body["diagram"]
    assert 'reception -->|"Issue work order to<br>engineering"| dispatch' in text
    assert "class dispatch current" in text and "class reception visited" in text
    plain = api("agent").get("/api/procedures/property_repair/diagram").json()
    assert plain["current"] is None and "接待受理" in plain["diagram"]
    assert api("agent").get("/api/procedures/nope/diagram").status_code == 404
    assert (
        api("outsider").get("/api/procedures/property_repair/diagram", case=case.pk).status_code
        == 404
    )


def test_docs_procedures_md_is_generated_from_the_definitions():
    from pathlib import Path

    from fuwu.procedures.engine.docs import render

    procedures = [load_file(p).procedure for p in sorted(library_dirs()[0].glob("*.yaml"))]
    committed = (Path(__file__).resolve().parents[3] / "docs" / "procedures.md").read_text(
        encoding="utf-8"
    )
    assert committed == render(procedures), (
        "docs/procedures.md is stale: run `fuwu procedures docs`"
    )
    for p in procedures:
        assert f"(`{p.key}`)" in committed
