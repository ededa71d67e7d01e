"""A questionnaire as plain data: reading its YAML, showing questions by their conditions, checking
answers and telling which answers are low. No Django here, so it is tested without a database and
the same rules serve the staff page, the portal, the one-time link and the API.

A question is shown when it has no condition, or when the question its condition names is shown
and was answered with one of the listed values. A hidden question's answer is dropped (a browser
with scripts off sends every field), and a required question counts only while shown.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from fuwu.procedures.engine.errors import EngineError, FieldError

KINDS = ("scale", "choice", "yes_no", "text")
SCALE = range(1, 6)  # 1 (very dissatisfied) … 5 (very satisfied)
MAX_TEXT = 2000
_YES = {"yes", "true", "1", "on"}
_NO = {"no", "false", "0", "off"}


@dataclass(frozen=True)
class Option:
    value: str
    zh: str
    en: str


@dataclass(frozen=True)
class QuestionSpec:
    key: str
    kind: str
    zh: str
    en: str
    section: str
    required: bool = True
    options: tuple[Option, ...] = ()
    low_at: int | None = None  # scale: a score ≤ low_at is low; yes_no: 0 makes "no" low
    show_if: str | None = None
    show_values: tuple[str, ...] = ()


@dataclass(frozen=True)
class SectionSpec:
    key: str
    zh: str
    en: str


@dataclass(frozen=True)
class FormSpec:
    key: str
    zh: str
    en: str
    description_zh: str = ""
    description_en: str = ""
    follow_up_procedure: str = ""
    seed: str = ""
    sections: tuple[SectionSpec, ...] = ()
    questions: tuple[QuestionSpec, ...] = ()


@dataclass(frozen=True)
class Value:
    """One answer, normalised: `score` for scale (1–5) and yes/no (1/0), `choice`, or `text`."""

    score: int | None = None
    choice: str = ""
    text: str = ""

    def word(self, kind: str) -> str:
        """What a condition compares: the score as text, "yes"/"no", the option, the text."""
        if kind == "yes_no":
            return "yes" if self.score == 1 else "no"
        if kind == "scale":
            return str(self.score)
        return self.choice or self.text


@dataclass
class _Problems:
    where: str
    items: list[str] = field(default_factory=list)

    def add(self, place: str, problem: str) -> None:
        self.items.append(f"{self.where}: {place}: {problem}")


def _names(raw: Any, place: str, problems: _Problems) -> tuple[str, str]:
    zh = raw.get("zh") if isinstance(raw, Mapping) else None
    en = raw.get("en") if isinstance(raw, Mapping) else None
    if isinstance(zh, str) and isinstance(en, str) and zh.strip() and en.strip():
        return zh.strip(), en.strip()
    problems.add(place, "needs {zh: …, en: …}, both non-empty")
    return "", ""


def parse(raw: Any, where: str = "questionnaire") -> tuple[FormSpec | None, list[str]]:
    """Read a questionnaire definition (a YAML mapping); the spec, or None and every problem found."""
    problems = _Problems(where)
    if not isinstance(raw, Mapping):
        return None, [f"{where}: not a mapping"]
    key = raw.get("key")
    if not isinstance(key, str) or not key.replace("_", "").isalnum() or not key.islower():
        problems.add("key", "lower-case letters, digits and _")
        key = ""
    zh, en = _names(raw.get("name"), "name", problems)
    description = raw.get("description") or {}
    follow = raw.get("follow_up") or {}
    procedure = follow.get("procedure", "") if isinstance(follow, Mapping) else ""
    if not isinstance(procedure, str):
        problems.add("follow_up.procedure", "must be a procedure key")
        procedure = ""
    sections: list[SectionSpec] = []
    questions: list[QuestionSpec] = []
    seen: dict[str, QuestionSpec] = {}
    raw_sections = raw.get("sections")
    if not isinstance(raw_sections, list) or not raw_sections:
        problems.add("sections", "a non-empty list")
        raw_sections = []
    for i, rs in enumerate(raw_sections):
        place = f"sections[{i}]"
        if not isinstance(rs, Mapping) or not isinstance(rs.get("key"), str):
            problems.add(place, "needs a key")
            continue
        if any(s.key == rs["key"] for s in sections):
            problems.add(place, f"section {rs['key']!r} twice")
        s_zh, s_en = _names(rs.get("name"), f"{place}.name", problems)
        sections.append(SectionSpec(rs["key"], s_zh, s_en))
        raw_questions = rs.get("questions")
        if not isinstance(raw_questions, list) or not raw_questions:
            problems.add(f"{place}.questions", "a non-empty list")
            continue
        for j, rq in enumerate(raw_questions):
            q = _question(rq, f"{place}.questions[{j}]", rs["key"], seen, problems)
            if q is not None:
                seen[q.key] = q
                questions.append(q)
    if problems.items:
        return None, problems.items
    spec = FormSpec(
        key=key,
        zh=zh,
        en=en,
        description_zh=str(description.get("zh", "")) if isinstance(description, Mapping) else "",
        description_en=str(description.get("en", "")) if isinstance(description, Mapping) else "",
        follow_up_procedure=procedure,
        seed=str(raw.get("seed") or ""),
        sections=tuple(sections),
        questions=tuple(questions),
    )
    return spec, []


def _question(
    rq: Any, place: str, section: str, seen: dict[str, QuestionSpec], problems: _Problems
) -> QuestionSpec | None:
    if not isinstance(rq, Mapping) or not isinstance(rq.get("key"), str):
        problems.add(place, "needs a key")
        return None
    key, kind = rq["key"], rq.get("kind")
    if key in seen:
        problems.add(place, f"question {key!r} twice")
    if kind not in KINDS:
        problems.add(f"{place}.kind", f"one of {', '.join(KINDS)}")
        return None
    zh, en = _names(rq.get("label"), f"{place}.label", problems)
    options: list[Option] = []
    if kind == "choice":
        for k, ro in enumerate(rq.get("options") or []):
            if not isinstance(ro, Mapping) or not isinstance(ro.get("value"), str):
                problems.add(f"{place}.options[{k}]", "needs a value")
                continue
            o_zh, o_en = _names(ro.get("label"), f"{place}.options[{k}].label", problems)
            options.append(Option(ro["value"], o_zh, o_en))
        if not options:
            problems.add(f"{place}.options", "a choice needs options")
    low_at = rq.get("low_at")
    if low_at is not None:
        allowed = range(1, 5) if kind == "scale" else range(0, 1) if kind == "yes_no" else range(0)
        if isinstance(low_at, bool) or not isinstance(low_at, int) or low_at not in allowed:
            problems.add(f"{place}.low_at", "scale: 1–4; yes_no: 0 (a no is low); others: none")
            low_at = None
    show_if: str | None = None
    show_values: tuple[str, ...] = ()
    condition = rq.get("show_if")
    if condition is not None:
        if not isinstance(condition, Mapping) or not isinstance(condition.get("question"), str):
            problems.add(f"{place}.show_if", "needs {question: key, in: [values]}")
        elif condition["question"] not in seen:
            problems.add(f"{place}.show_if", "must name an earlier question")
        else:
            values = condition.get("in")
            if not isinstance(values, list) or not values:
                problems.add(f"{place}.show_if.in", "a non-empty list of answers")
            else:
                show_if, show_values = condition["question"], tuple(str(v).lower() for v in values)
    required = rq.get("required", kind != "text")
    return QuestionSpec(
        key=key,
        kind=kind,
        zh=zh,
        en=en,
        section=section,
        required=bool(required),
        options=tuple(options),
        low_at=low_at,
        show_if=show_if,
        show_values=show_values,
    )


def read_value(q: QuestionSpec, raw: Any) -> Value | FieldError | None:
    """One raw answer (JSON or a form's text) as a Value; None when not answered."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if q.kind == "scale":
        text = str(raw).strip() if not isinstance(raw, bool) else ""
        if not text.isdigit() or int(text) not in SCALE:
            return FieldError("bad_choice", options="1, 2, 3, 4, 5")
        return Value(score=int(text))
    if q.kind == "yes_no":
        word = str(raw).strip().lower()
        if word in _YES:
            return Value(score=1)
        if word in _NO:
            return Value(score=0)
        return FieldError("not_bool")
    if not isinstance(raw, str):
        return FieldError("not_text")
    if q.kind == "choice":
        if raw not in {o.value for o in q.options}:
            return FieldError("bad_choice", options=", ".join(o.value for o in q.options))
        return Value(choice=raw)
    text = raw.strip()
    if len(text) > MAX_TEXT:
        return FieldError("too_long", max=MAX_TEXT)
    return Value(text=text)


def shown(spec: FormSpec, values: Mapping[str, Value]) -> set[str]:
    """The keys of the questions shown, given the answers (conditions only look backwards)."""
    visible: set[str] = set()
    kinds = {q.key: q.kind for q in spec.questions}
    for q in spec.questions:
        if q.show_if is None:
            visible.add(q.key)
            continue
        answer = values.get(q.show_if)
        if (
            q.show_if in visible
            and answer is not None
            and answer.word(kinds[q.show_if]).lower() in q.show_values
        ):
            visible.add(q.key)
    return visible


def clean(spec: FormSpec, raw: Mapping[str, Any]) -> dict[str, Value]:
    """The answers to keep, or EngineError("invalid_form") naming each wrong or missing one.

    Unknown keys are refused; an answer to a hidden question is dropped, not stored.
    """
    errors: dict[str, FieldError] = {}
    known = {q.key for q in spec.questions}
    for key in raw:
        if key not in known:
            errors[str(key)] = FieldError("unknown_field")
    values: dict[str, Value] = {}
    for q in spec.questions:
        got = read_value(q, raw.get(q.key))
        if isinstance(got, FieldError):
            errors[q.key] = got
        elif got is not None:
            values[q.key] = got
    visible = shown(spec, values)
    for q in spec.questions:
        if q.key not in visible:
            values.pop(q.key, None)
            errors.pop(q.key, None)
        elif q.required and q.key not in values and q.key not in errors:
            errors[q.key] = FieldError("required")
    if errors:
        raise EngineError("invalid_form", fields=errors)
    return values


def low_answers(spec: FormSpec, values: Mapping[str, Value]) -> list[str]:
    """The keys of the answers at or below their question's threshold."""
    return [
        q.key
        for q in spec.questions
        if q.low_at is not None
        and q.key in values
        and values[q.key].score is not None
        and values[q.key].score <= q.low_at  # type: ignore[operator]
    ]
