"""Customer, unit and vehicle history (`fuwu.cases.history`) as htmx panels.

Two fragments: the intake desk's, refreshed whenever the customer, the asset or the procedure
changes (the history, and a warning when the same unit or car already has an open case of the
procedure, with a link to add to that case instead); and the case page's, loaded after the page
itself so the page's own queries and timings stay as they are.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils.translation import get_language
from django.views.decorators.http import require_GET

from fuwu.cases import history
from fuwu.cases.models import Case
from fuwu.cases.queries import get_case_for
from fuwu.core.actors import Actor
from fuwu.customers.models import Asset, Customer
from fuwu.procedures.engine.errors import NotFound
from fuwu.web.access import actor_of, staff_required
from fuwu.web.lists import Row, rows_of


@dataclass(frozen=True)
class Panel:
    """What a history fragment shows: rows in the reader's language."""

    open: list[Row]
    earlier: list[Row]
    more_open: bool
    more_earlier: bool
    duplicate: Row | None
    limit: int

    @property
    def empty(self) -> bool:
        return not self.open and not self.earlier


def _panel(found: history.History) -> Panel:
    """The history's cases as list rows: one `rows_of` call, so three small queries in all."""
    cases: list[Case] = [*found.open, *found.earlier]
    if found.duplicate is not None:
        cases.append(found.duplicate)
    rows = {row.case.pk: row for row in rows_of(cases, get_language())}
    return Panel(
        open=[rows[c.pk] for c in found.open],
        earlier=[rows[c.pk] for c in found.earlier],
        more_open=found.more_open,
        more_earlier=found.more_earlier,
        duplicate=rows[found.duplicate.pk] if found.duplicate is not None else None,
        limit=history.LIMIT,
    )


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _customer(actor: Actor, value: Any) -> Customer | None:
    wanted = _int(value)
    if wanted is None:
        return None
    return actor.scope(Customer.objects).filter(pk=wanted).first()


def _asset(actor: Actor, value: Any, customer: Customer | None) -> Asset | None:
    """The asset chosen at the desk: of the desk's customer when there is one (the form offers
    only theirs), and within the person's sites in any case."""
    wanted = _int(value)
    if wanted is None:
        return None
    qs = actor.scope(Asset.objects).filter(pk=wanted)
    if customer is not None:
        qs = qs.filter(owner_id=customer.pk)
    return qs.first()


@require_GET
@staff_required
def intake_history(request: HttpRequest) -> HttpResponse:
    """The desk's history panel for `customer`, `asset` and `procedure` (untrusted ids: anything
    outside the person's sites is treated as not chosen)."""
    actor = actor_of(request)
    customer = _customer(actor, request.GET.get("customer"))
    asset = _asset(actor, request.GET.get("asset"), customer)
    procedure = (request.GET.get("procedure") or "").strip()[:64] or None
    panel = None
    if customer is not None or asset is not None:
        panel = _panel(
            history.history(
                actor,
                customer_id=customer.pk if customer else None,
                asset_id=asset.pk if asset else None,
                procedure_key=procedure,
            )
        )
    context = {"panel": panel, "customer": customer, "asset": asset}
    return render(request, "web/_intake_history.html", context)


@require_GET
@staff_required
def case_history(request: HttpRequest, case_id: int) -> HttpResponse:
    """The case page's history card: the customer's and the asset's other cases."""
    actor = actor_of(request)
    try:
        case = get_case_for(actor, case_id)
    except NotFound:
        raise Http404 from None
    panel = None
    if case.customer_id is not None or case.asset_id is not None:
        panel = _panel(
            history.history(
                actor,
                customer_id=case.customer_id,
                asset_id=case.asset_id,
                # Only an open case can be a duplicate of another open one.
                procedure_key=None if case.is_closed else case.procedure_key,
                exclude=case.pk,
            )
        )
    return render(request, "web/_case_history_rows.html", {"panel": panel, "case": case})


urlpatterns = [
    path("intake/history/", intake_history, name="intake_history"),
    path("cases/<int:case_id>/history/", case_history, name="case-history"),
]
