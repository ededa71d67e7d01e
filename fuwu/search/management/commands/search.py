from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from fuwu.search.actions import reindex


class Command(BaseCommand):
    help = "Search tools. `search reindex`: rebuild the text index of cases from the cases."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["reindex"])

    def handle(self, *args: Any, **options: Any) -> None:
        n = reindex()
        self.stdout.write(self.style.SUCCESS(f"Indexed {n} case(s)."))
