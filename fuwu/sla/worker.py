"""The background worker that survives its database going away.

django_tasks_db's `Worker.run` lets any database error out of its loop, and a worker process
that exits after a PostgreSQL restart stops escalations, notices and schedules while the site
keeps answering. Here both loops of `fuwu worker` — the task loop and the sweeper thread — treat
a lost connection as an *outage*: close the broken connection, wait (capped exponential back-off),
log once when it starts and once when it ends, and carry on.

No task is lost or run twice because of it: a task interrupted by the outage was claimed
(status RUNNING) but not finished; it is put back to READY once the database answers, instead
of being recorded as failed. Every Fuwu task is safe to run again after an interrupted run: the
clock check re-decides from the case and each rung's unique `Firing` row, and the e-mail task
claims each notification with a conditional update before sending it.
"""

from __future__ import annotations

import logging
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from types import FrameType
from typing import Any

from django.db import InterfaceError, OperationalError, connections
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

log = logging.getLogger("fuwu.worker")

DATABASE_GONE: tuple[type[Exception], ...] = (OperationalError, InterfaceError)


def connection_lost(exc: BaseException) -> bool:
    """A database error caused by the connection, not by the statement: the server went away,
    restarted, or terminated our backend. SQLite's "database is locked" is not one (its
    connection stays usable) and is left to the caller's own handling."""
    if not isinstance(exc, DATABASE_GONE):
        return False
    for conn in connections.all(initialized_only=True):
        if conn.connection is not None and not conn.is_usable():
            return True
    return isinstance(exc, InterfaceError) or "connection" in str(exc).lower()


def close_all() -> None:
    """Drop every connection of this thread, broken or not; the next query opens a new one."""
    for conn in connections.all(initialized_only=True):
        try:
            conn.close()
        except Exception:  # closing a dead socket may fail; it is gone either way
            conn.connection = None


class Outage:
    """Back-off and logging for one loop: `failed()` on each lost connection, `recovered()` on the
    first success after. Logs once per outage, not once per attempt."""

    def __init__(self, name: str, *, first: float = 0.5, cap: float = 30.0) -> None:
        self.name = name
        self.first = first
        self.cap = cap
        self.since: float | None = None
        self.attempts = 0

    def failed(self, exc: BaseException) -> float:
        """Record a failed attempt; returns the seconds to wait before the next one."""
        if self.since is None:
            self.since = time.monotonic()
            log.warning("%s: database unavailable (%s); retrying with back-off", self.name, exc)
        delay = min(self.cap, self.first * 2**self.attempts)
        self.attempts += 1
        return delay

    def recovered(self) -> None:
        if self.since is not None:
            log.warning(
                "%s: database back after %.1f s (%d attempts)",
                self.name,
                time.monotonic() - self.since,
                self.attempts,
            )
        self.since = None
        self.attempts = 0


def keep_going(
    step: Callable[[], Any],
    outage: Outage,
    *,
    running: Callable[[], bool] = lambda: True,
    sleep: Callable[[float], None] = time.sleep,
    on_recovery: Callable[[], None] = lambda: None,
    probe: Callable[[], None] | None = None,
) -> None:
    """Call `step` until it returns normally or `running()` turns false, riding out outages:
    a lost connection closes this thread's connections, waits and tries again; once the database
    answers (`probe`: opening a connection), `on_recovery` runs before `step` again. Any other
    error propagates."""
    probe = probe or connections["default"].ensure_connection
    while running():
        try:
            if outage.since is not None:
                probe()
                on_recovery()
                outage.recovered()
            step()
            return
        except DATABASE_GONE as exc:
            if outage.since is None and not connection_lost(exc):
                raise
            close_all()
            if running():
                sleep(outage.failed(exc))


class ResilientWorker(Worker):
    """django_tasks_db's worker, restarted in place after a database outage (see the module)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.outage = Outage(f"worker {self.worker_id}")
        self._in_flight: str | None = None

    def run(self) -> None:
        first = True

        def loop() -> None:
            nonlocal first
            if not first:
                self.startup_delay = False  # the random start-up pause is for the first start
            first = False
            super(ResilientWorker, self).run()

        keep_going(loop, self.outage, running=lambda: self.running, on_recovery=self._requeue)

    def shutdown(self, signum: int, frame: FrameType | None) -> None:
        # django_tasks_db exits at once (sys.exit in the signal handler) when no task runs, which
        # is right in its sleep but not in the middle of claiming a task: the exit lands inside
        # the transaction's COMMIT and Django's clean-up then fails on the busy connection (a
        # traceback at every such stop). In a transaction, stop at the loop's next check instead.
        if self.running and not self.running_task and not connections["default"].autocommit:
            log.warning(
                "%s: %s, stopping after this transaction",
                self.outage.name,
                signal.strsignal(signum),
            )
            self.running = False
            return
        super().shutdown(signum, frame)

    def run_task(self, db_task_result: DBTaskResult) -> None:
        self._in_flight = str(db_task_result.pk)
        record_failure = db_task_result.set_failed

        def set_failed(exc: BaseException) -> None:
            # A task that failed because the database went away did not fail: let the outage
            # loop take it, and put it back in the queue when the database returns.
            if isinstance(exc, DATABASE_GONE) and connection_lost(exc):
                raise exc
            record_failure(exc)

        db_task_result.set_failed = set_failed  # type: ignore[method-assign]
        super().run_task(db_task_result)
        self._in_flight = None

    def _requeue(self) -> None:
        """The task the outage interrupted (claimed by us, never finished) runs again."""
        if self._in_flight is None:
            return
        DBTaskResult.objects.filter(pk=self._in_flight, status=TaskResultStatus.RUNNING).update(
            status=TaskResultStatus.READY, started_at=None
        )
        log.warning(
            "%s: task %s interrupted by the outage is queued again",
            self.outage.name,
            self._in_flight,
        )
        self._in_flight = None


def supervise(argv: list[str], *, max_delay: float = 60.0) -> int:
    """Run `fuwu worker <argv>` as a child process and start it again whenever it exits, waiting
    1, 2, 4 … `max_delay` seconds between starts (back to 1 s after a child that ran a minute).
    SIGINT/SIGTERM are passed to the child, and the supervisor exits when the child has stopped.
    This is what `make run` uses; in production systemd's `Restart=always` does the same job."""
    stopping = threading.Event()
    child: subprocess.Popen[bytes] | None = None

    def stop(signum: int, frame: FrameType | None) -> None:
        stopping.set()
        if child is not None and child.poll() is None:
            child.send_signal(signum)

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, stop)
    delay = 1.0
    code = 0
    while not stopping.is_set():
        started = time.monotonic()
        child = subprocess.Popen([sys.executable, "-m", "fuwu.cli", "worker", *argv])
        code = child.wait()
        if stopping.is_set():
            break
        if time.monotonic() - started > 60:
            delay = 1.0
        log.warning("worker exited with status %s; starting it again in %.0f s", code, delay)
        stopping.wait(delay)
        delay = min(max_delay, delay * 2)
    if child is not None and child.poll() is None:
        child.wait()
    return code
