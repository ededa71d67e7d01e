"""Serving a case's attachment: to staff who may see the case, and to the customer it is for.

Files live outside the static and media URLs; this is the only way to read them. Anyone else
(another customer, staff of another site, an anonymous visitor) gets a 404, as if there were no
such file. Registered in the `web` namespace as `web:attachment` (fuwu/web/urls.py).
"""

from __future__ import annotations

from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.urls import path
from django.views.decorators.http import require_GET

from fuwu.cases.attachments import thumbnail as make_thumbnail
from fuwu.cases.models import Attachment
from fuwu.cases.queries import cases_for
from fuwu.core.actors import actor_for
from fuwu.portal.access import customer_of, own_cases
from fuwu.web.context import is_staff_member


def _readable(request: HttpRequest, pk: int) -> Attachment:
    """The attachment if this person may read it; else 404, as if there were no such file."""
    if not request.user.is_authenticated:
        raise Http404
    row = (
        Attachment.objects.filter(pk=pk)
        .only("case_id", "file", "thumbnail", "name", "content_type")
        .first()
    )
    if row is None:
        raise Http404
    actor = actor_for(request.user)
    if is_staff_member(actor):
        allowed = cases_for(actor).filter(pk=row.case_id).exists()
    else:
        customer = customer_of(request.user)
        allowed = customer is not None and own_cases(customer).filter(pk=row.case_id).exists()
    if not allowed:
        raise Http404
    return row


def _private(response: HttpResponseBase) -> HttpResponseBase:
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=3600"
    return response


@require_GET
def attachment(request: HttpRequest, pk: int) -> HttpResponseBase:
    row = _readable(request, pk)
    try:
        handle = row.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    # A picture shows in the browser; a document is downloaded, never rendered as our page.
    image = row.content_type.startswith("image/")
    response = FileResponse(
        handle, content_type=row.content_type, filename=row.name, as_attachment=not image
    )
    return _private(response)


@require_GET
def thumbnail(request: HttpRequest, pk: int) -> HttpResponseBase:
    """The picture's small JPEG, read with the same rights as the picture. A photo kept before
    thumbnails were made is scaled down on the way out (not stored: a GET writes nothing)."""
    row = _readable(request, pk)
    if not row.content_type.startswith("image/"):
        raise Http404
    try:
        if row.thumbnail:
            with row.thumbnail.open("rb") as handle:
                small: bytes | None = handle.read()
        else:
            with row.file.open("rb") as handle:
                small = make_thumbnail(handle.read())
    except FileNotFoundError:
        raise Http404 from None
    if small is None:
        raise Http404
    return _private(HttpResponse(small, content_type="image/jpeg"))


urlpatterns = [
    path("attachments/<int:pk>/", attachment, name="attachment"),
    path("attachments/<int:pk>/thumbnail/", thumbnail, name="attachment-thumbnail"),
]
