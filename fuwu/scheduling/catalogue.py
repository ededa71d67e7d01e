"""The parts and labour catalogues filled in bulk (a spreadsheet import, fuwu.sheets).

The caller has checked every row; this re-checks the site's rights and that no number or code
was registered since, then writes all in one transaction with `bulk_create` (each part with its
empty `Stock` row, as the catalogue's own parts have).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction

from fuwu.core.actors import Actor
from fuwu.procedures.engine.errors import Conflict, FieldError, Forbidden
from fuwu.scheduling.models import LabourOperation, Part, Stock

BATCH = 1000


@dataclass(frozen=True)
class NewPart:
    number: str
    name: str
    name_en: str = ""
    unit: str = "个"
    price: Decimal | None = None
    reorder_level: Decimal = Decimal("0")


@dataclass(frozen=True)
class NewOperation:
    code: str
    name: str
    standard_hours: Decimal
    work_type: str
    name_en: str = ""
    skill_id: int | None = None


def _check(actor: Actor, site_id: int) -> None:
    if not actor.may_see_site(site_id) or not actor.is_manager:
        raise Forbidden("forbidden")


@transaction.atomic
def import_parts(actor: Actor, *, site_id: int, parts: list[NewPart]) -> int:
    _check(actor, site_id)
    taken = Part.objects.filter(site_id=site_id, number__in=[p.number for p in parts]).first()
    if taken is not None:
        raise Conflict(
            "conflict",
            reason=taken.number,
            fields={"number": FieldError("catalogue_taken", value=taken.number)},
        )
    made = Part.objects.bulk_create(
        [
            Part(
                site_id=site_id,
                number=p.number,
                name=p.name,
                name_en=p.name_en,
                unit=p.unit,
                price=p.price,
                reorder_level=p.reorder_level,
            )
            for p in parts
        ],
        batch_size=BATCH,
    )
    Stock.objects.bulk_create([Stock(part_id=p.pk) for p in made], batch_size=BATCH)
    return len(made)


@transaction.atomic
def import_operations(actor: Actor, *, site_id: int, operations: list[NewOperation]) -> int:
    _check(actor, site_id)
    codes = [o.code for o in operations]
    taken = LabourOperation.objects.filter(site_id=site_id, code__in=codes).first()
    if taken is not None:
        raise Conflict(
            "conflict",
            reason=taken.code,
            fields={"code": FieldError("catalogue_taken", value=taken.code)},
        )
    made = LabourOperation.objects.bulk_create(
        [
            LabourOperation(
                site_id=site_id,
                code=o.code,
                name=o.name,
                name_en=o.name_en,
                standard_hours=o.standard_hours,
                work_type=o.work_type,
                skill_id=o.skill_id,
            )
            for o in operations
        ],
        batch_size=BATCH,
    )
    return len(made)
