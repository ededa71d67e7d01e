"""A calendar changed: forget the cached calendars and move the stored deadlines of open cases.

An administrator adds a holiday, a make-up working day or changes a site's hours in the admin;
the signals (connected in `fuwu.sla.apps`) forget the cached calendars at once and again after
the commit (so no process re-caches the old one in between), and queue `recompute_deadlines`
in the same transaction. That job recomputes the response, resolution and step deadlines and
the next escalation moment of every open case of the sites concerned, one locked case at a
time, and queues an earlier clock check where a moment moved earlier.

The return-visit due time is not recomputed: it was counted from the moment the visit was
scheduled, which is not stored.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils import timezone

from fuwu.cases.flow import lock_case
from fuwu.cases.models import Case
from fuwu.core.actors import SYSTEM
from fuwu.core.models import CalendarDay, Site
from fuwu.procedures.engine.errors import EngineError
from fuwu.procedures.registry import definition_of
from fuwu.sla import clocks

log = logging.getLogger(__name__)


def recompute_site_deadlines(site_ids: Iterable[int] | None) -> int:
    """Recompute the stored deadlines of the open cases of these sites (all when None).

    Returns how many cases had a deadline or their next escalation moment moved.
    """
    from fuwu.sla.tasks import check_clocks

    open_cases = Case.objects.filter(closed_at__isnull=True)
    if site_ids is not None:
        open_cases = open_cases.filter(site_id__in=list(site_ids))
    moved = 0
    for case_id in open_cases.order_by("pk").values_list("pk", flat=True).iterator():
        with transaction.atomic():
            try:
                case = lock_case(case_id, SYSTEM, version=None, write=False)
            except EngineError:
                continue
            procedure = definition_of(case.procedure)
            if case.is_closed or procedure.calendar == "24x7":
                continue
            before = case.next_escalation_at
            changed = clocks.recompute(case, procedure)
            moment = clocks.next_moment(case, procedure)
            if not changed and moment == before:
                continue
            Case.objects.filter(pk=case.pk).update(
                response_due=case.response_due,
                resolution_due=case.resolution_due,
                step_due=case.step_due,
                next_escalation_at=moment,
            )
            if moment is not None and (before is None or moment < before):
                check_clocks.using(run_after=max(moment, timezone.now())).enqueue(case.pk)
            moved += 1
    return moved


def calendar_changed(site_ids: list[int] | None) -> None:
    """Forget the cached calendars now and after the commit; queue the recomputation."""
    from fuwu.sla.tasks import recompute_deadlines

    clocks.forget_calendars(site_ids)
    transaction.on_commit(lambda: clocks.forget_calendars(site_ids))
    recompute_deadlines.enqueue(site_ids)


def _day_saved(sender: Any, instance: CalendarDay, **kwargs: Any) -> None:
    before = getattr(instance, "_fuwu_site_before", instance.site_id)
    if instance.site_id is None or before is None:
        calendar_changed(None)  # a day of every site
    else:
        calendar_changed(sorted({instance.site_id, before}))


def _day_before_save(sender: Any, instance: CalendarDay, **kwargs: Any) -> None:
    # A day moved from one site to another changes both calendars.
    if instance.pk is not None:
        old = CalendarDay.objects.filter(pk=instance.pk).values_list("site_id", flat=True).first()
        instance._fuwu_site_before = old  # type: ignore[attr-defined]


def _site_saved(sender: Any, instance: Site, created: bool = False, **kwargs: Any) -> None:
    if not created:
        calendar_changed([instance.pk])


def connect() -> None:
    from django.db.models.signals import post_delete, post_save, pre_save

    pre_save.connect(_day_before_save, sender=CalendarDay, dispatch_uid="fuwu-calendar-day-pre")
    post_save.connect(_day_saved, sender=CalendarDay, dispatch_uid="fuwu-calendar-day-saved")
    post_delete.connect(_day_saved, sender=CalendarDay, dispatch_uid="fuwu-calendar-day-deleted")
    post_save.connect(_site_saved, sender=Site, dispatch_uid="fuwu-calendar-site-saved")
