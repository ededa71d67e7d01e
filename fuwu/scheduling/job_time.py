"""Working time and late risk of repair jobs (Toyota seven steps, step 4: 维修日程应该以满足对
客户许诺交车时间为基础; 如果交车时间不同于原来约定时间, 必须预先通知客户).

- `finish_of` / `hours_between`: forward through a shift's working periods (breaks, nights and
  closed days skipped), the mirror of `capacity.latest_start`.
- `risk`: latest start = promised − remaining hours − breaks between − settlement (13:30 − 2.3 h
  − 1.0 h lunch − 0.2 h = 10:00); amber `WARN` before that moment, or while the job is planned
  to start after it; red once it has passed.
- `watch_late_risks`: the worker's sweep tells the case's advisor once.

Reads only, but for the sweep's claim of the jobs it tells about; the writes of production (plan,
dispatch, clock) live in `fuwu.scheduling.production`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from fuwu.scheduling.capacity import HOUR, latest_start, shift_periods
from fuwu.scheduling.models import JobClock, JobStatus, RepairJob, Workshop
from fuwu.sla.clocks import site_calendar

WARN = timedelta(minutes=30)  # amber this long before the latest start
OPEN = (JobStatus.PLANNED, JobStatus.RUNNING, JobStatus.STOPPED)


# -- working time ----------------------------------------------------------------------------


def zone_of(workshop: Workshop) -> ZoneInfo:
    return ZoneInfo(workshop.site.timezone)


def hours_between(workshop: Workshop, start: datetime, end: datetime) -> Decimal:
    """Clocked time from `start` to `end`, less the site's lunch where it falls between."""
    if end <= start:
        return Decimal("0.00")
    site = workshop.site
    zone = zone_of(workshop)
    seconds = (end - start).total_seconds()
    day = start.astimezone(zone).date()
    while day <= end.astimezone(zone).date():
        lunch = (
            datetime.combine(day, site.lunch_start, zone),
            datetime.combine(day, site.lunch_end, zone),
        )
        overlap = (min(end, lunch[1]) - max(start, lunch[0])).total_seconds()
        seconds -= max(overlap, 0)
        day += timedelta(days=1)
    return (Decimal(seconds) / 3600).quantize(HOUR)


def finish_of(
    workshop: Workshop, start: datetime, hours: Decimal, *, shift: Any = None
) -> datetime:
    """When `hours` of work begun at `start` end: forward through the shift's working periods,
    skipping breaks, nights and closed days (the mirror of `capacity.latest_start`)."""
    site = workshop.site
    calendar = site_calendar(site)
    left = timedelta(seconds=float(hours) * 3600)
    day = start.astimezone(zone_of(workshop)).date()
    for _n in range(60):
        if calendar.is_working_day(day):
            for p_start, p_end in shift_periods(site, shift, day):
                begin = max(p_start, start)
                if p_end <= begin:
                    continue
                if p_end - begin >= left:
                    return begin + left
                left -= p_end - begin
        day += timedelta(days=1)
    return start + left


# -- late risk -------------------------------------------------------------------------------


def remaining_hours(job: RepairJob, running_since: datetime | None, now: datetime) -> Decimal:
    """Standard hours not yet worked: standard − clocked (the open clock included), at least 0."""
    worked = job.actual_hours
    if running_since is not None:
        worked += hours_between(job.workshop, running_since, now)
    return max(job.standard_hours - worked, Decimal("0")).quantize(HOUR)


@dataclass(frozen=True)
class Risk:
    level: str  # "", "amber" or "red"
    latest: datetime | None  # the latest start for the hours left


def risk(
    job: RepairJob, now: datetime, *, running_since: datetime | None = None, shift: Any = None
) -> Risk:
    """Amber before the job is late, red when it is.

    latest = promised − remaining hours − breaks between − settlement. Red once `now` is past
    it: even started (or going on) now, the car cannot be settled by the promised time. Amber
    from `WARN` before it, or while the job is planned to start after it."""
    if job.status == JobStatus.DONE or job.promised_at is None:
        return Risk("", None)
    remaining = remaining_hours(job, running_since, now)
    latest = latest_start(job.workshop, job.promised_at, remaining, shift=shift)
    if now > latest:
        return Risk("red", latest)
    planned_late = (
        job.status != JobStatus.RUNNING
        and job.planned_start is not None
        and job.planned_start > latest
    )
    if now >= latest - WARN or planned_late:
        return Risk("amber", latest)
    return Risk("", latest)


def open_clocks(jobs: Sequence[RepairJob]) -> dict[int, datetime]:
    return dict(
        JobClock.objects.filter(job__in=jobs, ended_at__isnull=True).values_list(
            "job_id", "started_at"
        )
    )


def watch_late_risks(now: datetime | None = None) -> int:
    """Tell each at-risk case's advisor once ("必须预先通知客户"). Run by the worker's sweep.

    The case's open jobs are claimed by a conditional UPDATE (`risk_told_at` still empty), so
    two workers never tell twice; a new promise clears the mark, and a new risk tells again."""
    from fuwu.notifications.services import notify

    now = now or timezone.now()
    jobs = list(
        RepairJob.objects.filter(
            status__in=OPEN,
            promised_at__isnull=False,
            risk_told_at__isnull=True,
            promised_at__lte=now + timedelta(days=2),
        )
        .select_related("workshop__department__site", "case", "advisor", "technician__staff__shift")
        .order_by("promised_at", "pk")[:500]
    )
    running = open_clocks(jobs)
    told = 0
    for job in jobs:
        shift = job.technician.staff.shift if job.technician else None
        found = risk(job, now, running_since=running.get(job.pk), shift=shift)
        if not found.level:
            continue
        with transaction.atomic():
            claimed = RepairJob.objects.filter(
                case_id=job.case_id, status__in=OPEN, risk_told_at__isnull=True
            ).update(risk_told_at=now)
            if not claimed:
                continue  # another job of the case (or another worker) told already
            advisor = job.advisor or job.case.created_by
            zone = zone_of(job.workshop)
            assert job.promised_at is not None and found.latest is not None
            notify(
                [advisor],
                case=job.case,
                kind="late_risk",
                data={
                    "number": job.case.number,
                    "job": job.name,
                    "promised": f"{job.promised_at.astimezone(zone):%m-%d %H:%M}",
                    "latest": f"{found.latest.astimezone(zone):%H:%M}",
                    "level": found.level,
                },
            )
            told += 1
    return told
