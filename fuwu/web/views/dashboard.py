"""The managers' dashboard: today's intake, open work, breaches, speed and a 30-day trend."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path, reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from fuwu.core.actors import Actor
from fuwu.sla.heartbeat import worker_state
from fuwu.web.access import actor_of, staff_required
from fuwu.web.stats import dashboard, sites_of
from fuwu.web.timeleft import span


@staff_required(manager=True)
def dashboard_view(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    language = get_language() or "zh-hans"
    sites = sites_of(actor)
    code = request.GET.get("site", "")
    site = next((s for s in sites if s.code == code), None)
    if code and site is None:
        messages.warning(request, _("没有这个项目，或你无权查看；下面显示你负责的全部项目。"))
    if site is None and len(sites) == 1:
        site = sites[0]
    board = dashboard(actor, site, language)
    scope = {"site": site.code} if site else {}
    trend = {
        **board.trend,
        "labels": [d[5:] for d in board.trend["days"]],
        "names": {"opened": _("新开工单"), "resolved": _("已解决工单")},
        "queue": reverse("web:queue"),
        "scope": scope,
        "empty": _("近 30 天没有工单"),
    }
    return render(
        request,
        "web/dashboard.html",
        {
            "board": board,
            "sites": sites,
            "site": site,
            "trend": trend,
            "first_response": span(board.first_response.seconds)
            if board.first_response.seconds is not None
            else None,
            "worker_stale": _worker_stale(actor),
            "resolution": span(board.resolution.seconds)
            if board.resolution.seconds is not None
            else None,
        },
    )


def _worker_stale(actor: Actor) -> bool:
    """Administrators are told when no background worker checked in lately (escalations,
    notices and schedules have stopped); the others could not act on it."""
    if not (actor.superuser or "admin" in actor.roles):
        return False
    return not worker_state(limit=1).fresh


urlpatterns = [
    path("dashboard/", dashboard_view, name="dashboard"),
]
