"""Merging duplicate customer records (客户档案合并): pick the duplicate, preview what moves,
confirm; undo for a day.

The page is the record kept: its duplicates by phone number are suggested (the one rule,
`merging.duplicates`), others found by name, phone or unit/plate. `?with=ID` previews what a
merge would move and shows any refusal before anything is posted; the POST merges through
`fuwu.customers.merging` (which checks again: who may merge is `privacy.may_merge`) and comes
back here with the undo button, which stays for `merging.UNDO_WINDOW`. A merged (hidden)
record's page says where it went and offers the undo. Only the site's agents and managers see
the page: for anyone else it is a 403, for a record of another site a 404.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from fuwu.cases.models import Case
from fuwu.core.actors import Actor
from fuwu.customers import merging, privacy
from fuwu.customers.models import Asset, Customer, CustomerMerge
from fuwu.procedures.engine.errors import EngineError
from fuwu.web.access import actor_of, staff_required

SEARCH_LIMIT = 10


def _records(actor: Actor) -> QuerySet[Customer]:
    """Customers with what the page shows of each: site, assets, number of cases."""
    return (
        actor.scope(Customer.objects.select_related("site", "user"))
        .prefetch_related(Prefetch("assets", queryset=Asset.objects.order_by("kind", "label")))
        .annotate(case_count=Count("cases", distinct=True))
    )


def _record(actor: Actor, customer_id: int) -> Customer:
    customer = _records(actor).filter(pk=customer_id).first()
    if customer is None:
        raise Http404
    if not privacy.may_merge(actor, customer.site_id):
        raise PermissionDenied
    return customer


def _search(actor: Actor, kept: Customer, text: str) -> list[Customer]:
    """Other live records of the kept one's site by name, unit/plate or phone (7 digits and
    more: fragments are no oracle, `privacy.phone_search`)."""
    text = text.strip()[:100]
    if not text:
        return []
    ids = (
        Customer.objects.live()
        .filter(privacy.customer_match(text), site_id=kept.site_id)
        .exclude(pk=kept.pk)
        .values_list("pk", flat=True)
        .distinct()[:SEARCH_LIMIT]
    )
    rows = _records(actor).filter(pk__in=list(ids)).order_by("name", "pk")
    return list(rows)


@dataclass(frozen=True)
class Preview:
    merged: Customer
    moves: merging.Moves | None
    cases: list[Case]
    refusal: str | None


def _preview(actor: Actor, kept: Customer, other_id: int | None) -> Preview | None:
    if other_id is None:
        return None
    merged = _records(actor).filter(pk=other_id).first()
    if merged is None:
        return None
    try:
        merging.check_merge(kept, merged, actor)
    except EngineError as exc:
        return Preview(merged, None, [], exc.message(get_language()))
    moves = merging.Moves.of(merged)
    cases = list(Case.objects.filter(pk__in=moves.cases).order_by("-created_at")[:20])
    return Preview(merged, moves, cases, None)


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


@staff_required
def merge_view(request: HttpRequest, customer_id: int) -> HttpResponse:
    actor = actor_of(request)
    kept = _record(actor, customer_id)
    if request.method == "POST":
        other = _int(request.POST.get("merged"))
        if other is not None:
            try:
                done = merging.merge(actor, kept.pk, other)
            except EngineError as exc:
                messages.error(request, exc.message(get_language()))
                return redirect(f"{reverse('web:customer_merge', args=[kept.pk])}?with={other}")
            messages.success(
                request,
                _("已把档案“%(merged)s”（#%(mid)s）合并到“%(kept)s”（#%(kid)s）。")
                % {"merged": done.merged, "mid": done.merged_id, "kept": kept, "kid": kept.pk},
            )
        return redirect("web:customer_merge", kept.pk)
    now = timezone.now()
    into = kept.merged_into
    merges = [
        (m, merging.undo_until(m))
        for m in CustomerMerge.objects.filter(
            Q(kept=kept) | Q(merged=kept), undone_at__isnull=True, at__gte=now - merging.UNDO_WINDOW
        ).select_related("kept", "merged", "actor")
    ]
    query = request.GET.get("q", "")
    context = {
        "kept": kept,
        "into": into,
        "merges": merges,
        "duplicates": [] if into else _records_of(actor, merging.duplicates(kept)),
        "query": query,
        "found": [] if into else _search(actor, kept, query),
        "phone_too_short": privacy.phone_fragment(query),
        "phone_min": privacy.PHONE_SEARCH_MIN_DIGITS,
        "preview": None if into else _preview(actor, kept, _int(request.GET.get("with"))),
    }
    return render(request, "web/customer_merge.html", context)


def _records_of(actor: Actor, customers: list[Customer]) -> list[Customer]:
    """The suggested records, read with what the page shows (one query more)."""
    if not customers:
        return []
    order = {c.pk: i for i, c in enumerate(customers)}
    rows = _records(actor).filter(pk__in=list(order))
    return sorted(rows, key=lambda c: order[c.pk])


@require_POST
@staff_required
def unmerge_view(request: HttpRequest, merge_id: int) -> HttpResponse:
    actor = actor_of(request)
    try:
        done = merging.unmerge(actor, merge_id)
    except EngineError as exc:
        if exc.status == 404:
            raise Http404 from None
        if exc.status == 403:
            raise PermissionDenied from None
        messages.error(request, exc.message(get_language()))
        found = CustomerMerge.objects.filter(pk=merge_id).values_list("kept_id", flat=True)
        return redirect("web:customer_merge", found.first())
    messages.success(
        request,
        _("已撤销合并：“%(merged)s”（#%(mid)s）恢复为单独的档案。")
        % {"merged": done.merged, "mid": done.merged_id},
    )
    return redirect("web:customer_merge", done.kept_id)


urlpatterns = [
    path("customers/<int:customer_id>/merge/", merge_view, name="customer_merge"),
    path("customers/merges/<int:merge_id>/undo/", unmerge_view, name="customer_unmerge"),
]
