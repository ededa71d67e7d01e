from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from fuwu.search.actions import reindex, reindex_if_empty


class Command(BaseCommand):
    help = (
        "Search tools. `search reindex`: rebuild the text index of cases from the cases;"
        " with --if-empty only when the index is empty (after an upgrade)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["reindex"])
        parser.add_argument("--if-empty", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        n = reindex_if_empty() if options["if_empty"] else reindex()
        self.stdout.write(self.style.SUCCESS(f"Indexed {n} case(s)."))
