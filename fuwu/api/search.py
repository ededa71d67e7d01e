"""The global search: `GET /api/search?q=` finds cases, customers and assets at once, each
only among those the caller may see, phones as the privacy rule shows them (fuwu.search)."""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Field, Router, Schema
from ninja import Query as QueryParam

from fuwu.api.common import READ_ERRORS, actor
from fuwu.procedures.engine.errors import NotFound
from fuwu.search import queries

router = Router(tags=["search"])


class CaseHitOut(Schema):
    id: int
    number: str
    title: str
    status: str
    customer: str | None
    asset: str | None


class CustomerHitOut(Schema):
    id: int
    name: str
    phone: str = Field(description="masked (138****5678) unless the caller needs it in full")
    masked: bool


class AssetHitOut(Schema):
    id: int
    kind: str
    label: str
    owner: str | None


class SearchOut(Schema):
    cases: list[CaseHitOut]
    customers: list[CustomerHitOut]
    assets: list[AssetHitOut]
    phone_too_short: bool = Field(
        description="the search is digits too few to be matched against phone numbers"
    )


@router.get(
    "/search",
    response={200: SearchOut, **READ_ERRORS},
    summary="Search cases (number, words of the text), customers (name, phone) and assets "
    "(unit, plate in any spelling) at once",
)
def search(
    request: HttpRequest,
    q: str = QueryParam("", max_length=100),
    limit: int = QueryParam(queries.LIMIT, ge=1, le=queries.PAGE_LIMIT),
) -> SearchOut:
    who = actor(request)
    if not who.is_staff:
        raise NotFound("not_found", what="resource")  # customers search in their portal
    found = queries.search(who, q, limit=limit)
    return SearchOut(
        cases=[
            CaseHitOut(
                id=c.pk,
                number=c.number,
                title=c.title,
                status=c.status,
                customer=c.customer.name if c.customer else None,
                asset=c.asset.label if c.asset else None,
            )
            for c in found.cases
        ],
        customers=[CustomerHitOut(**vars(h)) for h in found.customers],
        assets=[
            AssetHitOut(
                id=a.pk, kind=a.kind, label=a.label, owner=a.owner.name if a.owner else None
            )
            for a in found.assets
        ],
        phone_too_short=found.phone_too_short,
    )
