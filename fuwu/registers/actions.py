"""The writes of the registers app that are not a case's effect: opening balances.

`add_opening_balances` is the write of the opening-balances import (`fuwu.sheets.kinds.fees`):
the import has checked every row and passes only valid ones; this re-checks what may have
changed since (the site's rights, a balance of the same unit and fee item added a moment ago)
and writes them all in one transaction, or none.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone

from fuwu.core.actors import Actor
from fuwu.procedures.engine.errors import Conflict, FieldError, Forbidden
from fuwu.registers.models import OpeningBalance

BATCH = 1000


@dataclass(frozen=True)
class NewBalance:
    asset_id: int
    fee_type: str
    as_of: date
    outstanding: Decimal
    paid: Decimal = Decimal(0)
    billing_period: str = ""


@transaction.atomic
def add_opening_balances(actor: Actor, *, site_id: int, balances: list[NewBalance]) -> int:
    """Record the balances (all or none); how many were written.

    Raises `Forbidden` for a site the actor may not manage, `Conflict` when a unit already has a
    balance for the fee item (recorded since the check)."""
    if not (actor.is_manager and actor.may_see_site(site_id)):
        raise Forbidden("forbidden")
    now = timezone.now()
    rows = [
        OpeningBalance(
            site_id=site_id,
            asset_id=b.asset_id,
            fee_type=b.fee_type,
            as_of=b.as_of,
            billing_period=b.billing_period,
            outstanding=b.outstanding,
            paid=b.paid,
            created_by=actor.user,
            created_at=now,
        )
        for b in balances
    ]
    try:
        with transaction.atomic():
            OpeningBalance.objects.bulk_create(rows, batch_size=BATCH)
    except IntegrityError:  # the unique (unit, fee item): another import a moment ago
        raise Conflict(
            "conflict", reason="opening_balance", fields={"fee_type": FieldError("balance_taken")}
        ) from None
    return len(rows)
