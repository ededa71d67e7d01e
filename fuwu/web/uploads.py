"""Request bodies are bounded before they are read, and uploaded bytes are counted as they arrive.

Django refuses a large form or JSON body (`DATA_UPLOAD_MAX_MEMORY_SIZE`) but streams files of
any size to disk before a view sees them: a 50 MB body was received in full before the portal
said "too large". Two guards, one limit (`body_limit`):

- `UploadLimitMiddleware` answers 413 from the Content-Length header alone, before a byte of
  the body is read: an HTML page for the staff pages and the portal, JSON for /api/. For a
  multipart body it then parses the form itself, so a refusal by the handler below is the same
  413 (otherwise CSRF's `process_view` meets it first and answers a bare 400).
- `CountingUploadHandler` (first in `FILE_UPLOAD_HANDLERS`) counts file bytes as they arrive,
  whatever the header said: past the request limit the upload stops; a file past
  `FUWU_MAX_PHOTO_BYTES` stops being kept and becomes a `TooLargeFile` whose size is what came,
  so the form names the photo that was too large (`fuwu.cases.attachments.check_photos`).

A body sent without Content-Length (chunked) is not read at all by Django's WSGI request (it
reads as empty); the counting handler bounds it anyway should a server hand one over.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFilesSent
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import render

from fuwu.cases.attachments import MAX_PHOTOS
from fuwu.procedures.engine.errors import MESSAGES
from fuwu.procedures.engine.errors import render as render_message


def body_limit(content_type: str) -> int | None:
    """The largest body accepted for this content type, in bytes (None: no limit).

    A multipart form carries photos: `FUWU_MAX_UPLOAD_BYTES`, or when unset room for the
    photos a form takes plus the form's own fields. Any other body is parsed in memory and
    keeps Django's `DATA_UPLOAD_MAX_MEMORY_SIZE`.
    """
    form = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    if not content_type.startswith("multipart/"):
        return form
    if settings.FUWU_MAX_UPLOAD_BYTES is not None:
        return int(settings.FUWU_MAX_UPLOAD_BYTES)
    return settings.FUWU_MAX_PHOTO_BYTES * MAX_PHOTOS + (form or 0)


def declared_length(request: HttpRequest) -> int:
    """The Content-Length the sender declared (0 when absent or unreadable, as Django reads it)."""
    try:
        return max(int(request.META.get("CONTENT_LENGTH") or 0), 0)
    except ValueError:
        return 0


class TooLargeFile(UploadedFile):
    """Stands in for a file that was not kept because it was too large: empty, but its `size`
    is the number of bytes that came, so the message can say how large it was."""

    def __init__(self, name: str, content_type: str, size: int, charset: str | None) -> None:
        super().__init__(io.BytesIO(), name, content_type, size, charset)


class CountingUploadHandler(FileUploadHandler):
    """Counts the bytes of each uploaded file and of the request as they arrive.

    It runs before Django's handlers that keep the data: once a file passes
    `FUWU_MAX_PHOTO_BYTES` it passes them nothing more of it (they hold at most the limit) and
    the file completes as a `TooLargeFile`; once the request's files pass `body_limit` the
    upload stops with `RequestDataTooBig`, which the middleware answers with 413.
    """

    def __init__(self, request: HttpRequest | None = None) -> None:
        super().__init__(request)
        self.limit = body_limit("multipart/form-data")
        self.total = 0
        self.file_bytes = 0
        self.dropping = False

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        super().new_file(*args, **kwargs)
        self.file_bytes = 0
        self.dropping = False

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes | None:
        self.total += len(raw_data)
        self.file_bytes += len(raw_data)
        if self.limit is not None and self.total > self.limit:
            raise RequestDataTooBig("The uploaded files exceed the request limit.")
        if self.file_bytes > settings.FUWU_MAX_PHOTO_BYTES:
            self.dropping = True
            return None  # the handlers after this one get no more of this file
        return raw_data

    def file_complete(self, file_size: int) -> UploadedFile | None:
        if not self.dropping:
            return None  # a later handler completes it
        return TooLargeFile(
            self.file_name or "file", self.content_type or "", self.file_bytes, self.charset
        )


class UploadLimitMiddleware:
    """413 for a body over the limit: from its declared length before reading, or from the
    counting handler while a multipart form is parsed here, before any view sees it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith("/channels/"):
            # The channels' endpoints take a provider's raw body (a whole e-mail, XML) and bound
            # it themselves, with their own limit and JSON answer (fuwu.channels.views).
            return self.get_response(request)
        content_type = request.META.get("CONTENT_TYPE", "")
        limit = body_limit(content_type)
        size = declared_length(request)
        if limit is not None and size > limit:
            return too_large(request, size=size, limit=limit)
        if request.method == "POST" and content_type.startswith("multipart/form-data"):
            try:
                request.POST  # noqa: B018 — parse now, while a refusal can still be answered
            except RequestDataTooBig:
                return too_large(request, size=size, limit=limit)
            except (MultiPartParserError, TooManyFilesSent):
                if _is_api(request):  # a page gets Django's 400, as it did from CSRF's parse
                    reason = "malformed multipart form"
                    return _api_error(request, 400, "bad_request", {}, reason=reason)
                raise
        return self.get_response(request)


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def _api_error(
    request: HttpRequest, status: int, code: str, details: dict[str, Any], **params: Any
) -> HttpResponse:
    """The API's error shape (`fuwu.api.root`), for answers given before the API is reached."""
    language = getattr(request, "LANGUAGE_CODE", None)
    message = render_message(MESSAGES, code, language, params)
    return JsonResponse({"code": code, "message": message, "details": details}, status=status)


def too_large(request: HttpRequest, *, size: int, limit: int | None) -> HttpResponse:
    """The 413 answer in the caller's language: JSON like every API error, else a page."""
    if _is_api(request):
        return _api_error(request, 413, "too_large", {"limit": limit, "size": size})
    return render(
        request,
        "413.html",
        {
            "size": size,
            "limit": limit,
            "base": "portal/base.html" if request.path.startswith("/portal/") else "web/base.html",
        },
        status=413,
    )
