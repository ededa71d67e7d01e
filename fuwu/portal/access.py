"""Who may open the portal pages: a signed-in customer, who sees only their own cases.

A customer's identity is their `Customer` row (user one-to-one). Their actor names the
`customer` role and their one site, so the action layer accepts what they do (open a case on the
web channel, take a transition whose roles name `customer`); which *cases* they may touch is
never decided by that site scope but by `Case.customer`: `own_cases()` and the action layer's
ownership check. A case that is not theirs is a 404, whatever its site.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from fuwu.cases.models import Case
from fuwu.core.actors import Actor, actor_for
from fuwu.customers.models import Customer
from fuwu.web.context import is_staff_member


def customer_actor(customer: Customer) -> Actor:
    return Actor(
        user=customer.user,
        roles=frozenset({"customer"}),
        site_ids=frozenset({customer.site_id}),
        department_id=None,
        superuser=False,
        language=customer.language,
    )


def customer_of(user: Any) -> Customer | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return Customer.objects.select_related("site").filter(user_id=user.pk).first()


def customer_required(func: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Portal pages: anonymous visitors sign in first; staff are pointed to the staff pages.

    The view receives `request.customer`.
    """

    @wraps(func)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), reverse("portal:login"))
        customer = customer_of(request.user)
        if customer is None:
            staff = is_staff_member(actor_for(request.user))
            return render(request, "portal/not_customer.html", {"staff": staff}, status=403)
        request.customer = customer  # type: ignore[attr-defined]
        return func(request, *args, **kwargs)

    return wrapper


def customer_from(request: HttpRequest) -> Customer:
    return request.customer  # type: ignore[attr-defined,no-any-return]


def own_cases(customer: Customer) -> QuerySet[Case]:
    """The only cases a customer may see: those opened for them."""
    return Case.objects.filter(customer=customer)


def own_case(customer: Customer, case_id: int) -> Case:
    case = (
        own_cases(customer)
        .select_related("procedure", "assignee__staff", "asset", "department")
        .filter(pk=case_id)
        .first()
    )
    if case is None:
        raise Http404
    return case
