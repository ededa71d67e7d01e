"""The customer portal (being written)."""

from django.http import HttpRequest, HttpResponse
from django.urls import path

app_name = "portal"


def _pending(request: HttpRequest) -> HttpResponse:
    return HttpResponse("pending")


urlpatterns = [
    path("", _pending, name="home"),
    path("login/", _pending, name="login"),
]
