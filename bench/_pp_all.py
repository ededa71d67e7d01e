"""Where a page's time goes: SQL (count, time, the slowest with its plan), templates, Python.

    .venv/bin/python -m bench.profile_pages [--var-dir DIR | --database-url URL]
        [--cases 100000] [--via pages|api] [--requests 20] [--kinds queue:phone,case] [--top 20]

Runs in-process with Django's test Client (same URLs, middleware, views and templates as under
gunicorn, minus the HTTP server), signed in with `force_login`. With `--var-dir` (a directory
holding fuwu.sqlite3, e.g. one `python -m bench.run --keep` left) or `--database-url` it reads
an existing filled database and changes nothing but sessions; without either it builds a
throw-away SQLite (or `--db postgres`) database and fills it with `--cases` cases (bench.fill).

For each request kind of bench.pages: the queries of one request grouped by shape with their
time, the slowest query with its plan (EXPLAIN QUERY PLAN / EXPLAIN ANALYZE), then `--requests`
requests under cProfile split into SQL, template rendering and the rest, and the top functions.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import re
import secrets
import shutil
import sys
import tempfile
import time
from collections import defaultdict
from datetime import datetime
from pathlib import Path
from random import Random
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN = "postgres://postgres@127.0.0.1:5432/postgres"
# Functions whose cumulative time is a part of a request (cProfile names: file, function).
PARTS = {
    "sql": ("django/db/backends/utils.py", "_execute"),
    "templates": ("django/template/backends/django.py", "render"),
    "count": ("django/db/models/sql/query.py", "get_count"),
}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m bench.profile_pages", description=__doc__.split("\n")[0]
    )
    p.add_argument("--var-dir", type=Path, help="an existing FUWU_VAR_DIR with a filled SQLite")
    p.add_argument("--database-url", help="an existing filled PostgreSQL database")
    p.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    p.add_argument("--cases", type=int, default=100_000, help="cases for a fresh database")
    p.add_argument("--via", choices=["pages", "api"], default="pages")
    p.add_argument(
        "--part",
        choices=["pages", "reports"],
        default="pages",
        help="the request kinds of bench.pages (default) or of bench.reports (report pages, "
        "as the managers)",
    )
    p.add_argument("--requests", type=int, default=20, help="profiled requests per kind")
    p.add_argument("--kinds", default="", help="comma list of kinds (default all)")
    p.add_argument("--top", type=int, default=15)
    p.add_argument("--sql", action="store_true", help="print every query of the sample request")
    args = p.parse_args(argv)

    os.environ["DJANGO_SETTINGS_MODULE"] = "fuwu.settings"
    tmp = None
    pg_name = None
    if args.database_url:
        os.environ["DATABASE_URL"] = args.database_url
    elif args.var_dir:
        os.environ.pop("DATABASE_URL", None)
        os.environ["FUWU_VAR_DIR"] = str(args.var_dir)
    else:
        tmp = tempfile.mkdtemp(prefix="fuwu-profile-pages-")
        os.environ["FUWU_VAR_DIR"] = tmp
        os.environ.pop("DATABASE_URL", None)
        if args.db == "postgres":
            import psycopg

            pg_name = f"fuwu_profile_pages_{secrets.token_hex(4)}"
            with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
                conn.execute(f"CREATE DATABASE {pg_name}")  # type: ignore[arg-type]
            os.environ["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{pg_name}"
    try:
        return _profile(args, fresh=tmp is not None)
    finally:
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)
        if pg_name:
            import psycopg
            from django.db import connections

            connections.close_all()
            with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
                conn.execute(f"DROP DATABASE IF EXISTS {pg_name} WITH (FORCE)")  # type: ignore[arg-type]


def _shape(sql: str) -> str:
    """A query's verb, main table and the shape of its WHERE (literals dropped)."""
    s = re.sub(r"'[^']*'|\b\d+\b", "?", sql.strip())
    m = re.search(r'FROM\s+"?(\w+)"?', s, re.IGNORECASE)
    verb = s.split(None, 1)[0].upper() if s else "?"
    head = f"{verb} {m.group(1) if m else ''}"
    if "COUNT(" in s.upper():
        head += " (count)"
    where = s.upper().find(" WHERE ")
    return head + (" WHERE " + s[where + 7 : where + 90] if where > 0 else "")


def _explain(sql: str, params: Any) -> str:
    from django.db import connection

    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
        else:
            cur.execute("EXPLAIN QUERY PLAN " + sql, params)
        return "\n".join("      " + " | ".join(str(c) for c in row) for row in cur.fetchall())


def _profile(args: argparse.Namespace, *, fresh: bool) -> int:
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from bench import fill, pages
    from fuwu.core.tokens import issue_token

    if fresh:
        from fuwu.testing.factories import build_world

        call_command("migrate", interactive=False, verbosity=0)
        call_command("procedures", "load", stdout=io.StringIO())
        build_world(always_open=True)
        fill.fill(args.cases)
    samples_file = Path(os.environ.get("FUWU_VAR_DIR", "")) / "page-samples.json"
    if args.part == "reports":
        samples = {}
    elif not args.database_url and samples_file.exists():
        samples = json.loads(samples_file.read_text())["sites"]
    else:
        samples = fill.samples(Random(4))
    from bench import reports

    personas = reports.MANAGERS if args.part == "reports" else pages.PERSONAS
    users = {u.username: u for u in get_user_model().objects.filter(username__in=personas)}
    clients: dict[str, Client] = {}
    for persona, user in users.items():
        if args.via == "api":
            token = issue_token(user, name="profile")[1]
            clients[persona] = Client(headers={"Authorization": f"Bearer {token}"})
        else:
            clients[persona] = Client()
            clients[persona].force_login(user)
    rng = Random(7)
    todo: dict[str, list[tuple[str, str]]] = defaultdict(list)
    if args.part == "reports":
        paths = reports.requests_of(datetime.now(reports.ZONE).date())
        planned = reports.plan(paths, args.requests, rng)
        every = list(paths)
    else:
        planned = pages.plan(samples, args.requests, rng, args.via)
        every = list(pages.KINDS)
    for kind, persona, path in planned:
        todo[kind].append((persona, path))
    kinds = [k for k in args.kinds.split(",") if k] or every
    from django.db.models import Count

    from fuwu.cases.models import Case

    print(
        f"# {connection.vendor}: {Case.objects.count()} cases; "
        f"{dict(Case.objects.values_list('site__code').annotate(n=Count('id')))} by site; "
        f"via {args.via}\n"
    )
    for kind in kinds:
        requests = todo[kind]
        for persona, path in requests[:3]:  # warm caches (definitions, translations, pages)
            clients[persona].get(path)
        persona, path = requests[0]
        with CaptureQueriesContext(connection) as ctx:
            t0 = time.perf_counter()
            r = clients[persona].get(path)
            ms = (time.perf_counter() - t0) * 1000
        shapes: dict[str, list[float]] = defaultdict(list)
        for q in ctx.captured_queries:
            shapes[_shape(q["sql"])].append(float(q["time"]) * 1000)
        sql_ms = sum(sum(v) for v in shapes.values())
        print(
            f"## {kind}  {path}  ({persona}) HTTP {r.status_code}, {len(r.content) / 1024:.0f} KB"
            f"\n   one request: {ms:.1f} ms, {len(ctx.captured_queries)} queries, "
            f"{sql_ms:.1f} ms in SQL"
        )
        for shape, times in sorted(shapes.items(), key=lambda kv: -sum(kv[1]))[:8]:
            print(f"   {sum(times):7.1f} ms  ×{len(times):<3} {shape[:150]}")
        if args.sql:
            for q in ctx.captured_queries:
                print(f"      {q['time']}s  {q['sql'][:400]}")
        slow = max(ctx.captured_queries, key=lambda q: float(q["time"]), default=None)
        if slow and float(slow["time"]) * 1000 > 5:
            print(f"   slowest ({float(slow['time']) * 1000:.1f} ms): {slow['sql'][:700]}")
            # Re-run it through the cursor with the SQL Django logged (literals inlined).
            try:
                print(_explain(slow["sql"], None))
            except Exception as exc:
                print(f"      (no plan: {exc.__class__.__name__}: {str(exc)[:120]})")
        prof = cProfile.Profile()
        t0 = time.perf_counter()
        for persona, path in requests:
            prof.enable()
            clients[persona].get(path)
            prof.disable()
        wall = (time.perf_counter() - t0) * 1000 / len(requests)
        stats = pstats.Stats(prof)
        parts = {name: 0.0 for name in PARTS}
        total = 0.0
        for (file, _line, func), (_cc, _nc, _tt, ct, _callers) in stats.stats.items():  # type: ignore[attr-defined]
            for name, (suffix, fn) in PARTS.items():
                if func == fn and file.endswith(suffix):
                    parts[name] = max(parts[name], ct)
        for (file, _line, func), row in stats.stats.items():  # type: ignore[attr-defined]
            if func == "get" and file.endswith("django/test/client.py"):
                total = max(total, row[3])
        n = len(requests)
        print(
            f"   under cProfile, {n} requests: {wall:.1f} ms each (profiler overhead included); "
            + ", ".join(f"{k} {1000 * v / n:.1f} ms" for k, v in parts.items())
            + f", the rest {1000 * (total - parts['sql'] - parts['templates']) / n:.1f} ms"
        )
        out = io.StringIO()
        pstats.Stats(prof, stream=out).sort_stats("tottime").print_stats(args.top)
        body = out.getvalue()
        body = body[body.find("   ncalls") :] if "   ncalls" in body else body
        print(body.replace(str(ROOT) + "/", ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
