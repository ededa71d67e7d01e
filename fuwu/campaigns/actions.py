"""Starting campaigns and running schedules. Cases are opened through `cases.actions.open_case`."""

from __future__ import annotations

import logging
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

from dateutil.rrule import rrule, rrulestr
from django.db import IntegrityError, transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from fuwu.campaigns.models import Campaign, Occurrence, Schedule
from fuwu.cases.actions import open_case
from fuwu.cases.choices import CLOSED_STATUSES
from fuwu.cases.models import Case
from fuwu.core import limits
from fuwu.core.actors import SYSTEM, Actor
from fuwu.customers.models import Asset
from fuwu.procedures.engine.definition import FieldType
from fuwu.procedures.engine.errors import EngineError, FieldError, Forbidden, NotFound
from fuwu.procedures.registry import current_version, definition_of

log = logging.getLogger(__name__)
CAMPAIGN_ROLES = frozenset({"agent", "manager", "vp", "admin"})
MAX_CASES = 5000
MAX_CATCH_UP = 100  # occurrences opened per schedule per run, so a backlog cannot flood the queue


def parse_rule(text: str, dtstart: datetime) -> rrule:
    """The RRULE as dateutil reads it, or a field error naming what is wrong."""
    try:
        rule = rrulestr(text.strip().removeprefix("RRULE:"), dtstart=dtstart.replace(microsecond=0))
    except (ValueError, TypeError) as exc:
        raise EngineError(
            "invalid_form", fields={"rrule": FieldError("bad_rrule", reason=str(exc))}
        ) from None
    if not isinstance(rule, rrule):
        raise EngineError(
            "invalid_form", fields={"rrule": FieldError("bad_rrule", reason="one RRULE")}
        )
    return rule


def matching_assets(site_id: int, kind: str, where: dict[str, Any]) -> QuerySet[Asset]:
    qs = Asset.objects.filter(site_id=site_id, kind=kind)
    for key, value in where.items():
        qs = qs.filter(**{f"attributes__{key}": value})
    return qs.order_by("label", "pk")


@transaction.atomic
def start_campaign(
    actor: Actor,
    *,
    site_id: int,
    procedure_key: str,
    title: str,
    asset_kind: str,
    asset_filter: dict[str, Any] | None = None,
    data: dict[str, Any] | None = None,
    schedule_id: int | None = None,
    now: datetime | None = None,
) -> Campaign:
    """Open one case per matching asset (its owner as the customer), all in one transaction."""
    if not (actor.superuser or actor.roles & CAMPAIGN_ROLES):
        raise Forbidden("forbidden")
    limits.check_fields(title=title, asset_filter=asset_filter or {}, data=data or {})
    if current_version(procedure_key) is None:
        raise NotFound("procedure_unknown", procedure=procedure_key)
    if not actor.may_see_site(site_id):
        raise NotFound("not_found", what="site")
    assets = list(matching_assets(site_id, asset_kind, asset_filter or {})[: MAX_CASES + 1])
    if not assets:
        raise EngineError("invalid_form", fields={"asset_filter": FieldError("no_assets")})
    if len(assets) > MAX_CASES:
        raise EngineError(
            "invalid_form", fields={"asset_filter": FieldError("above_max", max=MAX_CASES)}
        )
    campaign = Campaign.objects.create(
        site_id=site_id,
        procedure_key=procedure_key,
        title=title.strip()[:200],
        asset_kind=asset_kind,
        asset_filter=asset_filter or {},
        data=data or {},
        schedule_id=schedule_id,
        created_by=actor.user,
        created_at=now or timezone.now(),
    )
    for asset in assets:
        open_case(
            actor,
            procedure_key=procedure_key,
            site_id=site_id,
            channel="system",
            title=f"{campaign.title} · {asset.label}"[:200],
            asset_id=asset.pk,
            customer_id=asset.owner_id,
            data=data or {},
            campaign_id=campaign.pk,
            now=now,
        )
    return campaign


def progress(campaign: Campaign) -> dict[str, Any]:
    """How far a campaign is, and what its cases found (counts of every choice, yes/no answer and
    option of a multi-select)."""
    cases = Case.objects.filter(campaign=campaign)
    totals = cases.aggregate(
        total=Count("pk"), done=Count("pk", filter=Q(status__in=CLOSED_STATUSES))
    )
    by_status = dict(Counter(cases.values_list("status", flat=True)))
    by_step = dict(Counter(cases.values_list("step", flat=True)))
    version = current_version(campaign.procedure_key)
    answers: dict[str, dict[str, int]] = {}
    if version is not None:
        fields = definition_of(version).all_fields()
        counted = (FieldType.CHOICE, FieldType.BOOL, FieldType.MULTI_CHOICE)
        wanted = [k for k, f in fields.items() if f.type in counted]
        for data in cases.values_list("data", flat=True):
            for key in wanted:
                if key in data and data[key] is not None:
                    bucket = answers.setdefault(key, {})
                    # A multi-select counts each option chosen.
                    chosen = data[key] if isinstance(data[key], list) else [data[key]]
                    for value in chosen:
                        bucket[str(value).lower()] = bucket.get(str(value).lower(), 0) + 1
    total = totals["total"] or 0
    return {
        "total": total,
        "done": totals["done"] or 0,
        "percent_done": round(100 * (totals["done"] or 0) / total, 1) if total else 0.0,
        "by_status": by_status,
        "by_step": by_step,
        "answers": answers,
    }


def create_schedule(actor: Actor, **fields: Any) -> Schedule:
    if not (actor.superuser or actor.roles & {"manager", "vp", "admin"}):
        raise Forbidden("forbidden")
    limits.check_fields(**{k: v for k, v in fields.items() if isinstance(v, str | dict | list)})
    if current_version(fields["procedure_key"]) is None:
        raise NotFound("procedure_unknown", procedure=fields["procedure_key"])
    if not actor.may_see_site(fields["site_id"]):
        raise NotFound("not_found", what="site")
    parse_rule(fields["rrule"], fields["dtstart"])
    return Schedule.objects.create(**fields)


def run_due(now: datetime | None = None) -> int:
    """Open what every active schedule owes up to now; each occurrence exactly once.

    Several workers may run this at once: the unique (schedule, at) row is claimed inside the same
    transaction that opens the case, so the loser's insert fails and its transaction rolls back.
    """
    now = now or timezone.now()
    opened = 0
    for schedule in Schedule.objects.filter(active=True, dtstart__lte=now):
        try:
            rule = parse_rule(schedule.rrule, schedule.dtstart)
        except EngineError:
            log.warning("schedule %s has an invalid rule", schedule.pk)
            continue
        # dateutil's rules run in whole seconds: the first occurrence is dtstart without microseconds.
        first = schedule.dtstart.replace(microsecond=0)
        after = schedule.last_occurrence_at or (first - timedelta(microseconds=1))
        for at in rule.between(after, now, inc=False)[:MAX_CATCH_UP]:
            if _open_occurrence(schedule, at):
                opened += 1
            Schedule.objects.filter(pk=schedule.pk).filter(
                Q(last_occurrence_at__lt=at) | Q(last_occurrence_at__isnull=True)
            ).update(last_occurrence_at=at)
    return opened


def _open_occurrence(schedule: Schedule, at: datetime) -> bool:
    local = timezone.localtime(at)
    title = schedule.title.replace("{date}", f"{local:%Y-%m-%d}")
    try:
        with transaction.atomic():
            occurrence = Occurrence.objects.create(schedule=schedule, at=at)
            if schedule.asset_kind:
                occurrence.campaign = start_campaign(
                    SYSTEM,
                    site_id=schedule.site_id,
                    procedure_key=schedule.procedure_key,
                    title=title,
                    asset_kind=schedule.asset_kind,
                    asset_filter=schedule.asset_filter,
                    data=schedule.data,
                    schedule_id=schedule.pk,
                )
            else:
                occurrence.case = open_case(
                    SYSTEM,
                    procedure_key=schedule.procedure_key,
                    site_id=schedule.site_id,
                    channel="system",
                    title=title,
                    data=schedule.data,
                )
            occurrence.save(update_fields=["campaign", "case"])
    except IntegrityError:
        return False  # another worker claimed this occurrence
    except EngineError as exc:
        # Recorded (not retried forever): an administrator sees the reason on the occurrence.
        Occurrence.objects.get_or_create(
            schedule=schedule, at=at, defaults={"error": exc.message("en")[:300]}
        )
        return False
    return True
