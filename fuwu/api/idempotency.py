"""`Idempotency-Key` for the API's POSTs that create a record: one decorator for all of them.

A client that lost the answer to a POST (a dropped connection, a restart mid-request) cannot
tell whether the record was created; retrying blindly duplicates it. With the header, the first
successful answer (status and body) is kept with the key, the user, the method and path and a
digest of the body, in the same transaction as the write; a retry with the same key and body
gets that answer again (`Idempotent-Replayed: true`) and writes nothing; the same key with
another request is 422. Keys live 24 hours. An answer that is an error wrote nothing and is not
kept: the retry runs again. Concurrent requests with one key: one writes, the other waits for
it and gets its answer.

Use it under the router's decorator:

    @router.post("/things", response={201: ThingOut, **WRITE_ERRORS})
    @idempotent
    def create_thing(request, payload): ...
"""

from __future__ import annotations

import copy
import functools
import inspect
import re
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from ninja.operation import Operation
from ninja.utils import contribute_operation_callback

from fuwu.cases.idempotency import claim, fingerprint, record
from fuwu.procedures.engine.errors import Conflict, EngineError, Unprocessable

HEADER = "Idempotency-Key"
REPLAYED = "Idempotent-Replayed"
_VALID = re.compile(r"^[\x21-\x7e]{1,255}$")  # printable ASCII, no spaces, at most 255

DOC = {
    "in": "header",
    "name": HEADER,
    "required": False,
    "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": r"^[!-~]+$"},
    "description": (
        "A key of your choosing (e.g. a UUID), new for each record you mean to create. A retry "
        "with the same key and body within 24 hours returns the first answer with the header "
        f"`{REPLAYED}: true` and creates nothing; the same key with a different request is 422 "
        "`idempotency_key_reused`."
    ),
}


def idempotent[F: Callable[..., Any]](view: F) -> F:
    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        key = request.headers.get(HEADER)
        if key is None:
            return view(request, *args, **kwargs)
        if not _VALID.match(key):
            raise EngineError("bad_idempotency_key")
        method, path = request.method or "POST", request.path
        digest = fingerprint(method, path, request.body)
        with transaction.atomic():
            user_id: int = request.user.pk  # type: ignore[assignment]  # endpoints are authenticated
            row, ours = claim(user_id, key, method=method, path=path, digest=digest)
            if not ours:
                return _replay(row, method, path, digest)
            result = view(request, *args, **kwargs)
            operation = _bound(wrapper)
            response = operation._result_to_response(
                request, result, operation.api.create_temporal_response(request)
            )
            assert isinstance(response, HttpResponse)  # JSON, never a stream
            record(row, response.status_code, response.content.decode())
        return response

    # ninja reads the parameters' types from the signature, resolving names in the function's
    # module; the wrapper lives here, so hand it the view's resolved signature.
    wrapper.__signature__ = inspect.signature(view, eval_str=True)  # type: ignore[attr-defined]
    contribute_operation_callback(wrapper, _document)
    return wrapper  # type: ignore[return-value]


@functools.cache
def _bound(view: Callable[..., Any]) -> Operation:
    """The view's operation with the API attached, to render its answer as ninja would (status,
    response schema, JSON) before the transaction commits. ninja keeps on the function the
    router's template operation, whose clones (one per mount) are the ones bound to the API."""
    from fuwu.api.root import api  # root imports the routers, which import this module

    operation = copy.copy(view._ninja_operation)  # type: ignore[attr-defined]
    operation.api = api
    return operation


def _replay(row: Any, method: str, path: str, digest: str) -> HttpResponse:
    if row.method != method or row.path != path or row.fingerprint != digest:
        raise Unprocessable("idempotency_key_reused")
    if not row.status:  # not reachable: a row is seen only once its transaction committed
        raise Conflict("idempotency_in_progress")
    response = HttpResponse(row.body, status=row.status, content_type="application/json")
    response[REPLAYED] = "true"
    return response


def _document(operation: Operation) -> None:
    extra = dict(operation.openapi_extra or {})
    extra["parameters"] = [*extra.get("parameters", []), DOC]
    operation.openapi_extra = extra
