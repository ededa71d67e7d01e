from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from fuwu.core.models import ApiToken
from fuwu.core.tokens import ALL_SCOPES, issue_token, revoke_tokens, token_state
from fuwu.procedures.engine.errors import EngineError


class Command(BaseCommand):
    help = (
        "API tokens: `token create USERNAME [--scopes read,write] [--days N]` prints a new token;"
        " `token revoke PREFIX`; `token list USERNAME`."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["create", "revoke", "list"])
        parser.add_argument("subject", help="username (create, list) or token prefix (revoke)")
        parser.add_argument("--name", default="cli")
        parser.add_argument(
            "--scopes",
            default=",".join(ALL_SCOPES),
            help=f"comma-separated, from: {', '.join(ALL_SCOPES)} (default: all)",
        )
        parser.add_argument(
            "--days", type=int, default=None, help="lifetime (default FUWU_TOKEN_DAYS)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        action, subject = options["action"], options["subject"]
        if action == "revoke":
            n = revoke_tokens(ApiToken.objects.filter(prefix=subject))
            if not n:
                raise CommandError(f"no active token with prefix {subject}")
            self.stdout.write(f"revoked {n} token(s)")
            return
        user = get_user_model().objects.filter(username=subject, is_active=True).first()
        if user is None:
            raise CommandError(f"no active user '{subject}'")
        if action == "create":
            try:
                _, raw = issue_token(
                    user,
                    name=options["name"],
                    scopes=options["scopes"].split(","),
                    days=options["days"],
                )
            except EngineError as exc:
                problems = "; ".join(
                    f"--{k}: {v}" for k, v in exc.details("en").get("fields", {}).items()
                )
                raise CommandError(problems or exc.message("en")) from exc
            self.stdout.write(raw)
        else:
            for t in ApiToken.objects.filter(user=user).order_by("created_at"):
                self.stdout.write(
                    f"{t.prefix}  {t.name:<20} {token_state(t):<8} {','.join(t.scope_list):<11}"
                    f" created {t.created_at:%Y-%m-%d %H:%M}  expires {t.expires_at:%Y-%m-%d %H:%M}"
                )
