"""The `fuwu` command: Django's management commands plus Fuwu's own (see `fuwu help`)."""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fuwu.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["fuwu", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    main()
