"""The search box in the menu: results as one types (an htmx fragment under the box, a few of
each kind) and, on Enter, the results page (the cases as the queue shows them). What is found
and for whom: `fuwu.search.queries`."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils.translation import get_language

from fuwu.customers.privacy import PHONE_SEARCH_MIN_DIGITS
from fuwu.search import queries
from fuwu.web.access import actor_of, staff_required
from fuwu.web.lists import rows_of

MAX_LENGTH = 100  # as the API's `q`


def _text(request: HttpRequest) -> str:
    return request.GET.get("q", "").strip()[:MAX_LENGTH]


@staff_required
def live(request: HttpRequest) -> HttpResponse:
    """The fragment under the menu box (GET, as one types)."""
    text = _text(request)
    if not text:
        return HttpResponse("")  # an emptied box closes its results
    found = queries.search(actor_of(request), text)
    return render(
        request,
        "web/_search_live.html",
        {"found": found, "phone_min": PHONE_SEARCH_MIN_DIGITS},
    )


@staff_required
def results(request: HttpRequest) -> HttpResponse:
    """The results page: where Enter in the menu box goes."""
    text = _text(request)
    found = queries.search(actor_of(request), text, limit=queries.PAGE_LIMIT) if text else None
    rows = rows_of(found.cases, get_language()) if found else []
    return render(
        request,
        "web/search.html",
        {
            "found": found,
            "q": text,
            "rows": rows,
            "limit": queries.PAGE_LIMIT,
            "phone_min": PHONE_SEARCH_MIN_DIGITS,
        },
    )


urlpatterns = [
    path("search/", results, name="search"),
    path("search/live/", live, name="search-live"),
]
