"""Where a request came from, the one rule for the sign-in limits and the tokens' last use."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def client_address(request: HttpRequest) -> str:
    """The address a request came from: REMOTE_ADDR, or behind a trusted proxy (the setting
    FUWU_TRUSTED_PROXY) the last X-Forwarded-For entry, the one that proxy appended itself.
    Earlier entries are whatever the client wrote and are never believed."""
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if getattr(settings, "FUWU_TRUSTED_PROXY", False) and forwarded.strip():
        return forwarded.split(",")[-1].strip()[:100]
    return str(request.META.get("REMOTE_ADDR", ""))[:100]
