"""Every write to API tokens: issue, revoke, revoke a person's all, record use.

The API (`fuwu.api.tokens`), the staff page (`fuwu.web.views.tokens`), the `fuwu token` command
and the admin all call these, so the rules (scopes, the longest lifetime, what revoking means)
live here once. Which token a request may use, and for what, is decided in one place too: the
API's auth class (`fuwu.api.auth.TokenAuth`), which calls `refusal` below.

A person's tokens are revoked when their password changes or they are deactivated, by the
signal handlers at the end of this module (connected in `fuwu.core.apps`), so every path counts:
the password page, the admin, `set_password()` + `save()`, `changepassword`, a script.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone

from fuwu.core.choices import TokenScope
from fuwu.core.models import ApiToken, hash_token
from fuwu.procedures.engine.errors import EngineError, FieldError, NotFound

# A busy client uses its token many times a second; its last use is written at most this often.
USE_RECORD_INTERVAL = timedelta(minutes=1)
ALL_SCOPES: tuple[str, ...] = tuple(TokenScope.values)


def default_days() -> int:
    return int(settings.FUWU_TOKEN_DAYS)


def max_days() -> int:
    return int(settings.FUWU_TOKEN_MAX_DAYS)


def check_scopes(scopes: Iterable[str]) -> str:
    """The scopes as stored ("read write"): known ones only, at least one, in a fixed order."""
    chosen = {s.strip() for s in scopes if s.strip()}
    unknown = chosen - set(ALL_SCOPES)
    if unknown or not chosen:
        raise EngineError(
            "invalid_form",
            fields={"scopes": FieldError("bad_choice", options=", ".join(ALL_SCOPES))},
        )
    return " ".join(s for s in ALL_SCOPES if s in chosen)


def check_expiry(
    *, days: int | None = None, expires_at: datetime | None = None, now: datetime | None = None
) -> datetime:
    """When a new token expires: in `days`, at `expires_at`, or after the default lifetime.

    Never later than FUWU_TOKEN_MAX_DAYS from now, never in the past; a field error otherwise.
    """
    now = now or timezone.now()
    longest = max_days()
    if days is not None and expires_at is not None:
        raise EngineError(
            "invalid_form", fields={"expires_at": FieldError("days_or_date", max=longest)}
        )
    if expires_at is None:
        days = default_days() if days is None else days
        if not 1 <= days <= longest:
            raise EngineError(
                "invalid_form", fields={"days": FieldError("token_days", max=longest)}
            )
        return now + timedelta(days=days)
    if timezone.is_naive(expires_at):
        expires_at = timezone.make_aware(expires_at)
    if expires_at <= now:
        raise EngineError("invalid_form", fields={"expires_at": FieldError("in_past")})
    if expires_at > now + timedelta(days=longest):
        raise EngineError(
            "invalid_form", fields={"expires_at": FieldError("token_days", max=longest)}
        )
    return expires_at


def issue_token(
    user: Any,
    *,
    name: str = "api",
    scopes: Iterable[str] = ALL_SCOPES,
    days: int | None = None,
    expires_at: datetime | None = None,
) -> tuple[ApiToken, str]:
    """Create a token for `user`; returns it with the raw value, which is never stored.

    Preconditions: the caller has established that `user` asks for it in person (a signed-in
    session, the operator's command line, a test); a bearer token never reaches here
    (`fuwu.api.tokens.create_token` refuses), so a token cannot outlive the one that made it.
    """
    now = timezone.now()
    stored_scopes = check_scopes(scopes)
    expiry = check_expiry(days=days, expires_at=expires_at, now=now)
    raw = "fw_" + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name,
        prefix=raw[3:11],
        digest=hash_token(raw),
        scopes=stored_scopes,
        created_at=now,
        expires_at=expiry,
    )
    return token, raw


def revoke_token(token: ApiToken) -> ApiToken:
    """Revoke one token now. Revoking again keeps the first recorded time."""
    now = timezone.now()
    ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=now)
    token.refresh_from_db(fields=["revoked_at"])
    return token


def revoke_own_token(user: Any, prefix: str) -> ApiToken:
    """A person revokes one of their own tokens; another's prefix is not found."""
    token = ApiToken.objects.filter(user=user, prefix=prefix).first()
    if token is None:
        raise NotFound("not_found", what="token")
    return revoke_token(token)


def revoke_tokens(tokens: QuerySet[ApiToken]) -> int:
    """Revoke the still-active tokens of a queryset (the admin action, the command line)."""
    return int(tokens.filter(revoked_at__isnull=True).update(revoked_at=timezone.now()))


def revoke_all_for(user_id: int) -> int:
    return revoke_tokens(ApiToken.objects.filter(user_id=user_id))


def token_state(token: ApiToken, now: datetime | None = None) -> str:
    """ "revoked", "expired" or "active": how the API, the page and the admin describe a token."""
    if token.revoked_at is not None:
        return "revoked"
    if token.is_expired(now):
        return "expired"
    return "active"


def refusal(token: ApiToken | None, *, method: str, now: datetime | None = None) -> str | None:
    """Why this token may not make a request with this HTTP method, or None if it may.

    The code names an API error (`fuwu.procedures.engine.errors.MESSAGES`): "unauthorized" for an
    unknown token or a deactivated person, "token_revoked", "token_expired" (401), and
    "token_scope" (403) when the scopes do not cover the method (safe methods need `read`,
    every other method `write`).
    """
    if token is None or not token.user.is_active:
        return "unauthorized"
    if token.revoked_at is not None:
        return "token_revoked"
    if token.is_expired(now):
        return "token_expired"
    needed = TokenScope.READ if method in ("GET", "HEAD", "OPTIONS") else TokenScope.WRITE
    if needed.value not in token.scope_list:
        return "token_scope"
    return None


def record_use(token: ApiToken, address: str | None, *, now: datetime | None = None) -> None:
    """Note when (and from where) a token was last used — at most once a minute per token.

    Written on any request, reads included, like Django's last_login: it is bookkeeping, not a
    change to anything the person works on. The conditional UPDATE means two processes serving
    the same client in the same minute write once between them.
    """
    now = now or timezone.now()
    if token.last_used_at is not None and now - token.last_used_at < USE_RECORD_INTERVAL:
        return
    ApiToken.objects.filter(pk=token.pk).filter(
        Q(last_used_at__isnull=True) | Q(last_used_at__lte=now - USE_RECORD_INTERVAL)
    ).update(last_used_at=now, last_used_from=address or None)


# --- A person's tokens end with their password or their account -----------------------------

_SECURITY_FIELDS = ("password", "is_active")


def _remember_old_credentials(sender: Any, instance: Any, **kwargs: Any) -> None:
    """pre_save: note whether this save changes the password or deactivates the person."""
    instance._fuwu_revoke_tokens = False
    update_fields = kwargs.get("update_fields")
    if instance.pk is None or kwargs.get("raw"):
        return
    if update_fields is not None and not set(update_fields) & set(_SECURITY_FIELDS):
        return  # e.g. last_login on every sign-in: nothing to compare
    if (
        update_fields is not None
        and set(update_fields) == {"password"}
        and getattr(instance, "_password", None) is None
    ):
        # Django re-hashing a correct password at sign-in (a stronger hasher, more iterations)
        # saves exactly this way; the password is the same, so the tokens stay.
        return
    old = sender.objects.filter(pk=instance.pk).values(*_SECURITY_FIELDS).first()
    if old is None:
        return
    instance._fuwu_revoke_tokens = old["password"] != instance.password or (
        old["is_active"] and not instance.is_active
    )


def _revoke_after_save(sender: Any, instance: Any, **kwargs: Any) -> None:
    """post_save: revoke at once, inside the caller's transaction when it has one (the admin's
    views do), so a save that rolls back leaves the tokens alone."""
    if getattr(instance, "_fuwu_revoke_tokens", False):
        instance._fuwu_revoke_tokens = False
        revoke_all_for(instance.pk)


def connect_signals() -> None:
    from django.contrib.auth import get_user_model
    from django.db.models.signals import post_save, pre_save

    user_model = get_user_model()
    pre_save.connect(
        _remember_old_credentials, sender=user_model, dispatch_uid="fuwu-tokens-credentials"
    )
    post_save.connect(_revoke_after_save, sender=user_model, dispatch_uid="fuwu-tokens-revoke")
