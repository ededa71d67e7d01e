"""Shared pieces of the API: the error schema, the declared error statuses, the caller's language."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.http import HttpRequest
from ninja import Schema
from pydantic import BaseModel, ConfigDict

from fuwu.core.actors import Actor, actor_for
from fuwu.core.models import Site
from fuwu.core.prepared import Prepared
from fuwu.procedures.engine.errors import EngineError, FieldError, NotFound

if TYPE_CHECKING:
    from fuwu.scheduling.models import Workshop


class Out(BaseModel):
    """A response our code builds from values, field by field (`CaseOut(id=…, title=…)`).

    Plain pydantic, validated in Rust: ninja's `Schema` runs a Python validator around every
    model it builds, wrapping each value to read attributes from ORM objects (about four times
    the cost; a list page builds hundreds of them). Use `Schema` where ninja reads a model
    from an ORM object itself."""

    model_config = ConfigDict(from_attributes=True)


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


_SITE_BY_CODE = Prepared(lambda code: Site.objects.filter(code=code), text=True)


def site_for(who: Actor, code: str) -> Site:
    """The site a request names by code; one the caller may not use is a field error, not a 404."""
    site = _SITE_BY_CODE.get(code)
    if site is None or not who.may_see_site(site.pk):
        raise EngineError("invalid_form", fields={"site": FieldError("bad_choice", options="")})
    return site


def found[T](row: T | None, what: str) -> T:
    """The row a request names, or the API's 404 (`not_found`, naming what was looked for): the
    caller's query has already left out what they may not see, so a row they may not read is
    not found, exactly like one that does not exist."""
    if row is None:
        raise NotFound("not_found", what=what)
    return row


def workshop_for(who: Actor, workshop_id: int) -> Workshop:
    """A workshop the caller sees (staff of its site), or 404."""
    from fuwu.scheduling.booking import visible_workshops

    return found(visible_workshops(who).filter(pk=workshop_id).first(), "workshop")
