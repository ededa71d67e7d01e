"""The procedure diagram endpoint: Mermaid text with steps, labelled transitions, branches, position."""

from __future__ import annotations

from fuwu.cases import actions
from fuwu.procedures.engine.diagram import mermaid
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
                assert f"{key} -->|" in text and f"| {t.to}" in text


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
    assert 'reception -->|"Issue work order to engineering"| dispatch' in text
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
