"""Page timings: the queue page and the case page with 100,000 cases, one request at a time.

The phase of `make bench` that `python -m bench.run --only pages` runs alone. On the database
bench.run prepared: `bench.fill` writes `--page-cases` realistic cases (bulk inserts, then
ANALYZE), a gunicorn server starts (no task worker: nothing here writes but the sign-ins), staff
personas sign in through the real login form (CSRF cookie and hidden input, then POST), and one
client times GET requests of each kind, interleaved in a shuffled order after a warm-up: the
queue with its typical filters and the case pages of random cases each persona may see.

Latency is measured by the client, from sending the request to having read the whole response
(keep-alive connection, loopback), so it is the server's time plus well under a millisecond. A
`Server-Timing` header, when the response has one, is recorded as well.

`--page-via api` (or `both`) sends the same requests to the JSON API with a token
(`/api/cases?<filter>` and `/api/cases/<id>`): the same filter, query and access code without
the templates, to tell their share apart.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from random import Random
from typing import Any
from urllib.parse import urlencode

import httpx

from bench.load import summarise
from bench.procs import CpuWatch, children, free_port, start_gunicorn, stop, wait_healthy
from bench.sweep import print_table as sweep_table

P95_TARGET_MS = 100.0
NOISE_SHARE = 0.10  # as bench.run: foreign CPU above this share of the machine = a noisy run
SITES = ("lanting", "dealer", "hotel", "hotpot")
# Who browses, and the sites they see (fuwu/testing/factories.py PERSONAS): two agents' desks
# on the residential site, the dealership's call centre, and the VP who sees every site.
PERSONAS: dict[str, tuple[str, ...]] = {
    "agent": ("lanting",),
    "dispatcher": ("lanting",),
    "cc_agent": ("dealer",),
    "vp": SITES,
}
QUEUE_KINDS = ("default", "open", "mine", "phone", "text", "plate", "step", "overdue", "page50")
# The menu's search box as one types (fuwu.search): words of case texts, a phone, a plate.
SEARCH_WORDS = ("漏水", "空调", "维修", "门锁", "卫生间漏", "投诉")
# The search results page (/search/?q=…) with what people type there (fuwu.search.queries): a
# customer's phone, a customer's name, a plate or unit number, a word of a title.
SEARCH_KINDS = ("phone", "name", "plate", "word")
KINDS = (
    *(f"queue:{k}" for k in QUEUE_KINDS),
    "case",
    "search",
    *(f"search:{k}" for k in SEARCH_KINDS),
)
FILL_TARGET_S = 900.0  # issue 14: a million cases written in under 15 minutes
FILL_TARGET_CASES = 1_000_000
TIMING = re.compile(r"\s*([\w.-]+)(?:;[^,]*?dur=([\d.]+))?[^,]*")


def log(msg: str) -> None:
    print(f"[pages {time.strftime('%H:%M:%S')}] {msg}", flush=True)


@dataclass
class Kind:
    latencies: list[float] = field(default_factory=list)
    sizes: list[int] = field(default_factory=list)
    server_timing: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: int = 0
    target_ms: float = P95_TARGET_MS

    def summary(self) -> dict[str, Any]:
        s: dict[str, Any] = summarise(self.latencies)
        s["errors"] = self.errors
        s["mean_kb"] = round(sum(self.sizes) / len(self.sizes) / 1024, 1) if self.sizes else 0.0
        if self.server_timing:
            s["server_timing_ms"] = {
                name: summarise([v / 1000 for v in values])
                for name, values in self.server_timing.items()
            }
        s["p95_met"] = bool(self.latencies) and s["p95_ms"] < self.target_ms
        return s


def server_timing(header: str) -> dict[str, float]:
    """`db;dur=12.5, total;dur=30` -> {"db": 12.5, "total": 30.0} (entries without dur skipped)."""
    out = {}
    for part in header.split(","):
        m = TIMING.match(part)
        if m and m.group(2):
            out[m.group(1)] = float(m.group(2))
    return out


# -- signing in -------------------------------------------------------------------------------

CSRF_INPUT = re.compile(rb'name="csrfmiddlewaretoken"\s+value="([^"]+)"')


def sign_in(url: str, username: str) -> httpx.Client:
    """A client signed in through the login form, as a browser does it (CSRF cookie + field)."""
    client = httpx.Client(base_url=url, timeout=30.0, follow_redirects=False)
    page = client.get("/login/")
    if page.status_code != 200:
        raise RuntimeError(f"GET /login/: HTTP {page.status_code}")
    m = CSRF_INPUT.search(page.content)
    token = m.group(1).decode() if m else (client.cookies.get("csrftoken") or "")
    r = client.post(
        "/login/",
        data={"username": username, "password": f"pw-{username}", "csrfmiddlewaretoken": token},
        headers={"Referer": f"{url}/login/", "X-CSRFToken": client.cookies.get("csrftoken") or ""},
    )
    if r.status_code != 302 or "sessionid" not in client.cookies:
        raise RuntimeError(f"sign-in of {username} failed: HTTP {r.status_code} {r.text[:200]!r}")
    return client


def api_client(url: str, token: str) -> httpx.Client:
    return httpx.Client(base_url=url, timeout=30.0, headers={"Authorization": f"Bearer {token}"})


# -- the requests -----------------------------------------------------------------------------


def queries(persona: str, samples: dict[str, Any], rng: Random) -> dict[str, dict[str, str]]:
    """The queue filters people use all day, for this persona (CaseFilter query parameters)."""
    sites = [s for s in PERSONAS[persona] if s in samples]
    site = samples[rng.choice(sites)]
    steps = [s for s in site["open_steps"] if s["procedure_key"] == "property_repair"] or site[
        "open_steps"
    ]
    step = steps[0] if steps else {"procedure_key": "property_repair", "step": "dispatch"}
    return {
        "default": {},
        "open": {"open": "true"},
        "mine": {"assignee": "me"},
        "phone": {"q": rng.choice(site["phones"])} if site["phones"] else {"q": "138"},
        # The queue's text filter goes through the search index (words, last one a prefix).
        "text": {"q": rng.choice(SEARCH_WORDS)},
        "plate": {"q": "粤b 3k5x8"},
        "step": {"step": step["step"], "procedure": step["procedure_key"]},
        "overdue": {"overdue": "true"},
        "page50": {"page": "50"},
    }


def search_text(what: str, persona: str, samples: dict[str, Any], rng: Random) -> str:
    """What someone types into the search box: a phone, a name, a plate or unit, a word."""
    site = samples[rng.choice([s for s in PERSONAS[persona] if s in samples])]
    pool = {
        "phone": site.get("phones"),
        "name": site.get("names"),
        # 4S 店: plates as people type them (粤B·3K5X8 or 粤b 3k5x8); 兰亭苑: unit numbers
        "plate": site.get("labels"),
        "word": SEARCH_WORDS,
    }[what] or SEARCH_WORDS
    q = str(rng.choice(pool))
    if what == "plate" and "·" in q and rng.random() < 0.5:
        q = q.replace("·", " ").lower()
    return q


def plan(
    samples: dict[str, Any], per_kind: int, rng: Random, via: str
) -> list[tuple[str, str, str]]:
    """(kind, persona, path) for `per_kind` requests of each kind, shuffled."""
    out = []
    personas = list(PERSONAS)
    for kind in KINDS:
        for i in range(per_kind):
            persona = personas[i % len(personas)]
            if kind == "case":
                site = rng.choice([s for s in PERSONAS[persona] if samples.get(s, {}).get("cases")])
                case_id = rng.choice(samples[site]["case_ids"])
                path = f"/api/cases/{case_id}" if via == "api" else f"/cases/{case_id}/"
            elif kind == "search":
                phones = samples[rng.choice(PERSONAS[persona])].get("phones") or ["13800000000"]
                q = rng.choice([*SEARCH_WORDS, rng.choice(phones), "粤b 3k5x8"])
                base = "/api/search" if via == "api" else "/search/live/"
                path = f"{base}?{urlencode({'q': q})}"
            elif kind.startswith("search:"):
                q = search_text(kind.split(":", 1)[1], persona, samples, rng)
                base = "/api/search" if via == "api" else "/search/"
                path = f"{base}?{urlencode({'q': q})}"
            else:
                params = queries(persona, samples, rng)[kind.split(":", 1)[1]]
                base = "/api/cases" if via == "api" else "/queue/"
                path = base + (f"?{urlencode(params)}" if params else "")
            out.append((kind, persona, path))
    rng.shuffle(out)
    return out


def check(kind: str, path: str, r: httpx.Response, via: str) -> str | None:
    """Why this response is wrong, or None."""
    if r.status_code != 200:
        return f"{kind} {path}: HTTP {r.status_code} {r.text[:200]!r}"
    if via == "pages" and kind == "case":
        case_id = int(path.strip("/").rsplit("/", 1)[1])
        if f"{case_id:06d}".encode() not in r.content:
            return f"{kind} {path}: the case number is not on the page"
    return None


Check = Callable[[str, str, httpx.Response], "str | None"]


def measure(
    url: str,
    clients: dict[str, httpx.Client],
    samples: dict[str, Any],
    via: str,
    per_kind: int,
    warmup: int,
    watch: CpuWatch | None,
    seed: int = 4,
    time_limit: float = 600.0,
) -> dict[str, Any]:
    """Warm up, then time the planned requests one after the other (for `time_limit` seconds at
    most: the order is shuffled, so every kind keeps its share when the time runs out)."""
    rng = Random(seed)
    warm = plan(samples, warmup, rng, via)
    todo = plan(samples, per_kind, rng, via)
    result = time_plan(
        clients, warm, todo, lambda k, p, r: check(k, p, r, via), KINDS, watch, time_limit
    )
    return {"via": via, **result}


def time_plan(
    clients: dict[str, httpx.Client],
    warm: list[tuple[str, str, str]],
    todo: list[tuple[str, str, str]],
    check: Check,
    kinds_in_order: Sequence[str],
    watch: CpuWatch | None,
    time_limit: float = 600.0,
    target_ms: float = P95_TARGET_MS,
) -> dict[str, Any]:
    """Send the `warm` requests untimed, then time the `todo` ones, (kind, persona, path) each,
    one after the other, stopping after `time_limit` seconds; `check` says what is wrong with a
    response (None: it is right). Per kind: the latencies, sizes and Server-Timing entries."""
    errors: list[str] = []
    for kind, persona, path in warm:
        r = clients[persona].get(path)
        if (why := check(kind, path, r)) is not None and len(errors) < 3:
            errors.append(f"warm-up: {why}")
    kinds: dict[str, Kind] = {k: Kind(target_ms=target_ms) for k in kinds_in_order}
    if watch:
        watch.begin()
    t0 = time.perf_counter()
    sent = 0
    for kind, persona, path in todo:
        if time.perf_counter() - t0 > time_limit:
            break
        sent += 1
        k = kinds[kind]
        start = time.perf_counter()
        r = clients[persona].get(path)
        body = r.content  # read to the end before the clock stops
        elapsed = time.perf_counter() - start
        why = check(kind, path, r)
        if why is not None:
            k.errors += 1
            if k.errors <= 2:
                errors.append(why)
            continue
        k.latencies.append(elapsed)
        k.sizes.append(len(body))
        for name, ms in server_timing(r.headers.get("server-timing", "")).items():
            k.server_timing[name].append(ms)
    wall = time.perf_counter() - t0
    cpu = watch.end() if watch else {}
    n = sent
    noisy = False
    if cpu:
        # CPU used by other processes meanwhile: the figures are not this machine's best
        noisy = cpu["other_cpu_s"] > NOISE_SHARE * cpu["wall_s"] * (os.cpu_count() or 1)
        cpu["server_cpu_ms_per_request"] = round(1000 * cpu["server_cpu_s"] / max(1, n), 2)
        cpu["postgres_cpu_ms_per_request"] = round(1000 * cpu["postgres_cpu_s"] / max(1, n), 2)
    result: dict[str, Any] = {
        "requests": n,
        "planned": len(todo),
        "seconds": round(wall, 1),
        "kinds": {k: v.summary() for k, v in kinds.items()},
        "errors": sum(v.errors for v in kinds.values()),
        "error_samples": errors,
        "cpu": cpu,
        "noisy": noisy,
        "load_average": os.getloadavg(),
        "target_p95_ms": target_ms,
    }
    result["p95_met"] = all(v["p95_met"] for v in result["kinds"].values())
    return result


# -- the phase --------------------------------------------------------------------------------


def fill_cases(
    kind: str,
    env: dict[str, str],
    tmp: Path,
    root: Path,
    bin_dir: Path,
    cases: int,
    *,
    jobs: int = 1,
    reuse: bool = False,
) -> dict[str, Any]:
    """`bench.fill` in a process of its own: its summary (with the wall time) and samples.
    `jobs`: its processes (PostgreSQL); `reuse`: the database is filled already, only samples."""
    samples_file = tmp / "page-samples.json"
    t0 = time.perf_counter()
    log(
        f"{kind}: "
        + ("reading the samples of the filled database" if reuse else f"writing {cases} cases")
    )
    subprocess.run(
        [
            *(str(bin_dir / "python"), "-m", "bench.fill"),
            *("--cases", str(cases), "--out", str(samples_file)),
            *(("--samples-only",) if reuse else ("--jobs", str(jobs))),
        ],
        env={**env, "FUWU_DB_POOL_MAX": "0"},
        cwd=root,
        check=True,
        timeout=3 * 3600,
    )
    filled: dict[str, Any] = json.loads(samples_file.read_text())
    if not reuse:
        filled["summary"]["wall_s"] = round(time.perf_counter() - t0, 1)
        log(f"{kind}: {cases} cases written in {filled['summary']['wall_s']:.0f} s")
    return filled


def time_sweep(
    kind: str, env: dict[str, str], tmp: Path, root: Path, bin_dir: Path, due: int
) -> dict[str, Any]:
    """`bench.sweep` in a process of its own (the server stopped): the escalation sweep."""
    out_file = tmp / "sweep.json"
    log(f"{kind}: timing the escalation sweep ({due} cases due)")
    subprocess.run(
        [
            *(str(bin_dir / "python"), "-m", "bench.sweep"),
            *("--due", str(due), "--out", str(out_file)),
        ],
        env=env,
        cwd=root,
        check=True,
        timeout=3600,
    )
    result: dict[str, Any] = json.loads(out_file.read_text())
    return result


@contextmanager
def serving(
    env: dict[str, str],
    tmp: Path,
    root: Path,
    bin_dir: Path,
    workers: int,
    threads: int,
    personas: Iterable[str],
    name: str = "pages",
) -> Iterator[tuple[str, dict[str, httpx.Client], CpuWatch]]:
    """A gunicorn server (no task worker) with `personas` signed in through the login form:
    (its URL, a client per persona, a CPU watch of the server and PostgreSQL); stopped after."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = None
    signed: dict[str, httpx.Client] = {}
    try:
        server = start_gunicorn(
            bin_dir, env, tmp / f"gunicorn-{name}.log", root, port, workers, threads
        )
        wait_healthy(url, server)
        deadline = time.monotonic() + 30
        while len(children(server.pid)) < workers and time.monotonic() < deadline:
            time.sleep(0.2)
        db_name = env["DATABASE_URL"].rsplit("/", 1)[1] if "DATABASE_URL" in env else None
        watch = CpuWatch(server=[server.pid, *children(server.pid)], worker=[], database=db_name)
        for persona in personas:
            signed[persona] = sign_in(url, persona)
        yield url, signed, watch
    finally:
        for c in signed.values():
            c.close()
        stop(server)


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
    via: str,
    time_limit: float = 600.0,
    *,
    jobs: int = 1,
    reuse: bool = False,
    sweep_due: int = 2000,
) -> dict[str, Any]:
    """Fill the database (unless `reuse`: a database filled before, `--page-database`), start
    a server, sign in, time the pages (and/or the API); then the escalation sweep."""
    out: dict[str, Any] = {"cases": cases}
    if reuse:
        subprocess.run(
            [str(bin_dir / "fuwu"), "migrate", "--no-input"], env=env, cwd=root, check=True
        )
    filled = fill_cases(kind, env, tmp, root, bin_dir, cases, jobs=jobs, reuse=reuse)
    out["fill"] = filled["summary"]
    samples = filled["sites"]
    tokens = {}
    for persona in PERSONAS if via != "pages" else ():
        r = subprocess.run(
            [str(bin_dir / "fuwu"), "token", "create", persona, "--name", "bench-pages"],
            env=env,
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
        )
        tokens[persona] = r.stdout.strip().splitlines()[-1].strip()
    with serving(env, tmp, root, bin_dir, workers, threads, PERSONAS) as (url, signed, watch):
        ways = ["pages", "api"] if via == "both" else [via]
        for way in ways:
            use = signed if way == "pages" else {p: api_client(url, tokens[p]) for p in PERSONAS}
            log(f"{kind}: timing {per_kind} requests per kind via {way}, one at a time")
            try:
                out[way] = measure(
                    url, use, samples, way, per_kind, warmup, watch, time_limit=time_limit
                )
            finally:
                if use is not signed:
                    for c in use.values():
                        c.close()
    if sweep_due > 0:
        out["sweep"] = time_sweep(kind, env, tmp, root, bin_dir, sweep_due)
    return out


def errors(result: dict[str, Any]) -> int:
    return sum(int(result.get(way, {}).get("errors", 0)) for way in ("pages", "api"))


def print_table(kind: str, result: dict[str, Any]) -> None:
    fill = result.get("fill", {})
    secs = fill.get("seconds", {})
    cpu = fill.get("cpu_seconds", {})
    if fill.get("reused"):
        loaded = "filled before, reused"
    else:
        loaded = (
            f"loaded {fill.get('cases', '?')} in {fill.get('wall_s', 0):.0f} s with "
            f"{fill.get('jobs', 1)} process(es): build {secs.get('build', 0):.0f} s, write "
            f"{secs.get('write', 0):.0f} s (search index {secs.get('index', 0):.0f} s), analyse "
            f"{secs.get('analyse', 0):.0f} s; CPU fill {cpu.get('fill') or 0:.0f} s, PostgreSQL "
            f"{cpu.get('postgres') or 0:.0f} s; {fill.get('events', 0)} events, "
            f"{fill.get('closed_share', 0):.0%} closed"
        )
    print(
        f"\n## {kind}: page timings with {fill.get('cases_in_db', '?')} cases in the database "
        f"({loaded})"
    )
    if not fill.get("reused") and fill.get("cases", 0) >= FILL_TARGET_CASES:
        wall = fill.get("wall_s", 0)
        per_million = wall * FILL_TARGET_CASES / fill["cases"]
        print(
            f"  fill {wall:.0f} s ({per_million:.0f} s per million)  target < "
            f"{FILL_TARGET_S:.0f} s per million  "
            + ("met" if per_million < FILL_TARGET_S else "NOT MET")
        )
    for way in ("pages", "api"):
        r = result.get(way)
        if not r:
            continue
        label = "staff pages" if way == "pages" else "the JSON API (same filters)"
        print(
            f"  via {label}: {r['requests']} requests"
            + (f" (of {r['planned']}: time limit)" if r["requests"] < r.get("planned", 0) else "")
            + f", one at a time, in {r['seconds']:.0f} s; "
            f"server CPU {r['cpu'].get('server_cpu_ms_per_request', 0):.1f} ms/request"
            + (
                f", PostgreSQL {r['cpu']['postgres_cpu_ms_per_request']:.1f} ms"
                if r["cpu"].get("postgres_cpu_s")
                else ""
            )
        )
        print_kinds(r, P95_TARGET_MS)
        if r.get("noisy"):
            print(
                f"  !! NOISY: other processes used {r['cpu']['other_cpu_s']:.0f} CPU-s of "
                f"{r['cpu']['wall_s']:.0f} s (load average {r['load_average'][0]:.1f}); rerun on "
                "an idle machine for figures you can quote"
            )
        for e in r["error_samples"][:8]:
            print(f"  ! {e[:160]}")
    if "sweep" in result:
        sweep_table(result["sweep"])


def print_kinds(r: dict[str, Any], target_ms: float, width: int = 15) -> None:
    """The per-kind table of a timing result: p50/p95/p99/max ms, size, errors, the target."""
    print(
        f"  {'kind':<{width}}{'n':>6}{'p50':>8}{'p95':>8}{'p99':>8}{'max':>8}{'KB':>7}{'err':>5}"
        f"  p95 < {target_ms:.0f} ms"
    )
    for name, s in r["kinds"].items():
        st = s.get("server_timing_ms", {})
        extra = "  " + ", ".join(
            f"{k} p50 {v['p50_ms']:.1f} p95 {v['p95_ms']:.1f}" for k, v in st.items()
        )
        print(
            f"  {name:<{width}}{s['n']:>6}{s['p50_ms']:>8.1f}{s['p95_ms']:>8.1f}{s['p99_ms']:>8.1f}"
            f"{s['max_ms']:>8.1f}{s['mean_kb']:>7.1f}{s['errors']:>5}"
            f"  {'met' if s['p95_met'] else 'NOT MET'}" + (extra if st else "")
        )
