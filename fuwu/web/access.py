"""Who may open the staff pages: a signed-in member of staff (customers go to the portal)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest
from django.http.response import HttpResponseBase
from django.shortcuts import redirect

from fuwu.core.actors import Actor, actor_for
from fuwu.web.context import is_manager, is_staff_member


def staff_required(
    view: Callable[..., HttpResponseBase] | None = None, *, manager: bool = False
) -> Any:
    """Staff pages: anonymous visitors sign in first; customers are sent to their portal.

    With manager=True only managers (and administrators) may open the page; others get 403.
    The view receives `request.actor`.
    """

    def decorate(func: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
        @wraps(func)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            actor = actor_for(request.user)
            if not is_staff_member(actor):
                return redirect("portal:home")
            if manager and not is_manager(actor):
                from django.core.exceptions import PermissionDenied

                raise PermissionDenied
            request.actor = actor  # type: ignore[attr-defined]
            return func(request, *args, **kwargs)

        return wrapper

    return decorate(view) if view is not None else decorate


def actor_of(request: HttpRequest) -> Actor:
    return request.actor  # type: ignore[attr-defined,no-any-return]
