"""Shared pieces of the API: the error schema, the declared error statuses, the caller's language."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Schema

from fuwu.core.actors import Actor, actor_for
from fuwu.core.models import Site
from fuwu.procedures.engine.errors import EngineError, FieldError


class ErrorOut(Schema):
    code: str
    message: str
    details: dict[str, Any]


# Declared on every endpoint so the OpenAPI document lists each status the API can return.
# 400 on reads too: a NUL character in a query string or path is refused before any endpoint.
READ_ERRORS: dict[int, type[Schema]] = {400: ErrorOut, 401: ErrorOut, 404: ErrorOut, 422: ErrorOut}
WRITE_ERRORS: dict[int, type[Schema]] = {
    400: ErrorOut,
    401: ErrorOut,
    403: ErrorOut,
    404: ErrorOut,
    409: ErrorOut,
    413: ErrorOut,
    422: ErrorOut,
}


def language(request: HttpRequest) -> str:
    return getattr(request, "LANGUAGE_CODE", None) or "zh-hans"


def actor(request: HttpRequest) -> Actor:
    return actor_for(request.user)


def site_for(who: Actor, code: str) -> Site:
    """The site a request names by code; one the caller may not use is a field error, not a 404."""
    site = Site.objects.filter(code=code).first()
    if site is None or not who.may_see_site(site.pk):
        raise EngineError("invalid_form", fields={"site": FieldError("bad_choice", options="")})
    return site
