"""A customer's and an asset's cases (`fuwu.cases.history`): newest first, paginated, only the
cases the caller may see; a customer or asset outside the caller's sites is a 404."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field, Router, Schema
from ninja.pagination import PageNumberPagination, paginate

from fuwu.api.common import READ_ERRORS, actor
from fuwu.cases.history import cases_of
from fuwu.cases.models import Case
from fuwu.customers.models import Asset, Customer
from fuwu.procedures.engine.errors import NotFound

router = Router(tags=["customers and assets"])

# A page of history: 20 by default, at most 100 (a customer's whole record in a few pages).
PAGE_SIZE = 20
MAX_PAGE_SIZE = 100


class HistoryAssetRef(Schema):
    id: int
    kind: str
    label: str


class HistoryCaseOut(Schema):
    id: int
    number: str
    title: str
    procedure: str = Field(description="procedure key")
    procedure_name: str = Field(description="in the caller's language")
    step: str = Field(description="step key")
    status: str
    open: bool = Field(description="not closed, cancelled or rejected")
    priority: str
    customer_id: int | None
    asset: HistoryAssetRef | None
    created_at: datetime
    resolved_at: datetime | None
    closed_at: datetime | None

    @staticmethod
    def resolve_procedure(obj: Case) -> str:
        return obj.procedure_key

    @staticmethod
    def resolve_procedure_name(obj: Case, context: dict[str, Any]) -> str:
        lang = getattr(context["request"], "LANGUAGE_CODE", "") or ""
        version = obj.procedure
        return version.name_en if lang.startswith("en") and version.name_en else version.name_zh

    @staticmethod
    def resolve_open(obj: Case) -> bool:
        return not obj.is_closed


def _history(qs: QuerySet[Case]) -> QuerySet[Case]:
    return qs.select_related("procedure", "asset").defer(
        "data", "records", "description", "fired_rungs", "procedure__definition"
    )


@router.get(
    "/customers/{int:customer_id}/cases",
    response={200: list[HistoryCaseOut], **READ_ERRORS},
    summary="A customer's cases, newest first (those the caller may see)",
)
@paginate(PageNumberPagination, page_size=PAGE_SIZE, max_page_size=MAX_PAGE_SIZE)
def customer_cases(request: HttpRequest, customer_id: int) -> QuerySet[Case]:
    who = actor(request)
    if not who.scope(Customer.objects).filter(pk=customer_id).exists():
        raise NotFound("not_found", what="customer")
    return _history(cases_of(who, customer_id=customer_id))


@router.get(
    "/assets/{int:asset_id}/cases",
    response={200: list[HistoryCaseOut], **READ_ERRORS},
    summary="An asset's cases (a unit's, a vehicle's), newest first, whoever the customer was",
)
@paginate(PageNumberPagination, page_size=PAGE_SIZE, max_page_size=MAX_PAGE_SIZE)
def asset_cases(request: HttpRequest, asset_id: int) -> QuerySet[Case]:
    who = actor(request)
    if not who.scope(Asset.objects).filter(pk=asset_id).exists():
        raise NotFound("not_found", what="asset")
    return _history(cases_of(who, asset_id=asset_id))
