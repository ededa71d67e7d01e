"""A customer's and an asset's cases: the history shown at intake, on the case page and by the
API, and the open case of the same procedure that a new one would duplicate.

Everything here reads through `cases_for` — the queue's rule, the sites a person works at — so
a history never names a case its reader could not open. Every list is bounded (`LIMIT` rows,
one more read to know whether there are more) and found through the indexed foreign keys
`customer_id` and `asset_id` (see `cases_of`), so its cost follows one customer's cases, not
the site's.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Q, QuerySet

from fuwu.cases.choices import CLOSED_STATUSES
from fuwu.cases.models import Case
from fuwu.cases.queries import cases_for
from fuwu.core.actors import Actor

LIMIT = 10

# What a history row leaves unread: the form values and the clock bookkeeping are large and
# not shown in a list.
_DEFER = ("data", "records", "description", "fired_rungs")


# A customer or asset with more cases than this is matched by subquery instead of by id.
MATCH_IDS = 2000


def cases_of(
    actor: Actor, *, customer_id: int | None = None, asset_id: int | None = None
) -> QuerySet[Case]:
    """The cases this actor may see of this customer or on this asset (of either when both are
    named: a car's history includes its earlier owner's visits), newest first.

    The case ids are read first, through the foreign-key indexes alone (one query, here), and
    the visible cases then found by id. Filtered by site and person together, SQLite without
    fresh statistics walks the whole site's index instead, and a history would cost as much
    as the site has cases (the same lesson as `queries.text_match`).
    """
    match = Q()
    if customer_id is not None:
        match |= Q(customer_id=customer_id)
    if asset_id is not None:
        match |= Q(asset_id=asset_id)
    if not match:
        return Case.objects.none()
    rows = Case.objects.filter(match).values("pk")
    ids = list(rows.values_list("pk", flat=True)[: MATCH_IDS + 1])
    found = cases_for(actor)
    found = found.filter(pk__in=rows) if len(ids) > MATCH_IDS else found.filter(pk__in=ids)
    # The tie-break on id keeps the order stable for cases opened in the same instant (paging).
    return found.order_by("-created_at", "-pk")


def open_duplicate(
    actor: Actor,
    *,
    procedure_key: str,
    customer_id: int | None = None,
    asset_id: int | None = None,
    exclude: int | None = None,
) -> Case | None:
    """The newest open case of this procedure that a new one would repeat, if any.

    The same unit or car is the duplicate when an asset is named (another owner's open repair
    of the same car counts); with no asset, the same customer's open case of the procedure.
    Only a warning: opening another case stays allowed (a second, different fault is real).
    """
    if asset_id is None and customer_id is None:
        return None
    qs = cases_of(actor, customer_id=customer_id, asset_id=asset_id)
    return _duplicate_in(
        qs, procedure_key, customer_id=customer_id, asset_id=asset_id, exclude=exclude
    )


def _duplicate_in(
    qs: QuerySet[Case],
    procedure_key: str,
    *,
    customer_id: int | None,
    asset_id: int | None,
    exclude: int | None,
) -> Case | None:
    """`open_duplicate` among the cases of `qs` (those of the customer or the asset)."""
    same = Q(asset_id=asset_id) if asset_id is not None else Q(customer_id=customer_id)
    qs = qs.filter(same, procedure_key=procedure_key).exclude(status__in=CLOSED_STATUSES)
    if exclude is not None:
        qs = qs.exclude(pk=exclude)
    return qs.select_related("asset").defer(*_DEFER).first()


@dataclass(frozen=True)
class History:
    """Open cases and earlier (closed) ones, each newest first and at most `LIMIT` long."""

    open: list[Case] = field(default_factory=list)
    earlier: list[Case] = field(default_factory=list)
    more_open: bool = False
    more_earlier: bool = False
    duplicate: Case | None = None

    @property
    def empty(self) -> bool:
        return not self.open and not self.earlier


def history(
    actor: Actor,
    *,
    customer_id: int | None = None,
    asset_id: int | None = None,
    procedure_key: str | None = None,
    exclude: int | None = None,
    limit: int = LIMIT,
) -> History:
    """The history of a customer and an asset (either may be None) as this actor may see it,
    without the case `exclude` (the one on the page), and the duplicate of `procedure_key`.

    A handful of bounded queries: the ids, open cases, closed ones, and the duplicate (when a
    procedure is named: looked up on its own because the open list may be cut short).
    """
    qs = cases_of(actor, customer_id=customer_id, asset_id=asset_id)
    if exclude is not None:
        qs = qs.exclude(pk=exclude)
    qs = qs.select_related("asset").defer(*_DEFER)
    open_rows = list(qs.exclude(status__in=CLOSED_STATUSES)[: limit + 1])
    earlier = list(qs.filter(status__in=CLOSED_STATUSES)[: limit + 1])
    duplicate = None
    if procedure_key and (customer_id is not None or asset_id is not None):
        duplicate = _duplicate_in(
            qs, procedure_key, customer_id=customer_id, asset_id=asset_id, exclude=exclude
        )
    return History(
        open=open_rows[:limit],
        earlier=earlier[:limit],
        more_open=len(open_rows) > limit,
        more_earlier=len(earlier) > limit,
        duplicate=duplicate,
    )
