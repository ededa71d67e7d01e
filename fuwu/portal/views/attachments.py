"""Serving a case's attachment: to staff who may see the case, and to the customer it is for.

Files live outside the static and media URLs; this is the only way to read them. Anyone else
(another customer, staff of another site, an anonymous visitor) gets a 404, as if there were no
such file. Registered in the `web` namespace as `web:attachment` (fuwu/web/urls.py).
"""

from __future__ import annotations

from django.http import FileResponse, Http404, HttpRequest, HttpResponseBase
from django.urls import path
from django.views.decorators.http import require_GET

from fuwu.cases.models import Attachment
from fuwu.cases.queries import cases_for
from fuwu.core.actors import actor_for
from fuwu.portal.access import customer_of, own_cases
from fuwu.web.context import is_staff_member


@require_GET
def attachment(request: HttpRequest, pk: int) -> HttpResponseBase:
    if not request.user.is_authenticated:
        raise Http404
    row = Attachment.objects.filter(pk=pk).only("case_id", "file", "name", "content_type").first()
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
    try:
        handle = row.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(handle, content_type=row.content_type, filename=row.name)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=3600"
    return response


urlpatterns = [
    path("attachments/<int:pk>/", attachment, name="attachment"),
]
