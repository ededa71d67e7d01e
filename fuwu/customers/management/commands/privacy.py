"""`fuwu privacy anonymise [--dry-run]`: erase personal values past the retention period."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from fuwu.customers.retention import anonymise


class Command(BaseCommand):
    help = (
        "Personal data tools. `privacy anonymise [--dry-run]`: anonymise the personal values of "
        "cases closed more than FUWU_RETENTION_YEARS years ago, and their customers' details."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["anonymise"])
        parser.add_argument(
            "--dry-run", action="store_true", help="report what would change; change nothing"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        dry_run = bool(options["dry_run"])
        done = anonymise(dry_run=dry_run)
        if done.limit is None:
            self.stdout.write("FUWU_RETENTION_YEARS is 0: personal data is kept.")
            return
        verb = "would anonymise" if dry_run else "anonymised"
        self.stdout.write(
            f"Closed before {done.limit:%Y-%m-%d}: {verb} {len(done.cases)} case(s) "
            f"({done.events} event(s)) and {len(done.customers)} customer(s)."
        )
