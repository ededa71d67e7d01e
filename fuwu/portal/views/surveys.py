"""Answering a survey as a customer: through a signed one-time link (no sign-in; it expires and
works once) or in the portal for a signed-in customer's own invitations. The rules (conditions,
once only, expiry, low answers opening a follow-up) are `fuwu.surveys.actions`'."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import get_language

from fuwu.customers.models import Customer
from fuwu.portal.access import customer_actor, customer_from, customer_required
from fuwu.procedures.engine.errors import EngineError
from fuwu.surveys import actions
from fuwu.surveys.models import Response
from fuwu.surveys.pages import layout, posted


def _language() -> str:
    return get_language() or "zh-hans"


def pending_for(customer: Customer) -> QuerySet[Response]:
    """A customer's invitations still to answer: not submitted, not expired, round open."""
    now = timezone.now()
    return (
        Response.objects.filter(customer=customer, submitted_at__isnull=True)
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
        .filter(round__opens_at__lte=now)
        .filter(Q(round__closes_at__isnull=True) | Q(round__closes_at__gt=now))
        .select_related("round__questionnaire")
        .order_by("-invited_at")
    )


def _page(
    request: HttpRequest,
    response: Response,
    values: dict[str, str] | None = None,
    error: EngineError | None = None,
    status: int = 200,
) -> HttpResponse:
    language = _language()
    questionnaire = response.round.questionnaire
    return render(
        request,
        "portal/survey.html",
        {
            "title": questionnaire.name(language),
            "description": questionnaire.description_en
            if language.startswith("en")
            else questionnaire.description_zh,
            "areas": layout(questionnaire.spec(), language, values, error),
            "error": error.message(language) if error else "",
        },
        status=status,
    )


def _message(request: HttpRequest, error: EngineError | None, status: int) -> HttpResponse:
    return render(
        request,
        "portal/survey_done.html",
        {"error": error.message(_language()) if error else ""},
        status=status,
    )


def link(request: HttpRequest, token: str) -> HttpResponse:
    """`/portal/s/<token>/`: the one-time link a customer was sent."""
    try:
        response = actions.response_for_link(token)
    except EngineError as exc:
        return _message(request, exc, exc.status if exc.status == 404 else 410)
    if request.method != "POST":
        return _page(request, response)
    values = posted(response.round.questionnaire.spec(), request.POST)
    try:
        actions.answer_by_link(token, values)
    except EngineError as exc:
        if exc.code != "invalid_form":
            return _message(request, exc, 409)
        return _page(request, response, values, exc, status=400)
    return _message(request, None, 200)


@customer_required
def mine(request: HttpRequest) -> HttpResponse:
    customer = customer_from(request)
    language = _language()
    rows = [(r, r.round.questionnaire.name(language)) for r in pending_for(customer)[:50]]
    return render(request, "portal/surveys.html", {"customer": customer, "rows": rows})


@customer_required
def answer(request: HttpRequest, pk: int) -> HttpResponse:
    customer = customer_from(request)
    response = pending_for(customer).filter(pk=pk).first()
    if response is None:
        answered = Response.objects.filter(pk=pk, customer=customer).exclude(submitted_at=None)
        if answered.exists():
            return _message(request, EngineError("survey_answered"), 409)
        return render(request, "portal/not_found.html", status=404)
    if request.method != "POST":
        return _page(request, response)
    values = posted(response.round.questionnaire.spec(), request.POST)
    try:
        actions.answer_in_portal(customer_actor(customer), customer, response.pk, values)
    except EngineError as exc:
        if exc.code != "invalid_form":
            return _message(request, exc, 409)
        return _page(request, response, values, exc, status=400)
    return _message(request, None, 200)
