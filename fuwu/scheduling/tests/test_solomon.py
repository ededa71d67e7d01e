"""The solver on Solomon's C101 (the benchmark's easiest instance): a short run finds a plan
that an independent real-number check finds feasible, within 1 % of the best known."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from fuwu.scheduling.vrptw import check_solomon, read_solomon, solve_solomon

# The instances live in the project's shared data beside the checkout.
ROOT = Path(__file__).resolve().parents[3]
FOLDERS = [ROOT.parent / "shared" / "data" / "solomon", Path("/work/shared/data/solomon")]
FOLDER = next((f for f in FOLDERS if (f / "C101.txt").exists()), None)


@pytest.mark.skipif(
    FOLDER is None, reason="the Solomon instances (shared/data/solomon) are not here"
)
def test_c101_is_solved_feasibly_near_the_best_known():
    assert FOLDER is not None
    inst = read_solomon(FOLDER / "C101.txt")
    assert (len(inst.x), inst.vehicles, inst.capacity) == (101, 25, 200)
    best = {
        r["instance"]: float(r["distance"]) for r in csv.DictReader((FOLDER / "bks.csv").open())
    }
    result = solve_solomon(inst, 2.0)
    assert result.problems == ()
    assert check_solomon(inst, result.routes) == []
    assert result.distance <= best["C101"] * 1.01
    assert result.vehicles == 10


def test_the_check_finds_a_broken_plan():
    inst = read_solomon(FOLDER / "C101.txt") if FOLDER else None
    if inst is None:
        pytest.skip("no instances")
    # Every customer on its own route: 100 routes > 25 vehicles; one customer twice, one missing.
    problems = check_solomon(inst, [[c] for c in range(1, 101)])
    assert problems == ["100 routes > 25 vehicles"]
    problems = check_solomon(inst, [[1, 1], *[[c] for c in range(3, 101)]])
    assert "customers not each visited exactly once" in problems
