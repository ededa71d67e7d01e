"""My work (cases assigned to me, and my department's cases nobody has taken yet, breaches
first) and the notifications inbox."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language
from django.views.decorators.http import require_POST
from django_htmx.http import trigger_client_event

from fuwu.cases.choices import CLOSED_STATUSES
from fuwu.cases.models import Case
from fuwu.cases.queries import cases_for, open_branches
from fuwu.core.actors import Actor
from fuwu.customers.choices import AssetKind
from fuwu.customers.models import Asset
from fuwu.notifications.messages import render as render_notification
from fuwu.notifications.models import Notification
from fuwu.web.access import actor_of, staff_required
from fuwu.web.lists import breaches_first, for_rows, rows_of

# My work is a to-do list, not a report: past this many the queue is the better tool.
WORK_LIMIT = 100
LATEST_NOTIFICATIONS = 5
INBOX_PAGE = 50
TABS = ("mine", "team")


def mine(actor: Actor) -> QuerySet[Case]:
    return cases_for(actor).filter(assignee_id=actor.user_id).exclude(status__in=CLOSED_STATUSES)


def team(actor: Actor) -> QuerySet[Case]:
    """Open cases of my department that nobody has taken yet, and the open parallel branches
    of my department (a branch is the department's, whoever holds the case)."""
    if actor.department_id is None:
        return Case.objects.none()
    unassigned = Q(department_id=actor.department_id, assignee__isnull=True)
    return (
        cases_for(actor)
        .filter(unassigned | open_branches(id=actor.department_id))
        .exclude(status__in=CLOSED_STATUSES)
    )


def has_tables(actor: Actor) -> bool:
    """Whether one of this person's sites has tables: My work links the table board then."""
    return actor.scope(Asset.objects.filter(kind=AssetKind.TABLE)).exists()


@dataclass(frozen=True)
class Item:
    """A notification as the reader sees it: the text in their language."""

    id: int
    text: str
    case_id: int | None
    created_at: datetime
    unread: bool


def items(notifications: list[Notification], language: str) -> list[Item]:
    return [
        Item(
            id=n.pk,
            text=render_notification(n.kind, n.data, language),
            case_id=n.case_id,
            created_at=n.created_at,
            unread=n.read_at is None,
        )
        for n in notifications
    ]


def _inbox(request: HttpRequest) -> QuerySet[Notification]:
    return Notification.objects.filter(recipient_id=request.user.pk).order_by("-created_at", "-pk")


def _unread(request: HttpRequest) -> int:
    return _inbox(request).filter(read_at__isnull=True).count()


@staff_required
def work(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    language = get_language() or "zh-hans"
    counts = {"mine": mine(actor).count(), "team": team(actor).count()}
    tab = request.GET.get("tab")
    if tab not in TABS:
        tab = "mine" if counts["mine"] or not counts["team"] else "team"
    chosen = mine(actor) if tab == "mine" else team(actor)
    cases = list(for_rows(breaches_first(chosen))[:WORK_LIMIT])
    latest = list(_inbox(request)[:LATEST_NOTIFICATIONS])
    return render(
        request,
        "web/work.html",
        {
            "tab": tab,
            "counts": counts,
            "rows": rows_of(cases, language),
            "more": counts[tab] > WORK_LIMIT,
            "limit": WORK_LIMIT,
            "notifications": items(latest, language),
            "has_tables": has_tables(actor),
        },
    )


def _inbox_context(request: HttpRequest, source: QueryDict) -> dict[str, object]:
    """One page of the inbox; `source` is the GET (or POST, after "mark all read") data."""
    only_unread = source.get("unread") == "1"
    try:
        page = max(1, min(int(source.get("page") or "1"), 10000))
    except ValueError:
        page = 1
    qs = _inbox(request)
    if only_unread:
        qs = qs.filter(read_at__isnull=True)
    start = (page - 1) * INBOX_PAGE
    found = list(qs[start : start + INBOX_PAGE + 1])
    return {
        "notifications": items(found[:INBOX_PAGE], get_language() or "zh-hans"),
        "page": page,
        "has_next": len(found) > INBOX_PAGE,
        "only_unread": only_unread,
    }


@staff_required
def inbox(request: HttpRequest) -> HttpResponse:
    return render(request, "web/inbox.html", _inbox_context(request, request.GET))


def _back(request: HttpRequest) -> HttpResponse:
    target = request.POST.get("next") or ""
    if not url_has_allowed_host_and_scheme(target, {request.get_host()}):
        target = reverse("web:inbox")
    return redirect(target)


def _unread_changed(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    # The page's script updates every unread badge (the menu's too) from this event.
    return trigger_client_event(response, "fuwu:unread", {"count": _unread(request)})


@require_POST
@staff_required
def mark_read(request: HttpRequest, notification_id: int) -> HttpResponse:
    # Only one's own notification: another user's id changes nothing (and shows nothing).
    _inbox(request).filter(pk=notification_id, read_at__isnull=True).update(read_at=timezone.now())
    if not getattr(request, "htmx", None):
        return _back(request)
    found = _inbox(request).filter(pk=notification_id).first()
    if found is None:
        return _unread_changed(request, HttpResponse(""))
    item = items([found], get_language() or "zh-hans")[0]
    compact = request.POST.get("compact") == "1"
    response = render(request, "web/_work_notification.html", {"n": item, "compact": compact})
    return _unread_changed(request, response)


@require_POST
@staff_required
def mark_all_read(request: HttpRequest) -> HttpResponse:
    _inbox(request).filter(read_at__isnull=True).update(read_at=timezone.now())
    if not getattr(request, "htmx", None):
        return _back(request)
    response = render(request, "web/_work_inbox.html", _inbox_context(request, request.POST))
    return _unread_changed(request, response)


urlpatterns = [
    path("work/", work, name="work"),
    path("inbox/", inbox, name="inbox"),
    path("inbox/<int:notification_id>/read/", mark_read, name="inbox_read"),
    path("inbox/read-all/", mark_all_read, name="inbox_read_all"),
]
