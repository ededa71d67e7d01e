"""Campaigns (a case per unit of a set, with progress and a summary) and recurring schedules."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from fuwu.api.common import READ_ERRORS, WRITE_ERRORS, actor, site_for
from fuwu.api.idempotency import idempotent
from fuwu.campaigns import actions
from fuwu.campaigns.models import Campaign, Schedule
from fuwu.core.actors import Actor
from fuwu.customers.choices import AssetKind
from fuwu.procedures.engine.errors import EngineError, FieldError, NotFound

router = Router(tags=["campaigns and schedules"])


class CampaignIn(Schema):
    procedure: str = Field(..., max_length=64)
    site: str = Field(..., max_length=40)
    title: str = Field(..., min_length=1, max_length=200)
    asset_kind: AssetKind
    where: dict[str, str | int | float | bool] = Field(
        {}, description="asset attributes that must match"
    )
    data: dict[str, Any] = {}


class ProgressOut(Schema):
    total: int
    done: int
    percent_done: float
    by_status: dict[str, int]
    by_step: dict[str, int]
    answers: dict[str, dict[str, int]]


class CampaignOut(Schema):
    id: int
    procedure: str
    site: str
    title: str
    asset_kind: str
    where: dict[str, Any]
    created_at: datetime
    progress: ProgressOut


def _campaign_out(c: Campaign) -> CampaignOut:
    return CampaignOut(
        id=c.pk,
        procedure=c.procedure_key,
        site=c.site.code,
        title=c.title,
        asset_kind=c.asset_kind,
        where=c.asset_filter,
        created_at=c.created_at,
        progress=ProgressOut(**actions.progress(c)),
    )


@router.post(
    "/campaigns",
    response={201: CampaignOut, **WRITE_ERRORS},
    summary="Start a campaign: a case per asset",
)
@idempotent
def start(request: HttpRequest, payload: CampaignIn) -> Status[CampaignOut]:
    who = actor(request)
    site = site_for(who, payload.site)
    campaign = actions.start_campaign(
        who,
        site_id=site.pk,
        procedure_key=payload.procedure,
        title=payload.title,
        asset_kind=payload.asset_kind,
        asset_filter=payload.where,
        data=payload.data,
    )
    return Status(201, _campaign_out(Campaign.objects.select_related("site").get(pk=campaign.pk)))


def _campaigns(who: Actor) -> Any:
    return who.scope(Campaign.objects.select_related("site"))


@router.get(
    "/campaigns",
    response={200: list[CampaignOut], **READ_ERRORS},
    summary="Campaigns, newest first",
)
def campaigns(request: HttpRequest) -> list[CampaignOut]:
    return [_campaign_out(c) for c in _campaigns(actor(request)).order_by("-created_at")[:100]]


@router.get(
    "/campaigns/{int:campaign_id}",
    response={200: CampaignOut, **READ_ERRORS},
    summary="A campaign's progress and summary",
)
def campaign(request: HttpRequest, campaign_id: int) -> CampaignOut:
    found = _campaigns(actor(request)).filter(pk=campaign_id).first()
    if found is None:
        raise NotFound("not_found", what="campaign")
    return _campaign_out(found)


class ScheduleIn(Schema):
    procedure: str = Field(..., max_length=64)
    site: str = Field(..., max_length=40)
    title: str = Field(
        ..., min_length=1, max_length=200, description="{date} is replaced by the occurrence date"
    )
    rrule: str = Field(
        ..., max_length=500, description="iCalendar RRULE, e.g. FREQ=MONTHLY;BYMONTHDAY=28"
    )
    dtstart: datetime
    asset_kind: AssetKind | None = Field(
        None, description="set to start a campaign over these assets each time"
    )
    where: dict[str, str | int | float | bool] = {}
    data: dict[str, Any] = {}


class ScheduleOut(Schema):
    id: int
    procedure: str
    site: str
    title: str
    rrule: str
    dtstart: datetime
    asset_kind: str
    active: bool
    last_occurrence_at: datetime | None
    next: list[datetime]


def _schedule_out(s: Schedule) -> ScheduleOut:
    rule = actions.parse_rule(s.rrule, s.dtstart)
    after = s.last_occurrence_at or s.dtstart
    upcoming = []
    for at in rule.xafter(after, count=3, inc=s.last_occurrence_at is None):
        upcoming.append(at)
    return ScheduleOut(
        id=s.pk,
        procedure=s.procedure_key,
        site=s.site.code,
        title=s.title,
        rrule=s.rrule,
        dtstart=s.dtstart,
        asset_kind=s.asset_kind,
        active=s.active,
        last_occurrence_at=s.last_occurrence_at,
        next=upcoming,
    )


@router.post(
    "/schedules", response={201: ScheduleOut, **WRITE_ERRORS}, summary="Create a recurring schedule"
)
@idempotent
def create_schedule(request: HttpRequest, payload: ScheduleIn) -> Status[ScheduleOut]:
    who = actor(request)
    if payload.dtstart.tzinfo is None:
        raise EngineError("invalid_form", fields={"dtstart": FieldError("not_datetime")})
    site = site_for(who, payload.site)
    s = actions.create_schedule(
        who,
        site_id=site.pk,
        procedure_key=payload.procedure,
        title=payload.title,
        rrule=payload.rrule,
        dtstart=payload.dtstart,
        asset_kind=payload.asset_kind or "",
        asset_filter=payload.where,
        data=payload.data,
    )
    return Status(201, _schedule_out(Schedule.objects.select_related("site").get(pk=s.pk)))


@router.get(
    "/schedules", response={200: list[ScheduleOut], **READ_ERRORS}, summary="Recurring schedules"
)
def schedules(request: HttpRequest) -> list[ScheduleOut]:
    who = actor(request)
    qs = who.scope(Schedule.objects.select_related("site"))
    return [_schedule_out(s) for s in qs.order_by("pk")]
