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
  passed; `watch_late_risks` tells the case's advisor once; `promises.new_promise` records the
  new time.
- "打卡 … 管理每个修理单(纪录完工时间), 监控生产力, 人力使用和效率": `board.Figures`.
- "技术员 30 分钟没有工作": `board.idle_gaps`.
- "滞留车 … 必须滞留至第二天": `promises.carry_over` and `promises.carry_over_unfinished` (the
  worker's sweep); the hours come out of the next working day's reserve
  (`capacity.DayCapacity.carried`).

Every write here locks the job (or the case's jobs) and checks, then writes, in one transaction;
a refusal raises an `EngineError` and writes nothing.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from fuwu.cases.models import Case
from fuwu.core.actors import Actor
from fuwu.procedures.engine.errors import Conflict, EngineError, Forbidden, NotFound, Unprocessable
from fuwu.scheduling.booking import may_book
from fuwu.scheduling.capacity import (
    HOUR,
    Period,
    day_capacity,
    technicians,
)
from fuwu.scheduling.job_time import (
    OPEN,
    finish_of,
    hours_between,
    zone_of,
)
from fuwu.scheduling.models import (
    Appointment,
    JobClock,
    JobStatus,
    LabourOperation,
    RepairJob,
    StopReason,
    Technician,
    Workshop,
    WorkType,
)

DISPATCH_ROLES = frozenset({"dispatcher", "manager", "vp", "admin"})
IDLE = timedelta(minutes=30)  # "技术员 30 分钟没有工作"


# -- rights ----------------------------------------------------------------------------------


def may_dispatch(actor: Actor, workshop: Workshop) -> bool:
    return actor.superuser or (
        workshop.department.site_id in actor.site_ids and bool(actor.roles & DISPATCH_ROLES)
    )


def technician_of(actor: Actor, workshop: Workshop) -> Technician | None:
    if actor.user is None:
        return None
    return Technician.objects.filter(staff__user=actor.user, workshop=workshop, active=True).first()


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


def may_open_jobs(actor: Actor, workshop: Workshop) -> bool:
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
    if not may_open_jobs(actor, workshop):
        raise Forbidden("may_not_dispatch_jobs")
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
    zone = zone_of(workshop)
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
        zone = zone_of(self.workshop)
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
    return Pool.of(job.workshop, at.astimezone(zone_of(job.workshop)).date()).rank(job, at)


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
            raise Forbidden("may_not_dispatch_jobs")
        if job.status == JobStatus.DONE:
            raise Conflict("job_done")
        tech = technicians(workshop).select_related("staff__shift").filter(pk=technician_id).first()
        if tech is None:
            raise Unprocessable("not_a_technician")
        if job.status == JobStatus.RUNNING and job.technician_id != tech.pk:
            raise Conflict("job_running", technician=job.technician.staff.display_name)  # type: ignore[union-attr]
        _check_skill(tech, job)
        day = start.astimezone(zone_of(workshop)).date()
        row = next(t for t in day_capacity(workshop, day).technicians if t.technician_id == tech.pk)
        if not any(s <= start < e for s, e in row.periods):
            raise Unprocessable(
                "technician_off_shift",
                technician=tech.staff.display_name,
                at=f"{start.astimezone(zone_of(workshop)):%Y-%m-%d %H:%M}",
            )
        _check_free(tech, job, start)
        job.technician, job.planned_start = tech, start
        job.save(update_fields=["technician", "planned_start"])
    return job


def _check_free(tech: Technician, job: RepairJob, start: datetime) -> None:
    """One repair order at a time: refused when the technician's other open jobs are planned
    over the time this one would take from `start`."""
    workshop = job.workshop
    end = finish_of(workshop, start, job.standard_hours)
    others = RepairJob.objects.filter(
        technician=tech, status__in=OPEN, planned_start__isnull=False, planned_start__lt=end
    ).exclude(pk=job.pk)
    zone = zone_of(workshop)
    for other in others.select_related("operation"):
        assert other.planned_start is not None
        other_end = finish_of(workshop, other.planned_start, other.standard_hours)
        if other_end > start:
            raise Conflict(
                "technician_busy",
                technician=tech.staff.display_name,
                job=other.name,
                start=f"{other.planned_start.astimezone(zone):%H:%M}",
                end=f"{other_end.astimezone(zone):%H:%M}",
            )


# -- clocking --------------------------------------------------------------------------------


def _clocking_technician(actor: Actor, job: RepairJob, technician_id: int | None) -> Technician:
    workshop = job.workshop
    mine = technician_of(actor, workshop)
    if technician_id is None or (mine is not None and mine.pk == technician_id):
        if mine is None:
            raise Forbidden("not_a_technician_to_clock")
        return mine
    if not may_dispatch(actor, workshop):
        raise Forbidden("may_not_dispatch_jobs")
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
