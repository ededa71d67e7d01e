"""The REST API under /api/ (django-ninja). OpenAPI at /api/openapi.json, docs at /api/docs.

Errors are always JSON `{code, message, details}` with `message` in the caller's language
(Accept-Language: zh-Hans or en); every status an endpoint can return is declared on it.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, ClassVar

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import get_language
from django.views.decorators.csrf import csrf_exempt
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.openapi.schema import OpenAPISchema
from ninja.parser import Parser

from fuwu.api.auth import SessionOrCsrf, TokenAuth
from fuwu.api.common import actor, language
from fuwu.core import limits
from fuwu.procedures.engine.errors import MESSAGES, EngineError, render


def staff_docs(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """The API docs and the OpenAPI document: anyone in DEBUG, otherwise signed-in staff only.

    The schema maps every endpoint and field, which helps an attacker more than a customer, so
    in production it is shown to staff signed in by session (the docs page) or by a bearer
    token (a program reading the schema). Anonymous visitors are asked to sign in (the page) or
    answered 401 (the JSON); a signed-in customer is answered 404, as for any hidden thing.
    """

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if settings.DEBUG:
            return view(request, *args, **kwargs)
        if "authorization" in request.headers:
            TokenAuth()(request)  # sets request.user for a valid token; anonymous otherwise
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            if request.path.endswith("/docs"):
                return redirect_to_login(request.get_full_path())
            return _error(request, 401, "unauthorized")
        if not actor(request).is_staff:
            return _error(request, 404, "not_found", what="resource")
        return view(request, *args, **kwargs)

    return wrapper


class LimitedParser(Parser):
    """JSON bodies within Fuwu's input limits (depth, size, no NUL): `fuwu.core.limits`.

    Ninja turns any exception raised here into HttpError(400); `_http_error` finds the
    `LimitExceeded` behind it and answers with its own code."""

    def parse_body(self, request: HttpRequest) -> dict[str, Any]:
        return limits.loads(request.body)  # type: ignore[no-any-return]


class FuwuAPI(NinjaAPI):
    """Ninja's API with its OpenAPI document built once per process (per path prefix and
    language): building it walks every operation's schemas and takes seconds of CPU, and the
    routes cannot change while the process runs. Callers read it and never change it."""

    def get_openapi_schema(
        self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None
    ) -> OpenAPISchema:
        if path_prefix is None:
            path_prefix = self.get_root_path(path_params or {})
        key = (path_prefix, get_language())
        if key not in self._schemas:
            self._schemas[key] = super().get_openapi_schema(path_prefix=path_prefix)
        return self._schemas[key]

    _schemas: ClassVar[dict[tuple[str, str | None], OpenAPISchema]] = {}


api = FuwuAPI(
    title="Fuwu API",
    version="1",
    description="Cases, procedures, customers and assets. Authenticate with `Authorization: Bearer <token>`"
    " (create one on the page 'API tokens', with POST /api/tokens while signed in, or with"
    " `fuwu token create USERNAME`; a token cannot create tokens). A token's `read` scope allows"
    " GET, its `write` scope the other methods; an expired or revoked token gets 401.",
    auth=[TokenAuth(), SessionOrCsrf()],
    urls_namespace="api",
    docs_url="/docs",
    docs_decorator=staff_docs,
    parser=LimitedParser(),
)


def _error(
    request: HttpRequest,
    status: int,
    code: str,
    details: dict[str, Any] | None = None,
    **params: Any,
) -> HttpResponse:
    lang = language(request)
    return api.create_response(
        request,
        {"code": code, "message": render(MESSAGES, code, lang, params), "details": details or {}},
        status=status,
    )


@api.exception_handler(EngineError)
def _engine_error(request: HttpRequest, exc: EngineError) -> HttpResponse:
    lang = language(request)
    return api.create_response(
        request,
        {"code": exc.code, "message": exc.message(lang), "details": exc.details(lang)},
        status=exc.status,
    )


@api.exception_handler(ValidationError)
def _validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    fields = {}
    for err in exc.errors:
        loc = [
            str(p) for p in err.get("loc", []) if p not in ("body", "payload", "query", "filters")
        ]
        fields[".".join(loc) or "body"] = err.get("msg", "invalid")
    return _error(request, 422, "invalid_form", {"fields": fields})


@api.exception_handler(AuthenticationError)
def _auth_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return _error(request, 401, "unauthorized")


@api.exception_handler(RequestDataTooBig)
def _too_big(request: HttpRequest, exc: Exception) -> HttpResponse:
    return _error(request, 413, "too_large")


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Exception) -> HttpResponse:
    return _error(request, 404, "not_found", what="resource")


@csrf_exempt  # it changes nothing; a POST must get the same 404, not CSRF's HTML 403
def unknown_path(request: HttpRequest) -> HttpResponse:
    """Any other path under /api/: the API's JSON 404, not the staff site's HTML page.

    A path parameter of the wrong type (`/api/cases/abc`) matches no route, so Django, not
    ninja, answers it; joined after the API's routes in `fuwu/urls.py`.
    """
    return _error(request, 404, "not_found", what="resource")


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """Django's own 400s (a Host header that is no host name, a suspicious request) answered
    in JSON under /api/, as the API documents its 400; the staff site keeps Django's page."""
    if request.path.startswith("/api/"):
        return _error(request, 400, "bad_request", reason="bad request", what="resource")
    from django.views.defaults import bad_request as page

    return page(request, exception)


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    # ninja raises HttpError(400) for a body that is not valid JSON, or one past the limits.
    if isinstance(exc.__cause__, limits.LimitExceeded):
        return _engine_error(request, limits.refusal(exc.__cause__.problem))
    code = {401: "unauthorized", 403: "forbidden", 404: "not_found", 413: "too_large"}.get(
        exc.status_code, "bad_request"
    )
    reason = "malformed JSON" if exc.status_code == 400 else str(exc)
    return _error(request, exc.status_code, code, reason=reason, what="resource")


from fuwu.api import (  # noqa: E402  (routers need `api`)
    calendar,
    campaigns,
    cases,
    customers,
    documents,
    history,
    kpis,
    parts,
    phone,
    procedures,
    production,
    registers,
    report_lists,
    report_subscriptions,
    reports,
    routes,
    scheduling,
    search,
    sheets,
    surveys,
    tokens,
    webhooks,
    wechat,
)

api.add_router("/procedures", procedures.router)
api.add_router("/", sheets.router)  # /cases/export before /cases/{id}
api.add_router("/cases", cases.router)
api.add_router("/", customers.router)
api.add_router("/", history.router)
api.add_router("/", tokens.router)
api.add_router("/", campaigns.router)
api.add_router("/", registers.router)
api.add_router("/", search.router)
api.add_router("/", scheduling.router)
api.add_router("/", calendar.router)
api.add_router("/", parts.router)
api.add_router("/", routes.router)
api.add_router("/", production.router)
api.add_router("/", reports.router)
api.add_router("/", report_subscriptions.router)
api.add_router("/", report_lists.router)
api.add_router("/", kpis.router)
api.add_router("/", surveys.router)
api.add_router("/", documents.router)
api.add_router("/", webhooks.router)
api.add_router("/", phone.router)
api.add_router("/", wechat.router)
