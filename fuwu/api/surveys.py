"""Surveys: rounds, their analysis (response rate, mean and distribution per area and question,
the change from the previous round, comments), invitations by one-time link, and submitting a
response — by staff for a case, or by a customer through their link (no sign-in).

Staff see the rounds of their sites; anything else is 404. Figures: `fuwu.surveys.analysis`, the
same the analysis page shows.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from ninja import Field, Router, Schema
from ninja.responses import Status

from fuwu.api.common import READ_ERRORS, WRITE_ERRORS, actor, site_for
from fuwu.core.actors import Actor
from fuwu.procedures.engine.errors import NotFound
from fuwu.surveys.choices import Channel, RoundKind
from fuwu.surveys.models import Response, Round

router = Router(tags=["surveys"])

Answers = dict[str, int | bool | str | None]


def _staff(request: HttpRequest) -> Actor:
    who = actor(request)
    if not who.is_staff:
        raise NotFound("not_found", what="round")
    return who


class SurveyRoundOut(Schema):
    id: int
    title: str
    site: str
    questionnaire: str = Field(description="questionnaire key")
    version: int
    kind: str = Field(description=", ".join(RoundKind.values))
    opens_at: datetime
    closes_at: datetime | None
    analysis: str = Field(description="the round's analysis (API)")


def _round_out(r: Round) -> SurveyRoundOut:
    return SurveyRoundOut(
        id=r.pk,
        title=r.title,
        site=r.site.code,
        questionnaire=r.questionnaire.key,
        version=r.questionnaire.version,
        kind=r.kind,
        opens_at=r.opens_at,
        closes_at=r.closes_at,
        analysis=reverse("api:survey_analysis", args=[r.pk]),
    )


class SurveyRoundIn(Schema):
    questionnaire: str = Field(..., max_length=64)
    site: str = Field(..., max_length=40)
    title: str = Field(..., min_length=1, max_length=200)
    kind: RoundKind = RoundKind.CAMPAIGN
    campaign: int | None = Field(None, description="the campaign (of the same site) it surveys")
    opens_at: datetime | None = None
    closes_at: datetime | None = None


@router.get(
    "/surveys/rounds", response={200: list[SurveyRoundOut], **READ_ERRORS}, summary="Survey rounds"
)
def rounds(request: HttpRequest) -> list[SurveyRoundOut]:
    from fuwu.surveys import analysis  # on first use (fuwu.tests.test_memory)

    return [_round_out(r) for r in analysis.rounds_for(_staff(request))[:200]]


@router.post(
    "/surveys/rounds", response={201: SurveyRoundOut, **WRITE_ERRORS}, summary="Open a survey round"
)
def create_round(request: HttpRequest, payload: SurveyRoundIn) -> Status[SurveyRoundOut]:
    from fuwu.surveys import actions, analysis  # on first use (fuwu.tests.test_memory)

    who = _staff(request)
    site = site_for(who, payload.site)
    made = actions.create_round(
        who,
        questionnaire_key=payload.questionnaire,
        site_id=site.pk,
        title=payload.title,
        kind=payload.kind,
        campaign_id=payload.campaign,
        opens_at=payload.opens_at,
        closes_at=payload.closes_at,
    )
    return Status(201, _round_out(analysis.round_for(who, made.pk)))


class SurveyAreaOut(Schema):
    key: str
    name: str
    count: int
    mean: float | None = Field(description="mean of the area's 1–5 scores")
    yes_percent: float | None = Field(description="share of yes among its yes/no answers")
    low: int = Field(description="answers at or below their question's threshold")
    previous_mean: float | None
    change: float | None = Field(description="mean minus the previous round's")


class SurveyQuestionOut(Schema):
    key: str
    area: str
    kind: str
    label: str
    count: int
    mean: float | None
    yes_percent: float | None
    low: int
    distribution: dict[str, int] = Field(description="1–5, yes/no, or per option")
    previous_mean: float | None
    change: float | None


class SurveyCommentOut(Schema):
    question: str
    label: str
    text: str
    submitted_at: datetime
    case: str | None = Field(description="number of the case the response was about")


class SurveyAnalysisOut(Schema):
    round: SurveyRoundOut
    invited: int
    answered: int
    response_rate: float | None = Field(description="answered / invited, percent")
    follow_ups: int = Field(description="follow-up cases opened for low answers")
    previous_round: SurveyRoundOut | None
    previous_response_rate: float | None
    areas: list[SurveyAreaOut]
    questions: list[SurveyQuestionOut]
    comments: list[SurveyCommentOut]


def _name(item: dict[str, Any] | Any, en: bool) -> str:
    if isinstance(item, dict):
        return str(item["en"] if en else item["zh"])
    return str(item.en if en else item.zh)


@router.get(
    "/surveys/rounds/{int:round_id}/analysis",
    response={200: SurveyAnalysisOut, **READ_ERRORS},
    summary="A round's figures",
    url_name="survey_analysis",
)
def round_analysis(request: HttpRequest, round_id: int) -> SurveyAnalysisOut:
    from fuwu.surveys import analysis  # on first use (fuwu.tests.test_memory)

    who = _staff(request)
    en = (getattr(request, "LANGUAGE_CODE", "") or "").startswith("en")
    f = analysis.figures(analysis.round_for(who, round_id))
    return SurveyAnalysisOut(
        round=_round_out(f["round"]),
        invited=f["invited"],
        answered=f["answered"],
        response_rate=f["response_rate"],
        follow_ups=f["follow_ups"],
        previous_round=_round_out(f["previous"]) if f["previous"] else None,
        previous_response_rate=f["previous_response_rate"],
        areas=[
            SurveyAreaOut(
                name=_name(s, en), **{k: s[k] for k in SurveyAreaOut.model_fields if k in s}
            )
            for s in f["sections"]
        ],
        questions=[
            SurveyQuestionOut(
                label=_name(q, en),
                area=q["section"],
                **{k: q[k] for k in SurveyQuestionOut.model_fields if k in q},
            )
            for q in f["questions"]
        ],
        comments=[
            SurveyCommentOut(
                question=c.question,
                label=_name(c, en),
                text=c.text,
                submitted_at=c.submitted_at,
                case=c.case_number,
            )
            for c in f["comments"]
        ],
    )


class SurveyInvitationIn(Schema):
    customer: int = Field(..., description="customer id, of the round's site")
    case: int | None = Field(None, description="the case it is about")
    channel: Channel = Field(Channel.LINK, description="link or portal")


class SurveyInvitationOut(Schema):
    id: int
    channel: str
    url: str | None = Field(description="the one-time link to send (link invitations)")
    expires_at: datetime | None


@router.post(
    "/surveys/rounds/{int:round_id}/invitations",
    response={201: SurveyInvitationOut, **WRITE_ERRORS},
    summary="Invite a customer (one-time link or portal)",
)
def invite(
    request: HttpRequest, round_id: int, payload: SurveyInvitationIn
) -> Status[SurveyInvitationOut]:
    from fuwu.surveys import actions  # on first use (fuwu.tests.test_memory)

    who = _staff(request)
    made = actions.invite(
        who, round_id, customer_id=payload.customer, case_id=payload.case, channel=payload.channel
    )
    return Status(201, _invitation_out(request, made))


def _invitation_out(request: HttpRequest, made: Response) -> SurveyInvitationOut:
    from fuwu.surveys import actions  # on first use (fuwu.tests.test_memory)

    url = None
    if made.channel == Channel.LINK:
        url = request.build_absolute_uri(
            reverse("portal:survey-link", args=[actions.link_token(made)])
        )
    return SurveyInvitationOut(
        id=made.pk, channel=made.channel, url=url, expires_at=made.expires_at
    )


class SurveyCampaignInvitationIn(Schema):
    channel: Channel = Field(Channel.PORTAL, description="portal (default) or link")


@router.post(
    "/surveys/rounds/{int:round_id}/invitations/campaign",
    response={201: list[SurveyInvitationOut], **WRITE_ERRORS},
    summary="Invite every household of the round's campaign not invited yet",
)
def invite_campaign(
    request: HttpRequest, round_id: int, payload: SurveyCampaignInvitationIn
) -> Status[list[SurveyInvitationOut]]:
    from fuwu.surveys import actions  # on first use (fuwu.tests.test_memory)

    who = _staff(request)
    made = actions.invite_campaign(who, round_id, channel=payload.channel)
    return Status(201, [_invitation_out(request, r) for r in made])


class SurveyResponseIn(Schema):
    case: int = Field(..., description="the case of the return visit or follow-up call")
    answers: Answers = Field(..., description="question key → 1–5, yes/no, option or text")


class SurveyLinkAnswerIn(Schema):
    answers: Answers


class SurveyResponseOut(Schema):
    id: int
    round: int
    channel: str
    submitted_at: datetime | None
    follow_up: str | None = Field(description="number of the follow-up case opened, if any")


def _response_out(r: Response) -> SurveyResponseOut:
    return SurveyResponseOut(
        id=r.pk,
        round=r.round_id,
        channel=r.channel,
        submitted_at=r.submitted_at,
        follow_up=r.follow_up.number if r.follow_up else None,
    )


@router.post(
    "/surveys/rounds/{int:round_id}/responses",
    response={201: SurveyResponseOut, **WRITE_ERRORS},
    summary="Staff record a customer's answers for a case",
)
def submit(
    request: HttpRequest, round_id: int, payload: SurveyResponseIn
) -> Status[SurveyResponseOut]:
    from fuwu.surveys import actions  # on first use (fuwu.tests.test_memory)

    who = _staff(request)
    made = actions.answer_for_case(who, round_id, payload.case, payload.answers)
    return Status(201, _response_out(made))


@router.post(
    "/surveys/links/{token}",
    response={201: SurveyResponseOut, **WRITE_ERRORS},
    auth=None,
    summary="A customer answers through their one-time link (no sign-in)",
)
def answer_link(
    request: HttpRequest, token: str, payload: SurveyLinkAnswerIn
) -> Status[SurveyResponseOut]:
    from fuwu.surveys import actions  # on first use (fuwu.tests.test_memory)

    made = actions.answer_by_link(token, payload.answers)
    # The person with the link learns that it was received, not which cases staff opened.
    return Status(201, _response_out(made).model_copy(update={"follow_up": None}))
