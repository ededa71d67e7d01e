"""Two real worker processes, one killed with SIGKILL mid-run: every rung still fires exactly once.

PostgreSQL only (the workers are separate processes sharing the test database); on SQLite the
test database lives in the test process's memory.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from fuwu.cases import actions
from fuwu.cases.models import Event
from fuwu.notifications.models import Notification
from fuwu.procedures.registry import sync_library
from fuwu.sla.models import Firing, Heartbeat

FAST = textwrap.dedent("""
    key: fast_clock
    name: {zh: 快速时限, en: Fast clock}
    seed: 测试
    calendar: 24x7
    owner: {department: service_center}
    start: work
    limits: {resolution: 4s}
    escalation:
      - {at: 25%, notify: assignee}
      - {at: 50%, notify: department_manager}
      - {at: 75%, notify: reporting_line, level: 1}
      - {at: 100%, notify: department_manager}
      - {at: 150%, notify: top}
    steps:
      work:
        kind: task
        name: {zh: 处理, en: Work}
        transitions:
          - {key: done, to: end, label: {zh: 完成, en: Done}, roles: [agent]}
      end: {kind: end, name: {zh: 结束, en: End}}
""")
RUNGS = 5
ROOT = Path(__file__).resolve().parents[3]


def _start_worker(env: dict[str, str], name: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "fuwu.cli",
            "worker",
            "--interval",
            "0.05",
            "--sweep-interval",
            "0.3",
            "--worker-id",
            name,
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_each_rung_fires_once_with_two_workers_and_a_kill_9(world, tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: worker processes must share the test database")
    (tmp_path / "fast_clock.yaml").write_text(FAST, encoding="utf-8")
    assert not sync_library([tmp_path]).problems
    s = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{s['USER']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}",
        "FUWU_SWEEP_INTERVAL": "0.3",
    }
    workers = [_start_worker(env, "w1"), _start_worker(env, "w2")]
    try:
        # Both workers up (their first heartbeat) before the clocks start, so that on a loaded
        # machine one does not fire every rung while the other is still starting.
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and Heartbeat.objects.count() < 2:
            time.sleep(0.1)
        assert Heartbeat.objects.count() == 2, "the two workers did not start within a minute"
        agent = world.actor("agent")
        start = timezone.now() + timedelta(seconds=1)
        cases = [
            actions.open_case(
                agent,
                procedure_key="fast_clock",
                site_id=world.sites["lanting"].pk,
                channel="phone",
                title=f"快速 {i}",
                now=start,
            )
            for i in range(20)
        ]
        deadline = time.monotonic() + 60
        # Kill one worker while rungs are firing (between the 1 s and 6 s marks), then replace it.
        while time.monotonic() < deadline and Firing.objects.count() < 20:
            time.sleep(0.05)
        os.killpg(workers[0].pid, signal.SIGKILL)
        workers[0].wait(5)
        workers.append(_start_worker(env, "w3"))
        while time.monotonic() < deadline and Firing.objects.count() < len(cases) * RUNGS:
            time.sleep(0.2)
        time.sleep(1.5)  # anything fired twice would show up by now
    finally:
        for w in workers:
            if w.poll() is None:
                os.killpg(w.pid, signal.SIGKILL)
                w.wait(5)
    assert Firing.objects.count() == len(cases) * RUNGS
    workers_used = set(Firing.objects.values_list("worker", flat=True))
    assert len(workers_used) >= 2, workers_used
    for case in cases:
        keys = sorted(Firing.objects.filter(case=case).values_list("key", flat=True))
        assert keys == sorted(f"resolution:{i}:0" for i in range(RUNGS))
        assert Event.objects.filter(case=case, kind="escalated").count() == RUNGS
        assert Notification.objects.filter(case=case, kind="escalation").count() == RUNGS


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_schedule_occurrences_open_once_with_three_workers_at_once(world):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: worker processes must share the test database")
    from fuwu.campaigns.models import Occurrence, Schedule
    from fuwu.cases.models import Case

    schedule = Schedule.objects.create(
        site=world.sites["lanting"],
        procedure_key="property_repair",
        title="月度对账 {date}",
        rrule="FREQ=DAILY",
        dtstart=timezone.now() - timedelta(days=4, hours=1),
        data={"repair_item": "对账", "service_type": "free"},
    )
    s = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{s['USER']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}",
    }
    runs = [
        subprocess.Popen(
            [sys.executable, "-m", "fuwu.cli", "worker", "--batch", "--worker-id", f"b{i}"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for i in range(3)
    ]
    for r in runs:
        assert r.wait(60) == 0
    assert Occurrence.objects.filter(schedule=schedule).count() == 5  # 4 days ago … today
    assert (
        Case.objects.filter(procedure_key="property_repair", title__startswith="月度对账").count()
        == 5
    )
