"""API authentication: bearer tokens for programs, the session (with CSRF) for the browser.

This is the one place a token's state and scopes are enforced: an unknown, revoked or expired
token is refused with 401, a token whose scopes do not cover the request's method with 403
(`fuwu.core.tokens.refusal` names the reason). Nothing is cached, so a revocation takes effect
on the very next request.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.middleware.csrf import CsrfViewMiddleware
from django.utils import translation
from ninja.security import APIKeyCookie, HttpBearer

from fuwu.core.models import ApiToken
from fuwu.core.net import client_address
from fuwu.core.tokens import record_use, refusal
from fuwu.procedures.engine.errors import Forbidden, Unauthorized


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        found = ApiToken.lookup(token)
        reason = refusal(found, method=request.method or "GET")
        if reason == "unauthorized" or found is None:
            return None  # the next method (the session) may still apply; else a plain 401
        if reason == "token_scope":
            with translation.override("zh-hans"):
                scopes_zh = "、".join(found.scope_labels())
            raise Forbidden(reason, scopes_zh=scopes_zh, scopes_en=" ".join(found.scope_list))
        if reason is not None:
            raise Unauthorized(reason)
        record_use(found, client_address(request))
        request.user = found.user
        request.api_token = found  # type: ignore[attr-defined]
        return found.user


def bearer_token(request: HttpRequest) -> ApiToken | None:
    """The token this request was authenticated with, or None for a signed-in session."""
    return getattr(request, "api_token", None)


class SessionOrCsrf(APIKeyCookie):
    """The logged-in browser session; unsafe methods must carry the CSRF token."""

    param_name = "sessionid"

    def __init__(self) -> None:
        super().__init__(csrf=False)

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            check = CsrfViewMiddleware(lambda r: None)  # type: ignore[arg-type, return-value]
            check.process_request(request)
            if check.process_view(request, lambda r: None, (), {}) is not None:  # type: ignore[arg-type, return-value]
                return None
        return user
