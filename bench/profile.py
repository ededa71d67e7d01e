"""Where a request's time goes: SQL per request kind and a cProfile of create and transition.

    .venv/bin/python -m bench.profile [--db sqlite|postgres] [--cases 300] [--top 25] [--sql]

Builds a throw-away database (like bench.run), then drives the API in-process with Django's
test Client (same URL conf, middleware, ninja and action layer as under gunicorn, minus the
HTTP server): one property repair walked with every query captured, then `--cases` creates and
as many issue_work_order transitions, each kind under its own profiler.

Note: the test Client keeps one connection; under gunicorn a SQLite request opens a new
connection (CONN_MAX_AGE is 0 without DATABASE_URL), timed here separately as "connect".
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import re
import secrets
import shutil
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN = "postgres://postgres@127.0.0.1:5432/postgres"
CREATE = {
    "procedure": "property_repair",
    "site": "lanting",
    "channel": "phone",
    "title": "压测报修",
    "priority": "normal",
    "data": {"repair_item": "厨房水管漏水", "service_type": "free"},
}


def _shape(sql: str) -> str:
    """A query's verb and main table, e.g. 'SELECT core_apitoken'."""
    s = sql.strip()
    verb = s.split(None, 1)[0].upper() if s else "?"
    m = re.search(r'(?:FROM|INTO|UPDATE)\s+"?(\w+)"?', s, re.IGNORECASE)
    return (
        f"{verb} {m.group(1)}" if m and verb in ("SELECT", "INSERT", "UPDATE", "DELETE") else s[:40]
    )


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__.split("\n")[0])
    p.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    p.add_argument("--cases", type=int, default=300)
    p.add_argument("--top", type=int, default=25)
    p.add_argument("--sql", action="store_true", help="print every query of the walked case")
    p.add_argument("--sort", default="tottime", help="pstats sort key (tottime, cumulative)")
    p.add_argument(
        "--dump", type=Path, help="also write each kind's cProfile stats to DIR/KIND.prof"
    )
    p.add_argument(
        "--pyinstrument",
        action="store_true",
        help="sample with pyinstrument (if installed) and print its call tree instead",
    )
    args = p.parse_args(argv)

    tmp = tempfile.mkdtemp(prefix="fuwu-profile-")
    os.environ["FUWU_VAR_DIR"] = tmp
    os.environ["DJANGO_SETTINGS_MODULE"] = "fuwu.settings"
    os.environ.pop("DATABASE_URL", None)
    pg_name = None
    if args.db == "postgres":
        import psycopg

        pg_name = f"fuwu_profile_{secrets.token_hex(4)}"
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {pg_name}")  # type: ignore[arg-type]
        os.environ["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{pg_name}"
    try:
        return _profile(args)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        if pg_name:
            import psycopg
            from django.db import connections

            connections.close_all()
            with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
                conn.execute(f"DROP DATABASE IF EXISTS {pg_name} WITH (FORCE)")  # type: ignore[arg-type]


def _profile(args: argparse.Namespace) -> int:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from fuwu.core.tokens import issue_token
    from fuwu.testing.factories import build_world

    call_command("migrate", interactive=False, verbosity=0)
    call_command("procedures", "load", stdout=io.StringIO())
    world = build_world(always_open=True)
    client = Client()
    headers = {
        p: {"Authorization": f"Bearer {issue_token(world.users[p], name='bench')[1]}"}
        for p in ("agent", "dispatcher", "technician")
    }

    def post(persona: str, path: str, body: dict[str, Any], expect: int) -> dict[str, Any]:
        r = client.post(path, body, content_type="application/json", headers=headers[persona])
        if r.status_code != expect:
            raise SystemExit(f"{path}: HTTP {r.status_code} {r.content[:300]!r}")
        data: dict[str, Any] = r.json()
        return data

    def take(
        case: dict[str, Any],
        persona: str,
        key: str,
        form: dict[str, Any],
        checklist: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        return post(
            persona,
            f"/api/cases/{case['id']}/transitions/{key}",
            {"version": case["version"], "form": form, "checklist": checklist or {}},
            200,
        )

    steps: list[tuple[str, Any]] = [
        ("create", lambda c: post("agent", "/api/cases", CREATE, 201)),
        (
            "issue_work_order",
            lambda c: take(c, "agent", "issue_work_order", {"details_confirmed": True}),
        ),
        (
            "assign",
            lambda c: post(
                "dispatcher",
                f"/api/cases/{c['id']}/assign",
                {"version": c["version"], "assignee": "technician"},
                200,
            ),
        ),
        ("repair_now", lambda c: take(c, "dispatcher", "repair_now", {"repair_mode": "immediate"})),
        (
            "complete",
            lambda c: take(
                c,
                "technician",
                "complete",
                {"diagnosis": "接头老化", "solution": "更换接头", "owner_agreed": True},
                {"fault_fixed": True, "site_clean": True},
            ),
        ),
        (
            "to_return_visit",
            lambda c: take(c, "technician", "to_return_visit", {"result": "已修复"}),
        ),
        (
            "archive",
            lambda c: take(c, "agent", "archive", {"visit_method": "phone", "satisfied": True}),
        ),
    ]
    for _ in range(3):  # warm caches (procedure definitions, calendars, translations)
        case: dict[str, Any] = {}
        for _, fn in steps:
            case = fn(case)

    print(f"# SQL per request ({connection.vendor})\n")
    case = {}
    for name, fn in steps:
        with CaptureQueriesContext(connection) as ctx:
            t0 = time.perf_counter()
            case = fn(case)
            ms = (time.perf_counter() - t0) * 1000
        shapes = Counter(_shape(q["sql"]) for q in ctx.captured_queries)
        writes = sum(n for s, n in shapes.items() if s.split()[0] in ("INSERT", "UPDATE", "DELETE"))
        print(
            f"{name:<17} {len(ctx.captured_queries):>3} queries ({writes} writes) {ms:6.1f} ms  "
            + ", ".join(f"{s}×{n}" if n > 1 else s for s, n in shapes.most_common())
        )
        if args.sql:
            for q in ctx.captured_queries:
                print(f"      {q['time']}s  {q['sql'][:220]}")
    assert case["status"] == "closed", case

    n = args.cases
    connect_ms = 0.0
    if connection.vendor == "sqlite":
        t0 = time.perf_counter()
        for _ in range(50):
            connection.close()
            connection.ensure_connection()
        connect_ms = (time.perf_counter() - t0) * 1000 / 50

    def run_kind(index: int, cases: list[dict[str, Any]], profiler: Any = None) -> list[Any]:
        out = []
        for c in cases:
            if profiler is not None:
                profiler.start() if args.pyinstrument else profiler.enable()
            out.append(steps[index][1](c))
            if profiler is not None:
                profiler.stop() if args.pyinstrument else profiler.disable()
        return out

    t0, c0 = time.perf_counter(), time.process_time()
    created = run_kind(0, [{}] * n)
    t1, c1 = time.perf_counter(), time.process_time()
    run_kind(1, created)
    t2, c2 = time.perf_counter(), time.process_time()
    print(
        f"\n# Time in-process, one thread, no profiler ({n} each; CPU = this process's CPU time)\n"
    )
    for name, wall, cpu in (("create", t1 - t0, c1 - c0), ("issue_work_order", t2 - t1, c2 - c1)):
        print(
            f"{name:<17}{wall * 1000 / n:6.2f} ms/request wall, {cpu * 1000 / n:6.2f} ms CPU "
            f"({n / cpu:.0f}/s per core if CPU-bound)"
        )
    if connect_ms:
        print(f"sqlite connect   {connect_ms:6.2f} ms (paid per request under gunicorn)")

    for index, title in ((0, "create"), (1, "issue_work_order")):
        cases = [{}] * n if index == 0 else run_kind(0, [{}] * n)
        if args.pyinstrument:
            from pyinstrument import Profiler

            sampler = Profiler(interval=0.0002)
            run_kind(index, cases, sampler)
            print(f"\n# pyinstrument: {title}, {n} requests\n")
            print(sampler.output_text(unicode=True, color=False, short_mode=True))
            continue
        prof = cProfile.Profile()
        run_kind(index, cases, prof)
        if args.dump:
            args.dump.mkdir(parents=True, exist_ok=True)
            prof.dump_stats(args.dump / f"{title}.prof")
        for heading, restrict, sort in (
            ("all functions", "", args.sort),
            ("fuwu code, cumulative", "/fuwu/", "cumulative"),
        ):
            out = io.StringIO()
            stats = pstats.Stats(prof, stream=out).sort_stats(sort)
            stats.print_stats(*([restrict] if restrict else []), args.top)
            body = out.getvalue()
            body = body[body.find("   ncalls") :] if "   ncalls" in body else body
            for prefix in (str(ROOT) + "/", re.sub(r"/django/.*", "/", django.__file__)):
                body = body.replace(prefix, "")
            print(f"\n# cProfile: {title}, {heading} (by {sort}), {n} requests\n{body}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
