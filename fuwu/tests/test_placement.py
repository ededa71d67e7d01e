"""Where each test runs (fuwu.testing.placement): the rules that split `make test` between its
SQLite run and its PostgreSQL run, on made-up collected items."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from fuwu.testing import placement


@dataclass
class Item:
    """What the rules read of a collected test: its id, fixtures and markers."""

    nodeid: str
    fixturenames: tuple[str, ...] = ()
    markers: set[str] = field(default_factory=set)

    def get_closest_marker(self, name: str) -> Any:
        return name if name in self.markers else None


API = Item("fuwu/api/tests/test_x.py::test_list", ("db",))
PLAIN = Item("fuwu/procedures/tests/test_engine.py::test_parse")  # no database
PAGE = Item("fuwu/web/tests/test_queue.py::test_filters", ("db",))
PAGE_TOO = Item("fuwu/web/tests/test_queue.py::test_search", ("db",), {"postgres_too"})
BROWSER = Item("fuwu/surveys/tests/test_browser.py::test_journey", ("web", "live_server"))
JOURNEY = Item("fuwu/cases/tests/library/test_hotel_vip.py::test_walk", ("db",))
DEMO = Item("fuwu/demo/tests/test_demo.py::test_build", ("db",), {"sqlite_once", "django_db"})
FUZZ = Item("fuwu/api/tests/test_fuzz.py::test_ops", ("db",), {"postgres_once"})
MARKED_DB = Item("fuwu/sla/tests/test_x.py::test_y", (), {"django_db"})
EVERY = (API, PLAIN, PAGE, PAGE_TOO, BROWSER, JOURNEY, DEMO, FUZZ, MARKED_DB)


def where(monkeypatch: pytest.MonkeyPatch, database: str, *, postgres_run: bool) -> set[str]:
    monkeypatch.setenv("DATABASE_URL", database)
    monkeypatch.setenv("FUWU_POSTGRES_RUN", "1" if postgres_run else "0")
    return {item.nodeid for item in EVERY if placement.runs_here(item)}  # type: ignore[arg-type]


def ids(*items: Item) -> set[str]:
    return {item.nodeid for item in items}


def test_sqlite_alone_runs_everything(monkeypatch: pytest.MonkeyPatch) -> None:
    assert where(monkeypatch, "", postgres_run=False) == ids(*EVERY)


def test_beside_a_postgres_run_sqlite_leaves_it_the_postgres_once_tests(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert where(monkeypatch, "", postgres_run=True) == ids(*EVERY) - ids(FUZZ)


def test_postgres_runs_the_database_tests_but_pages_browsers_journeys_and_demo_builds(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    found = where(monkeypatch, "postgres://postgres@127.0.0.1/x", postgres_run=True)
    assert found == ids(API, PAGE_TOO, FUZZ, MARKED_DB)


def test_long_tests_are_handed_out_first() -> None:
    ordered = sorted([PLAIN, BROWSER, API, DEMO], key=placement.long_first)  # type: ignore[arg-type]
    assert ordered == [DEMO, BROWSER, PLAIN, API]
