"""The route planner on Solomon's VRPTW instances (C1, R1, RC1; 100 customers each), against the
best known solutions in shared/data/solomon/bks.csv: the gap in total distance per instance at
a fixed time limit (10 s), and the mean per family against the target (≤ 1 %).

`--route-objective fleet` solves for the literature's objective instead (each vehicle costs more
than any whole plan's distance: fewest vehicles first, then distance), for a like-for-like look.

Convention, printed with the table: real-valued Euclidean distances summed in double precision
(the convention of bks.csv, e.g. C101 = 828.94; not the 1-decimal truncated one where C101 is
827.3); PyVRP works on them × 1000 (distance rounded, travel time rounded up, so its feasible
plans are feasible in real numbers, which `check_solomon` confirms independently). Our objective
is total distance alone; bks.csv is hierarchical (fewest vehicles first, then distance), so on
some R1/RC1 instances we use more vehicles than the best known and the distance gap can be
negative. Both vehicle counts are shown.

    python -m bench.run --only routes [--instances C101,R101] [--route-seconds 10]
                                      [--route-objective distance|fleet]
"""

from __future__ import annotations

import csv
import os
import statistics
import time
from pathlib import Path
from typing import Any

from fuwu.scheduling.vrptw import read_solomon, solve_solomon

ROOT = Path(__file__).resolve().parent.parent
# shared/ sits beside the project's checkout (../shared), or FUWU_SOLOMON names the folder.
DEFAULT_DIR = ROOT.parent / "shared" / "data" / "solomon"
TARGET_GAP = 1.0  # per cent, mean per family
FAMILIES = ("C1", "R1", "RC1")


def solomon_dir() -> Path:
    env = os.environ.get("FUWU_SOLOMON")
    if env:
        return Path(env)
    for candidate in (DEFAULT_DIR, Path("/work/shared/data/solomon")):
        if candidate.is_dir():
            return candidate
    return DEFAULT_DIR


def family(name: str) -> str:
    return "RC1" if name.startswith("RC") else name[:2]


def best_known(folder: Path) -> dict[str, tuple[int, float]]:
    with (folder / "bks.csv").open() as fh:
        return {
            row["instance"]: (int(row["vehicles"]), float(row["distance"]))
            for row in csv.DictReader(fh)
        }


def run(
    seconds: float,
    instances: list[str] | None,
    log: Any = print,
    seed: int = 1,
    objective: str = "distance",
) -> dict[str, Any]:
    folder = solomon_dir()
    bks = best_known(folder)
    names = instances or sorted(bks, key=lambda n: (FAMILIES.index(family(n)), n))
    unknown = [n for n in names if n not in bks]
    if unknown:
        raise ValueError(f"no such instance in {folder}/bks.csv: {', '.join(unknown)}")
    rows = []
    t0 = time.perf_counter()
    for name in names:
        result = solve_solomon(
            read_solomon(folder / f"{name}.txt"),
            seconds,
            seed=seed,
            fleet_first=objective == "fleet",
        )
        vehicles, distance = bks[name]
        gap = (result.distance - distance) / distance * 100
        rows.append(
            {
                "instance": name,
                "family": family(name),
                "vehicles": result.vehicles,
                "distance": round(result.distance, 2),
                "bks_vehicles": vehicles,
                "bks_distance": distance,
                "gap_percent": round(gap, 2),
                "feasible": not result.problems,
                "problems": list(result.problems),
                "iterations": result.iterations,
                "seconds": round(result.seconds, 1),
            }
        )
        log(
            f"routes {name}: {result.distance:.2f} ({result.vehicles} vehicles) vs best known "
            f"{distance:.2f} ({vehicles}): gap {gap:+.2f} %"
            + ("" if not result.problems else f"  INFEASIBLE: {result.problems[0]}")
        )
    families = {}
    for fam in FAMILIES:
        gaps = [r["gap_percent"] for r in rows if r["family"] == fam]
        # Like for like: the instances where we use the best known number of vehicles.
        same = [
            r["gap_percent"]
            for r in rows
            if r["family"] == fam and r["vehicles"] == r["bks_vehicles"]
        ]
        if gaps:
            mean = statistics.fmean(gaps)
            families[fam] = {
                "instances": len(gaps),
                "mean_gap_percent": round(mean, 2),
                "max_gap_percent": max(gaps),
                "target_percent": TARGET_GAP,
                "met": mean <= TARGET_GAP,
                "at_best_known_fleet": len(same),
                "mean_gap_at_best_known_fleet": round(statistics.fmean(same), 2) if same else None,
            }
    return {
        "solver": "PyVRP (iterated local search), objective: "
        + (
            "fewest vehicles, then total distance (as bks.csv)"
            if objective == "fleet"
            else "total distance"
        ),
        "objective": objective,
        "convention": "real-valued Euclidean distance, double precision (as bks.csv); "
        + (
            "a gap is positive where more vehicles or more distance"
            if objective == "fleet"
            else "bks.csv minimises vehicles first, so the distance gap can be negative"
        ),
        "seconds_per_instance": seconds,
        "seed": seed,
        "folder": str(folder),
        "instances": rows,
        "families": families,
        "infeasible": sum(1 for r in rows if not r["feasible"]),
        "seconds": round(time.perf_counter() - t0, 1),
    }


def errors(results: dict[str, Any]) -> int:
    return int(results.get("infeasible", 0)) if results else 0


def print_report(results: dict[str, Any]) -> None:
    if not results:
        return
    if "error" in results:
        print(f"\nSolomon VRPTW: FAILED: {results['error']}")
        return
    print(
        f"\nSolomon VRPTW, {results['seconds_per_instance']:g} s per instance, seed "
        f"{results['seed']} — {results['solver']}\n"
        f"convention: {results['convention']}\n"
    )
    print(f"{'instance':<9}{'veh':>5}{'distance':>11}{'bks veh':>9}{'bks dist':>11}{'gap %':>8}")
    for r in results["instances"]:
        flag = "" if r["feasible"] else "  INFEASIBLE"
        print(
            f"{r['instance']:<9}{r['vehicles']:>5}{r['distance']:>11.2f}{r['bks_vehicles']:>9}"
            f"{r['bks_distance']:>11.2f}{r['gap_percent']:>+8.2f}{flag}"
        )
    print()
    for fam, f in results["families"].items():
        verdict = "met" if f["met"] else "NOT MET"
        same = f["mean_gap_at_best_known_fleet"]
        print(
            f"{fam:<4} mean gap {f['mean_gap_percent']:+.2f} % (max {f['max_gap_percent']:+.2f} %, "
            f"{f['instances']} instances)   target ≤ {f['target_percent']:g} %: {verdict}   "
            f"[{f['at_best_known_fleet']}/{f['instances']} at the best known fleet size"
            + (f", mean gap there {same:+.2f} %]" if same is not None else "]")
        )
