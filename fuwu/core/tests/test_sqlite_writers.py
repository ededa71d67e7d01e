"""SQLite's writers queue in the kernel (`fuwu.core.sqlite`), not on SQLite's sleeping busy
handler: a transaction holds the file lock from BEGIN to COMMIT or ROLLBACK, the next writer —
another thread or another process — goes on when it is released, a thread that waits past the
database's timeout gets "database is locked", and nothing is lost when writers race.
"""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import OperationalError, connections, transaction
from django.db.utils import load_backend

from fuwu import settings as fuwu_settings

ENGINE = "fuwu.core.sqlite"


def _settings(path: Path, timeout: float = 30) -> dict[str, Any]:
    return {
        "ENGINE": ENGINE,
        "NAME": str(path),
        "OPTIONS": {**fuwu_settings._SQLITE_OPTIONS, "timeout": timeout},
        "ATOMIC_REQUESTS": False,
        "AUTOCOMMIT": True,
        "CONN_MAX_AGE": 0,
        "CONN_HEALTH_CHECKS": False,
        "TIME_ZONE": None,
        "USER": "",
        "PASSWORD": "",
        "HOST": "",
        "PORT": "",
        "TEST": {},
    }


class _Db:
    """A connection alias of its own on a database file (each thread makes its own)."""

    def __init__(self, path: Path, timeout: float = 30) -> None:
        self.alias = f"writers_{threading.get_ident()}_{id(self)}"
        self.wrapper = load_backend(ENGINE).DatabaseWrapper(_settings(path, timeout), self.alias)
        connections[self.alias] = self.wrapper

    def execute(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with self.wrapper.cursor() as cur:
            cur.execute(sql, params)
            return list(cur.fetchall()) if cur.description else []

    def close(self) -> None:
        self.wrapper.close()
        del connections[self.alias]


@pytest.fixture(autouse=True)
def _own_databases(django_db_blocker: Any) -> Iterator[None]:
    """These tests make database files of their own, not the test database."""
    with django_db_blocker.unblock():
        yield


@pytest.fixture
def db_file(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "w.sqlite3"
    db = _Db(path)
    db.execute("CREATE TABLE counter (id integer PRIMARY KEY, n integer NOT NULL)")
    db.execute("INSERT INTO counter (id, n) VALUES (1, 0)")
    db.close()
    yield path


def _lock_is_free(path: Path) -> bool:
    """Whether another process could take the writers' file lock now (an open file
    description of our own conflicts like one of another process)."""
    fd = os.open(f"{path}-writer.lock", os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    finally:
        os.close(fd)  # closing releases a lock taken here
    return True


def test_the_settings_use_the_queued_backend(monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'x.sqlite3'}")
    assert fuwu_settings._database()["ENGINE"] == ENGINE
    monkeypatch.delenv("DATABASE_URL")
    assert fuwu_settings._database()["ENGINE"] == ENGINE


def test_a_transaction_holds_the_lock_from_begin_to_commit_or_rollback(db_file):
    db = _Db(db_file)
    try:
        assert _lock_is_free(db_file)
        with transaction.atomic(using=db.alias):
            assert not _lock_is_free(db_file)
            db.execute("UPDATE counter SET n = n + 1")
        assert _lock_is_free(db_file)
        with pytest.raises(ZeroDivisionError), transaction.atomic(using=db.alias):
            db.execute("UPDATE counter SET n = n + 100")
            assert not _lock_is_free(db_file)
            raise ZeroDivisionError  # a failing request: rolled back, the lock goes with it
        assert _lock_is_free(db_file)
        assert db.execute("SELECT n FROM counter") == [(1,)]
        # A statement outside a transaction takes no queue place (SQLite's own lock suffices).
        db.execute("UPDATE counter SET n = n + 1")
        assert _lock_is_free(db_file)
    finally:
        db.close()


def test_closing_a_connection_in_a_transaction_releases_the_lock(db_file):
    db = _Db(db_file)
    transaction.atomic(using=db.alias).__enter__()
    db.execute("UPDATE counter SET n = n + 1")
    assert not _lock_is_free(db_file)
    db.wrapper.close()  # e.g. a worker thread that died mid-request
    assert _lock_is_free(db_file)
    db.close()
    check = _Db(db_file)
    try:
        assert check.execute("SELECT n FROM counter") == [(0,)]  # not committed
    finally:
        check.close()


def test_a_thread_that_waits_past_the_timeout_gets_database_is_locked(db_file):
    holder = _Db(db_file)
    errors: list[BaseException] = []

    def other_writer() -> None:
        db = _Db(db_file, timeout=0.2)
        try:
            with transaction.atomic(using=db.alias):
                db.execute("UPDATE counter SET n = n + 10")
        except OperationalError as exc:
            errors.append(exc)
        finally:
            db.close()

    try:
        with transaction.atomic(using=holder.alias):
            holder.execute("UPDATE counter SET n = n + 1")
            thread = threading.Thread(target=other_writer)
            thread.start()
            thread.join(10)
        assert [str(e) for e in errors] == ["database is locked"]
        assert holder.execute("SELECT n FROM counter") == [(1,)]  # the waiter wrote nothing
    finally:
        holder.close()


def test_the_next_thread_goes_on_when_the_holder_commits(db_file):
    holder = _Db(db_file)
    entered = threading.Event()
    seen: list[int] = []

    def waiter() -> None:
        db = _Db(db_file)
        try:
            entered.set()
            with transaction.atomic(using=db.alias):
                # Inside the queue: the holder's committed write is there to be read.
                seen.append(db.execute("SELECT n FROM counter")[0][0])
                db.execute("UPDATE counter SET n = n * 10")
        finally:
            db.close()

    try:
        with transaction.atomic(using=holder.alias):
            holder.execute("UPDATE counter SET n = 7")
            thread = threading.Thread(target=waiter)
            thread.start()
            entered.wait(5)
            thread.join(0.3)
            assert thread.is_alive()  # queued behind the open transaction
        thread.join(10)
        assert seen == [7] and holder.execute("SELECT n FROM counter") == [(70,)]
    finally:
        holder.close()


WRITER = textwrap.dedent(
    """
    import sys
    import django
    from django.conf import settings
    settings.configure(DATABASES={"default": {
        "ENGINE": "fuwu.core.sqlite", "NAME": sys.argv[1],
        "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": 30,
                    "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"},
    }}, USE_TZ=True)
    django.setup()
    from django.db import connection, transaction
    for _ in range(int(sys.argv[2])):
        with transaction.atomic():
            with connection.cursor() as cur:
                # Read, then write what was read plus one: a lost update shows in the total.
                cur.execute("SELECT n FROM counter WHERE id = 1")
                n = cur.fetchone()[0]
                cur.execute("UPDATE counter SET n = %s WHERE id = 1", [n + 1])
    """
)


def test_writers_in_several_processes_lose_no_update(db_file):
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(db_file), "150"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    for p in procs:
        _out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
    db = _Db(db_file)
    try:
        assert db.execute("SELECT n FROM counter") == [(450,)]
    finally:
        db.close()
    assert _lock_is_free(db_file)


def test_an_in_memory_database_takes_no_file_lock(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    wrapper = load_backend(ENGINE).DatabaseWrapper(_settings(Path(":memory:")), "writers_mem")
    connections["writers_mem"] = wrapper
    try:
        with transaction.atomic(using="writers_mem"), wrapper.cursor() as cur:
            cur.execute("CREATE TABLE t (x integer)")
            cur.execute("INSERT INTO t VALUES (1)")
        assert not list(tmp_path.iterdir())
    finally:
        wrapper.close()
        del connections["writers_mem"]


def test_the_log_is_checkpointed_after_leaving_the_queue_every_so_many_transactions(
    db_file, monkeypatch
):
    """Not inside a COMMIT (SQLite's own auto-checkpoint, off on these connections), which
    would hold the queue meanwhile: every CHECKPOINT_EVERY transactions of the process."""
    from fuwu.core.sqlite import base as queued

    monkeypatch.setattr(queued, "CHECKPOINT_EVERY", 3)
    db = _Db(db_file)
    try:
        assert db.execute("PRAGMA wal_autocheckpoint") == [(0,)]
        queue = db.wrapper._write_queue()
        queue.commits = 0
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # the fixture's rows, in the file
        sizes = []
        for i in range(3):
            with transaction.atomic(using=db.alias):
                # Enough pages that the database file grows when they are copied into it.
                db.execute(f"CREATE TABLE filler_{i} (x blob)")
                db.execute(f"INSERT INTO filler_{i} VALUES (zeroblob(200000))")
            sizes.append(db_file.stat().st_size)
        assert sizes[0] == sizes[1] < sizes[2], sizes  # only the third copied the log back
    finally:
        db.close()
