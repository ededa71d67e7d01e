"""The residents' opinion survey as questionnaire rounds (seed 2、意见征询管理规程, every half
year): the questionnaires loaded, and two rounds on the compound sent to the units' owners — the
last half-year's, closed, most of it answered, and this one, opened twelve days ago and half
answered — so the round page shows a response rate, the means per area against the round before,
distributions and comments, and a low score or two opened a complaint to follow up.

Everything goes through `fuwu.surveys.actions` (the round, the invitations, each answer through
its one-time link) at the times it would have happened.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from random import Random
from typing import Any

from fuwu.demo.recurring import half_year
from fuwu.demo.world import World
from fuwu.procedures.registry import current_version
from fuwu.surveys import actions
from fuwu.surveys.choices import Audience
from fuwu.surveys.loader import load_library
from fuwu.surveys.models import Questionnaire, Round

KEY = "opinion_survey"
SCORED = ("security", "cleaning", "greenery", "fees", "attitude")
COMMENTS = [
    "地下车库照明不足，晚上不太安全，希望增加灯具。",
    "保洁阿姨很负责，楼道比以前干净多了。",
    "希望物业费的收支情况能定期公示。",
    "小区绿化修剪及时，环境不错。",
    "电梯偶尔停运，希望加强维保。",
    "快递柜太少，希望增加。",
    "客服电话有时打不通。",
    "",
]


def _scores(rng: Random, mood: float, allow_low: bool) -> int:
    """A 1–5 score around the round's mood (higher is happier)."""
    value = round(rng.gauss(mood, 0.6))
    return max(2 if allow_low else 3, min(5, value))


def _answers(rng: Random, mood: float, allow_low: bool) -> dict[str, Any]:
    answers: dict[str, Any] = {k: _scores(rng, mood, allow_low) for k in SCORED}
    repaired = rng.random() < 0.4
    answers["reported_repair"] = "yes" if repaired else "no"
    if repaired:
        answers["repair_speed"] = _scores(rng, mood - 0.3, allow_low)
        answers["repair_quality"] = _scores(rng, mood, allow_low)
    answers["contact"] = rng.choice(["phone", "phone", "wechat", "visit", "notice"])
    comment = rng.choice(COMMENTS)
    if comment:
        answers["comments"] = comment
    return {k: str(v) for k, v in answers.items()}


def survey_rounds(world: World) -> list[Round]:
    """The two rounds (none when the questionnaire or the compound's manager is missing)."""
    if not Questionnaire.objects.filter(is_current=True).exists():
        load_library()
    questionnaire = Questionnaire.objects.filter(key=KEY, is_current=True).first()
    manager = world.actors.get("li.na")
    if questionnaire is None or manager is None:
        return []
    # A low score opens a complaint to follow up: only when that procedure is there.
    allow_low = current_version(questionnaire.follow_up_procedure or "complaint") is not None
    rng = Random(KEY)  # its own: the rest of the demo draws the same numbers with or without it
    now = world.now
    plans: list[tuple[str, datetime, int, float, float]] = [
        # title, opened, days open, share answering, mood
        (half_year(now - timedelta(days=183)), now - timedelta(days=190), 30, 0.8, 3.7),
        (half_year(now), now - timedelta(days=12), 30, 0.5, 4.1),
    ]
    made = []
    for title, opens, days, share, mood in plans:
        round_ = actions.create_round(
            manager,
            questionnaire_key=KEY,
            site_id=world.sites["lanting"].pk,
            title=f"{title}业主意见调查",
            opens_at=opens,
            closes_at=opens + timedelta(days=days),
            audience=Audience.RESIDENTS,
        )
        actions.send_invitations(manager, round_.pk, now=opens + timedelta(hours=1))
        answered_by = min(now, opens + timedelta(days=min(days, round_.link_days)))
        for response in round_.responses.order_by("pk"):
            if rng.random() >= share:
                continue
            at = opens + (answered_by - opens) * rng.uniform(0.1, 0.95)
            actions.answer_by_link(
                actions.link_token(response), _answers(rng, mood, allow_low), now=at
            )
        made.append(round_)
    return made
