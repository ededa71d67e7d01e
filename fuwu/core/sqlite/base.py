"""Django's SQLite backend, with the writers of a database file queued by the kernel.

SQLite lets one transaction write at a time. A writer that finds the lock taken is put to
sleep by SQLite's busy handler for 1, 2, 5, 10, 15, 20, 25, 25, 25, 50, 50 and then 100 ms
at a time, and looks again only when it wakes: the lock is often free for most of that
sleep, nobody works, and a request that lost a few rounds waits hundreds of milliseconds
while the cores idle (issue 14: p99 of 485–1,200 ms at 16 clients, the CPU 30–40 % idle).

Here a transaction first queues for the file in the operating system — a lock among the
threads of the process, then an exclusive `flock` on a file beside the database among the
processes (web servers, `fuwu worker`, commands) — and only then sends `BEGIN IMMEDIATE`.
The kernel wakes the next writer the moment the last one commits or rolls back, so the lock
is handed over at once and SQLite's busy handler is left for writers outside a transaction
(a single statement in autocommit), which are short.

SQLite checkpoints its write-ahead log inside a COMMIT every 1,000 pages or so, while the
committing writer still holds the queue. Here that is switched off and each process runs a
PASSIVE checkpoint every CHECKPOINT_EVERY transactions after leaving the queue, beside the next
writer.

What still holds: a transaction waits at most the database's `timeout` (30 s) for the other
threads of its process and then fails with "database is locked", as before; the file lock is
released by the kernel when a process dies. An in-memory database (the tests' default) is
private to its process and is left as Django has it.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import sqlite3
import threading
from pathlib import Path
from typing import Any

from django.db import OperationalError
from django.db.backends.sqlite3 import base

# Transactions of a process between two checkpoints of the log (SQLite's own default would be
# every 1,000 pages, some 100–300 of our transactions).
CHECKPOINT_EVERY = 100


class _Queue:
    """The writers of one database file in this process: a thread lock, then the file lock."""

    def __init__(self, path: Path) -> None:
        self.path = path.with_name(path.name + "-writer.lock")
        self.threads = threading.Lock()
        self.fd: int | None = None
        self.pid = 0
        self.commits = 0  # transactions of this process (a checkpoint every CHECKPOINT_EVERY)

    def acquire(self, timeout: float) -> None:
        if not self.threads.acquire(timeout=timeout if timeout > 0 else -1):
            raise OperationalError("database is locked")
        try:
            if self.pid != os.getpid():  # a forked child must not share its parent's lock
                self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
                self.pid = os.getpid()
            assert self.fd is not None
            fcntl.flock(self.fd, fcntl.LOCK_EX)  # blocks in the kernel; the GIL is released
        except BaseException:
            self.threads.release()
            raise

    def release(self) -> None:
        try:
            if self.fd is not None and self.pid == os.getpid():
                fcntl.flock(self.fd, fcntl.LOCK_UN)
        finally:
            self.threads.release()


_queues: dict[Path, _Queue] = {}
_queues_lock = threading.Lock()


def _queue_for(name: str) -> _Queue:
    path = Path(name).resolve()
    with _queues_lock:
        queue = _queues.get(path)
        if queue is None:
            queue = _queues[path] = _Queue(path)
        return queue


class DatabaseWrapper(base.DatabaseWrapper):
    _writer: _Queue | None = None
    _queue_name: Any = None  # the NAME `_writer` was worked out for
    _holds_writer = False

    def _write_queue(self) -> _Queue | None:
        """This database file's queue (none for an in-memory database), worked out again only
        when the name changes (Django's test set-up renames a connection's database)."""
        name = self.settings_dict["NAME"]
        if name != self._queue_name:
            memory = self.is_in_memory_db() or not name
            self._writer = None if memory else _queue_for(str(name))
            self._queue_name = name
        return self._writer

    def _start_transaction_under_autocommit(self) -> None:
        queue = self._write_queue()
        if queue is None or self._holds_writer:
            super()._start_transaction_under_autocommit()  # type: ignore[misc]  # private in the stubs
            return
        timeout = float(self.settings_dict.get("OPTIONS", {}).get("timeout", 5))
        queue.acquire(timeout)
        self._holds_writer = True
        try:
            super()._start_transaction_under_autocommit()  # type: ignore[misc]  # private in the stubs
        except BaseException:
            self._release_writer()
            raise

    def _release_writer(self) -> None:
        if self._holds_writer:
            self._holds_writer = False
            assert self._writer is not None
            self._writer.release()

    def get_new_connection(self, conn_params: Any) -> Any:
        conn = super().get_new_connection(conn_params)
        if self._write_queue() is not None:
            # SQLite would checkpoint the log inside a COMMIT now and then (every 1,000 pages),
            # tens of milliseconds with the queue still held: done after it instead (_commit).
            conn.execute("PRAGMA wal_autocheckpoint=0")
        return conn

    def _commit(self) -> Any:
        held = self._holds_writer
        try:
            return super()._commit()  # type: ignore[misc]  # private in the stubs
        finally:
            self._release_writer()
            if held:
                self._checkpoint_now_and_then()

    def _checkpoint_now_and_then(self) -> None:
        """Every CHECKPOINT_EVERY transactions of this process, copy the write-ahead log back
        into the database, outside the queue: a PASSIVE checkpoint runs beside the next writer
        and leaves alone what a reader still needs, so nothing waits for it."""
        queue = self._writer
        assert queue is not None
        queue.commits += 1
        if queue.commits % CHECKPOINT_EVERY:
            return
        # Another process checkpointing at the same moment: the log is in hand.
        with contextlib.suppress(sqlite3.OperationalError):
            self.connection.execute("PRAGMA wal_checkpoint(PASSIVE)")

    def _rollback(self) -> Any:
        try:
            return super()._rollback()  # type: ignore[misc]  # private in the stubs
        finally:
            self._release_writer()

    def _close(self) -> Any:
        try:
            return super()._close()  # type: ignore[misc]  # private in the stubs
        finally:
            self._release_writer()
