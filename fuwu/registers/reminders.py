"""Reminders for register entries coming due: permits about to expire, keys not back in time."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from fuwu.registers.models import Entry, Register

# How long before `due_back` the people responsible are told (seed: expiring permits are
# listed to security ahead of time; a key is chased once it is late).
REMIND_BEFORE = {
    Register.PARKING_PERMIT: timedelta(days=7),
    Register.KEY: timedelta(0),
    Register.MATERIAL: timedelta(0),
}


def remind_due(now: datetime | None = None) -> int:
    """Tell the case's department manager and assignee once per entry; claimed by a conditional
    UPDATE so that two workers never remind twice."""
    from fuwu.notifications.services import notify, recipients

    now = now or timezone.now()
    sent = 0
    for register, ahead in REMIND_BEFORE.items():
        due = Entry.objects.filter(
            register=register,
            returned_at__isnull=True,
            reminded_at__isnull=True,
            due_back__lte=now + ahead,
        ).select_related("case__department", "case__assignee")[:500]
        for entry in due:
            with transaction.atomic():
                if not Entry.objects.filter(pk=entry.pk, reminded_at__isnull=True).update(
                    reminded_at=now
                ):
                    continue  # another worker took it
                case = entry.case
                users = recipients(case, "department_manager") + (
                    [case.assignee] if case.assignee_id else []
                )
                if register == Register.PARKING_PERMIT:
                    users += recipients(case, "department", department="security")
                notify(
                    users,
                    case=case,
                    kind="register_due",
                    data={
                        "number": case.number,
                        "register": register,
                        "item": entry.item,
                        "holder": entry.holder,
                        "due_back": entry.due_back.isoformat() if entry.due_back else None,
                    },
                )
                sent += 1
    return sent
