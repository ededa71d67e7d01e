"""`fuwu backup [--output PATH]`: a verified copy of the whole database (`fuwu.core.backup`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from fuwu.core.backup import FAILURES, default_path, describe, write_backup


class Command(BaseCommand):
    help = (
        "Back up the database (PostgreSQL: pg_dump; SQLite: the online backup API) with a"
        " manifest, then verify the copy: restored into a scratch database, equal row counts"
        " and `events verify` clean. Safe while the web and worker run."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--output",
            "-o",
            help="file to write, or a folder for a dated file (default: var/backups/)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["output"]) if options["output"] else default_path()
        if path.is_dir():
            path = path / default_path().name
        try:
            report = write_backup(path)
        except FAILURES as exc:
            raise CommandError(describe(exc)) from None
        manifest, verification = report.manifest, report.verification
        if verification.mismatched:
            for line in verification.problems():
                self.stderr.write(line)
            raise CommandError("the backup did not restore to the same counts; nothing was kept")
        self.stdout.write(
            f"{manifest['engine']} backup written to {path}"
            f" ({path.stat().st_size:,} bytes, {len(manifest['tables'])} tables,"
            f" {report.rows:,} rows)"
        )
        if verification.event_differences:
            for line in verification.problems():
                self.stderr.write(line)
            raise CommandError(
                f"the backup restores to the same counts, but `events verify` finds"
                f" {len(verification.event_differences)} difference(s) in it"
                " (the live database has them too)"
            )
        self.stdout.write(
            self.style.SUCCESS(
                "Verified: restored into a scratch database, every table's count equals the"
                " manifest and every case agrees with its events."
            )
        )
