"""Route elimination (`vrptw._fewer_routes`, PyVRP with prizes that grow for the clients a round
leaves out) on Solomon's instances, every plan checked in real numbers; no route taken out where
none can be; and the vehicles-first solve on C101."""

from __future__ import annotations

import itertools
import time
from pathlib import Path

import pytest

from fuwu.scheduling import vrptw
from fuwu.scheduling.vrptw import (
    Solomon,
    _clients,
    _fewer_routes,
    check_solomon,
    read_solomon,
    solomon_data,
    solve_solomon,
)

ROOT = Path(__file__).resolve().parents[3]
FOLDERS = [ROOT.parent / "shared" / "data" / "solomon", Path("/work/shared/data/solomon")]
FOLDER = next((f for f in FOLDERS if (f / "R110.txt").exists()), None)
needs_instances = pytest.mark.skipif(
    FOLDER is None, reason="the Solomon instances (shared/data/solomon) are not here"
)


@needs_instances
def test_r110_loses_a_route_and_stays_feasible(monkeypatch):
    from pyvrp import solve
    from pyvrp.stop import MaxIterations

    assert FOLDER is not None
    inst = read_solomon(FOLDER / "R110.txt")
    data = solomon_data(inst, fleet_first=True)
    # A fixed number of iterations from a fixed seed: the same 12-route plan on any machine.
    first = solve(data, stop=MaxIterations(500), seed=1, collect_stats=False)
    routes = [[c + 1 for c in _clients(r)] for r in first.best.routes()]
    assert first.best.is_feasible() and len(routes) == 12
    # The prize rounds alone, without PyVRP's required-clients try first (which may do it).
    monkeypatch.setattr(vrptw, "REQUIRED_FIRST", 0)
    # Measured: 0.1 s of CPU (R104's 10 routes to its best known 9, which the pure-Python
    # ejection pool it replaced did not reach in 30 s, take 2 to 5 s: too long for a test). The
    # deadline counts CPU, so a busy machine only slows the test down.
    got = _fewer_routes(
        data, routes, time.process_time() + 10, rounds=itertools.count(1), clock=time.process_time
    )
    assert got is not None
    fewer, iterations = got
    assert len(fewer) == 11 and iterations > 0
    assert check_solomon(inst, fewer) == []


def test_no_route_is_taken_out_when_none_can_be():
    # Two customers on opposite sides of the depot, both due right after the depot opens:
    # no vehicle serves both, so the attempt gives up at its deadline and says so.
    inst = Solomon(
        name="two",
        vehicles=2,
        capacity=10,
        x=(0.0, 10.0, -10.0),
        y=(0.0, 0.0, 0.0),
        demand=(0, 1, 1),
        ready=(0, 0, 0),
        due=(100, 10, 10),
        service=(0, 1, 1),
    )
    data = solomon_data(inst, fleet_first=True)
    t0 = time.perf_counter()
    assert (
        _fewer_routes(
            data, [[1], [2]], t0 + 0.3, rounds=itertools.count(1), clock=time.perf_counter
        )
        is None
    )
    result = solve_solomon(inst, 1.0, fleet_first=True)
    assert result.problems == ()
    assert sorted(result.routes) == [(1,), (2,)]


@needs_instances
def test_fleet_first_solves_c101_with_its_best_known_fleet():
    assert FOLDER is not None
    inst = read_solomon(FOLDER / "C101.txt")
    result = solve_solomon(inst, 3.0, fleet_first=True)
    assert result.problems == ()
    assert result.vehicles == 10
    assert result.distance <= 828.94 * 1.01
