from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from fuwu.core.models import ApiToken


class Command(BaseCommand):
    help = "API tokens: `token create USERNAME` prints a new token; `token revoke PREFIX`; `token list USERNAME`."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["create", "revoke", "list"])
        parser.add_argument("subject", help="username (create, list) or token prefix (revoke)")
        parser.add_argument("--name", default="cli")

    def handle(self, *args: Any, **options: Any) -> None:
        action, subject = options["action"], options["subject"]
        if action == "revoke":
            n = ApiToken.objects.filter(prefix=subject, revoked_at__isnull=True).update(
                revoked_at=timezone.now()
            )
            if not n:
                raise CommandError(f"no active token with prefix {subject}")
            self.stdout.write(f"revoked {n} token(s)")
            return
        user = get_user_model().objects.filter(username=subject, is_active=True).first()
        if user is None:
            raise CommandError(f"no active user '{subject}'")
        if action == "create":
            _, raw = ApiToken.issue(user, options["name"])
            self.stdout.write(raw)
        else:
            for t in ApiToken.objects.filter(user=user).order_by("created_at"):
                state = "revoked" if t.revoked_at else "active"
                self.stdout.write(
                    f"{t.prefix}  {t.name:<20} {state}  created {t.created_at:%Y-%m-%d %H:%M}"
                )
