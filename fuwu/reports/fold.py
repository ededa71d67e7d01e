"""Feeding the reporting model from the event log: an incremental fold run by the worker.

Why the worker and not the write path: `Change.finish` is the one place events are written,
and issue 14 wants those writes cheaper, not dearer. Counting there would add a read of the
case's previous position and an upsert per measure to every change. The only thing the write
path adds is a stamp on the change's first event — the deadline a response or resolution was
judged against and whether it was late (`Change._sla_outcome`), columns already in memory — so
the events alone say everything the fold needs and a rebuild gives the same answer however the
case moves later. The worker's sweeper (every `FUWU_SWEEP_INTERVAL`, 30 s) calls `catch_up()`,
so a report is at most a minute behind.

The high-water mark and concurrent transactions: event ids come from a sequence, and on
PostgreSQL a transaction holding id 100 may commit after one holding 101 has been folded.
Ids missing below the mark (up to `GAP_SPAN` below the newest) are kept as `gaps` and looked
for again on every fold; a gap still empty after `GAP_WAIT` is a rolled-back insert and
forgotten. Events of one case are written
under its row lock, so they are always folded in their order (a case's earlier event is never
in a gap behind its later one).

Measures and the event kinds they read (see `choices.Measure`): `intake` ← `opened`;
`responded_*` ← `data.sla.response`; `resolved_*` ← `data.sla.resolution`; `closed` and
`reopened` ← `data.set.status`; `comeback` ← `data.sla.comebacks`; `escalated` ← `escalated`
(`data.clock`, `data.percent`, `data.level`). Quality and workload (`fuwu.reports.quality`,
`fuwu.reports.workload`): `fixed_first_time` / `fixed_after_comeback` ← `data.sla.resolution`
and the comebacks folded before it; `return_visit` ← the `transitioned` event leaving the step
where `return_visit_scheduled` left the case (satisfied unless a satisfaction field of
`data.values` is false or the move reopened the case or marked a comeback); `rated` ← `rated`;
`complaint_nature`, `complaint_department` and `repair_order` ← fields of `data.values`;
`step_done` ← every `transitioned`.

A comeback, a return visit's result and a rating judge somebody's work: they are counted
against the person who last resolved the case (before any reopening), or, not yet resolved (a
failed check), its assignee — so a scorecard shows the technician whose repair came back, not
the agent who made the call.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from fuwu.cases.choices import EventKind, Status
from fuwu.cases.models import Case, Event
from fuwu.reports.choices import Measure
from fuwu.reports.models import Cursor, Fact, FactItem, FactTotal, FoldState

GAP_WAIT = timedelta(minutes=5)
# Only the ids this close below the newest are waited for: a transaction still open while a
# thousand events were committed around it is not one Fuwu makes (they are short), and a jump
# of the sequence (a restore, a bulk load rolled back) must not fill the cursor.
GAP_SPAN = 1000
BATCH = 5000
DONE = frozenset({Status.RESOLVED, Status.CLOSED})
BACK = frozenset({Status.OPEN, Status.WAITING})
# The fields of a return visit's form that say whether the customer was satisfied; any field
# starting `sat_` is one area of a survey (the Toyota seven areas) and counts too.
SATISFACTION_FIELDS = frozenset({"satisfied", "client_satisfied", "fully_solved"})
# The procedures whose cases are complaints (their nature and responsible department counted).
COMPLAINT_PROCEDURES = frozenset({"complaint"})


@dataclass(slots=True)
class Position:
    """Where a case stands between two events (the tracked fields of `data.set`)."""

    step: str = ""
    status: str = ""
    department: int | None = None
    assignee: int | None = None
    # Not tracked fields but what the fold learnt from earlier events: who last resolved the
    # case (None once reopened), the step where a return visit awaits, the comebacks so far.
    resolver: int | None = None
    visit: str = ""
    comebacks: int = 0

    def moved(self, changes: dict[str, Any]) -> Position:
        return Position(
            step=changes.get("step", self.step),
            status=changes.get("status", self.status),
            department=changes.get("department", self.department),
            assignee=changes.get("assignee", self.assignee),
            resolver=self.resolver,
            visit=self.visit,
            comebacks=self.comebacks,
        )

    @property
    def judged(self) -> int | None:
        """Whose work a comeback, a return visit or a rating judges (see the docstring)."""
        return self.resolver if self.resolver is not None else self.assignee


@dataclass(frozen=True)
class Row:
    """An event as the fold reads it."""

    id: int
    case_id: int
    kind: str
    actor_id: int | None
    at: datetime
    data: dict[str, Any]


@dataclass(frozen=True)
class Meta:
    site_id: int
    procedure_key: str
    zone: ZoneInfo
    channel: str = ""


@dataclass(frozen=True)
class Item:
    event_id: int
    case_id: int
    day: date
    site_id: int
    department_id: int | None
    procedure_key: str
    step: str
    person_id: int | None
    measure: str
    detail: str = ""

    def grain(self) -> tuple[Any, ...]:
        return (
            self.day,
            self.site_id,
            self.department_id,
            self.procedure_key,
            self.step,
            self.person_id,
            self.measure,
            self.detail,
        )


GRAIN = (
    "day",
    "site_id",
    "department_id",
    "procedure_key",
    "step",
    "person_id",
    "measure",
    "detail",
)


# `FactTotal`'s grain: `Fact`'s without the detail.
TOTAL_GRAIN = tuple(g for g in GRAIN if g != "detail")


def _total(grain: tuple[Any, ...]) -> tuple[Any, ...]:
    """A `Fact` grain's `FactTotal` grain (the detail, last, dropped)."""
    return grain[:-1]


# Measures counted against the person whose work they judge (`Position.judged`).
JUDGING = frozenset({Measure.COMEBACK, Measure.RETURN_VISIT, Measure.RATED})


def measures(
    row: Row, before: Position, after: Position, meta: Meta | None = None
) -> Iterator[tuple[str, str]]:
    """(measure, detail) of everything one event counts for: the rules of the module docstring."""
    sla = row.data.get("sla") or {}
    values = row.data.get("values") or {}
    reopened = before.status in DONE and after.status in BACK
    if row.kind == EventKind.OPENED:
        hour = row.at.astimezone(meta.zone).hour if meta else 0
        yield Measure.INTAKE, f"{meta.channel if meta else ''}:{hour:02d}"
    if "response" in sla:
        yield (Measure.RESPONDED_LATE if sla["response"]["late"] else Measure.RESPONDED_ON_TIME), ""
    if "resolution" in sla:
        judged = sla["resolution"]
        if judged["due"] is None:
            yield Measure.RESOLVED_NO_LIMIT, ""
        else:
            yield (Measure.RESOLVED_LATE if judged["late"] else Measure.RESOLVED_ON_TIME), ""
        first = before.comebacks == 0 and not sla.get("comebacks")
        yield (Measure.FIXED_FIRST_TIME if first else Measure.FIXED_AFTER_COMEBACK), ""
    if after.status == Status.CLOSED and before.status != Status.CLOSED:
        yield Measure.CLOSED, ""
    if reopened:
        yield Measure.REOPENED, ""
    if sla.get("comebacks"):
        yield Measure.COMEBACK, "returned" if before.status in DONE else "qc"
    if row.kind == EventKind.ESCALATED:
        yield Measure.ESCALATED, escalation_detail(row.data)
    if row.kind == EventKind.TRANSITIONED:
        yield Measure.STEP_DONE, ""
        if before.visit and row.data.get("from") == before.visit:
            unhappy = reopened or bool(sla.get("comebacks")) or satisfaction(values) is False
            yield Measure.RETURN_VISIT, "dissatisfied" if unhappy else "satisfied"
        if meta and meta.procedure_key in COMPLAINT_PROCEDURES:
            if values.get("complaint_nature"):
                yield Measure.COMPLAINT_NATURE, str(values["complaint_nature"])[:64]
            if values.get("responsible_department"):
                yield Measure.COMPLAINT_DEPARTMENT, str(values["responsible_department"])[:64]
        if values.get("order_no"):
            yield Measure.REPAIR_ORDER, ""
    if row.kind == EventKind.RATED and row.data.get("score") is not None:
        yield Measure.RATED, str(row.data["score"])


def satisfaction(values: dict[str, Any]) -> bool | None:
    """False if a satisfaction field of a form is false, True if some are and all true, None if
    the form has none."""
    said = [v for k, v in values.items() if (k in SATISFACTION_FIELDS or k.startswith("sat_"))]
    said = [v for v in said if isinstance(v, bool)]
    return all(said) if said else None


def learn(row: Row, before: Position, after: Position) -> None:
    """Move what the fold learns from one event into the case's position `after`."""
    sla = row.data.get("sla") or {}
    after.comebacks += int(sla.get("comebacks") or 0)
    if before.status in DONE and after.status in BACK:
        after.resolver = None
    if "resolution" in sla:
        after.resolver = row.actor_id
    if row.kind == EventKind.RETURN_VISIT_SCHEDULED:
        after.visit = after.step
    elif row.kind == EventKind.TRANSITIONED and row.data.get("from") == before.visit:
        after.visit = ""


def escalation_detail(data: dict[str, Any]) -> str:
    """ "clock:percent:level" — `response:100%:1`; a return visit or timer has no percent."""
    level = data.get("level")
    percent = data.get("percent")
    return ":".join(
        [
            str(data.get("clock", "")),
            "" if percent is None else str(percent),
            "" if level is None else str(level),
        ]
    )


def fold(rows: Iterable[Row], positions: dict[int, Position], meta: dict[int, Meta]) -> list[Item]:
    """Count the events (in id order), moving `positions` along; pure, no database."""
    items: list[Item] = []
    for row in rows:
        before = positions.get(row.case_id, Position())
        after = before.moved(row.data.get("set") or {})
        learn(row, before, after)
        positions[row.case_id] = after
        m = meta[row.case_id]
        # Where the case stood when it happened; an opening counts where the case arrived.
        where = after if row.kind == EventKind.OPENED else before
        actor = before.assignee if row.kind == EventKind.ESCALATED else row.actor_id
        day = row.at.astimezone(m.zone).date()
        for measure, detail in measures(row, before, after, m):
            person = before.judged if measure in JUDGING else actor
            items.append(
                Item(
                    event_id=row.id,
                    case_id=row.case_id,
                    day=day,
                    site_id=m.site_id,
                    department_id=where.department,
                    procedure_key=m.procedure_key,
                    step=where.step,
                    person_id=person,
                    measure=str(measure),
                    detail=detail,
                )
            )
    return items


def totals(items: Iterable[Item]) -> Counter[tuple[Any, ...]]:
    return Counter(item.grain() for item in items)


def _rows(qs: Any) -> list[Row]:
    return [
        Row(id=i, case_id=c, kind=k, actor_id=a, at=at, data=d)
        for i, c, k, a, at, d in qs.values_list("id", "case_id", "kind", "actor_id", "at", "data")
    ]


def _meta(case_ids: Iterable[int]) -> dict[int, Meta]:
    zones: dict[str, ZoneInfo] = {}
    out = {}
    for pk, site_id, key, tz, channel in Case.objects.filter(pk__in=set(case_ids)).values_list(
        "pk", "site_id", "procedure_key", "site__timezone", "channel"
    ):
        zone = zones.setdefault(tz, ZoneInfo(tz))
        out[pk] = Meta(site_id=site_id, procedure_key=key, zone=zone, channel=channel)
    return out


# -- the stored model --------------------------------------------------------------------


class Busy(Exception):
    """Another worker folded the same events first; this fold is rolled back."""


def catch_up(*, now: datetime | None = None, limit: int = BATCH) -> int:
    """Fold the events written since the last fold (at most `limit`); returns how many events
    were read. One transaction; claims the cursor with a version check, so two workers never
    count an event twice (the loser's fold is rolled back and finds nothing new next time)."""
    now = now or timezone.now()
    try:
        with transaction.atomic():
            return _catch_up(now, limit)
    except Busy:
        return 0


def _catch_up(now: datetime, limit: int) -> int:
    cursor, _ = Cursor.objects.get_or_create(pk=1)
    gaps = {int(i): at for i, at in cursor.gaps}
    rows = _rows(Event.objects.filter(id__gt=cursor.high).order_by("id")[:limit])
    if gaps:
        found = _rows(Event.objects.filter(id__in=list(gaps)))
        rows = sorted([*found, *rows], key=lambda r: r.id)
    if not rows and not gaps:
        return 0
    seen = {r.id for r in rows}
    high = max([cursor.high, *(r.id for r in rows if r.id > cursor.high)])
    stamp = now.isoformat()
    # Below the first event of a fresh fold lie only ids that were never committed; far below
    # the newest, none is still in flight (see GAP_SPAN).
    floor = cursor.high if cursor.high or not rows else min(seen) - 1
    for missing in range(max(floor, high - GAP_SPAN) + 1, high):
        if missing not in seen:
            gaps[missing] = stamp
    gaps = {
        i: at
        for i, at in gaps.items()
        if i not in seen and datetime.fromisoformat(at) > now - GAP_WAIT
    }
    case_ids = {r.case_id for r in rows}
    positions = {s.case_id: _position(s) for s in FoldState.objects.filter(case_id__in=case_ids)}
    known = set(positions)
    items = fold(rows, positions, _meta(case_ids))
    claimed = Cursor.objects.filter(pk=1, version=cursor.version).update(
        high=high,
        gaps=sorted([i, at] for i, at in gaps.items()),
        version=cursor.version + 1,
        folded_at=now,
    )
    if not claimed:
        raise Busy
    _store(items, {k: v for k, v in positions.items() if k in case_ids}, known)
    return len(rows)


def _position(s: FoldState) -> Position:
    return Position(
        s.step, s.status, s.department_id, s.assignee_id, s.resolver_id, s.visit_step, s.comebacks
    )


def _store(items: list[Item], positions: dict[int, Position], known: set[int]) -> None:
    FactItem.objects.bulk_create(
        [FactItem(**{f: getattr(i, f) for f in ("event_id", "case_id", *GRAIN)}) for i in items],
        batch_size=1000,
    )
    counted = totals(items)
    new: list[Fact] = []
    for grain, n in counted.items():
        key = dict(zip(GRAIN, grain, strict=True))
        if not Fact.objects.filter(**key).update(count=F("count") + n):
            new.append(Fact(**key, count=n))
    Fact.objects.bulk_create(new, batch_size=1000)
    summed: Counter[tuple[Any, ...]] = Counter()
    for grain, n in counted.items():
        summed[_total(grain)] += n
    new_totals: list[FactTotal] = []
    for grain, n in summed.items():
        key = dict(zip(TOTAL_GRAIN, grain, strict=True))
        if not FactTotal.objects.filter(**key).update(count=F("count") + n):
            new_totals.append(FactTotal(**key, count=n))
    FactTotal.objects.bulk_create(new_totals, batch_size=1000)
    states = [
        FoldState(case_id=c, **dict(zip(STATE_FIELDS, _state(p), strict=True)))
        for c, p in positions.items()
    ]
    FoldState.objects.bulk_create([s for s in states if s.case_id not in known], batch_size=1000)
    FoldState.objects.bulk_update(
        [s for s in states if s.case_id in known], STATE_FIELDS, batch_size=1000
    )


# A case's position as `FoldState` stores it: its columns, and the values in their order.
STATE_FIELDS = (
    "step",
    "status",
    "department_id",
    "assignee_id",
    "resolver_id",
    "visit_step",
    "comebacks",
)


def _state(p: Position) -> tuple[Any, ...]:
    return (p.step, p.status, p.department, p.assignee, p.resolver, p.visit, p.comebacks)


def rebuild(*, batch: int = 20000, now: datetime | None = None) -> int:
    """Forget the reporting model and fold every event again; returns the events read.

    The same fold as `catch_up` (so `check` agrees), written in bulk: after a bulk load there
    are millions of events, and `_store`'s one UPDATE per counted grain would take hours. The
    positions stay in memory for the whole run, the occurrences are written as they come (COPY
    on PostgreSQL), and each count is the number of its occurrences, summed by the database at
    the end — what the increments of `_store` add up to. One transaction: readers see the old
    model until the new one is whole, and a worker's `catch_up` meanwhile waits on the cursor
    row and then finds it claimed (`Busy`), so nothing is counted twice."""
    now = now or timezone.now()
    read = 0
    with transaction.atomic():
        cursor, _ = Cursor.objects.select_for_update().get_or_create(pk=1)
        FactItem.objects.all().delete()
        Fact.objects.all().delete()
        FactTotal.objects.all().delete()
        FoldState.objects.all().delete()
        positions: dict[int, Position] = {}
        last = first = 0
        recent: set[int] = set()  # the ids read within GAP_SPAN of the newest
        while rows := _rows(Event.objects.filter(id__gt=last).order_by("id")[:batch]):
            first = first or rows[0].id
            last = rows[-1].id
            recent = {i for i in (*recent, *(r.id for r in rows)) if i > last - GAP_SPAN}
            _copy(FactItem, ("event_id", "case_id", *GRAIN), _item_rows(rows, positions))
            read += len(rows)
        _copy(
            FoldState,
            ("case_id", *STATE_FIELDS),
            ((c, *_state(p)) for c, p in positions.items()),
        )
        _sum_items()
        _sum_totals()
        # As `_catch_up` leaves them: the ids missing just below the newest are waited for.
        stamp = now.isoformat()
        gaps = [
            [i, stamp] for i in range(max(first - 1, last - GAP_SPAN) + 1, last) if i not in recent
        ]
        Cursor.objects.filter(pk=1).update(
            high=last, gaps=gaps, version=cursor.version + 1, folded_at=now
        )
        _analyse()
    return read


def _analyse() -> None:
    """Planner statistics of the tables just emptied and filled again: until autovacuum
    comes by, PostgreSQL would plan the reports' reads for the empty tables."""
    from django.db import connection

    with connection.cursor() as cur:
        for model in (Fact, FactTotal, FactItem, FoldState):
            cur.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


def _item_rows(rows: list[Row], positions: dict[int, Position]) -> list[tuple[Any, ...]]:
    items = fold(rows, positions, _meta({r.case_id for r in rows}))
    return [(i.event_id, i.case_id, *i.grain()) for i in items]


def _copy(model: Any, fields: tuple[str, ...], rows: Iterable[tuple[Any, ...]]) -> None:
    """Insert plain tuples (values as the columns store them): COPY on PostgreSQL, one
    executemany elsewhere; no model instance per row."""
    from django.db import connection

    table = connection.ops.quote_name(model._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(model._meta.get_field(f).column) for f in fields)
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            with cur.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join(["%s"] * len(fields))
            cur.executemany(
                f"INSERT INTO {table} ({columns}) VALUES ({marks})",  # noqa: S608 — model names
                [tuple(v.isoformat() if isinstance(v, date) else v for v in r) for r in rows],
            )


def _sum_items() -> None:
    """Every `Fact` from its occurrences: the count of `FactItem` rows per grain."""
    from django.db import connection

    q = connection.ops.quote_name
    grain = ", ".join(q(f) for f in GRAIN)
    fact, item = q(Fact._meta.db_table), q(FactItem._meta.db_table)
    select = f"SELECT {grain}, COUNT(*) FROM {item} GROUP BY {grain}"  # noqa: S608 — model names
    sql = f"INSERT INTO {fact} ({grain}, {q('count')}) {select}"
    with connection.cursor() as cur:
        cur.execute(sql)


def _sum_totals() -> None:
    """Every `FactTotal` from the counts: `Fact` summed over its detail (the migration
    that brought the table in, for a model folded before, writes the same)."""
    from django.db import connection

    q = connection.ops.quote_name
    grain = ", ".join(q(f) for f in TOTAL_GRAIN)
    fact, total = q(Fact._meta.db_table), q(FactTotal._meta.db_table)
    select = f"SELECT {grain}, SUM({q('count')}) FROM {fact} GROUP BY {grain}"  # noqa: S608
    with connection.cursor() as cur:
        cur.execute(f"INSERT INTO {total} ({grain}, {q('count')}) {select}")


def check(*, batch: int = 20000) -> list[str]:
    """The differences between the stored model and a fold from scratch of the same events
    (every id up to the mark, less the gaps); empty when they agree. Reads, writes nothing."""
    cursor = Cursor.objects.filter(pk=1).first()
    high = cursor.high if cursor else 0
    gaps = {int(i) for i, _ in cursor.gaps} if cursor else set()
    positions: dict[int, Position] = {}
    items: list[Item] = []
    last = 0
    while True:
        rows = [
            r
            for r in _rows(Event.objects.filter(id__gt=last, id__lte=high).order_by("id")[:batch])
            if r.id not in gaps
        ]
        if not rows:
            break
        last = rows[-1].id
        items += fold(rows, positions, _meta({r.case_id for r in rows}))
    out: list[str] = []
    expected = totals(items)
    stored: Counter[tuple[Any, ...]] = Counter()
    for values in Fact.objects.filter(count__gt=0).values_list(*GRAIN, "count"):
        stored[tuple(values[:-1])] += values[-1]
    for grain in sorted(set(expected) | set(stored), key=repr):
        if expected[grain] != stored[grain]:
            label = " ".join(f"{k}={v}" for k, v in zip(GRAIN, grain, strict=True))
            out.append(f"fact {label}: stored {stored[grain]}, rebuilt {expected[grain]}")
    expected_totals: Counter[tuple[Any, ...]] = Counter()
    for grain, n in expected.items():
        expected_totals[_total(grain)] += n
    stored_totals: Counter[tuple[Any, ...]] = Counter()
    for values in FactTotal.objects.filter(count__gt=0).values_list(*TOTAL_GRAIN, "count"):
        stored_totals[tuple(values[:-1])] += values[-1]
    for grain in sorted(set(expected_totals) | set(stored_totals), key=repr):
        if expected_totals[grain] != stored_totals[grain]:
            label = " ".join(f"{k}={v}" for k, v in zip(TOTAL_GRAIN, grain, strict=True))
            out.append(
                f"total {label}: stored {stored_totals[grain]}, rebuilt {expected_totals[grain]}"
            )
    want = {(i.event_id, i.measure): i for i in items}
    have = {
        (e, m): (c, d)
        for e, m, c, d in FactItem.objects.values_list("event_id", "measure", "case_id", "day")
    }
    for key in sorted(set(want) - set(have)):
        out.append(f"item event={key[0]} {key[1]}: missing")
    for key in sorted(set(have) - set(want)):
        out.append(f"item event={key[0]} {key[1]}: not in a rebuild")
    for key in sorted(set(want) & set(have)):
        if (want[key].case_id, want[key].day) != have[key]:
            out.append(
                f"item event={key[0]} {key[1]}: stored {have[key]}, rebuilt {want[key].case_id, want[key].day}"
            )
    positions_stored = {s.case_id: _position(s) for s in FoldState.objects.all()}
    for case_id in sorted(set(positions) | set(positions_stored)):
        if positions.get(case_id) != positions_stored.get(case_id):
            out.append(
                f"case {case_id}: stored position {positions_stored.get(case_id)}, rebuilt {positions.get(case_id)}"
            )
    return out
