"""Customers and assets: create, get, search (within the caller's sites)."""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.http import HttpRequest
from ninja import Field, Router, Schema, Status
from ninja import Query as QueryParam

from fuwu.api.common import READ_ERRORS, WRITE_ERRORS, actor, site_for
from fuwu.api.idempotency import idempotent
from fuwu.customers import actions
from fuwu.customers.choices import AssetKind
from fuwu.customers.models import Asset, Customer
from fuwu.procedures.engine.errors import NotFound

router = Router(tags=["customers and assets"])


class CustomerIn(Schema):
    site: str = Field(..., max_length=40)
    name: str = Field(..., min_length=1, max_length=100)
    phone: str = Field("", max_length=30)  # its form: fuwu.customers.actions
    email: str = Field("", max_length=254)
    preferences: dict[str, Any] = {}


class CustomerOut(Schema):
    id: int
    site: str
    name: str
    phone: str
    email: str
    preferences: dict[str, Any]


class AssetIn(Schema):
    site: str = Field(..., max_length=40)
    kind: AssetKind
    label: str = Field(..., min_length=1, max_length=100)
    owner_id: int | None = None
    attributes: dict[str, Any] = {}


class AssetOut(Schema):
    id: int
    site: str
    kind: str
    label: str
    owner_id: int | None
    attributes: dict[str, Any]


def _customer_out(c: Customer) -> CustomerOut:
    return CustomerOut(
        id=c.pk,
        site=c.site.code,
        name=c.name,
        phone=c.phone,
        email=c.email,
        preferences=c.preferences,
    )


def _asset_out(a: Asset) -> AssetOut:
    return AssetOut(
        id=a.pk,
        site=a.site.code,
        kind=a.kind,
        label=a.label,
        owner_id=a.owner_id,
        attributes=a.attributes,
    )


@router.post("/customers", response={201: CustomerOut, **WRITE_ERRORS}, summary="Create a customer")
@idempotent
def create_customer(request: HttpRequest, payload: CustomerIn) -> Status[CustomerOut]:
    who = actor(request)
    site = site_for(who, payload.site)
    c = actions.create_customer(
        who,
        site_id=site.pk,
        name=payload.name,
        phone=payload.phone,
        email=payload.email,
        preferences=payload.preferences,
    )
    return Status(201, _customer_out(c))


@router.get(
    "/customers/{int:customer_id}", response={200: CustomerOut, **READ_ERRORS}, summary="A customer"
)
def get_customer(request: HttpRequest, customer_id: int) -> CustomerOut:
    c = actor(request).scope(Customer.objects.select_related("site")).filter(pk=customer_id).first()
    if c is None:
        raise NotFound("not_found", what="customer")
    return _customer_out(c)


@router.get(
    "/customers",
    response={200: list[CustomerOut], **READ_ERRORS},
    summary="Search customers by name or phone",
)
def search_customers(
    request: HttpRequest,
    q: str = QueryParam("", max_length=100),
    limit: int = QueryParam(20, ge=1, le=100),
) -> list[CustomerOut]:
    qs = actor(request).scope(Customer.objects.select_related("site"))
    if q.strip():
        qs = qs.filter(
            Q(name__icontains=q.strip())
            | Q(phone__contains=q.strip())
            | Q(assets__label__icontains=q.strip())
        ).distinct()
    return [_customer_out(c) for c in qs.order_by("name", "pk")[:limit]]


@router.post(
    "/assets",
    response={201: AssetOut, **WRITE_ERRORS},
    summary="Create an asset (unit, vehicle, equipment …)",
)
@idempotent
def create_asset(request: HttpRequest, payload: AssetIn) -> Status[AssetOut]:
    who = actor(request)
    site = site_for(who, payload.site)
    a = actions.create_asset(
        who,
        site_id=site.pk,
        kind=payload.kind,
        label=payload.label,
        owner_id=payload.owner_id,
        attributes=payload.attributes,
    )
    return Status(201, _asset_out(a))


@router.get("/assets/{int:asset_id}", response={200: AssetOut, **READ_ERRORS}, summary="An asset")
def get_asset(request: HttpRequest, asset_id: int) -> AssetOut:
    a = actor(request).scope(Asset.objects.select_related("site")).filter(pk=asset_id).first()
    if a is None:
        raise NotFound("not_found", what="asset")
    return _asset_out(a)


@router.get(
    "/assets",
    response={200: list[AssetOut], **READ_ERRORS},
    summary="Search assets by label (unit, plate …)",
)
def search_assets(
    request: HttpRequest,
    q: str = QueryParam("", max_length=100),
    kind: AssetKind | None = None,
    limit: int = QueryParam(20, ge=1, le=100),
) -> list[AssetOut]:
    qs = actor(request).scope(Asset.objects.select_related("site"))
    if q.strip():
        qs = qs.filter(label__icontains=q.strip())
    if kind:
        qs = qs.filter(kind=kind)
    return [_asset_out(a) for a in qs.order_by("label", "pk")[:limit]]
