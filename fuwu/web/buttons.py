"""A choice the buttons already make: not asked twice on the case page.

Many steps ask a question whose answer only picks the move: "维修方式: 立即维修 / 预约维修"
above the buttons "立即维修" and "预约维修", each guarded by `data.repair_mode == "..."`; or
"业主满意: 是 / 否" above "满意，记录归档" and "不满意，返修". The person had to answer the
question and then press the button that says the same. When every move that completes the form
is guarded by exactly `data.<field> == <value>` on the same field of the step's form, each with
its own value, pressing a move's button is the answer: the field is not drawn, and the value is
posted with the move (the engine still stores and checks it as before).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from fuwu.procedures.engine.definition import FieldType, Step, Transition

_EQUALS = re.compile(
    r"""^\s*data\.([a-z][a-z0-9_]*)\s*==\s*(?:"([^"\\]*)"|'([^'\\]*)'|(true|false))\s*$"""
)


def _decides(t: Transition) -> tuple[str, str] | None:
    """(field, value as a form posts it) when the move's guard is one `data.f == v`."""
    found = _EQUALS.match(t.guard or "")
    if found is None:
        return None
    key, double, single, flag = found.groups()
    if flag is not None:
        return key, "yes" if flag == "true" else "no"
    return key, double if double is not None else single


def decided_choices(step: Step, transitions: Iterable[Transition]) -> dict[str, tuple[str, str]]:
    """{transition key: (field, value)} for the moves offered (`transitions`) whose buttons
    answer a choice of the step's form; empty unless every move that completes the form
    answers the same field with a different value."""
    completing = [t for t in transitions if not t.skip_form]
    if len(completing) < 2:
        return {}
    answers = {t.key: _decides(t) for t in completing}
    found = [a for a in answers.values() if a is not None]
    if len(found) != len(completing) or len({k for k, _ in found}) != 1:
        return {}
    key = found[0][0]
    if len({v for _, v in found}) != len(found):
        return {}
    field = next((f for f in step.form if f.key == key), None)
    if field is None:
        return {}
    if field.type is FieldType.CHOICE:
        options = {o.value for o in field.options or []}
        if not all(v in options for _, v in found):
            return {}
    elif field.type is not FieldType.BOOL:
        return {}
    return {k: a for k, a in answers.items() if a is not None}
