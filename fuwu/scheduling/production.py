"""Production (Toyota seven steps, step 4: 调度 & 生产): repair jobs planned on technicians,
clocked on and off from the phone, watched against the promised delivery time.

The seed's rules, and where each lives:
- "一次分配一张修理单给一个技术员", "确定技术员的'下一工作'": one running job per technician
  (`clock_on` checks it, and a partial unique index on open clocks makes two clock-ons at once
  impossible); the next job is the technician's next planned job in order (`board`).
- "根据技术员技术水平分派工作": `suggest` ranks technicians who have the job's skill at the level
  it needs, on shift at the planned time, by how little they are loaded; `dispatch` assigns with
  the same checks.
- "维修日程应该以满足对客户许诺交车时间为基础. 如果交车时间不同于原来约定时间, 必须预先通知客户":
  latest start = promised − remaining hours − breaks between − settlement
  (`capacity.latest_start`; 13:30 − 2.3 h − 1.0 h lunch − 0.2 h = 10:00). `risk` is amber
  `WARN` before that moment (and when the job is planned to start after it) and red once it has
  passed; `watch_late_risks` tells the case's advisor once; `new_promise` records the new time.
- "打卡 … 管理每个修理单(纪录完工时间), 监控生产力, 人力使用和效率": `figures` (see its docstring).
- "技术员 30 分钟没有工作": `idle_gaps`.
- "滞留车 … 必须滞留至第二天": `carry_over` and `carry_over_unfinished` (the worker's sweep); the
  hours come out of the next working day's reserve (`capacity.DayCapacity.carried`).

Every write here locks the job (or the case's jobs) and checks, then writes, in one transaction;
a refusal raises an `EngineError` and writes nothing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from fuwu.cases.models import Case
from fuwu.core.actors import Actor
from fuwu.procedures.engine.errors import Conflict, EngineError, Forbidden, NotFound, Unprocessable
from fuwu.scheduling.booking import may_book
from fuwu.scheduling.capacity import (
    HOUR,
    DayCapacity,
    Period,
    day_capacity,
    latest_start,
    shift_periods,
    technicians,
)
from fuwu.scheduling.models import (
    Appointment,
    CarryOver,
    JobClock,
    JobStatus,
    LabourOperation,
    PromiseChange,
    RepairJob,
    StopReason,
    Technician,
    Workshop,
    WorkType,
)
from fuwu.sla.clocks import site_calendar

DISPATCH_ROLES = frozenset({"dispatcher", "manager", "vp", "admin"})
WARN = timedelta(minutes=30)  # amber this long before the latest start
IDLE = timedelta(minutes=30)  # "技术员 30 分钟没有工作"
OPEN = (JobStatus.PLANNED, JobStatus.RUNNING, JobStatus.STOPPED)
SYSTEM_REASON = "unfinished"  # a carry-over the day-end sweep made


# -- rights ----------------------------------------------------------------------------------


def may_dispatch(actor: Actor, workshop: Workshop) -> bool:
    return actor.superuser or (
        workshop.department.site_id in actor.site_ids and bool(actor.roles & DISPATCH_ROLES)
    )


def technician_of(actor: Actor, workshop: Workshop) -> Technician | None:
    if actor.user is None:
        return None
    return Technician.objects.filter(staff__user=actor.user, workshop=workshop, active=True).first()


# -- working time ----------------------------------------------------------------------------


def _zone(workshop: Workshop) -> ZoneInfo:
    return ZoneInfo(workshop.site.timezone)


def hours_between(workshop: Workshop, start: datetime, end: datetime) -> Decimal:
    """Clocked time from `start` to `end`, less the site's lunch where it falls between."""
    if end <= start:
        return Decimal("0.00")
    site = workshop.site
    zone = _zone(workshop)
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
    day = start.astimezone(_zone(workshop)).date()
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


def _open_clocks(jobs: Sequence[RepairJob]) -> dict[int, datetime]:
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
    running = _open_clocks(jobs)
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
            zone = _zone(job.workshop)
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


# -- jobs ------------------------------------------------------------------------------------


def _promised(case: Case) -> datetime | None:
    raw = (case.data or {}).get("promised_at")
    if not raw:
        return None
    try:
        value = datetime.fromisoformat(str(raw))
    except ValueError:
        return None
    return value if value.tzinfo else timezone.make_aware(value)


def _workshop_of(case: Case) -> Workshop:
    workshop = (
        Workshop.objects.select_related("department__site")
        .filter(department__site_id=case.site_id)
        .order_by("pk")
        .first()
    )
    if workshop is None:
        raise Unprocessable("no_workshop")
    return workshop


def _may_open_jobs(actor: Actor, workshop: Workshop) -> bool:
    return may_book(actor, workshop) or may_dispatch(actor, workshop)


def add_job(
    actor: Actor,
    case_id: int,
    *,
    code: str = "",
    name: str = "",
    hours: Decimal | None = None,
    work_type: str = WorkType.REPAIR,
    skill_id: int | None = None,
    level: int = 1,
    promised_at: datetime | None = None,
    now: datetime | None = None,
) -> RepairJob:
    """A job added at reception: an operation of the labour-time catalogue (its hours, work type
    and skill), or a described job with standard hours. It is promised for the case's
    `promised_at` unless `promised_at` is given."""
    now = now or timezone.now()
    case = actor.scope(Case.objects).filter(pk=case_id).select_related("site").first()
    if case is None:
        raise NotFound("not_found", what="case")
    workshop = _workshop_of(case)
    if not _may_open_jobs(actor, workshop):
        raise Forbidden("may_not_dispatch")
    if case.is_closed:
        raise EngineError("case_closed")
    job = RepairJob(
        case=case,
        workshop=workshop,
        promised_at=promised_at or _promised(case),
        advisor=_advisor(case),
        level=max(1, min(level, 3)),
        created_at=now,
    )
    if code:
        op = LabourOperation.objects.filter(site_id=case.site_id, code=code).first()
        if op is None:
            raise Unprocessable("unknown_operation", operation=code)
        job.operation, job.name, job.work_type, job.skill_id = (
            op,
            op.name,
            op.work_type,
            op.skill_id,
        )
        job.standard_hours = hours if hours is not None else op.standard_hours
    else:
        if not name.strip() or hours is None:
            raise Unprocessable("no_hours")
        job.name, job.standard_hours, job.work_type = name.strip()[:200], hours, work_type
        job.skill_id = skill_id
    if job.standard_hours is None or job.standard_hours <= 0:
        raise Unprocessable("no_hours")
    job.save()
    return job


def _advisor(case: Case) -> Any:
    appointment = (
        Appointment.objects.filter(case=case).select_related("advisor").order_by("-pk").first()
    )
    return appointment.advisor if appointment else case.created_by


def jobs_from_appointment(actor: Actor, case_id: int) -> list[RepairJob]:
    """The repair order's jobs from its appointment's lines (once: lines already made into jobs
    are skipped)."""
    case = actor.scope(Case.objects).filter(pk=case_id).first()
    if case is None:
        raise NotFound("not_found", what="case")
    return jobs_for_case(case)


def jobs_for_case(case: Case) -> list[RepairJob]:
    """`jobs_from_appointment` for a case in hand (the procedure's `open_repair_jobs` effect,
    whose case row is written after its effects: its data is the one in memory)."""
    appointment = (
        Appointment.objects.filter(case=case)
        .select_related("workshop__department__site", "advisor")
        .prefetch_related("lines__operation")
        .order_by("-pk")
        .first()
    )
    if appointment is None:
        return []
    done = set(RepairJob.objects.filter(case=case).values_list("line_id", flat=True))
    promised = _promised(case)
    made = [
        RepairJob(
            case=case,
            workshop=appointment.workshop,
            line=line,
            operation=line.operation,
            name=line.name,
            standard_hours=line.hours,
            work_type=line.work_type,
            skill_id=line.operation.skill_id if line.operation else None,
            promised_at=promised,
            advisor=appointment.advisor,
        )
        for line in appointment.lines.all()
        if line.pk not in done
    ]
    with transaction.atomic():
        RepairJob.objects.bulk_create(made)
    return made


def _lock(actor: Actor, job_id: int) -> RepairJob:
    job = (
        RepairJob.objects.select_for_update(of=("self",))
        .select_related("workshop__department__site", "skill", "technician__staff__shift", "case")
        .filter(pk=job_id)
        .first()
    )
    if job is None or not actor.may_see_site(job.workshop.department.site_id):
        raise NotFound("not_found", what="job")
    return job


def _level(tech: Technician, job: RepairJob, skill_ids: set[int]) -> int | None:
    """The technician's level at the job's skill, or None when they lack it."""
    if job.skill_id is None:
        return int(tech.levels.get(job.work_type, 1)) if isinstance(tech.levels, dict) else 1
    if job.skill_id not in skill_ids:
        return None
    assert job.skill is not None
    return int((tech.levels or {}).get(job.skill.code, 1))


def _check_skill(tech: Technician, job: RepairJob) -> None:
    skills = set(tech.staff.skills.values_list("pk", flat=True))
    level = _level(tech, job, skills)
    if level is None or level < job.level:
        raise Unprocessable(
            "technician_lacks_skill",
            technician=tech.staff.display_name,
            skill=(job.skill.name if job.skill else job.get_work_type_display()),
            level=job.level,
        )


# -- dispatch --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Suggestion:
    technician_id: int
    name: str
    level: int
    on_shift: bool
    load: Decimal  # hours already planned that day, not yet worked
    running: bool  # has a running job now

    @property
    def key(self) -> tuple[Any, ...]:
        return (not self.on_shift, self.running, self.level, self.load, self.name)


def _loads(workshop: Workshop, day: date) -> dict[int, Decimal]:
    """Hours planned on each technician that day and not yet worked."""
    zone = _zone(workshop)
    start = datetime.combine(day, time.min, zone)
    rows = RepairJob.objects.filter(
        workshop=workshop,
        status__in=OPEN,
        technician__isnull=False,
        planned_start__gte=start,
        planned_start__lt=start + timedelta(days=1),
    )
    loads: dict[int, Decimal] = defaultdict(Decimal)
    for tech_id, std, actual in rows.values_list("technician_id", "standard_hours", "actual_hours"):
        loads[tech_id] += max(std - actual, Decimal(0))
    return loads


@dataclass
class Pool:
    """The workshop's technicians on a day, read once (shifts, skills, load, running jobs), to
    rank them for any number of jobs: the board ranks all its waiting jobs in a fixed number
    of queries."""

    workshop: Workshop
    day: date
    periods: dict[int, tuple[Period, ...]]
    crew: list[Technician]
    skills: dict[int, set[int]]
    loads: dict[int, Decimal]
    busy: dict[int, int]  # technician → the job they are clocked on to

    @classmethod
    def of(cls, workshop: Workshop, day: date) -> Pool:
        cap = day_capacity(workshop, day)
        crew = list(technicians(workshop).prefetch_related("staff__skills"))
        return cls(
            workshop=workshop,
            day=day,
            periods={t.technician_id: t.periods for t in cap.technicians},
            crew=crew,
            skills={t.pk: {s.pk for s in t.staff.skills.all()} for t in crew},
            loads=_loads(workshop, day),
            busy=dict(
                JobClock.objects.filter(ended_at__isnull=True, technician__in=crew).values_list(
                    "technician_id", "job_id"
                )
            ),
        )

    def rank(self, job: RepairJob, at: datetime) -> list[Suggestion]:
        """Technicians who may take the job, best first: on shift at the time, not busy with a
        running job, at the level closest to the one needed (keep the seniors for the hard
        jobs), least loaded that day. Those without the skill or the level are left out."""
        zone = _zone(self.workshop)
        own = Decimal(0)
        if (
            job.technician_id is not None
            and job.status in OPEN
            and job.planned_start is not None
            and job.planned_start.astimezone(zone).date() == self.day
        ):
            own = max(job.standard_hours - job.actual_hours, Decimal(0))  # moving it frees this
        out = []
        for tech in self.crew:
            level = _level(tech, job, self.skills[tech.pk])
            if level is None or level < job.level:
                continue
            load = self.loads.get(tech.pk, Decimal(0))
            if tech.pk == job.technician_id:
                load -= own
            out.append(
                Suggestion(
                    technician_id=tech.pk,
                    name=tech.staff.display_name,
                    level=level,
                    on_shift=any(s <= at < e for s, e in self.periods.get(tech.pk, ())),
                    load=load.quantize(HOUR),
                    running=self.busy.get(tech.pk, job.pk) != job.pk,
                )
            )
        return sorted(out, key=lambda s: s.key)


def suggest(job: RepairJob, at: datetime | None = None) -> list[Suggestion]:
    """`Pool.rank` for one job, at its planned start (or now)."""
    at = at or job.planned_start or timezone.now()
    return Pool.of(job.workshop, at.astimezone(_zone(job.workshop)).date()).rank(job, at)


def dispatch(
    actor: Actor,
    job_id: int,
    *,
    technician_id: int,
    start: datetime,
    now: datetime | None = None,
) -> RepairJob:
    """Plan the job on a technician at a time (a confirmed suggestion, or a move on the board).
    Refused: someone who may not dispatch; a technician of another workshop, without the skill
    or level, or off shift then; a job done, or running on someone else."""
    with transaction.atomic():
        job = _lock(actor, job_id)
        workshop = job.workshop
        if not may_dispatch(actor, workshop):
            raise Forbidden("may_not_dispatch")
        if job.status == JobStatus.DONE:
            raise Conflict("job_done")
        tech = technicians(workshop).select_related("staff__shift").filter(pk=technician_id).first()
        if tech is None:
            raise Unprocessable("not_a_technician")
        if job.status == JobStatus.RUNNING and job.technician_id != tech.pk:
            raise Conflict("job_running", technician=job.technician.staff.display_name)  # type: ignore[union-attr]
        _check_skill(tech, job)
        day = start.astimezone(_zone(workshop)).date()
        row = next(t for t in day_capacity(workshop, day).technicians if t.technician_id == tech.pk)
        if not any(s <= start < e for s, e in row.periods):
            raise Unprocessable(
                "technician_off_shift",
                technician=tech.staff.display_name,
                at=f"{start.astimezone(_zone(workshop)):%Y-%m-%d %H:%M}",
            )
        job.technician, job.planned_start = tech, start
        job.save(update_fields=["technician", "planned_start"])
    return job


# -- clocking --------------------------------------------------------------------------------


def _clocking_technician(actor: Actor, job: RepairJob, technician_id: int | None) -> Technician:
    workshop = job.workshop
    mine = technician_of(actor, workshop)
    if technician_id is None or (mine is not None and mine.pk == technician_id):
        if mine is None:
            raise Forbidden("not_a_technician_here")
        return mine
    if not may_dispatch(actor, workshop):
        raise Forbidden("may_not_dispatch")
    tech = technicians(workshop).filter(pk=technician_id).first()
    if tech is None:
        raise Unprocessable("not_a_technician")
    return tech


def clock_on(
    actor: Actor,
    job_id: int,
    *,
    technician_id: int | None = None,
    now: datetime | None = None,
) -> JobClock:
    """The technician starts (or resumes) the job. One running job per technician: clocking onto
    a second is refused (`one_job_at_a_time`), by this check and, for two requests at once, by
    the partial unique index on open clocks. A dispatcher may clock a technician on."""
    now = now or timezone.now()
    with transaction.atomic():
        job = _lock(actor, job_id)
        tech = _clocking_technician(actor, job, technician_id)
        if job.status == JobStatus.DONE:
            raise Conflict("job_done")
        if job.status == JobStatus.RUNNING:
            raise Conflict("job_running", technician=job.technician.staff.display_name)  # type: ignore[union-attr]
        if job.technician_id not in (None, tech.pk) and not may_dispatch(actor, job.workshop):
            raise Conflict(
                "job_assigned_elsewhere",
                technician=job.technician.staff.display_name,  # type: ignore[union-attr]
            )
        _check_skill(tech, job)
        running = JobClock.objects.filter(technician=tech, ended_at__isnull=True).select_related(
            "job"
        )
        other = running.first()
        if other is not None:
            raise Conflict("one_job_at_a_time", job=other.job.name)
        try:
            with transaction.atomic():  # a savepoint: the index refuses a concurrent second
                clock = JobClock.objects.create(job=job, technician=tech, started_at=now)
        except IntegrityError:
            other = running.first()
            raise Conflict("one_job_at_a_time", job=other.job.name if other else "—") from None
        job.status, job.technician = JobStatus.RUNNING, tech
        job.started_at = job.started_at or now
        job.save(update_fields=["status", "technician", "started_at"])
    return clock


def clock_off(
    actor: Actor,
    job_id: int,
    *,
    done: bool,
    reason: str = "",
    note: str = "",
    now: datetime | None = None,
) -> JobClock:
    """The technician stops the job: done, or stopped with a reason (waiting for parts, outside
    work, end of shift …). The clocked hours (less lunch) add to the job's actual hours."""
    now = now or timezone.now()
    if not done and reason not in StopReason.values:
        raise Unprocessable("stop_needs_reason")
    with transaction.atomic():
        job = _lock(actor, job_id)
        clock = (
            JobClock.objects.select_for_update()
            .select_related("technician__staff")
            .filter(job=job, ended_at__isnull=True)
            .first()
        )
        if clock is None:
            raise Conflict("job_not_running")
        mine = technician_of(actor, job.workshop)
        if (mine is None or mine.pk != clock.technician_id) and not may_dispatch(
            actor, job.workshop
        ):
            raise Forbidden("not_your_job")
        clock.ended_at = max(now, clock.started_at)
        clock.hours = hours_between(job.workshop, clock.started_at, clock.ended_at)
        clock.done, clock.reason, clock.note = done, "" if done else reason, note[:300]
        clock.save(update_fields=["ended_at", "hours", "done", "reason", "note"])
        job.actual_hours += clock.hours
        job.status = JobStatus.DONE if done else JobStatus.STOPPED
        job.finished_at = now if done else None
        job.save(update_fields=["actual_hours", "status", "finished_at"])
    return clock


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
        if not _may_open_jobs(actor, jobs[0].workshop):
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
    running = _open_clocks(jobs)
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
        if not _may_open_jobs(actor, workshop):
            raise Forbidden("may_not_dispatch")
        day = from_date or now.astimezone(_zone(workshop)).date()
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
        zone = _zone(first.workshop)
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
    zone = _zone(workshop)
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
