"""What the answering pages (staff, portal, one-time link) share: reading the posted form and
laying out the questions with their errors. Rules stay in `form`; this only shapes data."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from fuwu.procedures.engine.errors import EngineError
from fuwu.surveys.form import SCALE, FormSpec, QuestionSpec, Value, read_value, shown


def posted(spec: FormSpec, data: Mapping[str, Any]) -> dict[str, str]:
    """The answers of a submitted form (fields named `q-<key>`); empty ones left out."""
    out: dict[str, str] = {}
    for q in spec.questions:
        value = data.get(f"q-{q.key}")
        if isinstance(value, str) and value.strip():
            out[q.key] = value
    return out


@dataclass
class Row:
    q: QuestionSpec
    label: str
    choices: list[tuple[str, str]]
    value: str
    error: str
    hidden: bool


@dataclass
class Area:
    key: str
    name: str
    rows: list[Row]


def layout(
    spec: FormSpec,
    language: str,
    values: Mapping[str, str] | None = None,
    error: EngineError | None = None,
) -> list[Area]:
    """The questions by area, with the choices to offer, what was entered and any error."""
    en = language.startswith("en")
    values = values or {}
    errors = {k: e.message(language) for k, e in (error.fields if error else {}).items()}
    # Which conditional questions start hidden: computed from what was entered, like the server.
    parsed: dict[str, Value] = {}
    for q in spec.questions:
        got = read_value(q, values.get(q.key))
        if isinstance(got, Value):
            parsed[q.key] = got
    visible = shown(spec, parsed)
    areas = []
    for s in spec.sections:
        rows = []
        for q in (q for q in spec.questions if q.section == s.key):
            if q.kind == "scale":
                choices = [(str(n), str(n)) for n in SCALE]
            elif q.kind == "yes_no":
                choices = [("yes", _("是")), ("no", _("否"))]
            else:
                choices = [(o.value, o.en if en else o.zh) for o in q.options]
            rows.append(
                Row(
                    q=q,
                    label=q.en if en else q.zh,
                    choices=choices,
                    value=str(values.get(q.key, "")),
                    error=errors.get(q.key, ""),
                    hidden=q.key not in visible,
                )
            )
        areas.append(Area(s.key, s.en if en else s.zh, rows))
    return areas
