"""Issue 9, item 6: a worker that survives a database outage, is supervised, and is seen.

The outage loop is unit-tested on SQLite (a step that loses its connection twice); the real
thing runs on PostgreSQL: a worker process whose backends are terminated carries on — a rung due
after the outage fires exactly once and its heartbeat resumes. `/healthz` and the dashboard
banner are tested with frozen time.
"""

from __future__ import annotations

import logging
import os
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from django.db import OperationalError, connection
from django.test import Client
from django.utils import timezone

from fuwu.sla.heartbeat import beat
from fuwu.sla.models import Heartbeat
from fuwu.sla.worker import Outage, ResilientWorker, keep_going

NOW = datetime(2026, 12, 3, 6, 0, tzinfo=UTC)
ROOT = Path(__file__).resolve().parents[3]
WORKER = [sys.executable, "-m", "fuwu.cli", "worker"]


# -- the outage loop -------------------------------------------------------------------------


def test_a_lost_connection_is_waited_out_with_capped_back_off_and_logged_once(db, caplog):
    steps: list[str] = []
    probes: list[str] = []
    waits: list[float] = []
    recoveries: list[int] = []

    def step() -> None:
        steps.append("step")
        if len(steps) == 1:
            raise OperationalError("server closed the connection unexpectedly")

    def probe() -> None:  # the server is down for five more attempts
        probes.append("probe")
        if len(probes) <= 5:
            raise OperationalError('connection to server at "127.0.0.1" failed')

    outage = Outage("test", first=0.5, cap=4.0)
    with caplog.at_level(logging.WARNING, logger="fuwu.worker"):
        keep_going(
            step,
            outage,
            sleep=waits.append,
            probe=probe,
            on_recovery=lambda: recoveries.append(1),
        )
    assert len(steps) == 2  # the lost one, then one that ran to its end
    assert waits == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0]
    assert recoveries == [1]  # the interrupted task is queued again once, after the outage
    # (the worker's own lines: on PostgreSQL the pool also warns that it rolled back the test's
    # connection, which close_all handed back mid-transaction)
    messages = [r.getMessage() for r in caplog.records if r.name == "fuwu.worker"]
    assert len(messages) == 2, messages  # "unavailable" once, "back" once — not per attempt
    assert "database unavailable" in messages[0] and "database back" in messages[1]
    assert outage.since is None and outage.attempts == 0


def test_an_error_that_is_not_a_lost_connection_is_not_swallowed(db):
    def step() -> None:
        raise OperationalError("no such table: nowhere")

    with pytest.raises(OperationalError):
        keep_going(step, Outage("test"), sleep=lambda s: None)


def test_the_loop_stops_when_the_worker_is_asked_to(db):
    running = [True]

    def step() -> None:
        running[0] = False  # SIGTERM arrived during the outage
        raise OperationalError("terminating connection due to administrator command")

    waits: list[float] = []
    keep_going(step, Outage("test"), running=lambda: running[0], sleep=waits.append)
    assert waits == []


# -- /healthz and the dashboard --------------------------------------------------------------


def test_healthz_is_503_worker_stale_until_a_worker_checks_in_and_after_it_stops(
    db, client, settings
):
    settings.FUWU_SWEEP_INTERVAL = 30
    with time_machine.travel(NOW, tick=False):
        absent = client.get("/healthz")
        assert absent.status_code == 503
        assert absent.json()["worker"] == "worker stale" and absent.json()["database"] == "ok"
        beat("host-a:41", NOW - timedelta(hours=1))
        fresh = client.get("/healthz")
        assert fresh.status_code == 200, fresh.json()
        assert fresh.json()["worker"] == "ok"
        assert [w["id"] for w in fresh.json()["workers"]] == ["host-a:41"]
        assert fresh.json()["workers"][0]["fresh"] is True
    with time_machine.travel(NOW + timedelta(seconds=59), tick=False):
        assert client.get("/healthz").status_code == 200  # within two sweep intervals
    with time_machine.travel(NOW + timedelta(seconds=61), tick=False):
        stale = client.get("/healthz")
        assert stale.status_code == 503 and stale.json()["worker"] == "worker stale"
        assert stale.json()["workers"][0]["fresh"] is False
        beat("host-b:7", NOW)  # a second worker that checked in lately makes the site healthy
        Heartbeat.objects.filter(pk="host-b:7").update(last_seen=timezone.now())
        assert client.get("/healthz").status_code == 200


def test_healthz_stays_cheap(db, client, django_assert_max_num_queries):
    for i in range(30):
        beat(f"host:{i}", timezone.now())
    with django_assert_max_num_queries(2):
        r = client.get("/healthz")
    assert r.status_code == 200 and len(r.json()["workers"]) == 10


def test_a_day_old_heartbeat_is_purged_by_the_next_beat(db):
    with time_machine.travel(NOW, tick=False):
        beat("gone:1", NOW)
    with time_machine.travel(NOW + timedelta(days=1, seconds=1), tick=False):
        beat("alive:2", NOW)
    assert list(Heartbeat.objects.values_list("pk", flat=True)) == ["alive:2"]


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_administrators_see_a_banner_on_the_dashboard_when_the_worker_is_stale(world, language):
    admin = world.users["vp"]
    admin.is_superuser = True
    admin.save()
    manager = Client()
    manager.force_login(world.users["sc_manager"])
    boss = Client()
    boss.force_login(admin)
    banner = 'data-testid="worker-stale"'
    text = "后台进程没有运行" if language == "zh-hans" else "The background worker is not running"
    headers = {"HTTP_ACCEPT_LANGUAGE": language}
    with time_machine.travel(NOW, tick=False):
        page = boss.get("/dashboard/", **headers).content.decode()
        assert banner in page and text in page
        assert banner not in manager.get("/dashboard/", **headers).content.decode()
        beat("host-a:41", NOW)
        assert banner not in boss.get("/dashboard/", **headers).content.decode()
    with time_machine.travel(NOW + timedelta(minutes=5), tick=False):
        assert banner in boss.get("/dashboard/", **headers).content.decode()


# -- a real worker process and a PostgreSQL outage ------------------------------------------


def _admin(settings: dict):
    """A connection to the server's `postgres` database, to act on the test database from outside."""
    import psycopg

    return psycopg.connect(
        host=settings["HOST"] or "127.0.0.1",
        port=settings["PORT"] or 5432,
        user=settings["USER"],
        password=settings["PASSWORD"] or None,
        dbname="postgres",
        autocommit=True,
    )


def _terminate_backends(admin, dbname: str) -> int:
    row = admin.execute(
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
        "WHERE datname = %s AND pid <> %s",
        [dbname, connection.connection.info.backend_pid],
    ).fetchone()
    return int(row[0])


def _wait(predicate, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return predicate()


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_the_worker_carries_on_after_its_database_backends_are_terminated(world, tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: the worker process must share the test database")
    from fuwu.cases import actions
    from fuwu.cases.models import Event
    from fuwu.procedures.registry import sync_library
    from fuwu.sla.models import Firing
    from fuwu.sla.tests.test_workers import FAST, RUNGS

    (tmp_path / "fast_clock.yaml").write_text(FAST, encoding="utf-8")
    assert not sync_library([tmp_path]).problems
    s = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{s['USER']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}",
        "FUWU_SWEEP_INTERVAL": "0.3",
        # The pool waits this long for a connection before the loop sees an error: shorter than
        # the outage, so both loops meet it (with the default 10 s the pool rides out a 3 s
        # outage unseen by a loop that was not in the middle of a query).
        "FUWU_DB_POOL_TIMEOUT": "1",
    }
    log = tmp_path / "worker.log"
    with log.open("wb") as out:
        worker = subprocess.Popen(
            [*WORKER, "--interval", "0.05", "--sweep-interval", "0.3", "--worker-id", "survivor"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        assert _wait(lambda: Heartbeat.objects.filter(pk="survivor").exists(), 30), log.read_text()
        # The outage, as a restart looks to the worker: its backends are terminated and no new
        # connection is accepted for three seconds.
        connection.ensure_connection()
        with _admin(s) as admin:
            admin.execute(f'ALTER DATABASE "{s["NAME"]}" ALLOW_CONNECTIONS false')
            try:
                until = time.monotonic() + 3
                while time.monotonic() < until:
                    _terminate_backends(admin, s["NAME"])
                    time.sleep(0.02)
            finally:
                admin.execute(f'ALTER DATABASE "{s["NAME"]}" ALLOW_CONNECTIONS true')
        # (the worker may hold no backend at the moment; it meets the refusal on its next query)
        terminated_at = timezone.now()
        assert worker.poll() is None, log.read_text()
        # Work that falls due after the outage still happens, once.
        case = actions.open_case(
            world.actor("agent"),
            procedure_key="fast_clock",
            site_id=world.sites["lanting"].pk,
            channel="phone",
            title="停电之后",
        )
        assert _wait(lambda: Firing.objects.filter(case=case).count() >= RUNGS, 40), log.read_text()
        time.sleep(1.0)  # anything fired twice would show up by now
        assert worker.poll() is None, log.read_text()
        assert _wait(lambda: Heartbeat.objects.get(pk="survivor").last_seen > terminated_at, 10)
    finally:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGTERM)
            worker.wait(10)
    keys = sorted(Firing.objects.filter(case=case).values_list("key", flat=True))
    assert keys == sorted(f"resolution:{i}:0" for i in range(RUNGS))
    assert Event.objects.filter(case=case, kind="escalated").count() == RUNGS
    text = log.read_text()
    for loop in ("worker survivor", "sweeper survivor"):  # both loops met the outage, once
        assert text.count(f"{loop}: database unavailable") == 1, text
        assert text.count(f"{loop}: database back") == 1, text
    assert "Traceback" not in text, text


@pytest.mark.slow
@pytest.mark.sqlite_once
@pytest.mark.django_db(transaction=True)  # no transaction open: the backup reads a quiet database
def test_the_supervisor_starts_a_worker_that_exits_again_and_stops_on_sigterm(tmp_path):
    """`fuwu worker --supervise` (what `make run` starts): a child that dies is started again."""
    # The worker's database: a copy of this test's migrated one (SQLite's backup API), not a
    # second `migrate` in a child process (eleven seconds of the suite's two cores).
    copy = sqlite3.connect(tmp_path / "db.sqlite3")
    connection.ensure_connection()
    connection.connection.backup(copy)
    copy.close()
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}"}
    log = tmp_path / "supervisor.log"
    with log.open("wb") as out:
        sup = subprocess.Popen(
            [sys.executable, "-m", "fuwu.cli", "worker", "--supervise", "--sweep-interval", "0.2"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:

        def children() -> list[int]:
            found = subprocess.run(
                ["pgrep", "-P", str(sup.pid)], capture_output=True, text=True
            ).stdout.split()
            return [int(p) for p in found]

        assert _wait(lambda: len(children()) == 1, 30), log.read_text()
        first = children()[0]
        os.kill(first, signal.SIGKILL)
        assert _wait(lambda: children() not in ([], [first]), 30), log.read_text()
        assert sup.poll() is None
        sup.send_signal(signal.SIGTERM)
        assert sup.wait(20) is not None
        assert children() == []
    finally:
        if sup.poll() is None:
            os.killpg(sup.pid, signal.SIGKILL)
            sup.wait(5)
    assert "starting it again" in log.read_text()


@pytest.mark.django_db(transaction=True)  # the worker closes and reopens its connection
def test_a_task_cut_off_by_the_outage_is_queued_again_not_recorded_as_failed(monkeypatch):
    from django_tasks_db.compat import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    from fuwu.sla import tasks

    calls: list[int] = []

    def cut_off(case_id: int, *, worker: str = "") -> list[str]:
        calls.append(case_id)
        if len(calls) == 1:
            raise OperationalError("server closed the connection unexpectedly")
        return []

    monkeypatch.setattr(tasks, "fire_due", cut_off)
    queued = tasks.check_clocks.enqueue(42)
    worker = _resilient_worker(batch=True)
    worker.run()  # batch: runs what is queued, riding out the outage, then returns
    row = DBTaskResult.objects.get(pk=queued.id)
    assert calls == [42, 42]  # cut off once, run again after the outage
    assert row.status == TaskResultStatus.SUCCESSFUL


@pytest.mark.django_db(transaction=True)  # autocommit outside the block, as in the worker
def test_a_stop_signal_while_claiming_a_task_stops_after_the_transaction():
    from django.db import transaction

    claiming = _resilient_worker(batch=False)
    with transaction.atomic():  # where django_tasks_db claims a task
        claiming.shutdown(signal.SIGTERM, None)  # no exit inside the transaction
        assert connection.in_atomic_block
    assert claiming.running is False  # the loop stops at its next check
    idle = _resilient_worker(batch=False)
    with pytest.raises(SystemExit) as stopped:  # between transactions: at once, as before
        idle.shutdown(signal.SIGTERM, None)
    assert stopped.value.code == 0


def _resilient_worker(*, batch: bool) -> ResilientWorker:
    """The worker `fuwu worker` runs, on every queue, started at once."""
    return ResilientWorker(
        queue_names=["*"],
        interval=0,
        batch=batch,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="w",
        excluded_queue_names=[],
    )
