"""A person's report subscriptions: `/reports/subscriptions/` lists them (what, how often, the
last send and any reason it failed) and takes a new one from a report page's "subscribe" form
(its current filters); each can be cancelled. Open to whoever may open a report
(`fuwu.reports.lists.rights`); each order is checked with that report's own rights. The rules
are `fuwu.reports.subscriptions`'s, the same the API uses."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from fuwu.procedures.engine.errors import EngineError
from fuwu.reports import subscriptions as subs
from fuwu.reports.choices import Frequency
from fuwu.reports.lists import rights
from fuwu.reports.models import Subscription
from fuwu.web.access import actor_of, staff_required


def _back(request: HttpRequest) -> str:
    target = request.POST.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return reverse("web:report-subscriptions")


def _reader(request: HttpRequest) -> None:
    """Subscriptions are for people who may open a report (each one checked when ordered)."""
    if not rights.readable(actor_of(request)):
        raise PermissionDenied


@staff_required
def subscriptions_view(request: HttpRequest) -> HttpResponse:
    _reader(request)
    if request.method == "POST":
        language = get_language() or "zh-hans"
        try:
            subs.subscribe(
                request.user,
                request.POST.get("report", ""),
                request.POST.get("frequency", ""),
                {k: request.POST.get(k, "") for k in subs.KEPT_PARAMS},
            )
        except EngineError as exc:
            reasons = [exc.message(language), *(e.message(language) for e in exc.fields.values())]
            messages.error(request, "；".join(reasons))
        else:
            messages.success(request, _("已订阅。报表将在每期结束后的次日早上发到您的邮箱。"))
        return redirect(_back(request))
    language = get_language() or "zh-hans"
    rows: list[dict[str, Any]] = []
    for sub in Subscription.objects.filter(user_id=int(request.user.pk or 0)).order_by(
        "report", "frequency", "pk"
    ):
        family = subs.FAMILIES.get(sub.report)
        start, end = subs.next_period(sub)
        rows.append(
            {
                "sub": sub,
                "title": family.title if family else sub.report,
                "frequency": Frequency(sub.frequency).label,
                "next": subs.period_text(start, end),
                "filters": subs.describe(sub.params, language),
                "url": (reverse(family.url_name) + "?" + urlencode(sub.params)) if family else "",
            }
        )
    return render(
        request,
        "web/report_subscriptions.html",
        {"rows": rows, "has_email": bool(getattr(request.user, "email", ""))},
    )


@require_POST
@staff_required
def unsubscribe_view(request: HttpRequest, pk: int) -> HttpResponse:
    _reader(request)
    try:
        subs.unsubscribe(request.user, pk)
    except EngineError as exc:
        messages.error(request, exc.message(get_language() or "zh-hans"))
    else:
        messages.success(request, _("已退订。"))
    return redirect("web:report-subscriptions")


urlpatterns = [
    path("reports/subscriptions/", subscriptions_view, name="report-subscriptions"),
    path("reports/subscriptions/<int:pk>/cancel/", unsubscribe_view, name="report-unsubscribe"),
]
