"""Each signed-in person sees the pages in their own language (Staff.language / Customer.language)."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation

SESSION_KEY = "fuwu_language"


def saved_language(user: object) -> str | None:
    """The language a user chose in their profile (staff or customer), if any."""
    if not getattr(user, "is_authenticated", False):
        return None
    for attr in ("staff", "customer"):
        try:
            return getattr(user, attr).language
        except Exception:  # noqa: S112 — RelatedObjectDoesNotExist: not that kind of user
            continue
    return None


def remember_language(request: HttpRequest, language: str) -> None:
    """Keep the choice in the session, so later requests need no query to find it."""
    if language in dict(settings.LANGUAGES):
        request.session[SESSION_KEY] = language
        translation.activate(language)
        request.LANGUAGE_CODE = language


class UserLanguageMiddleware:
    """Runs after authentication: a signed-in user's own choice beats the browser's.

    The choice is copied into the session at sign-in and when it changes. API calls with a
    bearer token have no session and keep Accept-Language.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith("/api/"):
            chosen = request.session.get(SESSION_KEY)
            if chosen in dict(settings.LANGUAGES):
                translation.activate(chosen)
                request.LANGUAGE_CODE = chosen
        return self.get_response(request)
