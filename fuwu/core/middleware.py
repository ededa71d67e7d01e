"""Requests carrying a NUL character are refused (400) before any view sees them.

PostgreSQL cannot store `\\x00` in text or jsonb: a NUL reaching a query used to be a 500 (and a
SQLite database holding one could not be moved to PostgreSQL). The rule is `fuwu.core.limits`;
this middleware applies it to what arrives outside a JSON body: the path and query string
(`%00` decoded), header values (a cookie or token is looked up in the database), and form
fields, their names and uploaded file names. API JSON bodies are checked by the API's parser.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.html import escape

from fuwu.core.limits import Problem, text_problem, texts_problem
from fuwu.procedures.engine.errors import MESSAGES, render

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def _pairs(data: Any) -> Iterable[tuple[str, str]]:
    for key, values in data.lists():
        for value in values:
            yield key, value if isinstance(value, str) else str(getattr(value, "name", ""))


def _headers(request: HttpRequest) -> Iterable[tuple[str, str]]:
    for key, value in request.META.items():
        if key.startswith("HTTP_") and isinstance(value, str):
            yield key, value


def refuse(request: HttpRequest, problem: Problem) -> HttpResponse:
    """400 in the caller's language: the API's error shape under /api/, an alert for htmx,
    plain text elsewhere."""
    language = getattr(request, "LANGUAGE_CODE", None) or "zh-hans"
    message = render(MESSAGES, problem.code, language, problem.params)
    if request.path.startswith("/api/"):
        body = {"code": problem.code, "message": message, "details": {"where": problem.shown_where}}
        return HttpResponse(
            json.dumps(body, ensure_ascii=False), status=400, content_type="application/json"
        )
    if request.headers.get("HX-Request") == "true":
        # The pages swap a 400 in (a refused form comes back re-rendered): put the message
        # above the form instead of replacing it, so nothing typed is lost.
        alert = f'<div class="alert alert-danger" role="alert">{escape(message)}</div>'
        return HttpResponse(alert, status=400, headers={"HX-Reswap": "afterbegin"})
    return HttpResponse(message, status=400, content_type="text/plain; charset=utf-8")


class RefuseNulMiddleware:
    """Placed after LocaleMiddleware (the refusal speaks the request's language) and before
    the session is read (a cookie holding a NUL must not reach the session table)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        problem = (
            text_problem(request.path, "path")
            or texts_problem(_pairs(request.GET))
            or texts_problem(_headers(request))
        )
        if problem is not None:
            return refuse(request, problem)
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view: Callable[..., Any], args: Any, kwargs: Any
    ) -> HttpResponse | None:
        # Form bodies are read here, as CsrfViewMiddleware (next) reads them for its token
        # anyway. The API takes JSON only, checked by its parser: its bodies are left unread.
        if request.method != "POST" or request.path.startswith("/api/"):
            return None
        if request.content_type not in FORM_TYPES:
            return None
        problem = texts_problem(_pairs(request.POST)) or texts_problem(_pairs(request.FILES))
        return refuse(request, problem) if problem is not None else None
