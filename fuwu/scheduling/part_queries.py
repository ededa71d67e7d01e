"""Parts, read (issue 11 "Parts"): who may see, issue, return and receive parts at a site, the
catalogue a person sees, the low-stock rule (in SQL and in Python, side by side), the day's
unconfirmed shortages ("客户到达前确认零件情况") and the books' check (`drift`). The writes —
reserve, issue, return, release, receive, confirm — are in `fuwu.scheduling.parts`."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db.models import F, Q, QuerySet, Sum

from fuwu.core.actors import Actor
from fuwu.procedures.engine.errors import Unprocessable
from fuwu.scheduling.models import (
    Appointment,
    AppointmentStatus,
    Part,
    PartMovement,
    PartReservation,
    ReservationStatus,
    Stock,
    Workshop,
)

ZERO = Decimal("0")
# Issue and return parts: the store's people and those who write the repair order.
STORE_ROLES = frozenset({"service_advisor", "dispatcher", "technician", "manager", "vp", "admin"})
# Goods in (入库): the site's managers.
RECEIVING_ROLES = frozenset({"manager", "vp", "admin"})


def qty(value: Decimal) -> str:
    """A quantity as people write it: 2, 4.5 (not 2.00, 4.50)."""
    text = f"{value.normalize():f}"
    return "0" if text in ("-0", "0") else text


def may_see_parts(actor: Actor, site_id: int) -> bool:
    return actor.is_staff and actor.may_see_site(site_id)


def may_handle(actor: Actor, site_id: int) -> bool:
    """Issue and return parts at the site."""
    return actor.superuser or (site_id in actor.site_ids and bool(actor.roles & STORE_ROLES))


def may_receive(actor: Actor, site_id: int) -> bool:
    return actor.superuser or (site_id in actor.site_ids and bool(actor.roles & RECEIVING_ROLES))


def parts_for(actor: Actor) -> QuerySet[Part]:
    """The parts of the sites this person works at, with their stock figures."""
    rows = Part.objects.select_related("stock", "site").order_by("site__name", "number", "pk")
    if actor.superuser:
        return rows
    if not actor.is_staff:
        return rows.none()
    return rows.filter(site_id__in=actor.site_ids)


def low_stock(rows: QuerySet[Part]) -> QuerySet[Part]:
    """Parts in use whose available quantity (on hand − reserved) is at or below the reorder
    level; a part never stocked counts as none available."""
    return rows.filter(active=True).filter(
        Q(stock__isnull=True, reorder_level__gte=0)
        | Q(stock__on_hand__lte=F("stock__reserved") + F("reorder_level"))
    )


def is_low(part: Part) -> bool:
    """`low_stock` for one part already loaded with its stock: the same rule in Python."""
    try:
        available = part.stock.available
    except Stock.DoesNotExist:  # never stocked
        available = ZERO
    return part.active and available <= part.reorder_level


def find_part(site_id: int, number: str) -> Part:
    part = Part.objects.filter(site_id=site_id, number=number.strip()).first()
    if part is None:
        raise Unprocessable("unknown_part", part=number)
    return part


def part_of_site(actor: Actor, part_id: int, site_id: int) -> Part:
    """A part asked for by id for work at `site_id`: unknown, or another site's, is refused."""
    part = Part.objects.filter(pk=part_id).first()
    if part is None or not actor.may_see_site(part.site_id):
        raise Unprocessable("unknown_part", part=str(part_id))
    if part.site_id != site_id:
        raise Unprocessable("other_site_part", part=part.number)
    return part


def unconfirmed_shortages(workshop: Workshop, day: date) -> list[Appointment]:
    """The day's booked appointments with a shortage nobody has confirmed yet, by time; each
    with `shortages` (its short reservations, parts loaded)."""
    zone = ZoneInfo(workshop.site.timezone)
    start = datetime.combine(day, datetime.min.time(), zone)
    rows = list(
        Appointment.objects.filter(
            workshop=workshop,
            status=AppointmentStatus.BOOKED,
            starts_at__gte=start,
            starts_at__lt=start + timedelta(days=1),
            part_reservations__status=ReservationStatus.RESERVED,
            part_reservations__confirmed_at__isnull=True,
            part_reservations__held__lt=F("part_reservations__quantity"),
        )
        .distinct()
        .select_related("customer", "asset")
        .order_by("starts_at", "pk")
    )
    attach(rows)
    return rows


def attach(appointments: Sequence[Appointment]) -> None:
    """Load each appointment's part reservations (`parts`) and its shortages (`shortages`:
    reserved and short) in one query, for a list."""
    by: dict[int, list[PartReservation]] = defaultdict(list)
    for r in (
        PartReservation.objects.filter(appointment__in=[a.pk for a in appointments])
        .select_related("part", "confirmed_by__staff")
        .order_by("pk")
    ):
        by[r.appointment_id].append(r)  # type: ignore[index]
    for a in appointments:
        a.parts = by.get(a.pk, [])  # type: ignore[attr-defined]
        a.shortages = [r for r in a.parts if r.short > 0]  # type: ignore[attr-defined]
        a.unconfirmed = any(r.confirmed_at is None for r in a.shortages)  # type: ignore[attr-defined]


def drift(part: Part) -> dict[str, Decimal]:
    """Figures whose stock row and movement sums disagree (empty when the books balance)."""
    sums = PartMovement.objects.filter(part=part).aggregate(
        on_hand=Sum("on_hand"), reserved=Sum("reserved"), issued=Sum("issued")
    )
    stock = Stock.objects.filter(part=part).first() or Stock(part=part)
    held = (
        PartReservation.objects.filter(part=part, status=ReservationStatus.RESERVED).aggregate(
            n=Sum("held")
        )["n"]
        or ZERO
    )
    out = {}
    for name in ("on_hand", "reserved", "issued"):
        if (sums[name] or ZERO) != getattr(stock, name):
            out[name] = getattr(stock, name) - (sums[name] or ZERO)
    if held != stock.reserved:
        out["held"] = stock.reserved - held
    return out
