from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from fuwu.procedures.engine.docs import render
from fuwu.procedures.models import ProcedureVersion
from fuwu.procedures.registry import check_library, sync_library

DOCS = Path(__file__).resolve().parents[4] / "docs" / "procedures.md"


class Command(BaseCommand):
    help = "Procedure library: check (validate files), list, load (store changed definitions as new versions)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["check", "list", "load", "docs"])
        parser.add_argument(
            "--out",
            type=Path,
            default=DOCS,
            help="where `docs` writes (default docs/procedures.md)",
        )
        parser.add_argument("--json", action="store_true", help="machine-readable output (list)")
        parser.add_argument(
            "--dir", action="append", type=Path, help="a folder of *.yaml definitions"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        dirs = options["dir"]
        for d in dirs or []:
            if not d.is_dir():
                raise CommandError(f"{d} is not a folder")
        action = options["action"]
        if action == "docs":
            loaded = check_library(dirs)
            problems = [p for item in loaded for p in item.problems]
            if problems:
                raise CommandError(f"{len(problems)} problem(s): run `fuwu procedures check`")
            options["out"].write_text(
                render([i.procedure for i in loaded if i.procedure]), encoding="utf-8"
            )
            self.stdout.write(f"wrote {options['out']}")
        elif action == "check":
            loaded = check_library(dirs)
            problems = [p for item in loaded for p in item.problems]
            for p in problems:
                self.stderr.write(str(p))
            if problems:
                raise CommandError(f"{len(problems)} problem(s) in {len(loaded)} file(s)")
            self.stdout.write(self.style.SUCCESS(f"{len(loaded)} procedure file(s) are valid."))
        elif action == "load":
            result = sync_library(dirs)
            if result.problems:
                for line in result.problems:
                    self.stderr.write(line)
                raise CommandError("nothing loaded: fix the problems above first")
            for v in result.created:
                self.stdout.write(f"loaded {v.key} v{v.version}")
            self.stdout.write(
                f"{len(result.created)} new version(s), {len(result.unchanged)} unchanged."
            )
        else:
            rows = [
                {
                    "key": item.procedure.key,
                    "name": {"zh": item.procedure.name.zh, "en": item.procedure.name.en},
                    "version": _stored_version(item.procedure.key, item.checksum),
                    "steps": len(item.procedure.steps),
                    "file": Path(item.path).name,
                }
                for item in check_library(dirs)
                if item.procedure
            ]
            if options["json"]:
                self.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2))
            else:
                for r in rows:
                    name: dict[str, str] = r["name"]  # type: ignore[assignment]
                    version = r["version"] or "-"
                    self.stdout.write(
                        f"{r['key']:<28} v{version:<4} {r['steps']:>3} steps  {name['zh']} / {name['en']}"
                    )


def _stored_version(key: str, checksum: str) -> int | None:
    """The stored version number of this content, or None if it has not been loaded yet."""
    try:
        row = (
            ProcedureVersion.objects.filter(key=key, checksum=checksum).order_by("-version").first()
        )
    except Exception:  # no database yet (e.g. `procedures list` before migrate)
        return None
    return row.version if row else None
