"""The figures of a round: response rate, mean and distribution per area and question, the
change from the previous round of the same questionnaire on the same site, and the comments.

Means are over scale answers (1–5); yes/no questions count their yes share instead. The page,
its chart and the API read these same figures.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import Count, QuerySet

from fuwu.core.actors import Actor
from fuwu.procedures.engine.errors import NotFound
from fuwu.surveys.form import SCALE, FormSpec
from fuwu.surveys.models import Answer, Response, Round


def rounds_for(actor: Actor) -> QuerySet[Round]:
    """The rounds of the sites this person may see (all for a superuser)."""
    return actor.scope(Round.objects.all()).select_related("questionnaire", "site")


def round_for(actor: Actor, round_id: int) -> Round:
    found = rounds_for(actor).filter(pk=round_id).first()
    if found is None:
        raise NotFound("not_found", what="round")
    return found


def previous_round(round_: Round) -> Round | None:
    """The latest earlier round of the same questionnaire (any version) on the same site."""
    return (
        Round.objects.filter(
            site_id=round_.site_id,
            questionnaire__key=round_.questionnaire.key,
            opens_at__lt=round_.opens_at,
        )
        .exclude(pk=round_.pk)
        .select_related("questionnaire")
        .order_by("-opens_at", "-pk")
        .first()
    )


def _mean(total: int, count: int) -> float | None:
    return round(total / count, 2) if count else None


def _percent(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def _delta(now: float | None, before: float | None) -> float | None:
    return round(now - before, 2) if now is not None and before is not None else None


@dataclass
class Tally:
    """The answers to one question (or all scale answers of one area)."""

    count: int = 0
    total: int = 0  # sum of scale scores
    yes: int = 0
    yes_no: int = 0
    low: int = 0
    distribution: dict[str, int] = field(default_factory=dict)

    @property
    def mean(self) -> float | None:
        return _mean(self.total, self.count - self.yes_no)

    @property
    def yes_percent(self) -> float | None:
        return _percent(self.yes, self.yes_no)


@dataclass
class Counts:
    invited: int
    answered: int
    questions: dict[str, Tally]
    sections: dict[str, Tally]


def _counts(round_: Round, spec: FormSpec) -> Counts:
    responses = Response.objects.filter(round=round_)
    invited = responses.count()
    answered = responses.filter(submitted_at__isnull=False).count()
    by_key = {q.key: q for q in spec.questions}
    questions: dict[str, Tally] = defaultdict(Tally)
    sections: dict[str, Tally] = defaultdict(Tally)
    rows = (
        Answer.objects.filter(response__round=round_, response__submitted_at__isnull=False)
        .exclude(question__kind="text")
        .values("question__key", "score", "choice")
        .annotate(n=Count("pk"))
    )
    for row in rows:
        q = by_key.get(row["question__key"])
        if q is None:
            continue
        n, score = row["n"], row["score"]
        tally, area = questions[q.key], sections[q.section]
        tally.count += n
        word = row["choice"] if q.kind == "choice" else ("yes" if score == 1 else "no")
        if q.kind == "scale":
            word = str(score)
            tally.total += score * n
            area.count += n
            area.total += score * n
        elif q.kind == "yes_no":
            tally.yes_no += n
            tally.yes += n if score == 1 else 0
            area.count += n
            area.yes_no += n
            area.yes += n if score == 1 else 0
        tally.distribution[word] = tally.distribution.get(word, 0) + n
        if q.low_at is not None and score is not None and score <= q.low_at:
            tally.low += n
            area.low += n
    return Counts(invited, answered, dict(questions), dict(sections))


def _labels(q: Any) -> list[str]:
    if q.kind == "scale":
        return [str(s) for s in SCALE]
    if q.kind == "yes_no":
        return ["yes", "no"]
    return [o.value for o in q.options]


@dataclass
class Comment:
    question: str
    zh: str
    en: str
    text: str
    submitted_at: datetime
    case_number: str | None


def figures(round_: Round) -> dict[str, Any]:
    """Everything the analysis shows, as plain data (the API schema mirrors it)."""
    spec = round_.questionnaire.spec()
    now = _counts(round_, spec)
    before_round = previous_round(round_)
    before = _counts(before_round, before_round.questionnaire.spec()) if before_round else None

    def prior(kind: str, key: str) -> Tally | None:
        if before is None:
            return None
        return (before.questions if kind == "q" else before.sections).get(key)

    sections = []
    for s in spec.sections:
        t = now.sections.get(s.key, Tally())
        p = prior("s", s.key)
        sections.append(
            {
                "key": s.key,
                "zh": s.zh,
                "en": s.en,
                "count": t.count,
                "mean": t.mean,
                "yes_percent": t.yes_percent,
                "low": t.low,
                "previous_mean": p.mean if p else None,
                "change": _delta(t.mean, p.mean if p else None),
            }
        )
    questions = []
    for q in spec.questions:
        if q.kind == "text":
            continue
        t = now.questions.get(q.key, Tally())
        p = prior("q", q.key)
        questions.append(
            {
                "key": q.key,
                "section": q.section,
                "kind": q.kind,
                "zh": q.zh,
                "en": q.en,
                "count": t.count,
                "mean": t.mean,
                "yes_percent": t.yes_percent,
                "low": t.low,
                "distribution": {label: t.distribution.get(label, 0) for label in _labels(q)},
                "previous_mean": p.mean if p else None,
                "change": _delta(t.mean, p.mean if p else None),
                "previous_yes_percent": p.yes_percent if p else None,
            }
        )
    texts = {q.key: q for q in spec.questions if q.kind == "text"}
    comments = [
        Comment(
            question=a.question.key,
            zh=texts[a.question.key].zh if a.question.key in texts else a.question.label_zh,
            en=texts[a.question.key].en if a.question.key in texts else a.question.label_en,
            text=a.text,
            submitted_at=a.response.submitted_at,  # type: ignore[arg-type]
            case_number=a.response.case.number if a.response.case else None,
        )
        for a in Answer.objects.filter(
            response__round=round_, response__submitted_at__isnull=False, question__kind="text"
        )
        .exclude(text="")
        .select_related("question", "response__case")
        .order_by("-response__submitted_at", "-pk")[:500]
    ]
    follow_ups = Response.objects.filter(round=round_, follow_up__isnull=False).count()
    return {
        "round": round_,
        "invited": now.invited,
        "answered": now.answered,
        "response_rate": _percent(now.answered, now.invited),
        "follow_ups": follow_ups,
        "previous": before_round,
        "previous_response_rate": _percent(before.answered, before.invited) if before else None,
        "sections": sections,
        "questions": questions,
        "comments": comments,
    }
