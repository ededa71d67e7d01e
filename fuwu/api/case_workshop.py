"""A case's workshop side in the case API read (issue 11): its appointments (with their job
lines and parts), its repair jobs and its on-site visits, in the shapes the scheduling
endpoints answer with (`AppointmentOut`, `JobOut`, `VisitOut`). A fixed number of queries
whatever the case holds (three lists, their related rows joined or prefetched): no N+1.

The case's site decides who may read it (`cases.queries.get_case_for`); these rows belong to
the case and its workshop on that site, so they follow the case's visibility."""

from __future__ import annotations

from typing import Any

from django.db import connection
from ninja import Field, Schema

from fuwu.api.production import JobOut, job_out
from fuwu.api.routes import VisitOut, visit_out
from fuwu.api.scheduling import AppointmentOut, appointment_out, appointment_rows
from fuwu.cases.models import Case
from fuwu.procedures.engine.definition import Procedure
from fuwu.scheduling.models import Appointment, RepairJob, Visit


class CaseWorkshopOut(Schema):
    appointments: list[AppointmentOut] = Field(
        description="the case's workshop bookings, newest first (a no-show and its rebooking)"
    )
    repair_jobs: list[JobOut] = Field(description="the repair order's jobs, in order")
    visits: list[VisitOut] = Field(description="its jobs at the customer's place, newest first")


WORKSHOP_EFFECTS = (
    "book_appointment",
    "appointment_status",
    "open_repair_jobs",
    "book_visit",
    "visit_status",
)


def uses_workshop(procedure: Procedure) -> bool:
    """Whether a procedure books appointments, makes repair jobs or visits (its cases then
    carry `workshop` in the API read; the others do not pay its queries)."""
    for step in procedure.steps.values():
        effects = [*step.effects, *(e for t in step.transitions for e in t.effects)]
        effects += [e for timer in step.timers for e in timer.effects]
        if any(getattr(e, name) for e in effects for name in WORKSHOP_EFFECTS):
            return True
    return False


def _held(case_id: int) -> tuple[bool, bool, bool]:
    """Whether the case has appointments, repair jobs, visits: one small query, so that a
    case with none (most, even of procedures that can book) costs no more."""
    quote = connection.ops.quote_name
    probes = [
        f"EXISTS (SELECT 1 FROM {quote(m._meta.db_table)} "  # noqa: S608 — our own names
        f"WHERE {quote(m._meta.get_field('case').column)} = %s)"
        for m in (Appointment, RepairJob, Visit)
    ]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(probes)}", [case_id] * len(probes))
        row = cursor.fetchone()
    return bool(row[0]), bool(row[1]), bool(row[2])


def case_workshop(case: Case) -> CaseWorkshopOut:
    """The case's appointments, repair jobs and visits: at most six queries (what it holds,
    then appointments, their lines, their parts, the jobs, the visits), however many rows."""
    booked, jobs, visits = _held(case.pk)
    return CaseWorkshopOut(
        appointments=[
            appointment_out(a)
            for a in appointment_rows().filter(case=case).order_by("-starts_at", "-pk")
        ]
        if booked
        else [],
        repair_jobs=[
            JobOut(**_job(j, case))
            for j in RepairJob.objects.filter(case=case)
            .select_related("operation", "skill")
            .order_by("pk")
        ]
        if jobs
        else [],
        visits=[
            visit_out(v)
            for v in Visit.objects.filter(case=case).select_related("skill").order_by("-day", "-pk")
        ]
        if visits
        else [],
    )


def _job(job: RepairJob, case: Case) -> dict[str, Any]:
    job.case = case  # the case is at hand: its number without a query per job
    return job_out(job)
