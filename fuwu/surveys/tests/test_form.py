"""The questionnaire rules without a database: reading definitions, conditions, checking answers."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from fuwu.procedures.engine.errors import EngineError
from fuwu.surveys import form

LIBRARY = Path(__file__).resolve().parents[1] / "library"


def spec(name: str) -> form.FormSpec:
    parsed, problems = form.parse(yaml.safe_load((LIBRARY / f"{name}.yaml").read_text()), name)
    assert problems == [] and parsed is not None
    return parsed


def test_toyota_card_asks_six_questions_on_the_seven_areas() -> None:
    toyota = spec("toyota_follow_up")
    assert [s.key for s in toyota.sections] == [
        "courtesy",
        "repair",
        "price",
        "timeliness",
        "cleanliness",
        "delivery",
        "facilities",
    ]
    always = [q for q in toyota.questions if q.show_if is None and q.required]
    # Six asked every time (限制调查函上问题在5到6个); facilities only when used; a free comment.
    assert len(always) == 7 - 1 + 1  # six areas' questions + "used the facilities?"
    assert sum(q.kind != "text" and q.key != "used_facilities" for q in toyota.questions) == 7


def test_condition_shows_hides_and_requires() -> None:
    toyota = spec("toyota_follow_up")
    base = {"courtesy": 5, "repair": "4", "price": 3, "on_time": "yes", "clean": 5, "explained": 4}
    # Used the lounge: the facilities score is shown and required.
    with pytest.raises(EngineError) as refused:
        form.clean(toyota, {**base, "used_facilities": "yes"})
    assert set(refused.value.fields) == {"facilities"}
    assert refused.value.fields["facilities"].code == "required"
    kept = form.clean(toyota, {**base, "used_facilities": "yes", "facilities": 2})
    assert kept["facilities"].score == 2
    # Did not: the question is hidden; an answer sent anyway is dropped, not stored.
    kept = form.clean(toyota, {**base, "used_facilities": "no", "facilities": 1})
    assert "facilities" not in kept and kept["used_facilities"].score == 0
    assert form.low_answers(toyota, kept) == []


def test_bad_answers_are_named() -> None:
    toyota = spec("toyota_follow_up")
    with pytest.raises(EngineError) as refused:
        form.clean(toyota, {"courtesy": 6, "repair": True, "on_time": "maybe", "nope": 1})
    fields = refused.value.fields
    assert fields["courtesy"].code == "bad_choice"
    assert fields["repair"].code == "bad_choice"
    assert fields["on_time"].code == "not_bool"
    assert fields["nope"].code == "unknown_field"
    assert fields["price"].code == "required"


def test_low_answers_by_threshold() -> None:
    visit = spec("repair_return_visit")
    values = form.clean(visit, {"solved": "no", "quality": 3, "speed": 2, "attitude": 5})
    assert form.low_answers(visit, values) == ["solved", "speed"]


def test_definition_problems_are_precise() -> None:
    raw = {
        "key": "x",
        "name": {"zh": "测", "en": "T"},
        "sections": [
            {
                "key": "a",
                "name": {"zh": "甲", "en": "A"},
                "questions": [
                    {"key": "q1", "kind": "scale", "low_at": 5, "label": {"zh": "一", "en": "1"}},
                    {
                        "key": "q2",
                        "kind": "scale",
                        "label": {"zh": "二", "en": "2"},
                        "show_if": {"question": "q3", "in": [1]},
                    },
                    {"key": "q3", "kind": "choice", "label": {"zh": "三", "en": "3"}},
                ],
            }
        ],
    }
    parsed, problems = form.parse(raw, "x.yaml")
    assert parsed is None
    assert (
        "x.yaml: sections[0].questions[0].low_at: scale: 1–4; yes_no: 0 (a no is low); others: none"
        in problems
    )
    assert "x.yaml: sections[0].questions[1].show_if: must name an earlier question" in problems
    assert "x.yaml: sections[0].questions[2].options: a choice needs options" in problems
