"""Whether a case is late or at risk: one rule, written in Python and in SQL side by side.

A case's *running clocks* are its response clock (until the first response, from the opening),
its resolution clock (until resolved, and not while paused) and its step clock (while it stands
on the step). A closed, cancelled or rejected case has none.

- **Late**: a running clock is past its deadline (`due < now`).
- **At risk**: not late, and a running clock is near its deadline: in the last fifth
  (`RISK_SHARE`) of its window from start to due, or in its last hour (`RISK_FLOOR_SECONDS`)
  when the window is longer than an hour or its start is unknown. A short clock (the hot-pot's
  "seat within 60 s") is therefore at risk only in its last fifth, not from its first second.

The Python predicates (`is_late`, `is_at_risk`, `state`) judge rows already loaded: the row
colours of the queue and "my work", the API's `overdue`. The `Q` expressions (`late_q`,
`risk_q`) count and filter in the database: the queue's `overdue` / `at_risk` filters, the
dashboard's numbers. `fuwu/sla/tests/test_lateness.py` checks on generated cases that both sides
agree, on SQLite and on PostgreSQL. Change one side only together with the other (and the
browser's live countdown, `fuwu/web/static/web/countdown.js`, which recolours one deadline by `near`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, Literal, Protocol

from django.db.models import Case as CaseWhen
from django.db.models import DateTimeField, DurationField, ExpressionWrapper, F, Q, Value, When
from django.db.models.expressions import OrderBy
from django.db.models.lookups import GreaterThanOrEqual, IsNull, LessThan

from fuwu.cases.choices import CLOSED_STATUSES
from fuwu.sla.calendar import RISK_FLOOR_SECONDS, RISK_SHARE

State = Literal["ok", "risk", "late", "none"]

# "left ≤ share × window" is compared as "parts × left ≤ window": whole durations only, exact
# in microseconds on both sides (no float rounding at the boundary).
RISK_PARTS = round(1 / RISK_SHARE)
RISK_FLOOR = timedelta(seconds=RISK_FLOOR_SECONDS)


class Clocked(Protocol):
    """The columns of a case the rule reads (a `Case`, or anything shaped like one)."""

    status: str
    created_at: datetime
    response_due: datetime | None
    first_response_at: datetime | None
    resolution_due: datetime | None
    resolution_start: datetime | None
    resolved_at: datetime | None
    paused_at: datetime | None
    step_due: datetime | None
    step_start: datetime | None


# -- Python --------------------------------------------------------------------------------


def running_clocks(case: Clocked) -> list[tuple[datetime, datetime | None]]:
    """(due, start) of each clock still running; the start may be unknown (None)."""
    if case.status in CLOSED_STATUSES:
        return []
    found: list[tuple[datetime, datetime | None]] = []
    if case.response_due is not None and case.first_response_at is None:
        found.append((case.response_due, case.created_at))
    if case.resolution_due is not None and case.resolved_at is None and case.paused_at is None:
        found.append((case.resolution_due, case.resolution_start))
    if case.step_due is not None:
        found.append((case.step_due, case.step_start))
    return found


def near(due: datetime, start: datetime | None, now: datetime) -> bool:
    """One deadline not yet passed and in the last fifth of its window, or in its last hour when
    the window is longer than an hour (or unknown)."""
    left = due - now
    if left < timedelta(0):
        return False
    if start is None:
        return left <= RISK_FLOOR
    window = due - start
    return (left <= RISK_FLOOR and window > RISK_FLOOR) or window >= left * RISK_PARTS


def next_due_of(case: Clocked) -> datetime | None:
    """The earliest deadline of a running clock: how late a late case is (`next_due` in SQL)."""
    clocks = running_clocks(case)
    return min(due for due, _ in clocks) if clocks else None


def is_late(case: Clocked, now: datetime) -> bool:
    return any(due < now for due, _ in running_clocks(case))


def is_at_risk(case: Clocked, now: datetime) -> bool:
    clocks = running_clocks(case)
    return not any(due < now for due, _ in clocks) and any(near(d, s, now) for d, s in clocks)


def state(case: Clocked, now: datetime) -> State:
    """The case's colour: late, at risk, on time, or no clock running."""
    clocks = running_clocks(case)
    if not clocks:
        return "none"
    if any(due < now for due, _ in clocks):
        return "late"
    return "risk" if any(near(d, s, now) for d, s in clocks) else "ok"


# -- SQL -----------------------------------------------------------------------------------

_OPEN = ~Q(status__in=CLOSED_STATUSES)
_RESPONSE = Q(response_due__isnull=False, first_response_at__isnull=True)
_RESOLUTION = Q(resolution_due__isnull=False, resolved_at__isnull=True, paused_at__isnull=True)
_STEP = Q(step_due__isnull=False)


def late_q(now: datetime) -> Q:
    """`is_late` in SQL: a running clock's deadline has passed, i.e. the earliest one has (the
    stored `next_due`, NULL for a closed case or one with no clock running)."""
    return Q(next_due__lt=now)


def _near_q(due: str, start: str, now: datetime) -> Q:
    left = ExpressionWrapper(
        (F(due) - Value(now, output_field=DateTimeField())) * RISK_PARTS,
        output_field=DurationField(),
    )
    window = ExpressionWrapper(F(due) - F(start), output_field=DurationField())
    # A NULL start makes the window comparison NULL (not true): only the last hour counts.
    last_hour = Q(**{f"{due}__lte": now + RISK_FLOOR}) & (
        Q(**{f"{start}__isnull": True}) | Q(**{f"{start}__lt": F(due) - RISK_FLOOR})
    )
    return Q(**{f"{due}__gte": now}) & (
        last_hour | Q(**{f"{start}__isnull": False}) & Q(GreaterThanOrEqual(window, left))
    )


def risk_q(now: datetime) -> Q:
    """`is_at_risk` in SQL. Negate it by excluding the matching ids, not with `~`: NOT over a
    comparison with NULL is NULL in SQL, which would drop rows `is_at_risk` calls false."""
    near = (
        (_RESPONSE & _near_q("response_due", "created_at", now))
        | (_RESOLUTION & _near_q("resolution_due", "resolution_start", now))
        | (_STEP & _near_q("step_due", "step_start", now))
    )
    return _OPEN & near & ~late_q(now)


def _running(condition: Q, field: str) -> CaseWhen:
    return CaseWhen(When(condition, then=F(field)), default=None, output_field=DateTimeField())


def _earlier(a: Any, b: Any) -> CaseWhen:
    """The earlier of two moments either of which may be NULL, in SQL both databases read the
    same way (PostgreSQL's LEAST skips NULLs, SQLite's MIN() returns NULL)."""
    return CaseWhen(
        When(IsNull(a, True), then=b),
        When(IsNull(b, True), then=a),
        When(LessThan(a, b), then=a),
        default=b,
        output_field=DateTimeField(),
    )


def next_due_expression() -> CaseWhen:
    """`next_due_of` in SQL: the earliest deadline of a running clock, NULL when none runs.
    Stored on the case as a generated column (`Case.next_due`, indexed with the site), so the
    overdue list is a range of an index read in order, not a sort of every late case. Only
    columns and fixed strings: PostgreSQL needs a generated column's expression immutable."""
    clocks = _earlier(
        _earlier(_running(_RESPONSE, "response_due"), _running(_RESOLUTION, "resolution_due")),
        _running(_STEP, "step_due"),
    )
    return CaseWhen(When(_OPEN, then=clocks), default=None, output_field=DateTimeField())


def next_due(column: Callable[[str], Any] = F) -> OrderBy:
    """Ordering by how late: the earliest running deadline first, cases with no clock last.
    `column` makes the column's expression (`cases.queries.unindexed` for a few cases)."""
    return column("next_due").asc(nulls_last=True)
