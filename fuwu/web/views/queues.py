"""(being written) — replace this module."""

from django.http import HttpRequest, HttpResponse
from django.urls import path


def _pending(request: HttpRequest, **kwargs: object) -> HttpResponse:
    return HttpResponse("pending")


urlpatterns = [
    path("queue/", _pending, name="queue"),
]
