"""Firing due clock events: escalation rungs, step time-outs, step timers and return visits.

Exactly once per case and key, with any number of workers and after crashes: the case row is
locked (PostgreSQL) or the write lock held (SQLite IMMEDIATE) while we decide, the `Firing` row's
unique constraint refuses a second insert, and the notification rows, the event and the firing
commit together or not at all. A worker killed mid-way leaves nothing behind; the next check or
the periodic sweep fires the rung then.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from fuwu.cases.choices import EventKind
from fuwu.cases.flow import Change, lock_case
from fuwu.cases.models import Case
from fuwu.core.actors import SYSTEM
from fuwu.procedures.engine.definition import NotifyTarget
from fuwu.procedures.engine.errors import EngineError
from fuwu.procedures.engine.machine import plan_transition
from fuwu.sla import clocks
from fuwu.sla.models import Firing

log = logging.getLogger(__name__)


# Who a notification reaches, by what decides it (`notifications.services.recipients`): the
# rung's target and the case's site and department, its assignee for the targets that start
# from them, its customer for the customer. One sweep's cases share a few of these.
Reached = dict[tuple[object, ...], list[Any]]


_BY_ASSIGNEE = {
    t.value for t in (NotifyTarget.ASSIGNEE, NotifyTarget.REPORTING_LINE, NotifyTarget.TOP)
}


def _reached(known: Reached | None, case: Case, target: str, **rung: Any) -> list[Any]:
    """`recipients`, read once per sweep for cases alike (`known`: the sweep's; None: read)."""
    from fuwu.notifications.services import recipients

    if known is None:
        return recipients(case, target, **rung)
    target = str(target)
    key = (
        target,
        tuple(sorted(rung.items())),
        case.site_id,
        case.department_id,
        case.assignee_id if target in _BY_ASSIGNEE else None,
        case.customer_id if target == NotifyTarget.CUSTOMER.value else None,
    )
    if key not in known:
        known[key] = recipients(case, target, **rung)
    return known[key]


def fire_due(
    case_id: int,
    *,
    now: datetime | None = None,
    worker: str = "",
    known: Reached | None = None,
) -> list[str]:
    """Fire whatever is due on one case. Returns the keys fired (empty if none or closed).
    `known`: who notifications reached, shared by the cases of one sweep (`sweep`)."""
    from fuwu.cases.actions import view_of
    from fuwu.notifications.services import notify

    now = now or timezone.now()
    with transaction.atomic():
        try:
            case = lock_case(case_id, SYSTEM, version=None, write=False)
        except EngineError:
            return []
        change = Change(case, SYSTEM, now)
        change.reschedule = True
        if case.is_closed:
            if case.next_escalation_at is not None:
                Case.objects.filter(pk=case.pk).update(next_escalation_at=None)
            return []
        due = sorted(
            (d for d in clocks.candidates(case, change.procedure) if d.at <= now),
            key=lambda d: d.at,
        )
        fired: list[str] = []
        for item in due:
            Firing.objects.create(case=case, key=item.key, at=now, worker=worker[:80])
            case.fired_rungs = [*case.fired_rungs, item.key]
            fired.append(item.key)
            if item.kind == "rung":
                rung = item.rung
                assert rung is not None
                users = _reached(
                    known,
                    case,
                    rung.notify,
                    level=rung.level,
                    role=rung.role,
                    department=rung.department,
                )
                data = {
                    **change.note_data(),
                    "clock": rung.clock.value,
                    "percent": rung.at,
                    "key": item.key,
                }
                change.after_save.append(
                    lambda users=users, data=data: notify(
                        users, case=case, kind="escalation", data=data
                    )
                )
                change.event(
                    EventKind.ESCALATED,
                    key=item.key,
                    clock=rung.clock.value,
                    percent=rung.at,
                    target=rung.notify.value,
                    level=rung.level,
                    recipients=[u.pk for u in users],
                )
            elif item.kind == "return_visit":
                users = _reached(known, case, "department_manager") + _reached(
                    known, case, "role", role="agent"
                )
                change.after_save.append(
                    lambda users=users: notify(
                        users, case=case, kind="return_visit_due", data=change.note_data()
                    )
                )
                change.event(
                    EventKind.ESCALATED,
                    key=item.key,
                    clock="return_visit",
                    recipients=[u.pk for u in users],
                )
            elif item.kind == "timer" and item.timer is not None and item.timer.take is None:
                change.event(
                    EventKind.ESCALATED, key=item.key, clock="timer", at=item.at.isoformat()
                )
                change.apply(item.timer.effects)
            else:
                step = change.step
                transition = item.timer.take if item.timer is not None else step.on_timeout
                assert transition is not None
                try:
                    plan = plan_transition(
                        change.procedure, view_of(case), transition, (), {}, superuser=True
                    )
                except EngineError as exc:
                    change.event(
                        EventKind.TIMED_OUT, key=item.key, transition=transition, refused=exc.code
                    )
                    continue
                change.event(
                    EventKind.TIMED_OUT,
                    key=item.key,
                    transition=transition,
                    **{"from": plan.from_step},
                    to=plan.to_step,
                    visited=plan.visited,
                )
                change.arrive(plan.visited, plan.effects)
                break  # the step changed: what else is due is judged on the new step next time
        if not fired:
            # Nothing due (an early or duplicate task): just make sure the schedule is right.
            moment = clocks.next_moment(case, change.procedure)
            if moment != case.next_escalation_at:
                Case.objects.filter(pk=case.pk).update(next_escalation_at=moment)
            if moment is not None:
                from fuwu.sla.tasks import check_clocks

                # This check ran early (the moment moved later): the next one waits for it.
                check_clocks.using(run_after=max(moment, now)).enqueue(case.pk)
            return []
        change.finish()
        return fired


def sweep(*, now: datetime | None = None, limit: int = 500, worker: str = "") -> int:
    """Fire everything overdue: the safety net under the deferred per-case tasks. Who each
    notification reaches is read once for cases alike (a sweep is seconds long: a change of
    staff in the middle of it reaches the rest of it as it would a sweep started earlier)."""
    now = now or timezone.now()
    ids = list(
        Case.objects.filter(next_escalation_at__lte=now)
        .order_by("next_escalation_at")
        .values_list("pk", flat=True)[:limit]
    )
    count = 0
    known: Reached = {}
    for case_id in ids:
        try:
            count += len(fire_due(case_id, now=now, worker=worker, known=known))
        except Exception:  # one bad case must not stop the sweep of the others
            log.exception("sweep: case %s failed", case_id)
    return count
