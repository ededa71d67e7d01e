"""Customers and assets: create, get, search (within the caller's sites); revealing a masked
personal value with a logged reason (who sees what: fuwu.customers.privacy); duplicates,
merging two records and undoing a merge within a day (fuwu.customers.merging)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status
from ninja import Query as QueryParam

from fuwu.api.common import READ_ERRORS, WRITE_ERRORS, actor, site_for
from fuwu.api.idempotency import idempotent
from fuwu.core.actors import Actor
from fuwu.customers import actions, masks, merging, privacy
from fuwu.customers.choices import AssetKind, RevealReason
from fuwu.customers.models import Asset, Customer, CustomerMerge
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
    phone: str = Field(description="masked (138****5678) unless the caller needs it in full")
    email: str = Field(description="masked (z***@example.com) unless the caller needs it in full")
    masked: bool = Field(description="phone and email are masked; POST …/reveal to see one")
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


def _customer_out(who: Actor, c: Customer) -> CustomerOut:
    # Lists ask the role rule only (no query per row): who works an open case of this customer
    # sees masks here too and reveals through POST /customers/{id}/reveal.
    full = privacy.sees_full(who, c.site_id, owner_user_id=c.user_id)
    access = privacy.Access.FULL if full else privacy.Access.MASKED
    return CustomerOut(
        id=c.pk,
        site=c.site.code,
        name=c.name,
        phone=privacy.customer_value(c, "phone", access),
        email=privacy.customer_value(c, "email", access),
        masked=access.masked,
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
    return Status(201, _customer_out(who, c))


@router.get(
    "/customers/{int:customer_id}", response={200: CustomerOut, **READ_ERRORS}, summary="A customer"
)
def get_customer(request: HttpRequest, customer_id: int) -> CustomerOut:
    who = actor(request)
    c = who.scope(Customer.objects.select_related("site")).filter(pk=customer_id).first()
    if c is None:
        raise NotFound("not_found", what="customer")
    return _customer_out(who, c)


@router.get(
    "/customers",
    response={200: list[CustomerOut], **READ_ERRORS},
    summary="Search customers by name, phone (at least 7 digits) or asset label",
)
def search_customers(
    request: HttpRequest,
    q: str = QueryParam("", max_length=100),
    limit: int = QueryParam(20, ge=1, le=100),
) -> list[CustomerOut]:
    who = actor(request)
    qs = who.scope(Customer.objects.live().select_related("site"))
    text = q.strip()
    if text:
        privacy.check_phone_search(text)  # a fragment of a number is no oracle
        qs = qs.filter(privacy.customer_match(text)).distinct()
    return [_customer_out(who, c) for c in qs.order_by("name", "pk")[:limit]]


class RevealIn(Schema):
    field: str = Field(
        ...,
        max_length=80,
        description="a customer's `phone` or `email`; on a case `customer.phone`, "
        "`customer.email` or a data field marked personal",
    )
    reason: RevealReason = RevealReason.CONTACT
    note: str = Field("", max_length=200)


class RevealOut(Schema):
    field: str
    value: Any
    tel: str | None = Field(description="a tel: link for a phone number")
    revealed_at: datetime


def _revealed(done: actions.Revealed) -> RevealOut:
    phone = done.kind == "phone" and isinstance(done.value, str) and done.value
    return RevealOut(
        field=done.field,
        value=done.value,
        tel=masks.tel(done.value) if phone else None,
        revealed_at=done.log.at,
    )


@router.post(
    "/customers/{int:customer_id}/reveal",
    response={200: RevealOut, **WRITE_ERRORS},
    summary="Reveal a customer's phone or e-mail (logged with the reason)",
)
def reveal_customer(request: HttpRequest, customer_id: int, payload: RevealIn) -> RevealOut:
    done = actions.reveal(
        actor(request),
        customer_id=customer_id,
        field=payload.field,
        reason=payload.reason,
        note=payload.note,
    )
    return _revealed(done)


@router.post(
    "/cases/{int:case_id}/reveal",
    response={200: RevealOut, **WRITE_ERRORS},
    summary="Reveal a personal value of a case (logged with the reason)",
)
def reveal_case(request: HttpRequest, case_id: int, payload: RevealIn) -> RevealOut:
    done = actions.reveal(
        actor(request),
        case_id=case_id,
        field=payload.field,
        reason=payload.reason,
        note=payload.note,
    )
    return _revealed(done)


class MergeIn(Schema):
    merged_id: int = Field(..., description="the duplicate record, merged into this one")


class UnmergeIn(Schema):
    merge_id: int | None = Field(
        None, description="which merge; by default the newest one of this record not undone"
    )


class MovedOut(Schema):
    cases: list[int]
    assets: list[int]
    consultations: list[int]
    reveals: list[int]
    changes: list[int]
    user: int | None


class MergeOut(Schema):
    id: int
    kept_id: int
    merged_id: int
    at: datetime
    undo_until: datetime
    undone_at: datetime | None
    moved: MovedOut


def _merge_out(done: CustomerMerge) -> MergeOut:
    moved = merging.Moves.stored(done.moved)
    return MergeOut(
        id=done.pk,
        kept_id=done.kept_id,
        merged_id=done.merged_id,
        at=done.at,
        undo_until=merging.undo_until(done),
        undone_at=done.undone_at,
        moved=MovedOut(**moved.__dict__),
    )


@router.get(
    "/customers/{int:customer_id}/duplicates",
    response={200: list[CustomerOut], **READ_ERRORS},
    summary="Records of the same site with the same phone number (merge suggestions)",
)
def customer_duplicates(request: HttpRequest, customer_id: int) -> list[CustomerOut]:
    who = actor(request)
    c = who.scope(Customer.objects.live().select_related("site")).filter(pk=customer_id).first()
    if c is None:
        raise NotFound("not_found", what="customer")
    return [_customer_out(who, d) for d in merging.duplicates(c)]


@router.post(
    "/customers/{int:customer_id}/merge",
    response={200: MergeOut, **WRITE_ERRORS},
    summary="Merge a duplicate record into this one (undo within a day)",
)
def merge_customer(request: HttpRequest, customer_id: int, payload: MergeIn) -> MergeOut:
    return _merge_out(merging.merge(actor(request), customer_id, payload.merged_id))


@router.post(
    "/customers/{int:customer_id}/unmerge",
    response={200: MergeOut, **WRITE_ERRORS},
    summary="Undo a merge this record took part in (within a day)",
)
def unmerge_customer(request: HttpRequest, customer_id: int, payload: UnmergeIn) -> MergeOut:
    who = actor(request)
    if payload.merge_id is None:
        found = merging.latest_merge(who, customer_id)
        if found is None:
            raise NotFound("not_found", what="merge")
        merge_id = found.pk
    else:
        merge_id = payload.merge_id
        found = CustomerMerge.objects.filter(pk=merge_id).first()
        if found is None or customer_id not in (found.kept_id, found.merged_id):
            raise NotFound("not_found", what="merge")
    return _merge_out(merging.unmerge(who, merge_id))


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
