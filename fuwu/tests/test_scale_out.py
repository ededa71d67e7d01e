"""Several app and worker processes on one PostgreSQL, under load: nothing lost, nothing twice.

Issue 14, "Several processes": two gunicorn instances (two gthread workers each) behind Debian's
haproxy (round robin) and two `fuwu worker` processes, all on this test's database, as an
organisation that outgrew one process would run them. Sixteen concurrent clients open 200 cases
through the proxy (some with an `Idempotency-Key`, sent twice at once, resent after the answer,
or resent after the client gave up waiting) and move half of them on. A procedure with clocks of
seconds makes every case's escalation rungs fall due within the test, and the workers fire them
and e-mail every notice (the file backend: one message per mail). Then:

- every acknowledged create (201) exists exactly once, and no case exists that was not
  acknowledged; the idempotent retries answered the same case;
- every rung fired exactly once per case (its `escalated` event and its `Firing` row), from both
  worker processes, and each notice was mailed exactly once to each recipient;
- `fuwu events verify` finds every case equal to its events; no response was a 5xx, and both
  app instances served requests.

Each process borrows its connections from its own pool (the default on PostgreSQL). Every
process is stopped in `finally` (their process groups), and a failure prints their logs.
PostgreSQL only: the processes must share the test database.
"""

from __future__ import annotations

import asyncio
import email
import email.policy
import io
import os
import resource
import secrets
import shutil
import subprocess
import sys
import textwrap
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from django.core.management import call_command
from django.db import connection
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from fuwu.cases.models import Case, Event
from fuwu.notifications.messages import render
from fuwu.notifications.models import Notification
from fuwu.procedures.registry import sync_library
from fuwu.sla.models import Firing
from fuwu.testing.processes import free_port, start, start_gunicorn, stop, tail, wait_healthy

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
WORKER = [sys.executable, "-m", "fuwu.cli", "worker"]
CASES = 200
CLIENTS = 16
PROCEDURE = "scale_out_clock"
# Resolution rungs on every case and a step rung on the cases moved to `review`. The notify
# targets reach one person (the department's manager, the next one up) or a whole department
# (its three people), so a notice fans out to several mails.
DEFINITION = textwrap.dedent(f"""
    key: {PROCEDURE}
    name: {{zh: 多进程时限, en: Scale-out clock}}
    seed: 测试
    calendar: 24x7
    owner: {{department: service_center}}
    start: work
    limits: {{resolution: 8s}}
    escalation:
      - {{at: 25%, notify: assignee}}
      - {{at: 50%, notify: department, department: service_center}}
      - {{at: 100%, notify: reporting_line, level: 1}}
      - {{at: 50%, clock: step, notify: department_manager}}
    steps:
      work:
        kind: task
        name: {{zh: 处理, en: Work}}
        transitions:
          - {{key: review, to: review, label: {{zh: 复核, en: Review}}, roles: [agent]}}
      review:
        kind: task
        name: {{zh: 复核, en: Review}}
        limit: 6s
        transitions:
          - {{key: done, to: end, label: {{zh: 完成, en: Done}}, roles: [agent]}}
      end: {{kind: end, name: {{zh: 结束, en: End}}}}
""")
RESOLUTION_RUNGS = 3
STEP_RUNG = 3  # its index in `escalation`
HAPROXY = textwrap.dedent("""
    global
        maxconn 256
    defaults
        mode http
        timeout connect 5s
        timeout client 60s
        timeout server 60s
    frontend fuwu
        bind 127.0.0.1:{port}
        default_backend apps
    backend apps
        balance roundrobin
        http-response set-header X-Fuwu-Backend %s
        server app1 127.0.0.1:{app1}
        server app2 127.0.0.1:{app2}
""")


@dataclass
class Load:
    """What the clients saw."""

    acknowledged: dict[str, int] = field(default_factory=dict)  # title → case id (a 201)
    moved: set[int] = field(default_factory=set)  # cases whose transition answered 200
    statuses: Counter[int] = field(default_factory=Counter)
    backends: Counter[str] = field(default_factory=Counter)
    replayed: int = 0
    stale_retries: int = 0
    gave_up: int = 0  # requests the client stopped waiting for on purpose (then resent)
    problems: list[str] = field(default_factory=list)


class Client:
    def __init__(self, http: httpx.AsyncClient, tokens: list[str], load: Load) -> None:
        self.http, self.tokens, self.load = http, tokens, load

    async def send(
        self, method: str, path: str, n: int, body: Any = None, key: str = "", timeout: float = 60
    ) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.tokens[n % len(self.tokens)]}"}
        if key:
            headers["Idempotency-Key"] = key
        r = await self.http.request(method, path, json=body, headers=headers, timeout=timeout)
        self.load.statuses[r.status_code] += 1
        self.load.backends[r.headers.get("X-Fuwu-Backend", "?")] += 1
        return r

    def created(self, title: str, r: httpx.Response) -> int | None:
        if r.status_code != 201:
            self.load.problems.append(f"create {title}: HTTP {r.status_code} {r.text[:200]}")
            return None
        case_id = int(r.json()["id"])
        if r.headers.get("Idempotent-Replayed") == "true":
            self.load.replayed += 1
        known = self.load.acknowledged.setdefault(title, case_id)
        if known != case_id:
            self.load.problems.append(f"{title}: acknowledged as {known} and as {case_id}")
        return case_id

    async def create(self, n: int) -> dict[str, Any] | None:
        title = f"多进程 {n}"
        body = {"procedure": PROCEDURE, "site": "lanting", "channel": "phone", "title": title}
        path = "/api/cases"
        key = str(uuid.uuid4())
        if n % 8 == 1:  # the same request twice at once: one writes, the other gets its answer
            answers = await asyncio.gather(*(self.send("POST", path, n, body, key) for _ in "ab"))
            ids = {self.created(title, r) for r in answers}
            fresh = [r for r in answers if r.headers.get("Idempotent-Replayed") != "true"]
            if len(fresh) != 1:
                self.load.problems.append(f"{title}: {len(fresh)} of 2 answers not replayed")
            first = answers[0]
        elif n % 8 == 3:  # the client stops waiting (the answer is lost), then sends it again
            try:
                await self.send("POST", path, n, body, key, timeout=0.005)
            except httpx.TimeoutException:
                self.load.gave_up += 1
            first = await self.send("POST", path, n, body, key)
            ids = {self.created(title, first)}
        elif n % 8 == 5:  # resent after the answer came: the first answer again, nothing new
            first = await self.send("POST", path, n, body, key)
            again = await self.send("POST", path, n, body, key)
            ids = {self.created(title, first), self.created(title, again)}
            if again.headers.get("Idempotent-Replayed") != "true":
                self.load.problems.append(f"{title}: the resent request was not replayed")
        else:
            first = await self.send("POST", path, n, body)
            ids = {self.created(title, first)}
        if None in ids or len(ids) != 1:
            return None
        return dict(first.json())

    async def move(self, n: int, case: dict[str, Any]) -> None:
        """Take `review`; a rung fired meanwhile moves the version on (409 stale): read, retry."""
        path = f"/api/cases/{case['id']}/transitions/review"
        version = case["version"]
        for _ in range(10):
            body = {"version": version, "form": {}, "checklist": {}}
            r = await self.send("POST", path, n, body)
            if r.status_code == 200:
                self.load.moved.add(int(case["id"]))
                return
            if r.status_code != 409:
                break
            self.load.stale_retries += 1
            version = (await self.send("GET", f"/api/cases/{case['id']}", n)).json()["version"]
        self.load.problems.append(f"review {case['id']}: HTTP {r.status_code} {r.text[:200]}")


async def drive(url: str, tokens: list[str]) -> Load:
    load = Load()
    numbers = iter(range(CASES))
    limits = httpx.Limits(max_connections=CLIENTS * 2, max_keepalive_connections=CLIENTS * 2)
    async with httpx.AsyncClient(base_url=url, limits=limits) as http:
        client = Client(http, tokens, load)

        async def one_client() -> None:
            for n in numbers:  # shared: each number is taken by one client
                try:
                    case = await client.create(n)
                    if case is not None and n % 2 == 0:
                        await client.move(n, case)
                except httpx.HTTPError as exc:
                    load.problems.append(f"case {n}: {exc.__class__.__name__}: {exc}")

        await asyncio.gather(*(one_client() for _ in range(CLIENTS)))
    return load


def mails(folder: Path) -> Counter[tuple[str, str]]:
    """(recipient, subject) of every message the file backend wrote, however many per file."""
    found: Counter[tuple[str, str]] = Counter()
    for path in folder.glob("*.log"):
        for raw in path.read_bytes().split(b"-" * 79 + b"\n"):
            if raw.strip():
                msg = email.message_from_bytes(raw.rstrip(b"\n"), policy=email.policy.default)
                found[(str(msg["To"]), str(msg["Subject"]))] += 1
    return found


def wait_for(done: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if done():
            return True
        time.sleep(0.5)
    return done()


@pytest.mark.slow
@pytest.mark.postgres_once
@pytest.mark.django_db(transaction=True)
def test_two_app_servers_and_two_workers_lose_nothing_and_do_nothing_twice(world, tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: the app and worker processes share the test database")
    haproxy = shutil.which("haproxy") or (
        "/usr/sbin/haproxy" if Path("/usr/sbin/haproxy").exists() else None
    )
    if haproxy is None:
        if os.environ.get("CI"):
            pytest.fail("haproxy is not installed (apt-get install haproxy)")
        pytest.skip("haproxy is not installed (apt-get install haproxy)")
    (tmp_path / f"{PROCEDURE}.yaml").write_text(DEFINITION, encoding="utf-8")
    assert not sync_library([tmp_path]).problems
    tokens = [world.token("agent"), world.token("agent2")]
    s = connection.settings_dict
    var = tmp_path / "var"
    env = {
        **os.environ,
        "DATABASE_URL": (
            f"postgres://{s['USER']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"
        ),
        "PYTHONPATH": str(ROOT),
        "DJANGO_SETTINGS_MODULE": "fuwu.settings",
        "FUWU_VAR_DIR": str(var),  # the mail files land in var/mail
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "SECRET_KEY": secrets.token_urlsafe(48),  # one key for every process, as on several hosts
        "FUWU_SWEEP_INTERVAL": "1",
        "LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
    }
    env.pop("FUWU_CACHE_DIR", None)
    ports = [free_port(), free_port()]
    proxy_port = free_port()
    (tmp_path / "haproxy.cfg").write_text(
        HAPROXY.format(port=proxy_port, app1=ports[0], app2=ports[1]), encoding="utf-8"
    )
    logs = [tmp_path / name for name in ("app1.log", "app2.log", "w1.log", "w2.log", "haproxy.log")]
    procs: list[subprocess.Popen[bytes]] = []
    t0 = time.monotonic()
    try:
        apps = [
            start_gunicorn(BIN, env, logs[i], ROOT, port, workers=2, threads=4)
            for i, port in enumerate(ports)
        ]
        procs += apps
        workers = [
            start(
                [*WORKER, "--interval", "0.1", "--sweep-interval", "1", "--worker-id", name],
                env,
                logs[2 + i],
                ROOT,
            )
            for i, name in enumerate(("w1", "w2"))
        ]
        procs += workers
        procs.append(
            start([haproxy, "-db", "-f", str(tmp_path / "haproxy.cfg")], env, logs[4], ROOT)
        )
        for app, port in zip(apps, ports, strict=True):
            wait_healthy(f"http://127.0.0.1:{port}", app, timeout=90)
        started = time.monotonic()
        load = asyncio.run(drive(f"http://127.0.0.1:{proxy_port}", tokens))
        loaded = time.monotonic()

        # Every rung falls due within eight seconds of its case's creation (the step rung three
        # seconds after the move); the workers fire them and mail every notice.
        expected_firings = len(load.acknowledged) * RESOLUTION_RUNGS + len(load.moved)
        pending = [TaskResultStatus.READY, TaskResultStatus.RUNNING]
        settled = wait_for(
            lambda: (
                Firing.objects.filter(case__procedure_key=PROCEDURE).count() >= expected_firings
                and not Notification.objects.filter(emailed_at__isnull=True).exists()
                and not DBTaskResult.objects.filter(status__in=pending).exists()
            ),
            90,
        )
        time.sleep(2)  # a rung or a mail done twice would show by now
        fired = time.monotonic()
    except BaseException:
        for log in logs:
            print(tail(log))
        raise
    finally:
        cpu = {}  # CPU seconds of each process and its children, known once it is reaped
        for log, proc in reversed(list(zip(logs, procs, strict=False))):
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            stop(proc)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu[log.stem] = round(
                after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime, 1
            )

    try:
        # -- the answers --
        print(
            f"start {started - t0:.1f} s, load {loaded - started:.1f} s, rungs and mail "
            f"{fired - loaded:.1f} s; statuses {dict(load.statuses)}, backends "
            f"{dict(load.backends)}, replayed {load.replayed}, gave up {load.gave_up}, "
            f"stale retried {load.stale_retries}; CPU s {cpu}"
        )
        assert load.problems == []
        assert not [status for status in load.statuses if status >= 500], load.statuses
        assert len(load.acknowledged) == CASES and len(load.moved) == CASES // 2
        assert load.replayed >= CASES // 8 * 2  # at least the twice-sent and the resent
        total = sum(load.backends.values())
        assert min(load.backends["app1"], load.backends["app2"]) > total / 4, load.backends

        # -- every acknowledged create exists once, and nothing else --
        cases = {c.title: c for c in Case.objects.filter(procedure_key=PROCEDURE)}
        assert Case.objects.filter(procedure_key=PROCEDURE).count() == len(cases) == CASES
        assert {t: c.pk for t, c in cases.items()} == load.acknowledged
        moved = {c.pk for c in cases.values() if c.step == "review"}
        assert moved == load.moved

        # -- nothing done twice: no rung fired twice, no mail sent twice --
        escalations = list(Event.objects.filter(case__procedure_key=PROCEDURE, kind="escalated"))
        escalated = Counter((e.case_id, e.data["key"]) for e in escalations)
        firings = Counter(
            Firing.objects.filter(case__procedure_key=PROCEDURE).values_list("case_id", "key")
        )
        assert escalated == firings
        assert set(escalated.values()) <= {1}
        notices = list(
            Notification.objects.filter(case__procedure_key=PROCEDURE).select_related(
                "recipient__staff"
            )
        )
        assert len(notices) == sum(len(e.data["recipients"]) for e in escalations)
        expected_mail = Counter(
            (n.recipient.email, render(n.kind, n.data, n.recipient.staff.language)[:120])
            for n in notices
        )
        assert set(expected_mail.values()) <= {1}  # each notice has a mail of its own
        sent = mails(var / "mail")
        twice = {mail: count for mail, count in sent.items() if count > 1}
        assert twice == {}, f"{len(twice)} mails sent more than once, e.g. {next(iter(twice))}"
        assert set(sent) <= set(expected_mail), set(sent) - set(expected_mail)

        # -- nothing lost: every rung of every case fired (from both workers), every notice mailed
        assert settled, "the workers did not fire every rung and send every mail in 90 s"
        for case in cases.values():
            keys = {key for (case_id, key) in escalated if case_id == case.pk}
            resolution = {k for k in keys if k.startswith("resolution:")}
            assert resolution == {f"resolution:{i}:0" for i in range(RESOLUTION_RUNGS)}, case.pk
            step = {k for k in keys if k.startswith(f"step:{STEP_RUNG}:")}
            assert len(step) == (1 if case.pk in moved else 0), (case.pk, keys)
        assert sum(escalated.values()) == expected_firings
        by_worker = Counter(Firing.objects.values_list("worker", flat=True))
        pids = {str(w.pid) for w in workers}
        processes = {w if w in ("w1", "w2") else w.rsplit(":", 1)[-1] for w in by_worker}
        assert processes & {"w1", *pids} and processes & {"w2", *pids}, by_worker
        assert len(notices) > expected_firings  # a rung told the whole department
        assert all(n.emailed_at is not None and not n.email_error for n in notices)
        assert sent == expected_mail

        # -- the cases agree with their events (`fuwu events verify`, which exits 1 on a
        # difference by raising CommandError) --
        out = io.StringIO()
        call_command("events", "verify", stdout=out)
        assert "All cases agree with their events." in out.getvalue()
    except BaseException:
        for log in logs:
            print(tail(log))
        raise
