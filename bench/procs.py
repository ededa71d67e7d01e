"""Benchmark process helpers: CPU time and memory from /proc. Starting and stopping servers in
process groups is shared with the tests (fuwu.testing.processes) and re-exported here."""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from fuwu.testing.processes import free_port, start, start_gunicorn, stop, wait_healthy

__all__ = [
    "CpuWatch",
    "busy_fraction",
    "children",
    "cpu_by_pid",
    "cpu_seconds",
    "free_port",
    "machine_busy_seconds",
    "postgres_pids",
    "rss_mb",
    "smaps_mb",
    "start",
    "start_gunicorn",
    "stop",
    "wait_healthy",
    "wait_quiet",
]

CLK_TCK = os.sysconf("SC_CLK_TCK")


def _stat_fields(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # the command name (field 2) may contain spaces; everything after the last ')' is fixed
    return text[text.rfind(")") + 2 :].split()


def children(pid: int) -> list[int]:
    """Direct children of `pid` (scans /proc; no CONFIG_PROC_CHILDREN needed)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            fields = _stat_fields(int(entry.name))
            if fields and int(fields[1]) == pid:
                found.append(int(entry.name))
    return sorted(found)


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time of these processes (not their children), in seconds."""
    total = 0
    for pid in pids:
        fields = _stat_fields(pid)
        if fields:
            total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14, 15)
    return total / CLK_TCK


def cpu_by_pid(pids: list[int]) -> dict[int, float]:
    return {pid: cpu_seconds([pid]) for pid in pids}


def machine_busy_seconds() -> float:
    """CPU-seconds the whole machine spent busy since boot (all cores; idle and iowait excluded)."""
    parts = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    values = [int(v) for v in parts[:8]]
    return (sum(values) - values[3] - values[4]) / CLK_TCK


def postgres_pids(database: str) -> list[int]:
    """PostgreSQL backends serving `database`, plus the shared writer processes."""
    found = []
    shared = ("walwriter", "checkpointer", "background writer")
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() != "postgres":
                    continue
                title = (
                    (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
                )
            except OSError:
                continue
            if f" {database} " in title or any(title.rstrip().endswith(f": {s}") for s in shared):
                found.append(int(entry.name))
    return found


def busy_fraction(seconds: float = 1.0) -> float:
    """Share of the whole machine (0..1) busy over the next `seconds`."""
    b0, t0 = machine_busy_seconds(), time.perf_counter()
    time.sleep(seconds)
    return (machine_busy_seconds() - b0) / ((time.perf_counter() - t0) * (os.cpu_count() or 1))


def wait_quiet(limit: float, threshold: float = 0.15) -> float:
    """Wait (at most `limit` s) until the machine is below `threshold` busy; returns the reading."""
    deadline = time.monotonic() + limit
    busy = busy_fraction()
    while busy > threshold and time.monotonic() < deadline:
        busy = busy_fraction(2.0)
    return busy


def rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def smaps_mb(pid: int) -> dict[str, float] | None:
    """A process's memory beside its RSS (/proc/<pid>/smaps_rollup): `pss` counts each page
    shared with other processes (the workers' common libraries) by its share, `anonymous` is
    the process's own heap (what a fork with `gc.freeze` could share, what it cannot give
    back), `file` the mapped files and libraries RSS also counts."""
    fields = {"Rss": "rss", "Pss": "pss", "Anonymous": "anonymous"}
    try:
        lines = Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()
    except OSError:
        return None
    found = {
        fields[name]: int(rest.split()[0]) / 1024
        for name, _, rest in (line.partition(":") for line in lines)
        if name in fields
    }
    if len(found) < len(fields):
        return None
    found["file"] = found["rss"] - found["anonymous"]
    return found


@dataclass
class CpuWatch:
    """CPU used in one phase by the server, the task worker, this load generator and the rest.

    PostgreSQL backends come and go (Django closes a connection older than CONN_MAX_AGE), so a
    thread samples them twice a second and keeps the last reading of every backend it saw.
    """

    server: list[int]
    worker: list[int]
    database: str | None = None  # PostgreSQL database name, to count its backends' CPU
    t0: float = 0.0
    server0: float = 0.0
    worker0: float = 0.0
    self0: float = 0.0
    busy0: float = 0.0
    db0: dict[int, float] = field(default_factory=dict)
    db_last: dict[int, float] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)
    _sampler: threading.Thread | None = None

    def _sample(self) -> None:
        if self.database:
            self.db_last.update(cpu_by_pid(postgres_pids(self.database)))

    def _run(self) -> None:
        while not self._stop.wait(0.5):
            self._sample()

    def begin(self) -> None:
        self.db_last = {}
        self._sample()
        self.db0 = dict(self.db_last)
        self.t0, self.busy0 = time.perf_counter(), machine_busy_seconds()
        self.server0, self.worker0 = cpu_seconds(self.server), cpu_seconds(self.worker)
        self.self0 = time.process_time()
        if self.database:
            self._stop.clear()
            self._sampler = threading.Thread(target=self._run, daemon=True, name="cpu-sampler")
            self._sampler.start()

    def end(self) -> dict[str, float]:
        wall = time.perf_counter() - self.t0
        busy = machine_busy_seconds() - self.busy0
        server = cpu_seconds(self.server) - self.server0
        worker = cpu_seconds(self.worker) - self.worker0
        loadgen = time.process_time() - self.self0
        if self._sampler is not None:
            self._stop.set()
            self._sampler.join(timeout=5)
            self._sampler = None
        self._sample()
        # a backend born during the phase counts whole; one that exited counts to its last sample
        database = sum(max(0.0, v - self.db0.get(p, 0.0)) for p, v in self.db_last.items())
        cores = os.cpu_count() or 1
        return {
            "wall_s": round(wall, 3),
            "machine_busy_s": round(busy, 2),
            "machine_util_pct": round(100 * busy / (wall * cores), 1) if wall else 0.0,
            "server_cpu_s": round(server, 2),
            "task_worker_cpu_s": round(worker, 2),
            "loadgen_cpu_s": round(loadgen, 2),
            "postgres_cpu_s": round(database, 2),
            # the rest: kernel threads, and anything else running on the machine meanwhile
            "other_cpu_s": round(max(0.0, busy - server - worker - loadgen - database), 2),
        }
