"""`fuwu demo [--if-empty]`: load demo data into an empty database and print the logins."""

from __future__ import annotations

import time
import unicodedata
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from fuwu.core.models import Organisation
from fuwu.demo.data import DEFAULT_SEED, PASSWORD, DemoError, build


def _pad(text: str, width: int) -> str:
    """Left-justify for a terminal, where a Chinese character takes two columns."""
    used = sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)
    return text + " " * max(width - used, 1)


class Command(BaseCommand):
    help = (
        "Load demo data (华安服务集团: a residential compound, a Toyota dealership, a hotel and a "
        "hot-pot restaurant; staff, customers, cases of every loaded procedure, schedules and a "
        f"campaign) into an empty database. Every demo login's password is {PASSWORD}."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="do nothing (and succeed) if the database already has data",
        )
        parser.add_argument(
            "--seed",
            type=int,
            default=DEFAULT_SEED,
            help="random seed: the same seed gives the same data",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if Organisation.objects.exists():
            if options["if_empty"]:
                self.stdout.write("The database already has data: demo data not loaded.")
                return
            raise CommandError(
                "The database already has data; demo data is only loaded into an "
                "empty database (use --if-empty to skip quietly)."
            )
        started = time.monotonic()
        try:
            summary = build(seed=options["seed"])
        except DemoError as error:
            raise CommandError(str(error)) from error
        counts = ", ".join(f"{n} {name.replace('_', ' ')}" for name, n in summary.counts.items())
        self.stdout.write(
            self.style.SUCCESS(f"Demo data loaded in {time.monotonic() - started:.1f} s: {counts}.")
        )
        for problem in summary.problems:
            self.stderr.write(f"  failed: {problem}")
        for stop in summary.stopped:
            self.stderr.write(f"  stopped early: {stop}")
        self.stdout.write(f"\nLogins (password for all: {PASSWORD})")
        rows = [("username", "name", "roles", "site"), *summary.logins]
        for username, name, roles, site in rows:
            self.stdout.write("  " + _pad(username, 14) + _pad(name, 12) + _pad(roles, 28) + site)
        self.stdout.write(
            "\nStaff:    http://127.0.0.1:8000/  (any login above)"
            "\nPortal:   http://127.0.0.1:8000/portal/  (the customers above: phone number)"
            "\nAdmin:    http://127.0.0.1:8000/admin/  (admin / fuwu-demo)"
            "\nAPI docs: http://127.0.0.1:8000/api/docs"
        )
