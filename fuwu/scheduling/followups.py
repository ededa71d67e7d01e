"""The no-show's follow-up ("跟进所有失约客户并重新安排预约"): the advisor calls the customer and
books again, or records that they will not come. `booking.mark_no_shows` opens the task; these
close it, once (the row is locked; a done task is refused with `follow_up_done`)."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from fuwu.core.actors import Actor
from fuwu.procedures.engine.errors import Conflict, Forbidden, NotFound
from fuwu.scheduling.booking import Job, book, may_book, visible_workshops
from fuwu.scheduling.models import Appointment, FollowUp


def open_follow_ups(actor: Actor, workshop_id: int | None = None) -> QuerySet[FollowUp]:
    """The open follow-ups of the workshops this person sees, oldest first."""
    rows = FollowUp.objects.filter(
        done_at__isnull=True, appointment__workshop__in=visible_workshops(actor)
    )
    if workshop_id is not None:
        rows = rows.filter(appointment__workshop_id=workshop_id)
    return rows.select_related(
        "appointment__customer", "appointment__asset", "advisor__staff"
    ).order_by("created_at", "pk")


def _lock(actor: Actor, follow_up_id: int) -> FollowUp:
    found = (
        FollowUp.objects.select_for_update()
        .select_related("appointment__workshop__department__site")
        .filter(pk=follow_up_id)
        .first()
    )
    if found is None or not actor.may_see_site(found.appointment.workshop.department.site_id):
        raise NotFound("not_found", what="follow-up")
    if not may_book(actor, found.appointment.workshop):
        raise Forbidden("may_not_book")
    if found.done_at is not None:
        raise Conflict("follow_up_done")
    return found


def rebook_missed(
    actor: Actor,
    follow_up_id: int,
    *,
    starts_at: datetime,
    override_reason: str = "",
    now: datetime | None = None,
) -> Appointment:
    """Book the missed appointment's customer, car and jobs again at `starts_at` (every rule of
    `booking.book`: time, slot, hours) and close the follow-up with the new appointment."""
    now = now or timezone.now()
    with transaction.atomic():
        follow_up = _lock(actor, follow_up_id)
        missed = follow_up.appointment
        jobs = [
            Job(code=line.operation.code, hours=line.hours)
            if line.operation
            else Job(name=line.name, hours=line.hours, work_type=line.work_type)
            for line in missed.lines.select_related("operation")
        ]
        made = book(
            actor,
            missed.workshop,
            customer=missed.customer,
            asset=missed.asset,
            starts_at=starts_at,
            jobs=jobs,
            advisor=missed.advisor,
            override_reason=override_reason,
            note=missed.note,
            technician=missed.technician,
            now=now,
        )
        follow_up.done_at, follow_up.done_by = now, actor.user
        follow_up.outcome, follow_up.rebooked = FollowUp.Outcome.REBOOKED, made
        follow_up.save(update_fields=["done_at", "done_by", "outcome", "rebooked"])
    return made


def decline(actor: Actor, follow_up_id: int, *, now: datetime | None = None) -> FollowUp:
    """The customer does not want a new appointment: the task is done without one."""
    now = now or timezone.now()
    with transaction.atomic():
        follow_up = _lock(actor, follow_up_id)
        follow_up.done_at, follow_up.done_by = now, actor.user
        follow_up.outcome = FollowUp.Outcome.DECLINED
        follow_up.save(update_fields=["done_at", "done_by", "outcome"])
    return follow_up
