"""Real server processes for tests and the benchmark: gunicorn, `fuwu worker`, a proxy.

Each process is started in its own process group with its output appended to a log file, so
`stop` ends it with everything it started (gunicorn's workers), and a failing test can show the
log's tail. Used by `bench/` (through `bench.procs`) and by the multi-process test
(`fuwu/tests/test_scale_out.py`).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from pathlib import Path
from typing import IO, Any

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(argv: list[str], env: dict[str, str], log: Path, cwd: Path) -> subprocess.Popen[bytes]:
    """Start a command in its own process group, output appended to `log`."""
    out: IO[Any] = log.open("ab")
    try:
        return subprocess.Popen(
            argv,
            env=env,
            cwd=cwd,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            process_group=0,
        )
    finally:
        out.close()


def stop(proc: subprocess.Popen[bytes] | None, timeout: float = 15.0) -> None:
    """SIGTERM the process group, then SIGKILL it if it is still there after `timeout`."""
    if proc is None or proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=5)


def start_gunicorn(
    bin_dir: Path, env: dict[str, str], log: Path, cwd: Path, port: int, workers: int, threads: int
) -> subprocess.Popen[bytes]:
    """`gunicorn fuwu.wsgi` with gthread workers on a loopback port, in its own process group."""
    return start(
        [
            str(bin_dir / "gunicorn"),
            "fuwu.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--worker-class",
            "gthread",
            "--threads",
            str(threads),
            "--log-level",
            "warning",
        ],
        env,
        log,
        cwd,
    )


def wait_healthy(url: str, server: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    last = ""
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited ({server.returncode}) before /healthz answered")
        try:
            r = httpx.get(f"{url}/healthz", timeout=2.0)
            # The web side is up when the database answers; 503 "worker stale" only says that
            # no background worker has checked in yet (the page benchmark runs none).
            if r.status_code == 200 or (r.status_code == 503 and r.json().get("database") == "ok"):
                return
            last = f"HTTP {r.status_code} {r.text[:200]}"
        except httpx.HTTPError as exc:
            last = exc.__class__.__name__
        time.sleep(0.2)
    raise RuntimeError(f"/healthz not 200 after {timeout:.0f} s: {last}")


def tail(log: Path, lines: int = 40) -> str:
    """The last lines of a process's log, for a failure message."""
    if not log.exists():
        return f"==> {log.name}: (no log)"
    text = log.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:]
    return "\n".join([f"==> {log.name} (last {len(text)} lines)", *text])
