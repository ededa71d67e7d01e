"""Where each test runs (the rules `conftest.py` applies at collection): `make test` runs the
suite on SQLite and, beside it, on PostgreSQL; each test runs where it can find what the other
run would not. Plain functions of a collected item and the environment, so that they are tested
themselves (fuwu/tests/test_placement.py)."""

from __future__ import annotations

import os

import pytest


def on_postgres() -> bool:
    """Whether this run's database is PostgreSQL (`DATABASE_URL`)."""
    return os.environ.get("DATABASE_URL", "").startswith("postgres")


_BROWSER_FIXTURES = frozenset({"web", "chromium_browser", "live_server"})
_DATABASE_FIXTURES = frozenset({"db", "transactional_db"})
# Tests of the HTML pages (staff desk, portal, admin): they call the same actions and queries
# that the API, action and query tests run on PostgreSQL, so only those marked `postgres_too`
# (pages whose own queries differ by database: the queue, search, reports) run there again.
# The procedures' own journeys (fuwu/cases/tests/library: each seed procedure walked through
# the actions) test what the definitions say, which no database changes: the actions' writes,
# locks and queries are the API and action tests' on PostgreSQL. Those that read back through
# SQL what they computed (registers, balances, sums) are marked `postgres_too`.
_SQLITE_UNLESS_MARKED = (
    "fuwu/web/tests/",
    "fuwu/portal/tests/",
    "fuwu/tests/test_admin_chinese.py",
    "fuwu/cases/tests/library/",
)


def postgres_run_follows() -> bool:
    """Whether this SQLite run has a PostgreSQL run beside it (`make test` says so when a
    server answers, and CI requires one)."""
    return os.environ.get("FUWU_POSTGRES_RUN") == "1"


def runs_here(item: pytest.Item) -> bool:
    """Whether this run needs the test. On PostgreSQL: see `runs_on_postgres`. On SQLite:
    every test, except those marked `postgres_once` when a PostgreSQL run goes beside it (they
    test every operation or every right once, on the database production runs)."""
    if on_postgres():
        return runs_on_postgres(item)
    return not (item.get_closest_marker("postgres_once") and postgres_run_follows())


def runs_on_postgres(item: pytest.Item) -> bool:
    """Whether the PostgreSQL run needs this test: it touches the database, it is neither a
    browser test, a page test nor a procedure's journey (unless marked `postgres_too`), and it
    is not marked
    `sqlite_once` (the demo's builds: their writes are the actions the PostgreSQL run tests one
    by one). The rest behave the same on either database and run once, on SQLite, which keeps
    `make test` within its budget."""
    fixtures = set(getattr(item, "fixturenames", ()))
    if item.get_closest_marker("sqlite_once") is not None:
        return False
    if item.get_closest_marker("postgres_once") is not None:
        return True
    path = item.nodeid.split("::", 1)[0]
    once = fixtures & _BROWSER_FIXTURES or path.startswith(_SQLITE_UNLESS_MARKED)
    if once and item.get_closest_marker("postgres_too") is None:
        return False
    return bool(fixtures & _DATABASE_FIXTURES) or item.get_closest_marker("django_db") is not None


def long_first(item: pytest.Item) -> int:
    """The order tests are handed out in (`make test` runs `--dist loadgroup`, which hands each
    process the next test as it frees up): the long ones first, so that the run does not end
    with one process on a half-minute browser journey while the others wait. Browser tests, the
    demo's builds and process tests, then the rest (each group in the order collected)."""
    fixtures = set(getattr(item, "fixturenames", ()))
    if item.get_closest_marker("sqlite_once") or item.get_closest_marker("slow"):
        return 0
    return 1 if fixtures & _BROWSER_FIXTURES else 2
