"""Report pages with a million cases: the target of issue 12, p95 < 200 ms per report page.

The part of `make bench` that `python -m bench.run --only reports` runs. On the database bench.run
prepared: `bench.fill` writes `--report-cases` cases with their events (bulk inserts, then
ANALYZE), then the reporting model is brought up to date the way an installation does after a
bulk load, `fuwu reports rebuild` (the worker's sweep folds 5,000 events every 30 s: hours for
millions), timed; `--report-check` then runs `fuwu reports check` too. A gunicorn server starts
(no task worker), the managers sign in through the login form (the service centre's manager of
兰亭苑, the after-sales manager of the 4S 店 and the VP, who sees every site), and one client times
every report page and list, in turn for the three managers, with the filters people use: the
default (the last 30 days, month to date for the fee lists), last month and last quarter, plus
the drill-downs behind a number. Timing, checking and the table are `bench.pages`'s.
"""

from __future__ import annotations

import subprocess
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from random import Random
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import httpx
import psycopg

from bench import pages
from bench.pages import log, print_kinds, serving, time_plan

P95_TARGET_MS = 200.0
# The managers (fuwu/testing/factories.py PERSONAS): one site each, and the VP with every site.
MANAGERS = ("sc_manager", "as_manager", "vp")
ZONE = ZoneInfo("Asia/Shanghai")  # the test world's sites


def periods(today: date) -> dict[str, dict[str, str]]:
    """The report filters people choose: none (the page's default), last month, last quarter."""
    month_end = today.replace(day=1) - timedelta(days=1)
    month = {"from": month_end.replace(day=1).isoformat(), "to": month_end.isoformat()}
    q_first = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    q_end = q_first - timedelta(days=1)
    q_start = date(q_end.year, 3 * ((q_end.month - 1) // 3) + 1, 1)
    quarter = {"from": q_start.isoformat(), "to": q_end.isoformat()}
    return {"default": {}, "month": month, "quarter": quarter}


def requests_of(today: date) -> dict[str, str]:
    """Kind -> path: every report page and list with its filters, and the drill-downs."""
    spans = periods(today)
    out: dict[str, str] = {"index": "/reports/"}

    def add(name: str, base: str, which: tuple[str, ...], **extra: str) -> None:
        for period in which:
            query = {**spans[period], **extra}
            out[f"{name}:{period}"] = base + (f"?{urlencode(query)}" if query else "")

    every = ("default", "month", "quarter")
    add("service-levels", "/reports/service-levels/", every)
    add("sl-cases", "/reports/service-levels/cases/", ("month",), measure="resolved_late")
    add("quality", "/reports/quality/", every)
    add("quality-cases", "/reports/quality/cases/", ("month",), measure="fixed_first_time")
    add("workload", "/reports/workload/", every)
    add("workload-cases", "/reports/workload/cases/", ("month",), measure="step_done")
    add("backlog-cases", "/reports/workload/cases/", ("default",), measure="backlog")
    add("fees", "/reports/lists/fees/", every)
    add("arrears", "/reports/lists/arrears/", ("default", "month"))
    add("fee-reports", "/reports/lists/fee-reports/", ("default", "month"))
    add("fee-reports-wk", "/reports/lists/fee-reports/", ("quarter",), grain="week")
    add("fee-payments", "/reports/lists/fee-reports/payments/", ("month",))
    out["parking:default"] = "/reports/lists/parking/"
    next_month = (today.replace(day=1) + timedelta(days=32)).strftime("%Y-%m")
    out["parking:next"] = "/reports/lists/parking/?" + urlencode({"month": next_month})
    out["gas:default"] = "/reports/lists/gas/"
    out["gas:last-week"] = "/reports/lists/gas/?" + urlencode(
        {"week": (today - timedelta(days=7)).isoformat()}
    )
    out["keys:default"] = "/reports/lists/keys/"
    add("vacant", "/reports/lists/vacant/", every)
    add("surveys", "/reports/lists/surveys/", ("default", "quarter"))
    add("survey-homes", "/reports/lists/surveys/households/", ("default",))
    return out


def plan(paths: dict[str, str], per_kind: int, rng: Random) -> list[tuple[str, str, str]]:
    """(kind, persona, path) for `per_kind` requests of each kind, managers in turn, shuffled."""
    out = [
        (kind, MANAGERS[i % len(MANAGERS)], path)
        for kind, path in paths.items()
        for i in range(per_kind)
    ]
    rng.shuffle(out)
    return out


def check(kind: str, path: str, r: httpx.Response) -> str | None:
    if r.status_code != 200:
        return f"{kind} {path}: HTTP {r.status_code} {r.text[:200]!r}"
    if b"</html>" not in r.content:
        return f"{kind} {path}: not a whole page"
    return None


def counts(url: str) -> dict[str, int]:
    """The cases and events of a database filled before (estimates would do; these are exact)."""
    with psycopg.connect(url) as conn:
        cases = conn.execute("SELECT COUNT(*) FROM cases_case").fetchone()
        events = conn.execute("SELECT COUNT(*) FROM cases_event").fetchone()
    return {"cases_in_db": cases[0] if cases else 0, "events": events[0] if events else 0}


def folded(url: str) -> bool:
    """Whether the reporting model of a database filled before has folded every event: its
    cursor at the newest event, no gaps below it, and the facts there."""
    with psycopg.connect(url) as conn:
        cursor = conn.execute("SELECT high, gaps::text FROM reports_cursor WHERE id = 1").fetchone()
        newest = conn.execute("SELECT MAX(id) FROM cases_event").fetchone()
        facts = conn.execute("SELECT EXISTS (SELECT 1 FROM reports_fact)").fetchone()
    if cursor is None or newest is None or newest[0] is None or facts is None:
        return False
    return bool(cursor[0] >= newest[0] and cursor[1] in ("[]", "null") and facts[0])


def fuwu(bin_dir: Path, env: dict[str, str], root: Path, *args: str) -> tuple[float, str]:
    """Run a `fuwu` command; (seconds, its output)."""
    t0 = time.perf_counter()
    r = subprocess.run(
        [str(bin_dir / "fuwu"), *args],
        env=env,
        cwd=root,
        capture_output=True,
        text=True,
        timeout=3 * 3600,
    )
    if r.returncode != 0:
        raise RuntimeError(f"fuwu {' '.join(args)} failed:\n{r.stdout[-2000:]}\n{r.stderr[-2000:]}")
    return time.perf_counter() - t0, r.stdout.strip()


def run(
    kind: str,
    env: dict[str, str],
    tmp: Path,
    root: Path,
    bin_dir: Path,
    cases: int,
    per_kind: int,
    warmup: int,
    workers: int,
    threads: int,
    time_limit: float = 900.0,
    check_model: bool = False,
    filled: bool = False,
) -> dict[str, Any]:
    """Fill (unless `filled`: a database filled before, `--report-database`), rebuild the
    reporting model, start a server, sign the managers in, time the pages."""
    out: dict[str, Any] = {"cases": cases, "target_p95_ms": P95_TARGET_MS}
    if filled:
        fuwu(bin_dir, env, root, "migrate", "--no-input")  # filled by an older Fuwu, perhaps
        out["fill"] = {"reused": True, **counts(env["DATABASE_URL"])}
        log(f"{kind}: {out['fill']['cases_in_db']} cases already in the database")
    else:
        out["fill"] = pages.fill_cases(kind, env, tmp, root, bin_dir, cases)["summary"]
    if filled and "DATABASE_URL" in env and folded(env["DATABASE_URL"]):
        # A database filled and rebuilt before (a shared one): the model already has every
        # event, and a rebuild would take minutes and write to it for nothing.
        out["fold"] = {"seconds": 0.0, "skipped": True, "output": ["up to date: not rebuilt"]}
        log(f"{kind}: the reporting model has every event: not rebuilt")
    else:
        log(f"{kind}: rebuilding the reporting model (fuwu reports rebuild)")
        seconds, said = fuwu(bin_dir, env, root, "reports", "rebuild")
        out["fold"] = {"seconds": round(seconds, 1), "output": said.splitlines()[-1:]}
        log(f"{kind}: {said.splitlines()[-1] if said else ''} in {seconds:.0f} s")
    if "DATABASE_URL" in env and not out["fold"].get("skipped"):
        # What autovacuum does soon after so many inserts (as bench.fill does for the cases):
        # the visibility map, without which the reports' index-only scans visit every row.
        t0 = time.perf_counter()
        with psycopg.connect(env["DATABASE_URL"], autocommit=True) as conn:
            conn.execute(
                "VACUUM (ANALYZE) reports_fact, reports_facttotal, reports_factitem, reports_foldstate"
            )
        out["fold"]["vacuum_seconds"] = round(time.perf_counter() - t0, 1)
    if check_model:
        seconds, said = fuwu(bin_dir, env, root, "reports", "check")
        out["fold"]["check_seconds"] = round(seconds, 1)
        out["fold"]["check"] = said.splitlines()[-1:]
        log(f"{kind}: {said.splitlines()[-1]} ({seconds:.0f} s)")
    today = datetime.now(ZONE).date()
    paths = requests_of(today)
    out["requests"] = paths
    rng = Random(12)
    with serving(env, tmp, root, bin_dir, workers, threads, MANAGERS, "reports") as (
        _url,
        signed,
        watch,
    ):
        log(f"{kind}: timing {len(paths)} report requests × {per_kind}, one at a time")
        out["pages"] = time_plan(
            signed,
            plan(paths, warmup, rng),
            plan(paths, per_kind, rng),
            check,
            list(paths),
            watch,
            time_limit,
            P95_TARGET_MS,
        )
    return out


def errors(result: dict[str, Any]) -> int:
    return int(result.get("pages", {}).get("errors", 0))


def print_table(kind: str, result: dict[str, Any]) -> None:
    fill = result.get("fill", {})
    secs = fill.get("seconds", {})
    fold = result.get("fold", {})
    filling = (
        "filled before"
        if fill.get("reused")
        else f"fill {fill.get('wall_s', 0):.0f} s: build {secs.get('build', 0):.0f} s, write "
        f"{secs.get('write', 0):.0f} s, search index {secs.get('index', 0):.0f} s, analyse "
        f"{secs.get('analyse', 0):.0f} s"
    )
    print(
        f"\n## {kind}: report pages with {fill.get('cases_in_db', '?')} cases and "
        f"{fill.get('events', 0)} events ({filling}; "
        + (
            "reporting model up to date, not rebuilt"
            if fold.get("skipped")
            else f"reports rebuild {fold.get('seconds', 0):.0f} s"
        )
        + (f", check {fold['check_seconds']:.0f} s" if "check_seconds" in fold else "")
        + ")"
    )
    r = result.get("pages")
    if not r:
        return
    print(
        f"  {r['requests']} requests"
        + (f" (of {r['planned']}: time limit)" if r["requests"] < r.get("planned", 0) else "")
        + f", one at a time, managers {', '.join(MANAGERS)} in turn, in {r['seconds']:.0f} s; "
        f"server CPU {r['cpu'].get('server_cpu_ms_per_request', 0):.1f} ms/request"
        + (
            f", PostgreSQL {r['cpu']['postgres_cpu_ms_per_request']:.1f} ms"
            if r["cpu"].get("postgres_cpu_s")
            else ""
        )
    )
    print_kinds(r, P95_TARGET_MS, width=24)
    if r.get("noisy"):
        print(
            f"  !! NOISY: other processes used {r['cpu']['other_cpu_s']:.0f} CPU-s of "
            f"{r['cpu']['wall_s']:.0f} s (load average {r['load_average'][0]:.1f})"
        )
    for e in r["error_samples"][:8]:
        print(f"  ! {e[:160]}")
