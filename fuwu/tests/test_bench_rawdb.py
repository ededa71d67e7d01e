"""The bench's raw limit writes what it reads, on a case table with a generated column (as
`cases_case.next_due` is): its runs failed on both databases when the column was added."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from bench import rawdb

SCHEMA = """
CREATE TABLE cases_case (
    id INTEGER PRIMARY KEY AUTOINCREMENT, title TEXT, step TEXT, version INTEGER,
    last_seq INTEGER, step_cycle INTEGER, created_at TEXT, updated_at TEXT, data TEXT,
    next_due TEXT GENERATED ALWAYS AS (created_at) STORED
);
CREATE TABLE cases_event (
    id INTEGER PRIMARY KEY AUTOINCREMENT, case_id INTEGER, seq INTEGER, kind TEXT, at TEXT,
    data TEXT
);
INSERT INTO cases_case (title, step, version, last_seq, step_cycle, created_at, updated_at, data)
    VALUES ('灯不亮', 'reception', 1, 1, 1, '2026-12-04 08:00:00', '2026-12-04 08:00:00', '{}');
INSERT INTO cases_event (case_id, seq, kind, at, data)
    VALUES (1, 1, 'opened', '2026-12-04 08:00:00', '{"procedure": "property_repair"}');
"""


def test_creates_and_transitions_through_the_driver(tmp_path: Path) -> None:
    path = tmp_path / "raw.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.executescript(SCHEMA)
    db = rawdb.Db(str(path), None)
    template = rawdb.read_template(db, 1)
    db.close()
    assert "next_due" in template.case_cols
    result = rawdb.run("case", template, 6, 2, 30.0, str(path), None, transitions_per_case=2)
    assert result["ok"] == 6 and not result.get("errors"), result
    with sqlite3.connect(path) as conn:
        cases, moved = conn.execute(
            "SELECT count(*), sum(step = 'dispatch') FROM cases_case WHERE id > 1"
        ).fetchone()
        events = conn.execute("SELECT count(*) FROM cases_event WHERE case_id > 1").fetchone()[0]
    assert (cases, moved, events) == (6, 6, 6 * 3)  # the copy's event and two transitions each
