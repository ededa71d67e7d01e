"""`fuwu restore PATH [--yes]`: put a backup back and verify it (`fuwu.core.backup`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from fuwu.core.backup import FAILURES, describe, migration_gap, restore


class Command(BaseCommand):
    help = (
        "Restore a backup made by `fuwu backup` into this database, then check every table's"
        " count against its manifest and run `events verify`. Refuses a database holding data"
        " unless --yes. Stop the web and worker processes first."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="the backup file")
        parser.add_argument(
            "--yes", action="store_true", help="replace the data this database holds"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["path"])
        try:
            report = restore(path, replace=options["yes"])
        except FAILURES as exc:
            raise CommandError(describe(exc)) from None
        manifest, verification = report.manifest, report.verification
        self.stdout.write(
            f"restored {path}: {manifest['engine']} backup of Fuwu {manifest['fuwu_version']}"
            f" made {manifest['created_at']}, {len(manifest['tables'])} tables,"
            f" {report.rows:,} rows"
        )
        if not verification.ok:
            for line in verification.problems():
                self.stderr.write(line)
            raise CommandError("the restored database does not match the backup's manifest")
        self.stdout.write(
            self.style.SUCCESS(
                "Verified: every table's count equals the manifest and every case agrees with"
                " its events."
            )
        )
        _, older = migration_gap(manifest)
        if older:
            self.stdout.write(
                f"The backup predates this Fuwu ({', '.join(older)}): run `fuwu migrate` now."
            )
