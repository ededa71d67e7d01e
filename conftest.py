"""Shared test fixtures: the procedure library, a small organisation, API clients per persona."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from _pytest.nodeid import NodeId
from django.conf import settings as django_settings
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.utils import translation

from fuwu.procedures.models import ProcedureVersion
from fuwu.procedures.registry import sync_library
from fuwu.search import index
from fuwu.sla.clocks import forget_calendars
from fuwu.testing.browser import chromium_browser, web  # noqa: F401 — browser-test fixtures
from fuwu.testing.factories import FAST_HASHERS, World, build_world
from fuwu.testing.placement import long_first, on_postgres, postgres_run_follows, runs_here


def pytest_report_header(config: pytest.Config) -> str:
    if not on_postgres():
        if postgres_run_follows():
            return (
                "fuwu database: SQLite (the whole suite but the tests marked postgres_once, "
                "which the PostgreSQL run beside this one runs)"
            )
        return "fuwu database: SQLite (the whole suite)"
    return (
        "fuwu database: PostgreSQL (the tests that use the database; page, browser and procedure "
        "journey tests only where marked postgres_too, since the rest drive the same actions and "
        "queries run here)"
    )


def _unique_work_id(item: pytest.Item) -> None:
    """The id xdist's `loadgroup` hands work out by (pytest 9 keeps an item's id in `_id`; the
    `_nodeid` that xdist 3.8 writes for its groups is no longer read, so it is done here):
    - a test marked `xdist_group(name)` ends in `@name`, so its group runs on one process;
    - schemathesis names its items by operation ("…[GET /api/cases]") but gives them all one
      id, which would run only one of them."""
    head, _, tail = item.nodeid.rpartition("::")
    nodeid = item.nodeid
    if tail != item.name and "[" not in tail:
        nodeid = f"{head}::{item.name}"
    group = item.get_closest_marker("xdist_group")
    if group is not None and "@" not in nodeid:
        nodeid = f"{nodeid}@{group.args[0] if group.args else group.kwargs['name']}"
    if nodeid != item.nodeid:
        item._id = NodeId.parse(nodeid)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    keep = [item for item in items if runs_here(item)]
    if len(keep) < len(items):
        config.hook.pytest_deselected(items=[item for item in items if not runs_here(item)])
        items[:] = keep
    for item in items:
        _unique_work_id(item)
    items.sort(key=long_first)  # stable: each group keeps the collected order


@pytest.fixture(autouse=True)
def _empty_search_index(request: pytest.FixtureRequest, django_db_blocker: Any) -> Iterator[None]:
    """A transactional test (browser tests, process tests) leaves the database emptied by
    Django's flush, which knows only the models' tables: the text index (`fuwu.search.index`,
    tables of its own) is emptied here, so a later test on this process finds no case that is
    gone. (Other tests roll back, the index with them.)"""
    yield
    marker = request.node.get_closest_marker("django_db")
    transactional = marker is not None and bool(
        marker.kwargs.get("transaction") or (marker.args and marker.args[0])
    )
    if not transactional and not set(request.fixturenames) & {"transactional_db", "live_server"}:
        return
    table = index.PG_TABLE if on_postgres() else index.FTS_TABLE
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table}")  # noqa: S608 — a constant, not input


@pytest.fixture(autouse=True)
def _fresh_process_caches() -> None:
    # Rolled-back test databases reuse ids: cached lookups must not outlive a test.
    cache.clear()
    forget_calendars()


@pytest.fixture(autouse=True)
def _default_language() -> Any:
    # A request through LocaleMiddleware leaves its language active in the thread; the next
    # test on this worker must start from the site's default, whatever ran before it.
    yield
    translation.activate(django_settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings: Any) -> None:
    settings.PASSWORD_HASHERS = FAST_HASHERS


def _flush_by_delete(ops: Any, style: Any, tables: list[str], **options: Any) -> list[str]:
    """PostgreSQL's flush for the tests: DELETE from every table, with triggers (foreign keys
    and the events' append-only guard) off for the flush's own transaction. Django's TRUNCATE
    of all 150-odd tables gives each a new file: 2–7 s after every transactional test on a
    busy machine, where these few rows take milliseconds."""
    if not tables or options.get("reset_sequences"):
        return _TRUNCATE(ops, style, tables, **options)
    return [
        "SET LOCAL session_replication_role = replica;",
        *(f"DELETE FROM {ops.quote_name(table)};" for table in tables),  # noqa: S608 — table names
    ]


_TRUNCATE: Any = None


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: None, django_db_blocker: Any) -> None:
    # Load the procedure library once per test database; each test rolls back to this state.
    global _TRUNCATE
    with django_db_blocker.unblock():
        result = sync_library()
        assert not result.problems, result.problems
        if connection.vendor == "postgresql" and _TRUNCATE is None:
            with connection.cursor() as cursor:
                cursor.execute("SHOW is_superuser")  # session_replication_role needs it
                superuser = cursor.fetchone()[0] == "on"
            if superuser:
                ops = type(connection.ops)
                _TRUNCATE = ops.sql_flush
                ops.sql_flush = _flush_by_delete  # type: ignore[method-assign]


@pytest.fixture
def library(db: None) -> None:
    # A transactional test flushes the database: load the library again if it is gone.
    if not ProcedureVersion.objects.filter(is_current=True).exists():
        result = sync_library()
        assert not result.problems, result.problems


@pytest.fixture
def world(library: None) -> World:
    forget_calendars()
    return build_world()


class Api:
    """An HTTP client for one persona, speaking JSON with a bearer token."""

    def __init__(self, token: str | None, language: str = "zh-hans") -> None:
        self.client = Client()
        self.headers = {"HTTP_ACCEPT_LANGUAGE": language}
        if token:
            self.headers["HTTP_AUTHORIZATION"] = f"Bearer {token}"

    def get(self, path: str, **params: Any) -> Any:
        return self.client.get(path, params, **self.headers)

    def post(self, path: str, body: Any = None, **extra: Any) -> Any:
        return self.client.post(
            path,
            body if body is not None else {},
            content_type="application/json",
            **self.headers,
            **extra,
        )

    def delete(self, path: str) -> Any:
        return self.client.delete(path, **self.headers)


@pytest.fixture
def api(world: World) -> Callable[..., Api]:
    def make(persona: str | None, language: str = "zh-hans") -> Api:
        return Api(world.token(persona) if persona else None, language)

    return make
