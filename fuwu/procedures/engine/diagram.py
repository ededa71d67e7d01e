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


LINE = 20  # a label line's width, a Chinese character counting 2, a Latin letter 1
BREAK_AFTER = "，、；：）,;:) "


def _width(text: str) -> int:
    return sum(2 if ord(c) > 0x2E7F else 1 for c in text)


def wrap(text: str, line: int = LINE) -> list[str]:
    """A label cut into lines of about `line` wide, after punctuation or a space where one is
    near: Mermaid measures a long one-line label narrower than it draws it, so the labels of
    moves that leave a step side by side overlap."""
    lines: list[str] = []
    rest = text.strip()
    while _width(rest) > line:
        cut, width = 0, 0
        for i, c in enumerate(rest):
            width += _width(c)
            if width > line:
                break
            cut = i + 1
        soft = max((i + 1 for i, c in enumerate(rest[:cut]) if c in BREAK_AFTER), default=0)
        if soft >= cut // 2:
            cut = soft
        elif rest[cut - 1].isascii() and rest[cut - 1].isalnum():
            space = rest.rfind(" ", 0, cut)  # never split an English word
            cut = space + 1 if space > 0 else cut
        lines.append(rest[:cut].strip())
        rest = rest[cut:].strip()
    return [*lines, rest] if rest else lines


def _text(text: str) -> str:
    # Mermaid labels are quoted; a double quote inside must be an entity; lines join with <br>.
    one = text.replace('"', "#quot;").replace("\n", " ")
    return '"' + "<br>".join(wrap(one)) + '"'


def _node(key: str, step: Step, language: str) -> str:
    """A step; a move that stays on the step is written inside it (↻ label): Mermaid draws a
    loop's label over the arrows below the step."""
    left, right = _SHAPES[step.kind]
    loops = [t.label.get(language) for t in step.transitions if t.to == key]
    text = _text(step.name.get(language))[:-1]
    for label in loops:
        text += "<br>↻ " + _text(label)[1:-1]
    return f'    {key}{left}{text}"{right}'


def _points_to(procedure: Procedure, source: str, target: str) -> bool:
    step = procedure.steps[source]
    return step.next == target or any(t.to == target for t in step.transitions)


def mermaid(
    procedure: Procedure,
    *,
    language: str = "zh-hans",
    current: str | None = None,
    visited: list[str] | None = None,
) -> str:
    """The flowchart text; `current` and `visited` mark a case's position and path."""
    lines = ["flowchart TD", f'    start((" ")) --> {procedure.start}']
    order = {key: i for i, key in enumerate(procedure.steps)}
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
        # Moves between the same two steps share one arrow, their labels one under the other:
        # Mermaid draws parallel arrows so close that their labels land on top of each other.
        targets: dict[str, list[str]] = {}
        for t in step.transitions:
            targets.setdefault(t.to, []).append(t.label.get(language))
        targets.pop(key, None)  # drawn in the step itself
        for to, labels in targets.items():
            said = "<br>".join(_text(label)[1:-1] for label in labels)
            # The way back of a step pair that points both ways is drawn a rank longer, so that
            # the two arrows (and their labels) do not run side by side.
            back = to in order and order[to] < order[key] and _points_to(procedure, to, key)
            lines.append(f'    {key} {"--->" if back else "-->"}|"{said}"| {to}')
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
