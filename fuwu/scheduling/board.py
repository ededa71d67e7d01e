"""The production board's day (目视控制): technicians × the day's timeline with their jobs, the
late-risk colours, idle time ("技术员 30 分钟没有工作"), productivity and efficiency, and the
day's carry-overs, read in a fixed number of queries however many jobs there are. The writes are
in `fuwu.scheduling.production`."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import F, Q
from django.utils import timezone

from fuwu.scheduling.capacity import HOUR, DayCapacity, Period, day_capacity, technicians
from fuwu.scheduling.job_time import (
    OPEN,
    Risk,
    finish_of,
    hours_between,
    remaining_hours,
    risk,
    zone_of,
)
from fuwu.scheduling.models import CarryOver, JobClock, JobStatus, RepairJob, Technician, Workshop
from fuwu.scheduling.production import IDLE

# -- the day: figures, idle time, the board --------------------------------------------------


@dataclass(frozen=True)
class Figures:
    """A technician's day.

    The seed (step 4): "打卡或其它形式管理每个修理单(纪录完工时间), 监控生产力, 人力使用和效率"
    and "记录技术员可用工时数 & 未售出工时数". Here:
    - clocked: hours clocked on jobs that day (less lunch);
    - attendance: the technician's shift hours that day (the capacity's hours);
    - standard: standard hours of the jobs they finished that day (the hours sold);
    - efficiency = standard / clocked (100 % when a 2 h job takes 2 h; 125 % when it takes 1.6 h);
    - productivity = clocked / attendance (the share of the day spent on jobs).
    None when the divisor is 0."""

    clocked: Decimal
    attendance: Decimal
    standard: Decimal

    @property
    def efficiency(self) -> Decimal | None:
        return (self.standard / self.clocked).quantize(HOUR) if self.clocked else None

    @property
    def productivity(self) -> Decimal | None:
        return (self.clocked / self.attendance).quantize(HOUR) if self.attendance else None


def idle_gaps(periods: Sequence[Period], busy: Sequence[Period], now: datetime) -> list[Period]:
    """The stretches of at least `IDLE` (30 minutes) within the shift, up to now, with no job
    clocked ("技术员 30 分钟没有工作")."""
    gaps: list[Period] = []
    spans = sorted(busy)
    for p_start, p_end in periods:
        end = min(p_end, now)
        cursor = p_start
        for b_start, b_end in spans:
            if b_end <= cursor or b_start >= end:
                continue
            if b_start > cursor:
                gaps.append((cursor, b_start))
            cursor = max(cursor, b_end)
        if cursor < end:
            gaps.append((cursor, end))
    return [(s, e) for s, e in gaps if e - s >= IDLE]


@dataclass
class Bar:
    job: RepairJob
    start: datetime
    end: datetime
    risk: Risk
    remaining: Decimal
    left: float = 0.0  # percent of the board's width
    width: float = 0.0


@dataclass
class Row:
    tech: Any  # capacity.TechnicianDay
    technician: Technician
    bars: list[Bar] = field(default_factory=list)
    idle: list[tuple[Period, float, float]] = field(default_factory=list)  # (gap, left, width)
    idle_now: datetime | None = None  # idle since, when idle at this moment
    running: RepairJob | None = None
    next_job: RepairJob | None = None
    figures: Figures = field(default_factory=lambda: Figures(Decimal(0), Decimal(0), Decimal(0)))


@dataclass
class Board:
    workshop: Workshop
    day: date
    now: datetime
    start: datetime
    end: datetime
    capacity: DayCapacity
    rows: list[Row]
    unassigned: list[Bar]
    carry_overs: list[CarryOver]  # into and out of the day
    lunch: tuple[float, float] | None  # left, width in percent
    now_at: float | None  # percent, when now is on the board

    def at(self, moment: datetime) -> float:
        span = (self.end - self.start).total_seconds()
        return max(0.0, min(100.0, (moment - self.start).total_seconds() * 100 / span))


def board(workshop: Workshop, day: date, now: datetime | None = None) -> Board:
    """Everything the board shows for a day, in a fixed number of queries (capacity's five, the
    crew, the jobs, the clocks, the carry-overs) however many jobs there are."""
    now = now or timezone.now()
    site = workshop.site
    zone = zone_of(workshop)
    cap = day_capacity(workshop, day)
    crew = {t.pk: t for t in technicians(workshop)}
    day_start = datetime.combine(day, time.min, zone)
    day_end = day_start + timedelta(days=1)
    in_day = (
        Q(planned_start__gte=day_start, planned_start__lt=day_end)
        | Q(started_at__gte=day_start, started_at__lt=day_end)
        | Q(finished_at__gte=day_start, finished_at__lt=day_end)
    )
    carried = Q(status__in=OPEN, planned_start__lt=day_start) if day_start <= now else Q(pk=None)
    # Jobs not yet given a time wait on today's and the coming days' boards.
    unplanned = (
        Q(status=JobStatus.PLANNED, planned_start__isnull=True) if day_end > now else Q(pk=None)
    )
    jobs = list(
        RepairJob.objects.filter(workshop=workshop)
        .filter(in_day | unplanned | carried)
        .select_related("case", "skill", "operation")
        .order_by(F("planned_start").asc(nulls_last=True), "pk")
    )
    for job in jobs:  # the workshop in hand, not one query per job (risk reads its calendar)
        job.workshop = workshop
    clocks = list(
        JobClock.objects.filter(
            technician_id__in=list(crew),
            started_at__lt=day_end,
        )
        .filter(Q(ended_at__isnull=True) | Q(ended_at__gt=day_start))
        .order_by("started_at")
    )
    running_since = {c.job_id: c.started_at for c in clocks if c.ended_at is None}
    periods = [p for t in cap.technicians for p in t.periods]
    start = min((p[0] for p in periods), default=datetime.combine(day, site.work_start, zone))
    end = max((p[1] for p in periods), default=datetime.combine(day, site.work_end, zone))
    lunch_s = datetime.combine(day, site.lunch_start, zone)
    lunch_e = datetime.combine(day, site.lunch_end, zone)
    carry_overs = list(
        CarryOver.objects.filter(workshop=workshop)
        .filter(Q(to_date=day) | Q(from_date=day))
        .select_related("case")
        .order_by("from_date", "pk")
    )
    out = Board(
        workshop=workshop,
        day=day,
        now=now,
        start=start,
        end=end,
        capacity=cap,
        rows=[],
        unassigned=[],
        carry_overs=carry_overs,
        lunch=None,
        now_at=None,
    )
    if start < lunch_s < lunch_e < end:
        out.lunch = (out.at(lunch_s), out.at(lunch_e) - out.at(lunch_s))
    if start <= now <= end:
        out.now_at = out.at(now)

    def bar(job: RepairJob, shift: Any) -> Bar:
        since = running_since.get(job.pk)
        remaining = remaining_hours(job, since, now)
        if job.status == JobStatus.DONE:
            b_start = job.started_at or job.planned_start or now
            b_end = job.finished_at or b_start
        elif job.status == JobStatus.RUNNING:
            b_start = job.started_at or since or now
            b_end = finish_of(workshop, max(now, b_start), remaining, shift=shift)
        elif job.status == JobStatus.STOPPED:
            b_start = job.started_at or job.planned_start or now
            b_end = finish_of(workshop, max(now, b_start), remaining, shift=shift)
        else:
            b_start = job.planned_start or now
            b_end = finish_of(workshop, b_start, remaining, shift=shift)
        made = Bar(job, b_start, b_end, risk(job, now, running_since=since, shift=shift), remaining)
        made.left = out.at(b_start)
        made.width = max(out.at(b_end) - made.left, 0.6)
        return made

    by_tech: dict[int, list[RepairJob]] = defaultdict(list)
    for job in jobs:
        if job.technician_id is None:
            out.unassigned.append(bar(job, None))
        elif job.technician_id in crew:
            by_tech[job.technician_id].append(job)
    clocks_by_tech: dict[int, list[JobClock]] = defaultdict(list)
    for c in clocks:
        clocks_by_tech[c.technician_id].append(c)
    for tech_day in cap.technicians:
        tech = crew[tech_day.technician_id]
        shift = tech.staff.shift
        row = Row(tech=tech_day, technician=tech)
        mine = by_tech.get(tech.pk, [])
        row.bars = [bar(j, shift) for j in mine]
        row.running = next((j for j in mine if j.status == JobStatus.RUNNING), None)
        row.next_job = next(
            (j for j in mine if j.status in (JobStatus.PLANNED, JobStatus.STOPPED)), None
        )
        busy = [(c.started_at, c.ended_at or now) for c in clocks_by_tech.get(tech.pk, [])]
        if day_start <= now:
            gaps = idle_gaps(tech_day.periods, busy, now)
            row.idle = [(g, out.at(g[0]), out.at(g[1]) - out.at(g[0])) for g in gaps]
            if gaps and gaps[-1][1] == now and row.running is None:
                row.idle_now = gaps[-1][0]
        clocked = sum(
            (hours_between(workshop, max(s, day_start), min(e, day_end, now)) for s, e in busy),
            Decimal(0),
        ).quantize(HOUR)
        standard = sum(
            (
                j.standard_hours
                for j in mine
                if j.status == JobStatus.DONE
                and j.finished_at is not None
                and day_start <= j.finished_at < day_end
            ),
            Decimal(0),
        ).quantize(HOUR)
        row.figures = Figures(clocked=clocked, attendance=tech_day.hours, standard=standard)
        out.rows.append(row)
    return out


def figures(workshop: Workshop, day: date, now: datetime | None = None) -> dict[int, Figures]:
    """Each technician's clocked, attendance and standard hours for the day (see `Figures`)."""
    return {row.technician.pk: row.figures for row in board(workshop, day, now).rows}
