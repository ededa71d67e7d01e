"""Route elimination (`vrptw._fewer_routes`, PyVRP with prizes that grow for the clients a round
leaves out) on Solomon's instances, every plan checked in real numbers; no route taken out where
none can be; and the vehicles-first solve on C101."""

from __future__ import annotations

import itertools
import math
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


def two_apart() -> Solomon:
    """Two customers on opposite sides of the depot, both due right after the depot opens: no
    vehicle serves both."""
    return Solomon(
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


def test_no_route_is_taken_out_when_none_can_be():
    # The attempt gives up at its deadline and says so.
    inst = two_apart()
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


def test_a_hopeless_step_is_given_up_after_its_patience():
    # Six customers in six directions, each due right after the depot opens: each needs its own
    # vehicle, so five routes leave at least one out, 0.83 of a route's worth (6 / 5 per route),
    # above HOPELESS: the step gives up once its patience is spent, long before its deadline.
    angles = [k * math.pi / 3 for k in range(6)]
    inst = Solomon(
        name="six",
        vehicles=6,
        capacity=10,
        x=(0.0, *(round(10 * math.cos(a), 3) for a in angles)),
        y=(0.0, *(round(10 * math.sin(a), 3) for a in angles)),
        demand=(0, *[1] * 6),
        ready=(0, *[0] * 6),
        due=(100, *[11] * 6),
        service=(0, *[1] * 6),
    )
    assert vrptw.HOPELESS * 6 / 5 <= 1
    data = solomon_data(inst, fleet_first=True)
    t0 = time.process_time()
    got = _fewer_routes(
        data,
        [[c] for c in range(1, 7)],
        t0 + 30,
        rounds=itertools.count(1),
        clock=time.process_time,
        patience=0.2,
    )
    assert got is None
    assert time.process_time() - t0 < 5


@needs_instances
def test_fleet_first_solves_c101_with_its_best_known_fleet():
    assert FOLDER is not None
    inst = read_solomon(FOLDER / "C101.txt")
    result = solve_solomon(inst, 3.0, fleet_first=True)
    assert result.problems == ()
    assert result.vehicles == 10
    assert result.distance <= 828.94 * 1.01
