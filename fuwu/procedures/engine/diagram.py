"""A procedure as a Mermaid flowchart: steps, labelled transitions, parallel branches.

Mermaid is plain text a browser library draws; the staff UI and docs render the same text.
"""

from __future__ import annotations

from fuwu.procedures.engine.definition import Procedure, Step, StepKind

_SHAPES = {
    StepKind.TASK: ("[", "]"),
    StepKind.APPROVAL: ("{", "}"),
    StepKind.WAIT: ("[/", "/]"),
    StepKind.AUTOMATIC: ("[[", "]]"),
    StepKind.PARALLEL: ("[", "]"),
    StepKind.END: ("([", "])"),
}


def _text(text: str) -> str:
    # Mermaid labels are quoted; a double quote inside must be an entity.
    return '"' + text.replace('"', "#quot;").replace("\n", " ") + '"'


def _node(key: str, step: Step, language: str) -> str:
    left, right = _SHAPES[step.kind]
    return f"    {key}{left}{_text(step.name.get(language))}{right}"


def mermaid(
    procedure: Procedure,
    *,
    language: str = "zh-hans",
    current: str | None = None,
    visited: list[str] | None = None,
) -> str:
    """The flowchart text; `current` and `visited` mark a case's position and path."""
    lines = ["flowchart TD", f'    start((" ")) --> {procedure.start}']
    for key, step in procedure.steps.items():
        if step.kind is StepKind.PARALLEL:
            lines.append(f"    subgraph {key}_branches[{_text(step.name.get(language))}]")
            lines.append("    direction LR")
            for b in step.branches:
                lines.append(f"        {key}__{b.key}[{_text(b.name.get(language))}]")
            lines.append("    end")
            lines.append(_node(key, step, language))
            for b in step.branches:
                lines.append(f"    {key} --> {key}__{b.key}")
                if step.next:
                    lines.append(f"    {key}__{b.key} --> {step.next}")
            continue
        lines.append(_node(key, step, language))
        if step.next:
            lines.append(f"    {key} --> {step.next}")
        for t in step.transitions:
            lines.append(f"    {key} -->|{_text(t.label.get(language))}| {t.to}")
    lines.append("    classDef current fill:#fde68a,stroke:#b45309,stroke-width:3px")
    lines.append("    classDef visited fill:#dcfce7,stroke:#15803d")
    lines.append("    classDef finished fill:#e5e7eb,stroke:#6b7280")
    ends = [k for k, s in procedure.steps.items() if s.kind is StepKind.END]
    if ends:
        lines.append(f"    class {','.join(ends)} finished")
    done = [k for k in dict.fromkeys(visited or []) if k in procedure.steps and k != current]
    if done:
        lines.append(f"    class {','.join(done)} visited")
    if current and current in procedure.steps:
        lines.append(f"    class {current} current")
    return "\n".join(lines) + "\n"
