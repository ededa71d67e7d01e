"""Case clocks: computing deadlines and the next escalation moment, on the site's calendar.

Called only from the action layer (inside its transaction, on a locked case) and from the
escalation job. Deadlines are stored on the case so that queues and the job read columns.

Firing keys: `"<clock>:<rung index>:<cycle>"` (`response`, `resolution`, `step`), `"timeout:<cycle>"`
for a step's on_timeout, and `"return_visit:<cycle>"`. A key is in `case.fired_rungs` and has a
`Firing` row once it has fired.
"""

from __future__ import annotations

import time as _time
from dataclasses import dataclass
from datetime import datetime, time

from fuwu.cases.models import Case
from fuwu.core.choices import CalendarKind, DayKind
from fuwu.core.models import CalendarDay, Site
from fuwu.procedures.engine.definition import Procedure, Rung
from fuwu.sla.calendar import Calendar

_ALWAYS = Calendar(always_open=True)
_CACHE: dict[int, tuple[float, Calendar]] = {}
_CACHE_SECONDS = 60.0


def site_calendar(site: Site) -> Calendar:
    """The site's working calendar, cached for a minute (extra days are edited rarely)."""
    cached = _CACHE.get(site.pk)
    now = _time.monotonic()
    if cached and now - cached[0] < _CACHE_SECONDS:
        return cached[1]
    if site.calendar_kind == CalendarKind.ALWAYS:
        calendar = _ALWAYS
    else:
        days = CalendarDay.objects.filter(site__in=[site.pk]) | CalendarDay.objects.filter(
            site__isnull=True
        )
        rows = list(days.values_list("date", "kind"))
        calendar = Calendar(
            tz=site.timezone,
            periods=_periods(site.work_start, site.lunch_start, site.lunch_end, site.work_end),
            country="CN" if site.use_statutory_holidays else None,
            extra_holidays=[d for d, k in rows if k == DayKind.HOLIDAY],
            extra_workdays=[d for d, k in rows if k == DayKind.WORKDAY],
        )
    _CACHE[site.pk] = (now, calendar)
    return calendar


def _periods(
    start: time, lunch_start: time, lunch_end: time, end: time
) -> tuple[tuple[time, time], ...]:
    if start < lunch_start < lunch_end < end:
        return ((start, lunch_start), (lunch_end, end))
    return ((start, end),)


def forget_calendars() -> None:
    _CACHE.clear()


def calendar_for(case: Case, procedure: Procedure) -> Calendar:
    return _ALWAYS if procedure.calendar == "24x7" else site_calendar(case.site)


def _limit(procedure: Procedure, clock: str, case: Case) -> float | None:
    if clock == "step":
        step = procedure.steps.get(case.step)
        return step.limit.seconds_for(case.priority) if step and step.limit else None
    limit = procedure.limits.response if clock == "response" else procedure.limits.resolution
    return limit.seconds_for(case.priority) if limit else None


def start_clocks(case: Case, procedure: Procedure, now: datetime) -> None:
    """Set the response and resolution deadlines of a new (or reopened) case."""
    calendar = calendar_for(case, procedure)
    response = _limit(procedure, "response", case)
    if case.first_response_at is None:
        case.response_due = calendar.add(case.created_at, response) if response else None
    resolution = _limit(procedure, "resolution", case)
    case.resolution_start = now
    case.paused_seconds = 0
    case.resolution_due = calendar.add(now, resolution) if resolution else None


def enter_step(case: Case, procedure: Procedure, now: datetime) -> None:
    """Start the per-step clock of the step the case now stands on."""
    case.step_cycle += 1
    case.step_start = now
    limit = _limit(procedure, "step", case)
    case.step_due = calendar_for(case, procedure).add(now, limit) if limit else None


def pause(case: Case, now: datetime) -> None:
    case.paused_at = now


def resume(case: Case, procedure: Procedure, now: datetime) -> None:
    """Give back the business time spent paused: the resolution deadline moves by that much."""
    if case.paused_at is None:
        return
    calendar = calendar_for(case, procedure)
    paused = calendar.elapsed(case.paused_at, now)
    case.paused_seconds += paused
    case.paused_at = None
    resolution = _limit(procedure, "resolution", case)
    if resolution and case.resolution_start:
        case.resolution_due = calendar.add(case.resolution_start, resolution + case.paused_seconds)


@dataclass(frozen=True)
class Due:
    key: str
    at: datetime
    rung: Rung | None  # None for a timeout or a return-visit reminder
    kind: str  # "rung", "timeout", "return_visit"


def candidates(case: Case, procedure: Procedure) -> list[Due]:
    """Every clock event still to fire for this case, with its moment."""
    if case.is_closed:
        return []
    calendar = calendar_for(case, procedure)
    out: list[Due] = []
    fired = set(case.fired_rungs)
    for index, rung in enumerate(procedure.escalation):
        limit = _limit(procedure, rung.clock, case)
        if not limit:
            continue
        if rung.clock == "response":
            if case.first_response_at is not None:
                continue
            key, at = f"response:{index}:0", calendar.add(case.created_at, rung.fraction * limit)
        elif rung.clock == "resolution":
            if (
                case.resolved_at is not None
                or case.paused_at is not None
                or case.resolution_start is None
            ):
                continue
            key = f"resolution:{index}:{case.clock_cycle}"
            at = calendar.add(case.resolution_start, rung.fraction * limit + case.paused_seconds)
        else:
            if case.step_start is None:
                continue
            key, at = (
                f"step:{index}:{case.step_cycle}",
                calendar.add(case.step_start, rung.fraction * limit),
            )
        if key not in fired:
            out.append(Due(key, at, rung, "rung"))
    step = procedure.steps.get(case.step)
    if step and step.on_timeout and case.step_due:
        key = f"timeout:{case.step_cycle}"
        if key not in fired:
            out.append(Due(key, case.step_due, None, "timeout"))
    if case.return_visit_due:
        key = f"return_visit:{case.clock_cycle}"
        if key not in fired:
            out.append(Due(key, case.return_visit_due, None, "return_visit"))
    return out


def next_moment(case: Case, procedure: Procedure) -> datetime | None:
    pending = candidates(case, procedure)
    return min((d.at for d in pending), default=None)
