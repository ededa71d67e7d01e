from __future__ import annotations

from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = (
        "Set up a database: migrate, load the built-in procedures and questionnaires, index existing cases for"
        " search (once) and load the demo data (once)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--no-demo", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        call_command("migrate", interactive=False, verbosity=0)
        call_command("procedures", "load")
        call_command("surveys", "load")
        # After an upgrade that brought search: index the cases already there (once).
        call_command("search", "reindex", "--if-empty", verbosity=0)
        if not options["no_demo"]:
            call_command("demo", "--if-empty")
