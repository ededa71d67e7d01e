"""The escalation sweep over a filled database: `fuwu.sla.escalation.sweep`, timed in process.

    DJANGO_SETTINGS_MODULE=fuwu.settings [DATABASE_URL=…] FUWU_VAR_DIR=… \\
        .venv/bin/python -m bench.sweep --due 2000 --out sweep.json

The fill (`bench.fill`) leaves nothing due: every rung whose moment has passed counts as fired.
So this times two things against the filled cases:

1. **idle**: `sweep()` now, with nothing due — what the worker's periodic sweep costs every time
   it runs over all the open cases (the query for due rows and nothing else); first the sweeps
   fire what came due between the fill and now (`caught_up_rungs`), untimed;
2. **due**: `sweep(now=T)` with T the moment by which `--due` open cases have a rung, step
   time-out, timer or return visit due (the `--due`-th smallest `next_escalation_at`): what the
   worker faces after being stopped until T. The rungs are really due at T (the deadlines are the
   cases' own), so `fire_due` fires them as it would: `Firing` rows, `escalated` / `timed_out`
   events, notifications, the next moment. Sweeps (500 cases each, the worker's limit) are
   repeated until none is left; each is timed, with the cases it took and the rungs it fired.

Everything the sweeps write is rolled back at the end (one outer transaction, so each case's
transaction is a savepoint in it): the database stays as filled, for other timings. The commit
of each case's transaction (a WAL flush on PostgreSQL) is therefore not in the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

SWEEP_TARGET_S = 1.0


class _Rollback(Exception):
    pass


def run(due: int, limit: int = 500, max_sweeps: int = 200) -> dict[str, Any]:
    from django.db import transaction
    from django.utils import timezone

    from fuwu.cases.models import Case
    from fuwu.sla.escalation import sweep

    out: dict[str, Any] = {"target_s": SWEEP_TARGET_S, "limit": limit}
    now = timezone.now()
    scheduled = Case.objects.filter(next_escalation_at__isnull=False)
    out["open_cases"] = Case.objects.filter(closed_at__isnull=True).count()
    out["scheduled_cases"] = scheduled.count()
    sweeps: list[dict[str, Any]] = []
    try:
        with transaction.atomic():
            # What came due since the fill (its rungs were fired up to the fill's moment).
            caught_up = 0
            for _ in range(100):  # bounded: a case that fails stays due
                if not Case.objects.filter(next_escalation_at__lte=now).exists():
                    break
                caught_up += sweep(now=now, limit=limit, worker="bench")
            out["caught_up_rungs"] = caught_up
            idle = []
            for _ in range(5):
                t0 = time.perf_counter()
                if sweep(now=now):
                    raise RuntimeError("a rung due after the catch-up")
                idle.append(time.perf_counter() - t0)
            out["idle"] = {
                "seconds": [round(s, 4) for s in idle],
                "median_s": round(statistics.median(idle), 4),
            }
            moments = list(
                scheduled.order_by("next_escalation_at").values_list(
                    "next_escalation_at", flat=True
                )[due - 1 : due]
            )
            if not moments:
                out["due"] = {"error": f"fewer than {due} cases have a moment ahead"}
                raise _Rollback
            at: datetime = moments[0]  # type: ignore[assignment]  # the filter: not None
            cpu0 = time.process_time()
            t_all = time.perf_counter()
            while len(sweeps) < max_sweeps:
                waiting = Case.objects.filter(next_escalation_at__lte=at).count()
                if not waiting:
                    break
                c0, t0 = time.process_time(), time.perf_counter()
                fired = sweep(now=at, limit=limit, worker="bench")
                seconds = time.perf_counter() - t0
                sweeps.append(
                    {
                        "cases": min(limit, waiting),
                        "fired": fired,
                        "seconds": round(seconds, 3),
                        "cpu_s": round(time.process_time() - c0, 3),
                    }
                )
            wall = time.perf_counter() - t_all
            cpu = time.process_time() - cpu0
            left = Case.objects.filter(next_escalation_at__lte=at).count()
            raise _Rollback
    except _Rollback:
        pass
    if "error" in out.get("due", {}):
        return out
    cases = sum(s["cases"] for s in sweeps)
    fired = sum(s["fired"] for s in sweeps)
    sweep_s = sum(s["seconds"] for s in sweeps)
    per_sweep = [s["seconds"] for s in sweeps if s["cases"] == limit] or [
        s["seconds"] for s in sweeps
    ]
    out["due"] = {
        "at": at.isoformat(),
        "ahead_of_now_h": round((at - now).total_seconds() / 3600, 1),
        "due_cases": due,
        "sweeps": sweeps,
        "cases": cases,
        "fired": fired,
        "left": left,
        "seconds": round(wall, 2),
        "cpu_s": round(cpu, 2),
        "cases_per_s": round(cases / max(sweep_s, 1e-9), 1),
        "fired_per_s": round(fired / max(sweep_s, 1e-9), 1),
        "full_sweep_max_s": round(max(per_sweep, default=0.0), 3),
        "full_sweep_median_s": round(statistics.median(per_sweep), 3) if per_sweep else 0.0,
        "rolled_back": True,
    }
    out["met"] = out["idle"]["median_s"] < SWEEP_TARGET_S and (
        out["due"]["full_sweep_max_s"] < SWEEP_TARGET_S
    )
    return out


def print_table(result: dict[str, Any]) -> None:
    idle, due = result.get("idle", {}), result.get("due", {})
    print(
        f"  escalation sweep over {result.get('scheduled_cases', '?')} scheduled cases "
        f"({result.get('open_cases', '?')} open): nothing due {idle.get('median_s', 0) * 1000:.1f}"
        f" ms (median of 5)  target < {SWEEP_TARGET_S:.0f} s  "
        + ("met" if idle.get("median_s", 9) < SWEEP_TARGET_S else "NOT MET")
    )
    if "error" in due:
        print(f"  ! sweep with rungs due: {due['error']}")
    elif due:
        print(
            f"  {due['cases']} cases due ({due['ahead_of_now_h']} h ahead), {due['fired']} rungs "
            f"fired in {len(due['sweeps'])} sweeps of ≤ {result['limit']}: "
            f"{due['full_sweep_median_s']:.2f} s median, {due['full_sweep_max_s']:.2f} s max per "
            f"sweep, {due['cases_per_s']:.0f} cases/s, {due['fired_per_s']:.0f} rungs/s "
            f"(CPU {due['cpu_s']:.1f} s; rolled back)  target < {SWEEP_TARGET_S:.0f} s  "
            + ("met" if due["full_sweep_max_s"] < SWEEP_TARGET_S else "NOT MET")
        )


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.sweep", description=__doc__.split("\n")[0])
    p.add_argument("--due", type=int, default=2000, help="open cases made due (default 2000)")
    p.add_argument("--limit", type=int, default=500, help="cases per sweep (the worker's 500)")
    p.add_argument("--out", type=Path, help="JSON file for the result")
    args = p.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fuwu.settings")
    import django

    django.setup()
    result = run(args.due, args.limit)
    print_table(result)
    if args.out is not None:
        args.out.write_text(json.dumps(result, ensure_ascii=False, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
