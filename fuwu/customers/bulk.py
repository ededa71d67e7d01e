"""Many customers and assets at once: the write of a spreadsheet import (fuwu.sheets).

Part of the customers' actions (the single-record ones are in `actions.py`): the caller has
checked every row (fuwu.sheets.kinds) and passes only valid records; this re-checks what may
have changed since (the site's rights, a label or phone registered a moment ago) and writes
everything in one transaction with `bulk_create`, a `RecordChange` per record as the single
actions write. 5,000 units and their residents are a handful of INSERTs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone

from fuwu.core.actors import Actor
from fuwu.customers.choices import RecordAction
from fuwu.customers.models import Asset, Customer, RecordChange
from fuwu.procedures.engine.errors import Conflict, FieldError, Forbidden

BATCH = 1000


@dataclass(frozen=True)
class NewCustomer:
    key: str  # how the assets of the same import name their owner
    name: str
    phone: str = ""
    email: str = ""


@dataclass(frozen=True)
class NewAsset:
    kind: str
    label: str
    attributes: dict[str, Any] = field(default_factory=dict)
    owner_key: str = ""  # a NewCustomer of this import
    owner_id: int | None = None  # or a customer already on file


@dataclass(frozen=True)
class NewOwner:
    """An asset already on file that gets an owner (a resident moving in)."""

    asset_id: int
    owner_key: str = ""
    owner_id: int | None = None


def _created(values: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {k: {"from": None, "to": v} for k, v in values.items() if v not in ("", None, {})}


@transaction.atomic
def import_records(
    actor: Actor,
    *,
    site_id: int,
    customers: list[NewCustomer],
    assets: list[NewAsset] | None = None,
    owners: list[NewOwner] | None = None,
) -> dict[str, int]:
    """Create the customers and assets, set the owners; the counts of what was written.

    Raises `Forbidden` for a site the actor may not see, `Conflict` when a label or phone was
    registered since the check (nothing is written then)."""
    assets, owners = assets or [], owners or []
    if not actor.may_see_site(site_id):
        raise Forbidden("forbidden")
    labels = {(a.kind, a.label) for a in assets}
    taken = Asset.objects.filter(
        site_id=site_id, kind__in={k for k, _ in labels}, label__in={lbl for _, lbl in labels}
    ).values_list("kind", "label")
    for kind, label in taken:
        if (kind, label) in labels:
            raise Conflict("conflict", reason=label, fields={"label": FieldError("asset_taken")})
    phones = {c.phone for c in customers if c.phone}
    if phones:
        same = Customer.objects.live().filter(site_id=site_id, phone__in=phones).first()
        if same is not None:
            raise Conflict(
                "conflict",
                reason=same.phone,
                fields={"phone": FieldError("duplicate_phone", name=same.name)},
            )
    now = timezone.now()
    made = Customer.objects.bulk_create(
        [
            Customer(site_id=site_id, name=c.name, phone=c.phone, email=c.email, created_at=now)
            for c in customers
        ],
        batch_size=BATCH,
    )
    by_key = {c.key: m.pk for c, m in zip(customers, made, strict=True)}
    changes = [
        RecordChange(
            site_id=site_id,
            customer_id=m.pk,
            action=RecordAction.CREATED,
            actor=actor.user,
            at=now,
            changes=_created({"name": c.name, "phone": c.phone, "email": c.email}),
        )
        for c, m in zip(customers, made, strict=True)
    ]
    new_assets = Asset.objects.bulk_create(
        [
            Asset(
                site_id=site_id,
                kind=a.kind,
                label=a.label,
                owner_id=by_key[a.owner_key] if a.owner_key else a.owner_id,
                attributes=a.attributes,
                created_at=now,
            )
            for a in assets
        ],
        batch_size=BATCH,
    )
    changes += [
        RecordChange(
            site_id=site_id,
            asset_id=m.pk,
            action=RecordAction.CREATED,
            actor=actor.user,
            at=now,
            changes=_created(
                {"kind": m.kind, "label": m.label, "owner": m.owner_id, "attributes": m.attributes}
            ),
        )
        for m in new_assets
    ]
    if owners:
        found = Asset.objects.select_for_update().in_bulk(
            [o.asset_id for o in owners if o.asset_id]
        )
        moved = []
        for o in owners:
            asset = found[o.asset_id]
            if asset.site_id != site_id:
                raise Forbidden("forbidden")
            new_owner = by_key[o.owner_key] if o.owner_key else o.owner_id
            changes.append(
                RecordChange(
                    site_id=site_id,
                    asset_id=asset.pk,
                    action=RecordAction.UPDATED,
                    actor=actor.user,
                    at=now,
                    changes={"owner": {"from": asset.owner_id, "to": new_owner}},
                )
            )
            asset.owner_id = new_owner
            moved.append(asset)
        Asset.objects.bulk_update(moved, ["owner"], batch_size=BATCH)
    RecordChange.objects.bulk_create(changes, batch_size=BATCH)
    return {"customers": len(made), "assets": len(new_assets), "owners": len(owners)}
