"""Case clocks: computing deadlines and the next escalation moment, on the site's calendar.

Called only from the action layer (inside its transaction, on a locked case) and from the
escalation job. Deadlines are stored on the case so that queues and the job read columns.

Firing keys: `"<clock>:<rung index>:<cycle>"` (`response`, `resolution`, `step`), `"timeout:<cycle>"`
for a step's on_timeout, `"timer:<timer index>:<step cycle>"` for a step's timers, and
`"return_visit:<cycle>"`. A key is in `case.fired_rungs` and has a
`Firing` row once it has fired.
"""

from __future__ import annotations

import functools
import time as _time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time

from django.conf import settings
from django.core.cache import cache

from fuwu.cases.models import Case
from fuwu.core.choices import CalendarKind, DayKind
from fuwu.core.models import CalendarDay, Site
from fuwu.procedures.engine.definition import Limit, Procedure, Rung, Timer
from fuwu.procedures.engine.durations import window_due
from fuwu.sla.calendar import Calendar

_ALWAYS = Calendar(always_open=True)
_CACHE_PREFIX = "fuwu:calendar:"
CACHE_SECONDS = 24 * 3600  # a shared cache: a safety net only, every change deletes the entry
# A per-process cache (the default, local memory): a change deletes the entry in the process
# that made it only, so the others (the other app workers, `fuwu worker` computing deadlines)
# rebuild theirs at least this often, as `fuwu.core.actors.ORG_SECONDS` bounds the organisation.
LOCAL_SECONDS = 60


def cache_seconds() -> int:
    """How long a site's calendar stays cached: a day when every process shares the cache
    (FUWU_CACHE_DIR, FUWU_CACHE_URL), a minute when each process has its own."""
    local = str(settings.CACHES["default"]["BACKEND"]).endswith("locmem.LocMemCache")
    return LOCAL_SECONDS if local else CACHE_SECONDS


# What a site calendar is built from: (timezone, periods, country, holidays, workdays). This plain
# tuple is what Django's cache holds (shared by every process when the cache is); the Calendar
# object is built from it once per process, so a changed calendar is a changed key.
Config = tuple[str, tuple[tuple[time, time], ...], str | None, tuple[date, ...], tuple[date, ...]]


_GENERATION_KEY = f"{_CACHE_PREFIX}generation"


def _cache_key(site_id: int) -> str:
    # A day that applies to every site bumps the generation instead of listing the sites.
    generation = cache.get(_GENERATION_KEY)
    if generation is None:
        cache.add(_GENERATION_KEY, _time.time_ns(), None)
        generation = cache.get(_GENERATION_KEY)
    return f"{_CACHE_PREFIX}{generation}:{site_id}"


def site_calendar(site: Site) -> Calendar:
    """The site's working calendar, from Django's cache; built from the database on a miss.

    The cache entry is deleted whenever the site's hours or a calendar day change
    (`forget_calendars`, called by the signals in `fuwu.sla.apps`), so no process sharing the
    cache computes a deadline from a calendar an administrator has since changed; a process
    with a cache of its own sees the change within `LOCAL_SECONDS`.
    """
    if site.calendar_kind == CalendarKind.ALWAYS:
        return _ALWAYS
    config = cache.get(_cache_key(site.pk))
    if config is None:
        days = CalendarDay.objects.filter(site__in=[site.pk]) | CalendarDay.objects.filter(
            site__isnull=True
        )
        rows = sorted(days.values_list("date", "kind"))
        config = (
            site.timezone,
            _periods(site.work_start, site.lunch_start, site.lunch_end, site.work_end),
            "CN" if site.use_statutory_holidays else None,
            tuple(d for d, k in rows if k == DayKind.HOLIDAY),
            tuple(d for d, k in rows if k == DayKind.WORKDAY),
        )
        cache.set(_cache_key(site.pk), config, cache_seconds())
    return _build(config)


@functools.lru_cache(maxsize=256)
def _build(config: Config) -> Calendar:
    tz, periods, country, days_off, workdays = config
    return Calendar(
        tz=tz,
        periods=periods,
        country=country,
        extra_holidays=days_off,
        extra_workdays=workdays,
    )


def _periods(
    start: time, lunch_start: time, lunch_end: time, end: time
) -> tuple[tuple[time, time], ...]:
    if start < lunch_start < lunch_end < end:
        return ((start, lunch_start), (lunch_end, end))
    return ((start, end),)


def forget_calendars(site_ids: Iterable[int] | None = None) -> None:
    """Drop cached calendars: of these sites, or of every site (a day that applies to all)."""
    if site_ids is None:
        cache.set(_GENERATION_KEY, _time.time_ns(), None)
    else:
        cache.delete_many([_cache_key(pk) for pk in site_ids])


def calendar_for(case: Case, procedure: Procedure) -> Calendar:
    return _ALWAYS if procedure.calendar == "24x7" else site_calendar(case.site)


def _spec(procedure: Procedure, clock: str, case: Case) -> Limit | None:
    if clock == "step":
        step = procedure.steps.get(case.step)
        return step.limit if step else None
    return procedure.limits.response if clock == "response" else procedure.limits.resolution


def limit_due(
    limit: Limit | None, case: Case, start: datetime, calendar: Calendar
) -> datetime | None:
    """When a limit that starts at `start` runs out (before any paused time is given back).

    None when there is no limit for the case's priority, or its date field is blank.
    """
    if limit is None:
        return None
    if limit.window is not None:
        return window_due(start, limit.window.from_day, limit.window.to_day, calendar)
    moment = limit.from_field
    if moment is not None:
        return moment.moment(case.data.get(moment.field), calendar)
    span = limit.span_for(case.priority)
    return span.after(start, calendar) if span else None


def _due(
    case: Case, procedure: Procedure, clock: str, start: datetime, calendar: Calendar
) -> datetime | None:
    return limit_due(_spec(procedure, clock, case), case, start, calendar)


def _given_back(due: datetime | None, paused: float, calendar: Calendar) -> datetime | None:
    """The paused business time added after the due moment (none paused: the moment itself)."""
    if due is None or not paused:
        return due
    return calendar.add(due, paused)


def start_clocks(case: Case, procedure: Procedure, now: datetime) -> None:
    """Set the response and resolution deadlines of a new (or reopened) case."""
    calendar = calendar_for(case, procedure)
    if case.first_response_at is None:
        case.response_due = _due(case, procedure, "response", case.created_at, calendar)
    case.resolution_start = now
    case.paused_seconds = 0
    case.resolution_due = _due(case, procedure, "resolution", now, calendar)


def enter_step(case: Case, procedure: Procedure, now: datetime) -> None:
    """Start the per-step clock of the step the case now stands on."""
    case.step_cycle += 1
    case.step_start = now
    case.step_due = _due(case, procedure, "step", now, calendar_for(case, procedure))


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
    if case.resolution_start:
        due = _due(case, procedure, "resolution", case.resolution_start, calendar)
        case.resolution_due = _given_back(due, case.paused_seconds, calendar)


def recompute(case: Case, procedure: Procedure, *, only_from_data: bool = False) -> bool:
    """Compute the stored deadlines again from their starts; True if one of them moved.

    After a change to the site calendar (a holiday added) every open clock is recomputed;
    after an ordinary change only the limits taken from date fields (`until`), whose field
    may just have been edited (`only_from_data`).
    """
    if case.is_closed:
        return False
    calendar = calendar_for(case, procedure)
    before = (case.response_due, case.resolution_due, case.step_due)

    def wanted(clock: str) -> bool:
        limit = _spec(procedure, clock, case)
        return limit is not None and (not only_from_data or limit.until is not None)

    if wanted("response") and case.first_response_at is None and case.created_at:
        case.response_due = _due(case, procedure, "response", case.created_at, calendar)
    if wanted("resolution") and case.resolution_start and case.resolved_at is None:
        due = _due(case, procedure, "resolution", case.resolution_start, calendar)
        case.resolution_due = _given_back(due, case.paused_seconds, calendar)
    if wanted("step") and case.step_start:
        case.step_due = _due(case, procedure, "step", case.step_start, calendar)
    return before != (case.response_due, case.resolution_due, case.step_due)


def rung_moment(
    start: datetime, unpaused_due: datetime, fraction: float, paused: float, calendar: Calendar
) -> datetime:
    """When `fraction` of a clock that runs from `start` to `unpaused_due` has passed.

    The share is of the business time between the start and the due moment, so a percentage
    means the same on `h`, `d`, `wd`, `until` and `window` limits; 100% is the due moment
    itself (with the `paused` business time given back) and the share beyond 100% is counted
    in business time after it. On `h` limits this is exactly "start + share × limit + paused".
    """
    budget = calendar.elapsed(start, unpaused_due)
    due = _given_back(unpaused_due, paused, calendar)
    assert due is not None
    if fraction > 1:
        return calendar.add(due, (fraction - 1) * budget)
    if fraction == 1:
        return due
    return min(calendar.add(start, fraction * budget + paused), due)


@dataclass(frozen=True)
class Due:
    key: str
    at: datetime
    rung: Rung | None  # None for a timeout, a return-visit reminder or a timer
    kind: str  # "rung", "timeout", "return_visit", "timer"
    timer: Timer | None = None


def candidates(case: Case, procedure: Procedure) -> list[Due]:
    """Every clock event still to fire for this case, with its moment."""
    if case.is_closed:
        return []
    calendar = calendar_for(case, procedure)
    out: list[Due] = []
    fired = set(case.fired_rungs)
    for index, rung in enumerate(procedure.escalation):
        paused = 0.0
        if rung.clock == "response":
            if case.first_response_at is not None:
                continue
            key, start = f"response:{index}:0", case.created_at
        elif rung.clock == "resolution":
            if (
                case.resolved_at is not None
                or case.paused_at is not None
                or case.resolution_start is None
            ):
                continue
            key, start = f"resolution:{index}:{case.clock_cycle}", case.resolution_start
            paused = case.paused_seconds
        else:
            if case.step_start is None:
                continue
            key, start = f"step:{index}:{case.step_cycle}", case.step_start
        if key in fired:
            continue
        due = _due(case, procedure, rung.clock, start, calendar)
        if due is None:
            continue
        out.append(Due(key, rung_moment(start, due, rung.fraction, paused, calendar), rung, "rung"))
    step = procedure.steps.get(case.step)
    if step and step.on_timeout and case.step_due:
        key = f"timeout:{case.step_cycle}"
        if key not in fired:
            out.append(Due(key, case.step_due, None, "timeout"))
    for index, timer in enumerate(step.timers if step else []):
        key = f"timer:{index}:{case.step_cycle}"
        moment = timer.moment.moment(case.data.get(timer.moment.field), calendar)
        # A moment already past when the step was entered is not this visit's (a reminder for
        # an appointment booked the same day is not sent after the fact).
        if (
            moment is not None
            and key not in fired
            and case.step_start
            and moment >= case.step_start
        ):
            out.append(Due(key, moment, None, "timer", timer))
    if case.return_visit_due:
        key = f"return_visit:{case.clock_cycle}"
        if key not in fired:
            out.append(Due(key, case.return_visit_due, None, "return_visit"))
    return out


def next_moment(case: Case, procedure: Procedure) -> datetime | None:
    pending = candidates(case, procedure)
    return min((d.at for d in pending), default=None)
