"""Walk-ins ("有效处理'随到'客户"): a customer without an appointment is received now, into the
day's bookable hours left or, when those are used up, into the reserve the appointment share
holds back (available − bookable); refused with `reserve_used_up` only when that is gone too,
unless the workshop's manager approves with a reason (the same rule as an overbooking)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from fuwu.core.actors import Actor
from fuwu.customers.models import Asset, Customer
from fuwu.scheduling.booking import Job, book
from fuwu.scheduling.models import Appointment, AppointmentStatus, Technician, Workshop


def receive(
    actor: Actor,
    workshop: Workshop,
    *,
    customer: Customer,
    jobs: Sequence[Job],
    asset: Asset | None = None,
    technician: Technician | None = None,
    override_reason: str = "",
    note: str = "",
    now: datetime | None = None,
) -> Appointment:
    """Book the walk-in at the current minute (open day and hours checked by `booking.book`),
    already arrived; writes nothing when refused."""
    now = now or timezone.now()
    with transaction.atomic():
        made = book(
            actor,
            workshop,
            customer=customer,
            asset=asset,
            starts_at=now.replace(second=0, microsecond=0),
            jobs=jobs,
            technician=technician,
            override_reason=override_reason,
            note=note,
            walk_in=True,
            now=now,
        )
        made.status = AppointmentStatus.ARRIVED
        made.save(update_fields=["status"])
    return made
