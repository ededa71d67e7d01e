"""Sign-in rate limit: after N failures for one username or one address, refuse for a while.

Failures are rows (LoginFailure), so every app process counts the same ones; a success for a
username clears that username's failures. Shared by the staff sign-in and the portal's.
"""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone

from fuwu.web.models import LoginFailure


def _keys(request: HttpRequest, username: str) -> list[str]:
    address = request.META.get("REMOTE_ADDR", "")
    return [f"user:{username.strip().lower()[:180]}", f"ip:{address}"]


def locked_out(request: HttpRequest, username: str) -> bool:
    since = timezone.now() - timedelta(seconds=settings.FUWU_LOGIN_LOCK_SECONDS)
    for key in _keys(request, username):
        if LoginFailure.objects.filter(key=key, at__gte=since).count() >= (
            settings.FUWU_LOGIN_MAX_FAILURES * (4 if key.startswith("ip:") else 1)
        ):
            return True
    return False


def record_failure(request: HttpRequest, username: str) -> None:
    LoginFailure.objects.bulk_create([LoginFailure(key=k) for k in _keys(request, username)])
    # Old rows are no longer counted; drop them now and then so the table stays small.
    LoginFailure.objects.filter(
        at__lt=timezone.now() - timedelta(seconds=settings.FUWU_LOGIN_LOCK_SECONDS * 2)
    ).delete()


def record_success(request: HttpRequest, username: str) -> None:
    LoginFailure.objects.filter(key=_keys(request, username)[0]).delete()
