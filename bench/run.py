"""`make bench`: Fuwu's API under load on SQLite and PostgreSQL, against the machine's raw limit.

For each database: a fresh database (`fuwu setup --no-demo`, the test world, three API tokens),
then for each gunicorn worker count a real server plus `fuwu worker`, and four load phases with
N concurrent keep-alive clients: warm-up, create only, one transition only (issue_work_order on
the cases just created) and full walks of property repairs from creation to archive. Then the
same rows written straight through the DB driver (bench.rawdb) as the ceiling to compare with.
See bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import psycopg

from bench import channels as channel_bench
from bench import pages, rawdb, workshop
from bench import reports as report_bench
from bench import routes as route_bench
from bench import sheets as sheet_bench
from bench.load import Api, PhaseResult, run_phase
from bench.procs import (
    CpuWatch,
    children,
    free_port,
    rss_mb,
    smaps_mb,
    start,
    start_gunicorn,
    stop,
    wait_healthy,
    wait_quiet,
)

ROOT = Path(__file__).resolve().parent.parent
BIN = ROOT / ".venv" / "bin"
RESULTS = ROOT / "bench" / "results"
PG_ADMIN = "postgres://postgres@127.0.0.1:5432/postgres"
PERSONAS = ("agent", "dispatcher", "technician")
# --size: the cases written before the page timings (--page-cases).
SIZES = {"100k": 100_000, "1m": 1_000_000}
FIXTURES = "from fuwu.testing.factories import build_world; build_world(always_open=True)"
# Targets, per request kind at 16 concurrent clients.
TARGETS = {
    "sqlite": {"create": 600.0, "transition": 850.0},
    "postgres": {"create": 450.0, "transition": 600.0},
}
P99_TARGET_MS = 100.0
RSS_TARGET_MB = 100.0  # issue 14: each gunicorn worker under 100 MB resident after the run
NOISE_SHARE = 0.10  # CPU used by foreign processes above this share of the machine = noisy run
PHASES = ("create", "transition", "flow")


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n")[0])
    p.add_argument(
        "--cases",
        type=int,
        default=300,
        help="cases per phase: created (create phase), moved (transition phase) and "
        "walked to archive (flow phase, 7 requests each); default 300, sized for a few "
        "minutes at today's ~75 requests/s on 2 cores",
    )
    p.add_argument("--clients", type=int, default=16, help="concurrent clients (default 16)")
    p.add_argument("--db", default="sqlite,postgres", help="comma list: sqlite,postgres")
    p.add_argument(
        "--workers",
        default="2,3",
        help="gunicorn worker counts to try, comma list; the one with the best "
        "full-flow cases/s is the headline (default 2,3)",
    )
    p.add_argument(
        "--client",
        choices=["httpx", "raw"],
        default="httpx",
        help="load generator transport: httpx.AsyncClient pool (default) or a lean raw-socket "
        "HTTP/1.1 client that leaves more CPU to the server",
    )
    p.add_argument("--threads", type=int, default=4, help="gthread threads per worker (default 4)")
    p.add_argument("--warmup", type=int, default=48, help="untimed full walks first (default 48)")
    p.add_argument("--raw-threads", type=int, default=16, help="threads for the raw DB limit")
    p.add_argument(
        "--phase-timeout",
        type=float,
        default=240.0,
        help="seconds after which a phase stops taking new work (default 240)",
    )
    p.add_argument(
        "--wait-quiet",
        type=float,
        default=30.0,
        help="wait up to this many seconds for an idle machine before each server run (30)",
    )
    p.add_argument("--no-raw", action="store_true", help="skip the raw DB limit")
    p.add_argument(
        "--only",
        default="api,pages,workshop,routes,sheets,channels",
        help="comma list of parts to run: api (load phases and raw limit), pages (page timings "
        "with --page-cases cases), workshop (capacity and appointment timings with "
        "--workshop-technicians and --workshop-appointments), routes (the route planner on "
        "Solomon's VRPTW instances, no database), sheets (export of --sheets-rows cases to CSV "
        "and xlsx, import of --sheets-units units), channels (--channel-messages e-mails and as many "
        "WeChat messages turned into cases), reports (the report pages with --report-cases "
        "cases: not in the default, its million cases take half an hour); default all but "
        "reports, e.g. --only pages",
    )
    p.add_argument(
        "--instances",
        default="",
        help="routes: comma list of Solomon instances (default all 29 of C1, R1, RC1)",
    )
    p.add_argument(
        "--route-seconds",
        type=float,
        default=10.0,
        help="routes: time limit per Solomon instance (default 10 s)",
    )
    p.add_argument(
        "--route-objective",
        choices=["distance", "fleet"],
        default="fleet",
        help="routes: vehicles first then distance (default, as the best known solutions), or "
        "total distance only",
    )
    p.add_argument(
        "--route-clock",
        choices=["wall", "cpu"],
        default="wall",
        help="routes: the limit counts wall time (default), or this process's CPU time (on a "
        "shared machine, what the wall time would be on an idle one)",
    )
    p.add_argument(
        "--route-seed",
        type=int,
        default=1,
        help="routes: the solver's seed (default 1)",
    )
    p.add_argument(
        "--page-cases",
        type=int,
        default=100_000,
        help="cases written (bulk) before the page timings (default 100000)",
    )
    p.add_argument(
        "--size",
        choices=sorted(SIZES),
        help="pages: a preset for --page-cases: 100k (the default) or 1m (issue 14: a million "
        "cases; the fill with --fill-jobs 2 on PostgreSQL)",
    )
    p.add_argument(
        "--fill-jobs",
        type=int,
        default=0,
        help="pages: processes of bench.fill on PostgreSQL (default 2 from 1m cases on, else 1)",
    )
    p.add_argument(
        "--page-database",
        default="",
        help="pages: a PostgreSQL database filled before (`python -m bench.fill`), migrated and "
        "used as it is (not dropped) instead of a fresh one; the sweep's writes are rolled back",
    )
    p.add_argument(
        "--sweep-due",
        type=int,
        default=2000,
        help="pages: open cases due in the escalation sweep's timing (default 2000; 0: no sweep)",
    )
    p.add_argument(
        "--page-requests", type=int, default=200, help="timed requests per page kind (200)"
    )
    p.add_argument(
        "--page-warmup", type=int, default=20, help="untimed requests per page kind first (20)"
    )
    p.add_argument(
        "--page-timeout",
        type=float,
        default=600.0,
        help="the page timings send no new request after this many seconds (default 600)",
    )
    p.add_argument(
        "--page-workers", type=int, default=2, help="gunicorn workers for the page timings (2)"
    )
    p.add_argument(
        "--page-via",
        choices=["pages", "api", "both"],
        default="pages",
        help="time the staff pages (default), the JSON API with the same filters, or both",
    )
    p.add_argument(
        "--report-cases",
        type=int,
        default=1_000_000,
        help="reports: cases written (bulk) before the report timings (default 1000000)",
    )
    p.add_argument(
        "--report-requests", type=int, default=30, help="reports: timed requests per kind (30)"
    )
    p.add_argument(
        "--report-warmup", type=int, default=3, help="reports: untimed requests per kind (3)"
    )
    p.add_argument(
        "--report-database",
        default="",
        help="reports: a PostgreSQL database filled before (`python -m bench.fill`), used as it "
        "is instead of a fresh one (its reporting model is rebuilt; it is not dropped)",
    )
    p.add_argument(
        "--report-check",
        action="store_true",
        help="reports: also run `fuwu reports check` after the rebuild (memory: ~5 GB at 1M)",
    )
    p.add_argument(
        "--workshop-technicians", type=int, default=30, help="technicians of the workshop (30)"
    )
    p.add_argument(
        "--workshop-appointments",
        type=int,
        default=5000,
        help="appointments written before the workshop timings (5000)",
    )
    p.add_argument(
        "--sheets-rows", type=int, default=100_000, help="sheets: cases exported (100000)"
    )
    p.add_argument(
        "--sheets-units", type=int, default=5000, help="sheets: units imported with residents"
    )
    p.add_argument(
        "--channel-messages",
        type=int,
        default=1000,
        help="channels: e-mails posted, and as many WeChat messages (1000)",
    )
    p.add_argument("--keep", action="store_true", help="keep the temp dir (logs, SQLite file)")
    p.add_argument("--out", type=Path, default=RESULTS, help="directory for the JSON results")
    args = p.parse_args(argv)
    args.db = [d.strip() for d in args.db.split(",") if d.strip()]
    args.workers = [int(w) for w in args.workers.split(",") if w.strip()]
    args.only = [o.strip() for o in args.only.split(",") if o.strip()]
    if not set(args.db) <= {"sqlite", "postgres"} or not args.workers or args.cases < 1:
        p.error("--db takes sqlite,postgres; --workers and --cases must be positive")
    args.instances = [i.strip().upper() for i in args.instances.split(",") if i.strip()]
    if args.report_database and (args.only != ["reports"] or args.db != ["postgres"]):
        p.error("--report-database goes with --only reports --db postgres")
    if args.page_database and (args.only != ["pages"] or args.db != ["postgres"]):
        p.error("--page-database goes with --only pages --db postgres")
    if args.size:
        if "--page-cases" in (argv if argv is not None else sys.argv[1:]):
            p.error("--size sets --page-cases: give one of them")
        args.page_cases = SIZES[args.size]
    if not args.only or not set(args.only) <= {
        "api",
        "pages",
        "workshop",
        "routes",
        "sheets",
        "channels",
        "reports",
    }:
        p.error("--only takes api,pages,workshop,routes,sheets,channels,reports")
    return args


# -- preparing a database --------------------------------------------------------------------


def run_cmd(argv: list[str], env: dict[str, str], timeout: float = 300.0) -> str:
    r = subprocess.run(argv, env=env, cwd=ROOT, capture_output=True, text=True, timeout=timeout)
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} failed ({r.returncode}):\n{r.stdout}\n{r.stderr}")
    return r.stdout


def prepare(env: dict[str, str]) -> dict[str, str]:
    """Migrate, load the procedures, build the test world; returns a raw token per persona."""
    t0 = time.perf_counter()
    fuwu = str(BIN / "fuwu")
    run_cmd([fuwu, "setup", "--no-demo"], env)
    run_cmd([fuwu, "shell", "-c", FIXTURES], env)
    tokens = {}
    for persona in PERSONAS:
        out = run_cmd([fuwu, "token", "create", persona, "--name", "bench"], env)
        tokens[persona] = out.strip().splitlines()[-1].strip() if out.strip() else ""
        if not tokens[persona].startswith("fw_"):
            raise RuntimeError(f"unexpected `fuwu token create {persona}` output: {out!r}")
    log(f"database ready in {time.perf_counter() - t0:.1f} s")
    return tokens


def pg_admin(sql: str) -> None:
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(sql)  # type: ignore[arg-type]


def raw_target(env: dict[str, str]) -> tuple[str | None, str | None]:
    """(sqlite path, None) or (None, PostgreSQL URL) for bench.rawdb."""
    url = env.get("DATABASE_URL")
    return (None, url) if url else (str(Path(env["FUWU_VAR_DIR"]) / "fuwu.sqlite3"), None)


# -- one server configuration ----------------------------------------------------------------


@dataclass
class Run:
    workers: int
    machine_busy_before: float = 0.0
    phases: dict[str, dict[str, Any]] = field(default_factory=dict)
    rss_mb: dict[str, float | None] = field(default_factory=dict)
    memory_mb: dict[str, dict[str, float] | None] = field(default_factory=dict)  # smaps_rollup
    task_worker_rss_mb: float | None = None
    template_case: int | None = None
    server_log_tail: list[str] = field(default_factory=list)  # kept when requests failed

    def flow_rate(self) -> float:
        return float(self.phases.get("flow", {}).get("items_per_s", 0.0))

    def errors(self) -> int:
        return sum(int(p.get("errors", 0)) for p in self.phases.values())


def phase_summary(r: PhaseResult) -> dict[str, Any]:
    d = r.as_dict()
    cpu, reqs = d["cpu"], max(1, d["requests"])
    if cpu:
        d["cpu_ms_per_request"] = {
            k.removesuffix("_s"): round(1000 * v / reqs, 2)
            for k, v in cpu.items()
            if k.endswith("cpu_s")
        }
        cores = os.cpu_count() or 1
        d["noisy"] = cpu["other_cpu_s"] > NOISE_SHARE * cpu["wall_s"] * cores
        # What the cores would give if our processes (server, worker, load generator, database)
        # had them to themselves and were CPU-bound: a ceiling that survives a noisy machine.
        ours = sum(v for k, v in d["cpu_ms_per_request"].items() if k != "other_cpu")
        per_item = d["requests"] / max(1, d["ok"])
        d["cpu_bound_items_per_s"] = round(cores * 1000 / ours / per_item, 1) if ours else 0.0
    return d


async def load_phases(
    url: str, tokens: dict[str, str], args: argparse.Namespace, watch: CpuWatch, run: Run
) -> None:
    created: list[dict[str, Any]] = []

    async def walk(api: Api, i: int) -> bool:
        return await api.walk(i)

    async def create(api: Api, i: int) -> bool:
        case = await api.create(i)
        if case is not None:
            created.append(case)
        return case is not None

    async def transition(api: Api, i: int) -> bool:
        form = {"details_confirmed": True}
        return (
            await api.step(created[i], "agent", "transition", "issue_work_order", form, {})
            is not None
        )

    async def phase(name: str, items: int, job: Any, timed: bool = True) -> PhaseResult:
        return await run_phase(
            name,
            url,
            tokens,
            args.clients,
            items,
            job,
            args.phase_timeout,
            args.client,
            watch.begin if timed else None,
            watch.end if timed else None,
        )

    warm = await phase("warmup", args.warmup, walk, timed=False)
    run.phases["warmup"] = phase_summary(warm)
    log(f"  warm-up    {warm.ok:>5}/{warm.items:<5} walks, errors {warm.rec.errors}")
    run.phases["create"] = phase_summary(await phase("create", args.cases, create))
    if created:
        run.template_case = int(created[0]["id"])
    run.phases["transition"] = phase_summary(await phase("transition", len(created), transition))
    run.phases["flow"] = phase_summary(await phase("flow", args.cases, walk))
    for name in PHASES:
        p = run.phases[name]
        log(
            f"  {name:<10} {p['ok']:>5}/{p['items']:<5} {p['items_per_s']:>7.1f}/s "
            f"{p['requests_per_s']:>7.1f} req/s  errors {p['errors']}"
            + ("  (NOISY: other processes used the CPU)" if p.get("noisy") else "")
        )


def serve_and_load(
    kind: str,
    env: dict[str, str],
    tmp: Path,
    tokens: dict[str, str],
    workers: int,
    args: argparse.Namespace,
) -> tuple[Run, rawdb.Template | None]:
    run = Run(workers=workers, machine_busy_before=round(wait_quiet(args.wait_quiet), 3))
    if run.machine_busy_before > 0.15:
        log(f"WARNING: the machine is {run.machine_busy_before:.0%} busy before the run")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = worker = None
    template = None
    try:
        server = start_gunicorn(
            BIN, env, tmp / f"gunicorn-w{workers}.log", ROOT, port, workers, args.threads
        )
        worker = start([str(BIN / "fuwu"), "worker"], env, tmp / f"worker-w{workers}.log", ROOT)
        wait_healthy(url, server)
        deadline = time.monotonic() + 30
        while len(children(server.pid)) < workers and time.monotonic() < deadline:
            time.sleep(0.2)
        server_pids = children(server.pid)
        log(
            f"{kind}: gunicorn {workers} workers × {args.threads} threads on :{port} "
            f"(pids {server_pids}), task worker {worker.pid}"
        )
        db_name = env["DATABASE_URL"].rsplit("/", 1)[1] if "DATABASE_URL" in env else None
        worker_pids = [worker.pid, *children(worker.pid)]
        watch = CpuWatch(server=[server.pid, *server_pids], worker=worker_pids, database=db_name)
        asyncio.run(load_phases(url, tokens, args, watch, run))
        run.rss_mb = {str(pid): rss_mb(pid) for pid in children(server.pid)}
        run.memory_mb = {str(pid): smaps_mb(pid) for pid in children(server.pid)}
        run.task_worker_rss_mb = rss_mb(worker.pid)
        if run.template_case is not None:
            db = rawdb.Db(*raw_target(env))
            try:
                template = rawdb.read_template(db, run.template_case)
            finally:
                db.close()
    finally:
        stop(worker)
        stop(server)
        if run.errors():
            log_file = tmp / f"gunicorn-w{workers}.log"
            lines = log_file.read_text(errors="replace").splitlines() if log_file.exists() else []
            run.server_log_tail = lines[-40:]
    return run, template


# -- one database ----------------------------------------------------------------------------


def bench_database(kind: str, args: argparse.Namespace) -> dict[str, Any]:
    tmp = Path(tempfile.mkdtemp(prefix=f"fuwu-bench-{kind}-"))
    env = {
        k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")
    }
    env.update(
        {
            "FUWU_VAR_DIR": str(tmp),
            "DJANGO_SETTINGS_MODULE": "fuwu.settings",
            "LOG_LEVEL": "WARNING",
            "PYTHONUNBUFFERED": "1",
        }
    )
    pg_name = None
    out: dict[str, Any] = {"database": kind, "temp_dir": str(tmp)}
    reuse = kind == "postgres" and bool(args.report_database or args.page_database)
    try:
        if reuse:
            # Only the report timings, on the database given (filled before): not prepared,
            # not dropped.
            env["DATABASE_URL"] = args.report_database or args.page_database
            if args.page_database:
                out["pages"] = run_pages(kind, env, tmp, args, reuse=True)
                return out
            out["reports"] = report_bench.run(
                kind,
                env,
                tmp,
                ROOT,
                BIN,
                args.report_cases,
                args.report_requests,
                args.report_warmup,
                args.page_workers,
                args.threads,
                args.page_timeout,
                args.report_check,
                filled=True,
            )
            return out
        if kind == "postgres":
            pg_name = f"fuwu_bench_{secrets.token_hex(4)}"
            pg_admin(f"CREATE DATABASE {pg_name}")
            env["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{pg_name}"
            out["pg_database"] = pg_name
        log(f"{kind}: preparing database in {tmp}" + (f" ({pg_name})" if pg_name else ""))
        tokens = prepare(env)
        if "api" in args.only:
            runs: list[Run] = []
            template = None
            out["runs"] = []
            for workers in args.workers:
                run, tpl = serve_and_load(kind, env, tmp, tokens, workers, args)
                runs.append(run)
                out["runs"].append(vars(run))
                template = template or tpl
            best = max(runs, key=lambda r: (r.errors() == 0, r.flow_rate()))
            out["best_workers"] = best.workers
            if template is not None and not args.no_raw:
                out["raw"] = raw_limit(kind, env, template, args)
            out["summary"] = summarise(kind, best, out.get("raw"))
        if "channels" in args.only:
            # Before the pages' 100,000 cases: the inbound path on a nearly empty database.
            wait_quiet(args.wait_quiet)
            out["channels"] = channel_bench.run(
                kind,
                env,
                tmp,
                ROOT,
                BIN,
                args.channel_messages,
                args.clients,
                args.workers[0],
                args.threads,
            )
        if "pages" in args.only:
            # After the load phases: 100,000 more rows would change their figures.
            wait_quiet(args.wait_quiet)
            out["pages"] = run_pages(kind, env, tmp, args)
        if "workshop" in args.only:
            wait_quiet(args.wait_quiet)
            out["workshop"] = workshop.run(
                kind,
                env,
                tmp,
                ROOT,
                BIN,
                args.workshop_technicians,
                args.workshop_appointments,
                args.page_requests,
                args.page_warmup,
                args.page_workers,
                args.threads,
            )
        if "sheets" in args.only:
            wait_quiet(args.wait_quiet)
            out["sheets"] = sheet_bench.run(
                kind, env, tmp, ROOT, BIN, args.sheets_rows, args.sheets_units
            )
        if "reports" in args.only:
            wait_quiet(args.wait_quiet)
            out["reports"] = report_bench.run(
                kind,
                env,
                tmp,
                ROOT,
                BIN,
                args.report_cases,
                args.report_requests,
                args.report_warmup,
                args.page_workers,
                args.threads,
                args.page_timeout,
                args.report_check,
            )
    finally:
        if pg_name:
            try:
                pg_admin(f"DROP DATABASE IF EXISTS {pg_name} WITH (FORCE)")
            except psycopg.Error as exc:
                log(f"could not drop {pg_name}: {exc}")
        if args.keep:
            log(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    return out


def run_pages(
    kind: str, env: dict[str, str], tmp: Path, args: argparse.Namespace, *, reuse: bool = False
) -> dict[str, Any]:
    jobs = args.fill_jobs or (2 if args.page_cases >= SIZES["1m"] else 1)
    return pages.run(
        kind,
        env,
        tmp,
        ROOT,
        BIN,
        args.page_cases,
        args.page_requests,
        args.page_warmup,
        args.page_workers,
        args.threads,
        args.page_via,
        args.page_timeout,
        jobs=jobs if kind == "postgres" else 1,
        reuse=reuse,
        sweep_due=args.sweep_due,
    )


def raw_limit(
    kind: str, env: dict[str, str], template: rawdb.Template, args: argparse.Namespace
) -> dict[str, Any]:
    sqlite_path, pg_url = raw_target(env)
    raw = {}
    for what in ("create", "transition", "case"):
        # at least a couple of seconds of work each, so that the figure is stable
        items = max(2000, args.cases) if what != "case" else max(500, args.cases // 2)
        raw[what] = r = rawdb.run(
            what, template, items, args.raw_threads, args.phase_timeout, sqlite_path, pg_url
        )
        log(
            f"{kind}: raw {what:<10} {r['items_per_s']:>8.1f}/s "
            f"({r['transactions_per_s']:.0f} txn/s, errors {r['errors']})"
        )
    return raw


def summarise(kind: str, best: Run, raw: dict[str, Any] | None) -> dict[str, Any]:
    create, trans, flow = (best.phases[k] for k in PHASES)
    p99s = {
        f"{phase}.{k}": v["p99_ms"]
        for phase in PHASES
        for k, v in best.phases[phase]["latency"].items()
        if ":" not in k
    }
    worst_p99 = max(p99s.values(), default=0.0)
    rss = [v for v in best.rss_mb.values() if v is not None]
    target = TARGETS[kind]
    s: dict[str, Any] = {
        "workers": best.workers,
        "create_per_s": create["items_per_s"],
        "transition_per_s": trans["items_per_s"],
        "flow_cases_per_s": flow["items_per_s"],
        "flow_requests_per_s": flow["requests_per_s"],
        "flow_latency": {k: v for k, v in flow["latency"].items() if ":" not in k},
        "p99_ms": p99s,
        "worker_rss_mb": rss,
        "worker_memory_mb": [m for m in best.memory_mb.values() if m is not None],
        "errors": best.errors(),
        "noisy": any(best.phases[k].get("noisy") for k in PHASES),
        "targets": {
            "create": {
                "target": target["create"],
                "measured": create["items_per_s"],
                "met": create["items_per_s"] >= target["create"],
            },
            "transition": {
                "target": target["transition"],
                "measured": trans["items_per_s"],
                "met": trans["items_per_s"] >= target["transition"],
            },
            "p99": {
                "target": P99_TARGET_MS,
                "measured": worst_p99,
                "met": worst_p99 < P99_TARGET_MS,
            },
            "rss": {
                "target": RSS_TARGET_MB,
                "measured": max(rss, default=0.0),
                "met": bool(rss) and max(rss) < RSS_TARGET_MB,
            },
        },
    }
    if raw:
        s["ratio_to_raw"] = {
            k: round(api / max(raw[k]["items_per_s"], 1e-9), 4)
            for k, api in (
                ("create", create["items_per_s"]),
                ("transition", trans["items_per_s"]),
                ("case", flow["items_per_s"]),
            )
        }
        s["raw_errors"] = sum(r["errors"] for r in raw.values())
    return s


# -- report ----------------------------------------------------------------------------------


def print_report(results: dict[str, Any]) -> None:
    a = results["args"]
    rule = "=" * 100
    print(
        f"\n{rule}\nFuwu benchmark  {results['started_at']}  {results['machine']['cpus']} CPUs  "
        f"{a['clients']} {a['client']} clients  {a['cases']} cases/phase  (load generator on the "
        "same machine)"
        f"\n{rule}"
    )
    for kind, db in results["databases"].items():
        if "error" in db:
            print(f"\n## {kind}: FAILED — {db['error']}")
        if "pages" in db:
            pages.print_table(kind, db["pages"])
        if "workshop" in db:
            workshop.print_table(kind, db["workshop"])
        if "sheets" in db:
            sheet_bench.print_table(kind, db["sheets"])
        if "channels" in db:
            channel_bench.print_table(kind, db["channels"])
        if "reports" in db:
            report_bench.print_table(kind, db["reports"])
        if "summary" not in db:
            continue
        s = db["summary"]
        print(f"\n## {kind}   headline: {s['workers']} gunicorn workers × {a['threads']} threads")
        print(
            f"{'workers':>7}  {'phase':<11}{'ok/items':>11}{'items/s':>9}{'req/s':>8}{'p50':>7}"
            f"{'p95':>7}{'p99':>7}  {'CPU ms/rq srv':>14}{'gen':>6}{'db':>6}{'util%':>6}"
            f"{'cpu-bound/s':>12}{'err':>5}"
        )
        for run in db["runs"]:
            for name in PHASES:
                p = run["phases"][name]
                lats = [v for k, v in p["latency"].items() if ":" not in k]
                lat = {
                    q: max((v[q] for v in lats), default=0.0)
                    for q in ("p50_ms", "p95_ms", "p99_ms")
                }
                cpu = p.get("cpu_ms_per_request", {})
                print(
                    f"{run['workers']:>7}  {name:<11}{p['ok']:>5}/{p['items']:<5}"
                    f"{p['items_per_s']:>9.1f}{p['requests_per_s']:>8.1f}{lat['p50_ms']:>7.1f}"
                    f"{lat['p95_ms']:>7.1f}{lat['p99_ms']:>7.1f}  {cpu.get('server_cpu', 0):>14.2f}"
                    f"{cpu.get('loadgen_cpu', 0):>6.2f}{cpu.get('postgres_cpu', 0):>6.2f}"
                    f"{p['cpu'].get('machine_util_pct', 0):>6.0f}"
                    f"{p.get('cpu_bound_items_per_s', 0):>12.1f}{p['errors']:>5}"
                    + ("  NOISY" if p.get("noisy") else "")
                )
        print(
            "  latency in ms, per request (flow: the worst kind); CPU per request: srv = gunicorn,"
            " gen = this load generator, db = PostgreSQL;\n  cpu-bound/s = items/s the cores would"
            " give if only these processes ran and were CPU-bound (all CPU ms per item)"
        )
        for k, v in s["flow_latency"].items():
            print(
                f"  flow {k:<11} p50 {v['p50_ms']:>6.1f}  p95 {v['p95_ms']:>6.1f}  "
                f"p99 {v['p99_ms']:>6.1f}  max {v['max_ms']:>6.1f} ms  (n={v['n']})"
            )
        print(
            f"  gunicorn worker RSS after the run (MB): "
            f"{', '.join(f'{v:.0f}' for v in s['worker_rss_mb'])}"
        )
        if mem := s.get("worker_memory_mb"):
            print(
                "  the same, PSS / anonymous / files (MB): "
                + ", ".join(f"{m['pss']:.0f} / {m['anonymous']:.0f} / {m['file']:.0f}" for m in mem)
            )
        if "raw" in db:
            r, ratio = db["raw"], s["ratio_to_raw"]
            print(
                f"  raw DB limit ({a['raw_threads']} threads, driver only): create "
                f"{r['create']['items_per_s']:.0f}/s, "
                f"transition {r['transition']['items_per_s']:.0f}/s,"
                f" case (1 insert + 6 update txns) {r['case']['items_per_s']:.0f}/s"
            )
            print(
                f"  API as share of raw: create {ratio['create']:.1%}, transition "
                f"{ratio['transition']:.1%}, full case {ratio['case']:.1%}"
            )
        for name, t in s["targets"].items():
            unit, cmp = {"p99": ("ms", "<"), "rss": ("MB", "<")}.get(name, ("/s", "≥"))
            print(
                f"  target {name:<10} {cmp} {t['target']:>5.0f} {unit:<3} measured "
                f"{t['measured']:>7.1f}   {'met' if t['met'] else 'NOT MET'}"
            )
        if s.get("noisy"):
            print(
                "  !! NOISY: other processes used >10% of the machine during a phase; rerun on an"
                " idle machine for figures you can quote"
            )
    if results["total_errors"]:
        bang = "!" * 100
        print(
            f"\n{bang}\n!!! {results['total_errors']} ERRORS — these figures are NOT valid. "
            f"See error_samples and server_log_tail in the JSON.\n{bang}"
        )
        for kind, db in results["databases"].items():
            for run in db.get("runs", []):
                if run.get("server_log_tail"):
                    print(f"-- {kind}, {run['workers']} workers: end of the gunicorn log --")
                    print("\n".join(run["server_log_tail"][-15:]))
    print()


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = datetime.now().astimezone()
    results: dict[str, Any] = {
        "started_at": started.isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": sys.version.split()[0],
        },
        "args": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
        "databases": {},
    }
    t0 = time.perf_counter()
    failed = False
    try:
        if "routes" in args.only:
            try:
                results["routes"] = route_bench.run(
                    args.route_seconds,
                    args.instances or None,
                    log=log,
                    objective=args.route_objective,
                    clock=args.route_clock,
                    seed=args.route_seed,
                )
            except Exception as exc:
                failed = True
                log(f"routes: FAILED: {exc.__class__.__name__}: {exc}")
                results["routes"] = {"error": f"{exc.__class__.__name__}: {exc}"}
        for kind in (
            args.db
            if {"api", "pages", "workshop", "sheets", "channels", "reports"} & set(args.only)
            else []
        ):
            try:
                results["databases"][kind] = bench_database(kind, args)
            except Exception as exc:
                failed = True
                log(f"{kind}: FAILED: {exc.__class__.__name__}: {exc}")
                results["databases"][kind] = {
                    "database": kind,
                    "error": f"{exc.__class__.__name__}: {exc}",
                }
    finally:
        results["seconds"] = round(time.perf_counter() - t0, 1)
        results["total_errors"] = (
            sum(
                int(p.get("errors", 0))
                for db in results["databases"].values()
                for run in db.get("runs", [])
                for p in run["phases"].values()
            )
            + sum(
                int(db.get("summary", {}).get("raw_errors", 0))
                for db in results["databases"].values()
            )
            + sum(pages.errors(db.get("pages", {})) for db in results["databases"].values())
            + sum(
                int(db.get("workshop", {}).get("errors", 0)) for db in results["databases"].values()
            )
            + sum(sheet_bench.errors(db.get("sheets", {})) for db in results["databases"].values())
            + sum(
                channel_bench.errors(db.get("channels", {})) for db in results["databases"].values()
            )
            + sum(
                report_bench.errors(db.get("reports", {})) for db in results["databases"].values()
            )
            + route_bench.errors(results.get("routes", {}))
        )
        args.out.mkdir(parents=True, exist_ok=True)
        text = json.dumps(results, indent=2, ensure_ascii=False, default=str)
        path = args.out / f"bench-{started:%Y%m%d-%H%M%S}.json"
        path.write_text(text)
        (args.out / "latest.json").write_text(text)
    if results["databases"]:
        print_report(results)
    route_bench.print_report(results.get("routes", {}))
    log(f"results: {path} (and latest.json); {results['seconds']:.0f} s in all")
    return 1 if failed or results["total_errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
