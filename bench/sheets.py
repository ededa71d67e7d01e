"""Spreadsheet timings (issue 12): exporting 100,000 cases to CSV and xlsx, importing 5,000 units
with their residents.

The part of `make bench` that `python -m bench.run --only sheets` runs. On the database
bench.run prepared, `bench.fill` writes `--sheets-rows` realistic cases; then each measurement
runs in a process of its own (`python -m bench.sheets export|import`, this module as a program),
so its peak resident memory (`ru_maxrss`, Django and the app loaded included) is that
measurement's alone:

- `export csv` / `export xlsx`: every case the VP may see (all sites), newest first, through the
  queue's exporter (`fuwu.sheets.cases.CaseTable` + `fuwu.sheets.writer`): the CSV stream
  consumed chunk by chunk, the xlsx written in write-only mode to a temp file, as the download
  does. Seconds, rows, bytes, peak RSS.
- `import`: a CSV of `--sheets-units` units in 50 buildings, each with a resident (a new
  customer), uploaded and checked (`fuwu.sheets.actions.upload`) then confirmed (the bulk write)
  by the service centre's manager. Seconds of each, peak RSS, and what was written.

Targets: an export of 100,000 rows in under 30 s and 300 MB; 5,000 units "in seconds".
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

EXPORT_SECONDS = 30.0
EXPORT_MB = 300.0
IMPORT_SECONDS = 10.0


def log(msg: str) -> None:
    print(f"[sheets {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def _peak_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


# -- the measurements (run inside the app's environment) --------------------------------------


def export(fmt: str) -> dict[str, Any]:
    from django.contrib.auth import get_user_model

    from fuwu.cases.queries import cases_for
    from fuwu.core.actors import actor_for
    from fuwu.sheets import writer
    from fuwu.sheets.cases import CaseTable

    actor = actor_for(get_user_model().objects.get(username="vp"))
    table = CaseTable(cases_for(actor).order_by("-created_at", "-pk"), "zh-hans")
    before = _peak_mb()
    t0 = time.perf_counter()
    size = 0
    if fmt == "csv":
        for chunk in writer.csv_chunks(table):
            size += len(chunk)
    else:
        with tempfile.NamedTemporaryFile(suffix=".xlsx") as out:
            writer.write_xlsx(table, out)
            out.flush()
            size = os.path.getsize(out.name)
    seconds = time.perf_counter() - t0
    rows = cases_for(actor).count()
    return {
        "format": fmt,
        "rows": rows,
        "seconds": round(seconds, 2),
        "bytes": size,
        "rss_before_mb": before,
        "peak_rss_mb": _peak_mb(),
        "met": seconds < EXPORT_SECONDS and _peak_mb() < EXPORT_MB,
    }


def import_units(units: int) -> dict[str, Any]:
    from django.contrib.auth import get_user_model

    from fuwu.core.actors import actor_for
    from fuwu.core.models import Site
    from fuwu.customers.models import Asset, Customer
    from fuwu.sheets import actions

    actor = actor_for(get_user_model().objects.get(username="sc_manager"))
    site = Site.objects.get(code="lanting")
    lines = ["楼栋,单元,房号,建筑面积（㎡）,是否入住,住户姓名,住户电话"]
    for i in range(units):
        building, rest = divmod(i, units // 50 or 1)
        unit, room = divmod(rest, 100)
        lines.append(f"B{building + 1},{unit + 1},{room + 101},96.5,是,住户{i},170{i:08d}")
    content = ("\n".join(lines) + "\n").encode("utf-8-sig")
    customers, assets = Customer.objects.count(), Asset.objects.count()
    t0 = time.perf_counter()
    batch = actions.upload(
        actor, kind="units", site_id=site.pk, filename="units.csv", content=content
    )
    checked = time.perf_counter() - t0
    if batch.problems:
        return {"error": f"{len(batch.problems)} problems, e.g. {batch.problems[:3]}"}
    t1 = time.perf_counter()
    batch = actions.confirm(actor, batch.pk)
    confirmed = time.perf_counter() - t1
    return {
        "units": units,
        "check_s": round(checked, 2),
        "confirm_s": round(confirmed, 2),
        "total_s": round(checked + confirmed, 2),
        "written_units": Asset.objects.count() - assets,
        "written_customers": Customer.objects.count() - customers,
        "status": batch.status,
        "peak_rss_mb": _peak_mb(),
        "met": batch.status == "done" and checked + confirmed < IMPORT_SECONDS,
    }


# -- the harness (bench.run) ------------------------------------------------------------------


def _measure(bin_dir: Path, env: dict[str, str], root: Path, *argv: str) -> dict[str, Any]:
    r = subprocess.run(
        [str(bin_dir / "python"), "-m", "bench.sheets", *argv],
        env=env,
        cwd=root,
        capture_output=True,
        text=True,
        timeout=900,
    )
    if r.returncode != 0:
        return {"error": (r.stderr or r.stdout).strip().splitlines()[-1:]}
    return dict(json.loads(r.stdout.strip().splitlines()[-1]))


def run(
    kind: str, env: dict[str, str], tmp: Path, root: Path, bin_dir: Path, rows: int, units: int
) -> dict[str, Any]:
    t0 = time.perf_counter()
    log(f"{kind}: writing {rows} cases")
    subprocess.run(
        [
            *(str(bin_dir / "python"), "-m", "bench.fill"),
            *("--cases", str(rows), "--out", str(tmp / "sheets-samples.json")),
        ],
        env=env,
        cwd=root,
        check=True,
        capture_output=True,
        timeout=3600,
    )
    out: dict[str, Any] = {"rows": rows, "fill_s": round(time.perf_counter() - t0, 1)}
    for fmt in ("csv", "xlsx"):
        log(f"{kind}: export {fmt}")
        out[f"export_{fmt}"] = _measure(bin_dir, env, root, "export", "--format", fmt)
    log(f"{kind}: import {units} units with residents")
    out["import"] = _measure(bin_dir, env, root, "import", "--units", str(units))
    out["errors"] = sum(1 for k in ("export_csv", "export_xlsx", "import") if "error" in out[k])
    return out


def errors(result: dict[str, Any]) -> int:
    return int(result.get("errors", 0))


def print_table(kind: str, result: dict[str, Any]) -> None:
    print(
        f"\n## {kind}: spreadsheets ({result.get('rows')} cases written in {result.get('fill_s')} s)"
    )
    print(f"  {'what':<14}{'rows':>8}{'seconds':>9}{'MB out':>8}{'peak RSS MB':>13}  target")
    for fmt in ("csv", "xlsx"):
        s = result.get(f"export_{fmt}", {})
        if "error" in s:
            print(f"  export {fmt:<7} ERROR {s['error']}")
            continue
        print(
            f"  export {fmt:<7}{s['rows']:>8}{s['seconds']:>9.1f}{s['bytes'] / 1e6:>8.1f}"
            f"{s['peak_rss_mb']:>13.0f}  < {EXPORT_SECONDS:.0f} s, < {EXPORT_MB:.0f} MB: "
            f"{'met' if s['met'] else 'NOT MET'}"
        )
    s = result.get("import", {})
    if "error" in s:
        print(f"  import         ERROR {s['error']}")
    elif s:
        print(
            f"  import units  {s['units']:>8}{s['total_s']:>9.1f}{'':>8}{s['peak_rss_mb']:>13.0f}"
            f"  check {s['check_s']} s + write {s['confirm_s']} s; {s['written_units']} units, "
            f"{s['written_customers']} residents: {'met' if s['met'] else 'NOT MET'}"
        )


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.sheets", description=__doc__.split("\n")[0])
    p.add_argument("what", choices=["export", "import"])
    p.add_argument("--format", choices=["csv", "xlsx"], default="csv")
    p.add_argument("--units", type=int, default=5000)
    args = p.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fuwu.settings")
    import django

    django.setup()
    result = export(args.format) if args.what == "export" else import_units(args.units)
    print(json.dumps(result, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
