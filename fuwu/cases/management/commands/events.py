from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from fuwu.cases.replay import differences


class Command(BaseCommand):
    help = (
        "Event log tools. `events verify`: rebuild every case from its events and list differences."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["verify"])

    def handle(self, *args: Any, **options: Any) -> None:
        diffs = differences()
        for case_id, name, stored, rebuilt in diffs:
            self.stdout.write(
                f"case {case_id}: {name} is {stored!r} but the events say {rebuilt!r}"
            )
        if diffs:
            raise CommandError(f"{len(diffs)} difference(s) between cases and their events")
        self.stdout.write(self.style.SUCCESS("All cases agree with their events."))
