"""The case queue: the API's `CaseFilter` read from the query string, a page of rows, the htmx
fragment that the filter form refreshes, and each user's saved filters."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_htmx.http import push_url

from fuwu.cases.choices import Channel, Priority, Status
from fuwu.cases.queries import CaseFilter, cases_for
from fuwu.core.actors import Actor, org_cached
from fuwu.core.models import Department, Site, Staff
from fuwu.customers import privacy
from fuwu.procedures.models import ProcedureVersion
from fuwu.web.access import actor_of, staff_required
from fuwu.web.lists import (
    definitions,
    department_name,
    field_label,
    filter_params,
    is_english,
    page_of,
    parse_filter,
    query_string,
)
from fuwu.web.models import SavedFilter

# Filters the form shows; any other CaseFilter field in the URL (a dashboard link's dates, say)
# is kept as a hidden field and shown as a removable chip.
FORM_FIELDS = frozenset(
    {
        "q",
        "status",
        "open",
        "procedure",
        "step",
        "department",
        "assignee",
        "priority",
        "site",
        "channel",
        "overdue",
        "major",
        "ordering",
        "page",
        "page_size",
    }
)
MAX_SAVED = 30


@dataclass(frozen=True)
class Option:
    value: str
    label: str


@dataclass(frozen=True)
class Extra:
    """A filter from the URL that the form has no control for."""

    name: str
    label: str
    values: list[str]
    remove_query: str


def _procedures(language: str) -> list[Option]:
    en = is_english(language)
    versions = ProcedureVersion.objects.filter(is_current=True).only("key", "name_zh", "name_en")
    return sorted(
        (Option(v.key, v.name_en if en else v.name_zh) for v in versions),
        key=lambda o: o.label,
    )


def _steps(procedure: str | None, language: str) -> list[Option]:
    if not procedure:
        return []
    version = (
        ProcedureVersion.objects.filter(key=procedure, is_current=True)
        .only("id", "checksum")
        .first()
    )
    if version is None:
        return []
    parsed = definitions([version])[version.pk]
    return [Option(key, step.name.get(language)) for key, step in parsed.steps.items()]


def _seen(actor: Actor) -> str:
    """The sites an actor sees, as part of a cache key (the filter choices depend on them)."""
    return "all" if actor.superuser else ",".join(map(str, sorted(actor.site_ids)))


def _departments(actor: Actor, language: str) -> list[Option]:
    return org_cached(lambda: _read_departments(actor, language), "q-depts", _seen(actor), language)


def _read_departments(actor: Actor, language: str) -> list[Option]:
    # The same code on several sites (engineering) is one choice: the site filter tells them apart.
    labels: dict[str, list[str]] = {}
    for d in actor.scope(Department.objects.order_by("site_id", "name")).only(
        "code", "name", "name_en", "site_id"
    ):
        names = labels.setdefault(d.code, [])
        name = department_name(d, language)
        if name not in names:
            names.append(name)
    return sorted(
        (Option(code, " / ".join(names)) for code, names in labels.items()), key=lambda o: o.label
    )


def _sites(actor: Actor) -> list[Option]:
    return org_cached(lambda: _read_sites(actor), "q-sites", _seen(actor))


def _read_sites(actor: Actor) -> list[Option]:
    sites = Site.objects.order_by("name").only("code", "name")
    if not actor.superuser:
        sites = sites.filter(pk__in=actor.site_ids)
    return [Option(s.code, s.name) for s in sites]


def _people(actor: Actor) -> list[Option]:
    return org_cached(lambda: _read_people(actor), "q-people", _seen(actor))


def _read_people(actor: Actor) -> list[Option]:
    staff = (
        Staff.objects.filter(user__is_active=True).select_related("user").order_by("display_name")
    )
    if not actor.superuser:
        staff = staff.filter(sites__in=actor.site_ids).distinct()
    return [
        Option(s.user.username, s.display_name)
        for s in staff.only("display_name", "user__username")
    ]


def _extras(request: HttpRequest) -> list[Extra]:
    out = []
    for name, value in filter_params(request.GET).items():
        if name in FORM_FIELDS:
            continue
        rest = request.GET.copy()
        rest.pop(name, None)
        rest.pop("page", None)
        out.append(
            Extra(
                name=name,
                label=field_label(name),
                values=value if isinstance(value, list) else [value],
                remove_query=rest.urlencode(),
            )
        )
    return out


def _me(request: HttpRequest) -> int:
    return int(request.user.pk or 0)  # staff_required: always signed in here


def _saved(request: HttpRequest) -> list[SavedFilter]:
    return list(SavedFilter.objects.filter(user_id=_me(request)).order_by("name")[:MAX_SAVED])


# The queue opened with no filter at all (the menu's link, "clear") shows the open cases; any
# filter field in the query string, even empty (the form sends them all), turns this off, so
# "all" in the "closed?" choice shows closed cases too.
DEFAULT_QUERY = "open=true"

# Column headers that sort: (column, ascending, descending). Each ordering is read along an
# index (CaseFilter), so a click keeps the page timings.
SORTABLE = (
    ("number", "-number", "number"),
    ("priority", "-priority", "priority"),
    ("due", "due", "-due"),
)


@dataclass(frozen=True)
class Sort:
    href: str  # the query string that sorts by this column (the other way if already so)
    state: str  # "asc", "desc" or "" (not sorted by this column)


def _params(request: HttpRequest) -> QueryDict:
    if any(name in CaseFilter.model_fields for name in request.GET):
        return request.GET
    return QueryDict(DEFAULT_QUERY)


def _sorts(filters: CaseFilter) -> dict[str, Sort]:
    base = query_string(filters, without=("page", "ordering"))
    out = {}
    current = filters.order
    for column, first, other in SORTABLE:
        state = ""
        if current in (first, other):
            state = "desc" if current.startswith("-") else "asc"
        ordering = other if current == first else first
        out[column] = Sort(href=(base + "&" if base else "") + f"ordering={ordering}", state=state)
    return out


def _table_context(request: HttpRequest, actor: Actor) -> dict[str, Any]:
    filters, problems = parse_filter(_params(request))
    language = get_language() or "zh-hans"
    page = page_of(cases_for(actor), actor, filters, language)
    query = query_string(filters)
    return {
        "filters": filters,
        "problems": problems,
        "page": page,
        "query": query,
        "steps": _steps(filters.procedure, language),
        "language": language,
        "sorts": _sorts(filters),
        "ordering_chosen": filters.ordering if "ordering" in filters.model_fields_set else "",
        "bulk": True,
        # A phone number is matched from this many digits on (fuwu.customers.privacy).
        "phone_min": privacy.PHONE_SEARCH_MIN_DIGITS
        if privacy.phone_fragment(filters.q or "")
        else None,
    }


@staff_required
def queue(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    context = _table_context(request, actor)
    htmx = getattr(request, "htmx", None)
    if htmx and not htmx.history_restore_request:
        query = context["query"]
        page = context["page"].number
        url = reverse("web:queue") + "?" + query + (f"&page={page}" if page > 1 else "")
        # The step choices (they follow the procedure) and the saved filters' "save this" form
        # (it carries the query) are swapped out of band with the table.
        context.update(oob=True, saved=_saved(request))
        response = render(request, "web/_queue_table.html", context)
        return push_url(response, url.rstrip("?&"))
    language = context["language"]
    context.update(
        procedures=_procedures(language),
        departments=_departments(actor, language),
        sites=_sites(actor),
        people=_people(actor),  # the assignee filter's choices and the bulk bar's
        statuses=Status.choices,
        priorities=Priority.choices,
        channels=Channel.choices,
        orderings=_orderings(),
        extras=_extras(request),
        saved=_saved(request),
    )
    return render(request, "web/queue.html", context)


def _orderings() -> list[tuple[str, str]]:
    return [
        ("-created", _("最新受理")),
        ("created", _("最早受理")),
        ("due", _("解决时限最近")),
        ("-due", _("解决时限最远")),
        ("-updated", _("最近更新")),
        ("updated", _("最久未更新")),
        ("priority", _("优先级")),
        ("number", _("工单号")),
        ("late", _("超时最久")),
    ]


def _clean_query(raw: str) -> str | None:
    """A saved filter keeps the canonical query string; None if nothing in it is valid."""
    filters, problems = parse_filter(QueryDict(raw.lstrip("?")))
    if problems:
        return None
    return query_string(filters)


def _saved_response(request: HttpRequest, query: str, error: str = "") -> HttpResponse:
    htmx = getattr(request, "htmx", None)
    if htmx:
        return render(
            request,
            "web/_queue_saved.html",
            {"saved": _saved(request), "query": query, "save_error": error},
        )
    if error:
        messages.error(request, error)
    return redirect(reverse("web:queue") + ("?" + query if query else ""))


@require_POST
@staff_required
def save_filter(request: HttpRequest) -> HttpResponse:
    name = request.POST.get("name", "").strip()
    raw = request.POST.get("query", "")
    query = _clean_query(raw)
    if not name or len(name) > SavedFilter._meta.get_field("name").max_length:  # type: ignore[operator]
        return _saved_response(request, query or "", _("请填写名称（最多 60 个字符）。"))
    if query is None:
        return _saved_response(request, "", _("筛选条件无效，未保存。"))
    existing = SavedFilter.objects.filter(user_id=_me(request), name=name).first()
    if existing is None and SavedFilter.objects.filter(user_id=_me(request)).count() >= MAX_SAVED:
        return _saved_response(
            request, query, _("最多保存 %(n)d 个筛选，请先删除不用的。") % {"n": MAX_SAVED}
        )
    try:
        with transaction.atomic():
            SavedFilter.objects.update_or_create(
                user_id=_me(request), name=name, defaults={"query": query}
            )
    except (IntegrityError, ValidationError):  # the same name saved twice at once
        pass
    if not getattr(request, "htmx", None):
        messages.success(request, _("已保存筛选“%(name)s”。") % {"name": name})
    return _saved_response(request, query)


@require_POST
@staff_required
def delete_filter(request: HttpRequest, filter_id: int) -> HttpResponse:
    # Only one's own: another user's filter id deletes nothing.
    SavedFilter.objects.filter(user_id=_me(request), pk=filter_id).delete()
    return _saved_response(request, _clean_query(request.POST.get("query", "")) or "")


urlpatterns = [
    path("queue/", queue, name="queue"),
    path("queue/filters/", save_filter, name="queue_filter_save"),
    path("queue/filters/<int:filter_id>/delete/", delete_filter, name="queue_filter_delete"),
]
