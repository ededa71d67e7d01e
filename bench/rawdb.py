"""The machine's raw limit: the rows the API writes, through the DB driver, one transaction each.

A "create" inserts a copy of a case row the API created plus its event rows; a "transition"
bumps the case's version and step and appends one event (what a transition writes, minus the
application). Each of `threads` threads has its own connection, kept open for the whole phase.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import psycopg
from psycopg.types.json import Jsonb

SQLITE_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA synchronous=NORMAL",
    "PRAGMA foreign_keys=ON",
    "PRAGMA cache_size=-32000",
    "PRAGMA temp_store=MEMORY",
)


@dataclass
class Template:
    case_cols: list[str]
    case_row: list[Any]
    event_cols: list[str]
    event_rows: list[list[Any]]


class Db:
    """One connection; `ph` is the driver's placeholder."""

    def __init__(self, sqlite_path: str | None, pg_url: str | None) -> None:
        self.pg = pg_url is not None
        self.ph = "%s" if self.pg else "?"
        if pg_url is not None:
            self.conn: Any = psycopg.connect(pg_url, autocommit=True)
        else:
            self.conn = sqlite3.connect(
                str(sqlite_path), timeout=30, isolation_level=None, check_same_thread=False
            )
            for pragma in SQLITE_PRAGMAS:
                self.conn.execute(pragma)

    def rows(self, sql: str, params: tuple[Any, ...] = ()) -> tuple[list[str], list[list[Any]]]:
        cur = self.conn.execute(sql, params)
        return [d[0] for d in cur.description], [list(r) for r in cur.fetchall()]

    def adapt(self, value: Any) -> Any:
        if isinstance(value, dict | list):
            return Jsonb(value) if self.pg else json.dumps(value)
        return value

    def now(self) -> Any:
        """The current time as Django stores it (aware on PostgreSQL, naive UTC text in SQLite)."""
        now = datetime.now(UTC)
        return now if self.pg else now.strftime("%Y-%m-%d %H:%M:%S.%f")

    def begin(self) -> None:
        self.conn.execute("BEGIN" if self.pg else "BEGIN IMMEDIATE")

    def commit(self) -> None:
        self.conn.execute("COMMIT")

    def rollback(self) -> None:
        self.conn.execute("ROLLBACK")

    def close(self) -> None:
        self.conn.close()


def read_template(db: Db, case_id: int) -> Template:
    case_cols, case_rows = db.rows(f"SELECT * FROM cases_case WHERE id = {db.ph}", (case_id,))
    event_cols, event_rows = db.rows(
        f"SELECT * FROM cases_event WHERE case_id = {db.ph} ORDER BY seq", (case_id,)
    )
    if not case_rows or not event_rows:
        raise RuntimeError(f"template case {case_id} not found")
    return Template(case_cols, case_rows[0], event_cols, event_rows)


# Columns the database computes itself (GeneratedField): never written.
GENERATED = frozenset({"id", "next_due"})


def _insert_case(db: Db, t: Template) -> int:
    cols = [c for c in t.case_cols if c not in GENERATED]
    now = db.now()
    values = [
        now if c in ("created_at", "updated_at") else db.adapt(v)
        for c, v in zip(t.case_cols, t.case_row, strict=True)
        if c not in GENERATED
    ]
    sql = (
        f"INSERT INTO cases_case ({', '.join(cols)}) VALUES ({', '.join([db.ph] * len(cols))})"
        " RETURNING id"
    )
    new_id: int = db.conn.execute(sql, values).fetchone()[0]
    ecols = [c for c in t.event_cols if c != "id"]
    esql = (
        f"INSERT INTO cases_event ({', '.join(ecols)}) VALUES ({', '.join([db.ph] * len(ecols))})"
    )
    for row in t.event_rows:
        db.conn.execute(
            esql,
            [
                new_id if c == "case_id" else now if c == "at" else db.adapt(v)
                for c, v in zip(t.event_cols, row, strict=True)
                if c != "id"
            ],
        )
    return new_id


def _transition(db: Db, t: Template, case_id: int, seq: int) -> None:
    now = db.now()
    db.conn.execute(
        f"UPDATE cases_case SET version = version + 1, last_seq = {db.ph}, step = {db.ph},"
        f" updated_at = {db.ph}, step_cycle = step_cycle + 1 WHERE id = {db.ph}",
        (seq, "dispatch", now, case_id),
    )
    ecols = [c for c in t.event_cols if c != "id"]
    esql = (
        f"INSERT INTO cases_event ({', '.join(ecols)}) VALUES ({', '.join([db.ph] * len(ecols))})"
    )
    row = t.event_rows[0]
    values = {
        "case_id": case_id,
        "seq": seq,
        "at": now,
        "kind": "transitioned",
        "data": {"transition": "issue_work_order", "from": "reception", "to": "dispatch"},
    }
    db.conn.execute(
        esql,
        [
            db.adapt(values[c]) if c in values else db.adapt(v)
            for c, v in zip(t.event_cols, row, strict=True)
            if c != "id"
        ],
    )


def run(
    kind: str,
    template: Template,
    items: int,
    threads: int,
    time_limit: float,
    sqlite_path: str | None,
    pg_url: str | None,
    transitions_per_case: int = 6,
) -> dict[str, Any]:
    """kind: "create" (case + events), "transition" (update + event) or "case" (a create, then
    `transitions_per_case` transitions, each its own transaction). Returns throughput figures."""
    lock = threading.Lock()
    next_item = [0]
    done = [0]
    txns = [0]
    errors: list[str] = []
    start = threading.Barrier(threads + 1)
    deadline = [0.0]
    targets: list[int] = []

    def txn(db: Db, body: Callable[..., Any], *args: Any) -> Any:
        db.begin()
        try:
            result = body(db, template, *args)
        except Exception:
            db.rollback()
            raise
        db.commit()
        with lock:
            txns[0] += 1
        return result

    def worker() -> None:
        db = Db(sqlite_path, pg_url)
        try:
            start.wait(timeout=60)
            while time.perf_counter() < deadline[0]:
                with lock:
                    i = next_item[0]
                    next_item[0] += 1
                if i >= items:
                    return
                try:
                    first_seq = len(template.event_rows) + 1
                    if kind == "transition":
                        txn(db, _transition, targets[i], first_seq)
                    else:
                        case_id = txn(db, _insert_case)
                        for k in range(transitions_per_case if kind == "case" else 0):
                            txn(db, _transition, case_id, first_seq + k)
                except Exception as exc:
                    with lock:
                        errors.append(f"{exc.__class__.__name__}: {exc}"[:200])
                    continue
                with lock:
                    done[0] += 1
        finally:
            db.close()

    if kind == "transition":  # fresh cases to move, created (untimed) before the clock starts
        db = Db(sqlite_path, pg_url)
        try:
            targets.extend(txn(db, _insert_case) for _ in range(items))
        finally:
            db.close()
        txns[0] = 0
    pool = [threading.Thread(target=worker, daemon=True) for _ in range(threads)]
    for t in pool:
        t.start()
    deadline[0] = time.perf_counter() + time_limit
    t0 = time.perf_counter()
    start.wait(timeout=60)
    for t in pool:
        t.join(timeout=time_limit + 60)
    seconds = time.perf_counter() - t0
    return {
        "kind": kind,
        "items": items,
        "ok": done[0],
        "transactions": txns[0],
        "seconds": round(seconds, 3),
        "items_per_s": round(done[0] / seconds, 1),
        "transactions_per_s": round(txns[0] / seconds, 1),
        "errors": len(errors),
        "error_samples": errors[:5],
        "threads": threads,
    }
