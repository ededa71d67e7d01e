"""The global search: one text finds cases, customers and assets, each only among those the
person may see (the queue's rule for cases, `cases.queries.cases_for`; the site for customers
and assets), with phones shown as the privacy rule says.

What a text matches:
- cases: the case number; the words of the title, description and non-personal fields
  (`fuwu.search.index`, Chinese segmented by jieba); the cases of the customers and assets below;
- customers: the name (substring: a name is short and typed as known); the phone from
  `PHONE_SEARCH_MIN_DIGITS` digits on (fuwu.customers.privacy: fragments are no oracle);
- assets: the label compared compact (`text.compact`): 粤B·V2EGY, 粤B V2EGY and 粤bv2egy are one plate.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import F, Q, QuerySet

from fuwu.cases.models import Case
from fuwu.cases.queries import cases_for, index_match, newest_ids, unindexed
from fuwu.core.actors import Actor
from fuwu.customers import privacy
from fuwu.customers.models import Asset, Customer
from fuwu.search import index, text

LIMIT = 8  # per group, as one types
PAGE_LIMIT = 50  # per group, on the results page
# Customers or assets whose cases are looked up by id; more go by subquery.
MAX_IDS = 500


@dataclass(frozen=True)
class CustomerHit:
    id: int
    name: str
    phone: str  # as this person may read it in a list
    masked: bool


@dataclass
class Results:
    text: str
    cases: list[Case] = field(default_factory=list)
    customers: list[CustomerHit] = field(default_factory=list)
    assets: list[Asset] = field(default_factory=list)
    # Digits alone, too few to be looked up as a phone number: the page says how many it takes.
    phone_too_short: bool = False

    @property
    def empty(self) -> bool:
        return not (self.cases or self.customers or self.assets)


def _contains(raw: str) -> str:
    """Case-folding is for letters that have case: Chinese names and labels are matched as
    typed, without UPPER() of every row scanned (as the queue's `cases.queries.text_match`)."""
    return "icontains" if raw.lower() != raw.upper() else "contains"


def _customers(actor: Actor, raw: str) -> QuerySet[Customer]:
    match = Q(**{f"name__{_contains(raw)}": raw})
    if digits := privacy.phone_search(raw):
        match |= Q(phone__contains=digits)
    return actor.scope(Customer.objects.all()).filter(match)


def _assets(actor: Actor, raw: str) -> QuerySet[Asset]:
    key = text.compact(raw)
    if not key:
        return Asset.objects.none()
    assets = actor.scope(Asset.objects.all())
    if not text.spans_separators(raw):
        # Chinese words alone are found as typed: the compact form of every label (three
        # REPLACEs and an UPPER per row, most of the scan at a million cases) adds nothing.
        return assets.filter(**{f"label__{_contains(raw)}": raw})
    return assets.annotate(compact=index.compact_label()).filter(
        Q(label__icontains=raw) | Q(compact__contains=key)
    )


def _first_ids(rows: QuerySet, order: tuple[str, ...]) -> list[int] | QuerySet:  # type: ignore[type-arg]
    """The ids of the matching rows in list order, read once (each table is scanned once);
    a subquery instead when there are more than MAX_IDS."""
    ids = list(rows.order_by(*order).values_list("pk", flat=True)[: MAX_IDS + 1])
    return rows.values("pk") if len(ids) > MAX_IDS else ids


def _newest(qs: QuerySet[Case], limit: int, *, few: bool = False) -> list[Case]:
    """The newest `limit` of these cases; `few`: they are a few known ids (`Match.bounded`)."""
    created = unindexed("created_at") if few else F("created_at")
    return _rows(list(qs.order_by(created.desc(), "-pk").values_list("pk", flat=True)[:limit]))


def _rows(ids: list[int]) -> list[Case]:
    """These cases in this order, with their customer and asset: the ids first, then the rows
    (as `web.lists.page_of`)."""
    rows = Case.objects.filter(pk__in=ids).select_related("customer", "asset")
    by_id = {c.pk: c for c in rows.defer("data", "records", "description", "fired_rungs")}
    return [by_id[pk] for pk in ids if pk in by_id]


def _cases(
    actor: Actor,
    raw: str,
    customer_ids: list[int] | QuerySet,  # type: ignore[type-arg]
    asset_ids: list[int] | QuerySet,  # type: ignore[type-arg]
    limit: int,
) -> list[Case]:
    """The newest `limit` cases found by any way. Each way is its own query, merged here: an
    OR of the index's subquery and the id lists made the database walk every case in date
    order checking each, where one way alone starts from its matches."""
    visible = cases_for(actor)
    found: dict[int, Case] = {}
    if (pk := Case.pk_from_number(raw)) is not None:
        found.update((c.pk, c) for c in _newest(visible.filter(pk=pk), 1))
    # Digits too few for a phone are no search of the texts either (fuwu.customers.privacy).
    if not privacy.phone_fragment(raw) and (words := text.query(raw)) is not None:
        match = index_match(words, None if actor.superuser else actor.site_ids)
        if match.q:  # many matches are read window by window of the newest cases
            ids = newest_ids(lambda m: visible.filter(m.q), match, limit)
            found.update((c.pk, c) for c in _rows(ids))
    records = Q(pk__in=[])
    if customer_ids:
        records |= Q(customer_id__in=customer_ids)
    if asset_ids:
        records |= Q(asset_id__in=asset_ids)
    if customer_ids or asset_ids:
        few = isinstance(customer_ids, list) and isinstance(asset_ids, list)
        found.update((c.pk, c) for c in _newest(visible.filter(records), limit, few=few))
    return sorted(found.values(), key=lambda c: (c.created_at, c.pk), reverse=True)[:limit]


def search(actor: Actor, raw: str, *, limit: int = LIMIT) -> Results:
    """What a search box finds for this person, `limit` of each kind, newest cases first."""
    raw = raw.strip()
    results = Results(text=raw)
    if not raw or not actor.is_staff:
        return results
    results.phone_too_short = privacy.phone_fragment(raw)
    customer_ids = _first_ids(_customers(actor, raw), ("name", "pk"))
    asset_ids = _first_ids(_assets(actor, raw), ("label", "pk"))
    results.cases = _cases(actor, raw, customer_ids, asset_ids, limit)
    shown = customer_ids[:limit] if isinstance(customer_ids, list) else customer_ids
    for c in Customer.objects.filter(pk__in=shown).order_by("name", "pk")[:limit]:
        # As in every list: the role rule alone (no query per row); who works an open case of
        # this customer reveals the number on that case.
        full = privacy.sees_full(actor, c.site_id, owner_user_id=c.user_id)
        access = privacy.Access.FULL if full else privacy.Access.MASKED
        results.customers.append(
            CustomerHit(
                id=c.pk,
                name=c.name,
                phone=privacy.customer_value(c, "phone", access),
                masked=access.masked,
            )
        )
    shown = asset_ids[:limit] if isinstance(asset_ids, list) else asset_ids
    results.assets = list(
        Asset.objects.filter(pk__in=shown).select_related("owner").order_by("label", "pk")[:limit]
    )
    return results
