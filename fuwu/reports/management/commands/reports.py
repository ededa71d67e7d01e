from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from fuwu.reports import fold


class Command(BaseCommand):
    help = (
        "The reporting model. `reports rebuild`: fold every event again from scratch; "
        "`reports check`: compare the stored model with a fold from scratch (exit 1 on a "
        "difference); `reports catch-up`: fold the events written since the last fold."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["rebuild", "check", "catch-up"])

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        if action == "rebuild":
            n = fold.rebuild()
            self.stdout.write(self.style.SUCCESS(f"Folded {n} event(s) from scratch."))
        elif action == "catch-up":
            total = 0
            while n := fold.catch_up():
                total += n
            self.stdout.write(self.style.SUCCESS(f"Folded {total} new event(s)."))
        else:
            diffs = fold.check()
            for line in diffs[:200]:
                self.stdout.write(line)
            if diffs:
                raise CommandError(
                    f"{len(diffs)} difference(s) between the reporting model and a rebuild"
                )
            self.stdout.write(self.style.SUCCESS("The reporting model equals a rebuild."))
