"""Promised delivery times and carry-overs (滞留车), Toyota seven steps, step 4: a new promised
time told to the customer is recorded with the reason; a car not delivered on its promised day is
carried over to the next working day, by a person with a reason or by the worker's sweep at the
day's end, and its remaining hours come out of that day's reserve (`capacity.DayCapacity.carried`).
Each write locks the case's jobs and checks, then writes, in one transaction."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from fuwu.cases.models import Case
from fuwu.core.actors import Actor
from fuwu.procedures.engine.errors import Conflict, Forbidden, NotFound, Unprocessable
from fuwu.scheduling.capacity import HOUR
from fuwu.scheduling.job_time import OPEN, open_clocks, remaining_hours, zone_of
from fuwu.scheduling.models import CarryOver, PromiseChange, RepairJob, Workshop
from fuwu.scheduling.production import may_open_jobs
from fuwu.sla.clocks import site_calendar

SYSTEM_REASON = "unfinished"  # a carry-over the day-end sweep made


# -- promises and carry-overs ----------------------------------------------------------------


def _case_jobs(actor: Actor, case_id: int) -> tuple[Case, list[RepairJob]]:
    case = actor.scope(Case.objects).filter(pk=case_id).first()
    if case is None:
        raise NotFound("not_found", what="case")
    jobs = list(
        RepairJob.objects.select_for_update(of=("self",))
        .select_related("workshop__department__site")
        .filter(case=case)
        .order_by("pk")
    )
    return case, jobs


def new_promise(
    actor: Actor,
    case_id: int,
    *,
    promised_at: datetime,
    reason: str,
    now: datetime | None = None,
) -> PromiseChange:
    """Record the new delivery time told to the customer, with the reason. The open jobs take
    it, and their late-risk mark is cleared so a new risk is told again. The change is kept as a
    `PromiseChange` row (who, when, old, new, why): the case's own `promised_at` field is the
    procedure's, changed only by its steps."""
    now = now or timezone.now()
    reason = reason.strip()
    if not reason:
        raise Unprocessable("promise_needs_reason")
    if promised_at <= now:
        raise Unprocessable("promise_in_past")
    with transaction.atomic():
        case, jobs = _case_jobs(actor, case_id)
        if not jobs:
            raise Unprocessable("no_jobs")
        if not may_open_jobs(actor, jobs[0].workshop):
            raise Forbidden("may_not_promise")
        old = max((j.promised_at for j in jobs if j.promised_at), default=None)
        RepairJob.objects.filter(case=case, status__in=OPEN).update(
            promised_at=promised_at, risk_told_at=None
        )
        return PromiseChange.objects.create(
            case=case,
            old=old,
            new=promised_at,
            reason=reason[:300],
            changed_by=actor.user,
            changed_at=now,
        )


def next_working_day(workshop: Workshop, day: date) -> date:
    calendar = site_calendar(workshop.site)
    nxt = day + timedelta(days=1)
    for _n in range(60):
        if calendar.is_working_day(nxt):
            return nxt
        nxt += timedelta(days=1)
    return nxt


def _carry(
    case: Case,
    jobs: list[RepairJob],
    *,
    from_date: date,
    reason: str,
    planned: bool,
    by: Any,
    now: datetime,
) -> CarryOver:
    workshop = jobs[0].workshop
    running = open_clocks(jobs)
    hours = sum(
        (remaining_hours(j, running.get(j.pk), now) for j in jobs if j.status in OPEN),
        Decimal(0),
    ).quantize(HOUR)
    return CarryOver.objects.create(
        case=case,
        workshop=workshop,
        from_date=from_date,
        to_date=next_working_day(workshop, from_date),
        hours=hours,
        reason=reason[:300],
        planned=planned,
        created_by=by,
        created_at=now,
    )


def carry_over(
    actor: Actor,
    case_id: int,
    *,
    reason: str,
    planned: bool = False,
    from_date: date | None = None,
    now: datetime | None = None,
) -> CarryOver:
    """Carry a car over to the next working day (滞留车), with the reason; its remaining hours
    take that day's reserve. `from_date`: the promised day (today by default)."""
    now = now or timezone.now()
    reason = reason.strip()
    if not reason:
        raise Unprocessable("carry_over_needs_reason")
    with transaction.atomic():
        case, jobs = _case_jobs(actor, case_id)
        open_jobs = [j for j in jobs if j.status in OPEN]
        if not open_jobs:
            raise Unprocessable("no_jobs")
        workshop = open_jobs[0].workshop
        if not may_open_jobs(actor, workshop):
            raise Forbidden("may_not_dispatch_jobs")
        day = from_date or now.astimezone(zone_of(workshop)).date()
        if CarryOver.objects.filter(case=case, from_date=day).exists():
            raise Conflict("already_carried", day=day.isoformat())
        return _carry(
            case, open_jobs, from_date=day, reason=reason, planned=planned, by=actor.user, now=now
        )


def carry_over_unfinished(now: datetime | None = None) -> int:
    """At the end of the promised day, cars whose jobs are not done are carried over by
    themselves (reason `SYSTEM_REASON`). Run by the worker's sweep; one row per case and day
    (a unique constraint), so two workers never carry twice."""
    now = now or timezone.now()
    jobs = list(
        RepairJob.objects.filter(status__in=OPEN, promised_at__lt=now)
        .select_related("workshop__department__site", "case")
        .order_by("case_id", "pk")[:1000]
    )
    by_case: dict[int, list[RepairJob]] = defaultdict(list)
    for job in jobs:
        by_case[job.case_id].append(job)
    made = 0
    for case_jobs in by_case.values():
        first = case_jobs[0]
        site = first.workshop.site
        zone = zone_of(first.workshop)
        assert first.promised_at is not None
        day = first.promised_at.astimezone(zone).date()
        if now < datetime.combine(day, site.work_end, zone):
            continue  # the promised day is not over yet
        if CarryOver.objects.filter(case_id=first.case_id, from_date=day).exists():
            continue
        try:
            with transaction.atomic():
                _carry(
                    first.case,
                    case_jobs,
                    from_date=day,
                    reason=SYSTEM_REASON,
                    planned=False,
                    by=None,
                    now=now,
                )
        except IntegrityError:
            continue  # another worker carried it
        made += 1
    return made
