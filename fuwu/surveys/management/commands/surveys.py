from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from fuwu.surveys.loader import load_library, read


class Command(BaseCommand):
    help = (
        "Questionnaires: `check` the built-in definitions, `load` the changed ones as new versions."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["check", "load"])

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "check":
            found, problems = read()
        else:
            result = load_library()
            problems = result.problems
            if not problems:
                self.stdout.write(
                    f"questionnaires: {len(result.created)} new, {len(result.unchanged)} unchanged"
                )
                return
        if problems:
            raise CommandError("\n".join(problems))
        self.stdout.write(f"{len(found)} questionnaires OK")
