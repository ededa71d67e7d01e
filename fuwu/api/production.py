"""Production (Toyota step 4): the board's data for a day, repair jobs on a repair order,
dispatch (suggestions and assignment), clocking on and off, new promised times and carry-overs.

Refusals carry a stable code and a message in the caller's language, among them
`technician_lacks_skill` (422: the technician lacks the job's skill or level) and
`one_job_at_a_time` (409: the technician is already clocked on to another job)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from fuwu.api.common import READ_ERRORS, WRITE_ERRORS, actor, found, workshop_for
from fuwu.core.actors import Actor
from fuwu.core.models import Skill
from fuwu.procedures.engine.errors import EngineError, FieldError
from fuwu.scheduling import board as day_board
from fuwu.scheduling import production, promises
from fuwu.scheduling.booking import visible_workshops
from fuwu.scheduling.models import (
    CarryOver,
    JobClock,
    PromiseChange,
    RepairJob,
    StopReason,
    WorkType,
)

router = Router(tags=["workshop production"])


class JobOut(Schema):
    id: int
    case: int
    case_number: str
    name: str
    operation: str
    work_type: str
    skill: str | None
    level: int
    standard_hours: Decimal
    actual_hours: Decimal
    status: str = Field(description="planned, running, stopped or done")
    technician: int | None
    planned_start: datetime | None
    promised_at: datetime | None
    started_at: datetime | None
    finished_at: datetime | None


class BarOut(JobOut):
    start: datetime = Field(description="where the bar starts on the board")
    end: datetime = Field(description="where it ends: finished, or expected to finish")
    remaining_hours: Decimal
    risk: str = Field(description="'' on time, 'amber' before it is late, 'red' when late")
    latest_start: datetime | None = Field(
        description="promised − remaining hours − breaks between − settlement"
    )


class PeriodOut(Schema):
    start: datetime
    end: datetime


class FiguresOut(Schema):
    clocked: Decimal = Field(description="hours clocked on jobs that day, less lunch")
    attendance: Decimal = Field(description="shift hours that day")
    standard: Decimal = Field(description="standard hours of the jobs finished that day")
    efficiency: Decimal | None = Field(description="standard / clocked")
    productivity: Decimal | None = Field(description="clocked / attendance")


class RowOut(Schema):
    technician: int
    name: str
    on_shift: bool
    absence: str
    periods: list[PeriodOut]
    jobs: list[BarOut]
    running: int | None = Field(description="the running job")
    next_job: int | None = Field(description="the next planned (or stopped) job, in order")
    idle: list[PeriodOut] = Field(description="30 minutes or more on shift with no job clocked")
    idle_since: datetime | None = Field(description="idle at this moment, since")
    figures: FiguresOut


class CarryOverOut(Schema):
    id: int
    case: int
    from_date: date
    to_date: date
    hours: Decimal
    reason: str
    planned: bool


class BoardOut(Schema):
    workshop: int
    day: date
    now: datetime
    start: datetime
    end: datetime
    available: Decimal
    reserve: Decimal
    carried: Decimal = Field(description="hours of the cars carried over into this day")
    reserve_left: Decimal
    technicians: list[RowOut]
    unassigned: list[BarOut]
    carry_overs: list[CarryOverOut]


class RepairJobIn(Schema):
    operation: str = Field("", max_length=40, description="a code of the labour-time catalogue")
    name: str = Field("", max_length=200, description="a described job, with hours")
    hours: Decimal | None = Field(None, gt=0, le=100)
    work_type: WorkType = WorkType.REPAIR
    skill: str = Field("", max_length=40, description="the skill code a described job needs")
    level: int = Field(1, ge=1, le=3)
    promised_at: datetime | None = Field(None, description="the case's promised time by default")


class SuggestionOut(Schema):
    technician: int
    name: str
    level: int
    on_shift: bool
    load: Decimal = Field(description="hours already planned that day")
    running: bool = Field(description="busy with a running job now")


class DispatchIn(Schema):
    technician: int
    start: datetime


class ClockOnIn(Schema):
    technician: int | None = Field(None, description="a dispatcher's: whom to clock on")


class ClockOffIn(Schema):
    done: bool = False
    reason: StopReason | None = Field(None, description="why the job stops (when not done)")
    note: str = Field("", max_length=300)


class ClockOut(Schema):
    id: int
    job: int
    technician: int
    started_at: datetime
    ended_at: datetime | None
    hours: Decimal
    done: bool
    reason: str


class PromiseIn(Schema):
    promised_at: datetime
    reason: str = Field(..., max_length=300)


class PromiseOut(Schema):
    id: int
    case: int
    old: datetime | None
    new: datetime
    reason: str
    changed_by: str
    changed_at: datetime


class CarryIn(Schema):
    reason: str = Field(..., max_length=300)
    planned: bool = False
    from_date: date | None = Field(None, description="the promised day; today by default")


def _aware(value: datetime | None, name: str) -> None:
    if value is not None and value.tzinfo is None:
        raise EngineError("invalid_form", fields={name: FieldError("not_datetime")})


def job_out(j: RepairJob) -> dict[str, Any]:
    return {
        "id": j.pk,
        "case": j.case_id,
        "case_number": j.case.number,
        "name": j.name,
        "operation": j.operation.code if j.operation else "",
        "work_type": j.work_type,
        "skill": j.skill.code if j.skill else None,
        "level": j.level,
        "standard_hours": j.standard_hours,
        "actual_hours": j.actual_hours,
        "status": j.status,
        "technician": j.technician_id,
        "planned_start": j.planned_start,
        "promised_at": j.promised_at,
        "started_at": j.started_at,
        "finished_at": j.finished_at,
    }


def _bar_out(b: day_board.Bar) -> BarOut:
    return BarOut(
        **job_out(b.job),
        start=b.start,
        end=b.end,
        remaining_hours=b.remaining,
        risk=b.risk.level,
        latest_start=b.risk.latest,
    )


def _carry_out(c: CarryOver) -> CarryOverOut:
    return CarryOverOut(
        id=c.pk,
        case=c.case_id,
        from_date=c.from_date,
        to_date=c.to_date,
        hours=c.hours,
        reason=c.reason,
        planned=c.planned,
    )


def _job(who: Actor, job_id: int) -> RepairJob:
    return found(
        (
            RepairJob.objects.select_related(
                "case", "operation", "skill", "workshop__department__site"
            )
            .filter(pk=job_id, workshop__in=visible_workshops(who))
            .first()
        ),
        "job",
    )


@router.get(
    "/workshops/{int:workshop_id}/board",
    response={200: BoardOut, **READ_ERRORS},
    summary="The production board for a day: technicians × time, jobs, risk, idle, carry-overs",
)
def board(request: HttpRequest, workshop_id: int, day: date) -> BoardOut:
    workshop = workshop_for(actor(request), workshop_id)
    b = day_board.board(workshop, day)
    return BoardOut(
        workshop=workshop.pk,
        day=b.day,
        now=b.now,
        start=b.start,
        end=b.end,
        available=b.capacity.available,
        reserve=b.capacity.reserve,
        carried=b.capacity.carried,
        reserve_left=b.capacity.reserve_left,
        technicians=[
            RowOut(
                technician=r.technician.pk,
                name=r.tech.name,
                on_shift=bool(r.tech.periods),
                absence=r.tech.absence,
                periods=[PeriodOut(start=s, end=e) for s, e in r.tech.periods],
                jobs=[_bar_out(bar) for bar in r.bars],
                running=r.running.pk if r.running else None,
                next_job=r.next_job.pk if r.next_job else None,
                idle=[PeriodOut(start=g[0], end=g[1]) for g, _l, _w in r.idle],
                idle_since=r.idle_now,
                figures=FiguresOut(
                    clocked=r.figures.clocked,
                    attendance=r.figures.attendance,
                    standard=r.figures.standard,
                    efficiency=r.figures.efficiency,
                    productivity=r.figures.productivity,
                ),
            )
            for r in b.rows
        ],
        unassigned=[_bar_out(bar) for bar in b.unassigned],
        carry_overs=[_carry_out(c) for c in b.carry_overs],
    )


@router.post(
    "/repair-orders/{int:case_id}/jobs",
    response={201: JobOut, **WRITE_ERRORS},
    summary="Add a job to a repair order (an operation code, or a described job with hours)",
)
def add_job(request: HttpRequest, case_id: int, payload: RepairJobIn) -> Status[JobOut]:
    _aware(payload.promised_at, "promised_at")
    skill_id = None
    if payload.skill:
        skill_id = Skill.objects.filter(code=payload.skill).values_list("pk", flat=True).first()
        if skill_id is None:
            raise EngineError(
                "invalid_form", fields={"skill": FieldError("bad_choice", options="")}
            )
    made = production.add_job(
        actor(request),
        case_id,
        code=payload.operation,
        name=payload.name,
        hours=payload.hours,
        work_type=payload.work_type,
        skill_id=skill_id,
        level=payload.level,
        promised_at=payload.promised_at,
    )
    return Status(201, JobOut(**job_out(_job(actor(request), made.pk))))


@router.post(
    "/repair-orders/{int:case_id}/jobs/from-appointment",
    response={200: list[JobOut], **WRITE_ERRORS},
    summary="Make the repair order's jobs from its appointment's lines (once)",
)
def jobs_from_appointment(request: HttpRequest, case_id: int) -> list[JobOut]:
    who = actor(request)
    made = production.jobs_from_appointment(who, case_id)
    return [JobOut(**job_out(_job(who, j.pk))) for j in made]


@router.get(
    "/repair-jobs/{int:job_id}",
    response={200: JobOut, **READ_ERRORS},
    summary="A repair job",
)
def job(request: HttpRequest, job_id: int) -> JobOut:
    return JobOut(**job_out(_job(actor(request), job_id)))


@router.get(
    "/repair-jobs/{int:job_id}/suggestions",
    response={200: list[SuggestionOut], **READ_ERRORS},
    summary="Technicians who may take the job, best first (skill, level, shift, load)",
)
def suggestions(
    request: HttpRequest, job_id: int, at: datetime | None = None
) -> list[SuggestionOut]:
    _aware(at, "at")
    found = _job(actor(request), job_id)
    return [
        SuggestionOut(
            technician=s.technician_id,
            name=s.name,
            level=s.level,
            on_shift=s.on_shift,
            load=s.load,
            running=s.running,
        )
        for s in production.suggest(found, at)
    ]


@router.post(
    "/repair-jobs/{int:job_id}/dispatch",
    response={200: JobOut, **WRITE_ERRORS},
    summary="Plan the job on a technician at a time",
)
def dispatch(request: HttpRequest, job_id: int, payload: DispatchIn) -> JobOut:
    who = actor(request)
    _job(who, job_id)
    _aware(payload.start, "start")
    production.dispatch(who, job_id, technician_id=payload.technician, start=payload.start)
    return JobOut(**job_out(_job(who, job_id)))


def _clock_out(c: JobClock) -> ClockOut:
    return ClockOut(
        id=c.pk,
        job=c.job_id,
        technician=c.technician_id,
        started_at=c.started_at,
        ended_at=c.ended_at,
        hours=c.hours,
        done=c.done,
        reason=c.reason,
    )


@router.post(
    "/repair-jobs/{int:job_id}/clock-on",
    response={200: ClockOut, **WRITE_ERRORS},
    summary="Clock on to the job (one running job per technician)",
)
def clock_on(request: HttpRequest, job_id: int, payload: ClockOnIn) -> ClockOut:
    who = actor(request)
    _job(who, job_id)
    return _clock_out(production.clock_on(who, job_id, technician_id=payload.technician))


@router.post(
    "/repair-jobs/{int:job_id}/clock-off",
    response={200: ClockOut, **WRITE_ERRORS},
    summary="Clock off: done, or stopped with a reason",
)
def clock_off(request: HttpRequest, job_id: int, payload: ClockOffIn) -> ClockOut:
    who = actor(request)
    _job(who, job_id)
    return _clock_out(
        production.clock_off(
            who, job_id, done=payload.done, reason=payload.reason or "", note=payload.note
        )
    )


@router.post(
    "/repair-orders/{int:case_id}/promise",
    response={201: PromiseOut, **WRITE_ERRORS},
    summary="Record a new promised delivery time told to the customer, with the reason",
)
def promise(request: HttpRequest, case_id: int, payload: PromiseIn) -> Status[PromiseOut]:
    _aware(payload.promised_at, "promised_at")
    made: PromiseChange = promises.new_promise(
        actor(request), case_id, promised_at=payload.promised_at, reason=payload.reason
    )
    return Status(
        201,
        PromiseOut(
            id=made.pk,
            case=made.case_id,
            old=made.old,
            new=made.new,
            reason=made.reason,
            changed_by=made.changed_by.get_username(),
            changed_at=made.changed_at,
        ),
    )


@router.post(
    "/repair-orders/{int:case_id}/carry-over",
    response={201: CarryOverOut, **WRITE_ERRORS},
    summary="Carry the car over to the next working day (滞留车), with the reason",
)
def carry_over(request: HttpRequest, case_id: int, payload: CarryIn) -> Status[CarryOverOut]:
    made = promises.carry_over(
        actor(request),
        case_id,
        reason=payload.reason,
        planned=payload.planned,
        from_date=payload.from_date,
    )
    return Status(201, _carry_out(made))
