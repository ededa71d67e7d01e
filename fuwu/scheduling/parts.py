"""Parts (issue 11 "Parts"): stock per site, reserved at booking, issued to a repair order, returned.

The figures of a part live on its `Stock` row: `on_hand` (in the store, reserved ones included),
`reserved` (held for booked jobs, never more than on hand) and `issued` (out on repair orders
and not returned); available = on hand − reserved. Every change goes through a function here,
which in one transaction locks the part's stock row (SELECT … FOR UPDATE, in part order so two
bookings of the same parts cannot deadlock), computes from the locked figures, moves them with
`F()` expressions and appends a `PartMovement` carrying the same deltas. Two advisors reserving
the last filters at once are therefore served one after the other; the CHECK constraints on
`Stock` are the last line should anything else try. `part_queries.drift()` compares a part's
movements with its figures.

A booking is never refused for want of parts: what cannot be held is a shortage (缺件), shown on
the appointment, which a person confirms ("客户到达前确认零件情况": ordered, borrowed, the
customer told) with who and when. Goods received top up the oldest shortages first. A cancelled
or missed appointment releases what it held.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from fuwu.cases.models import Case
from fuwu.core.actors import Actor
from fuwu.procedures.engine.errors import Conflict, Forbidden, NotFound, Unprocessable
from fuwu.scheduling.booking import may_book
from fuwu.scheduling.models import (
    HOLDING,
    Appointment,
    AppointmentLine,
    MovementKind,
    OperationPart,
    Part,
    PartMovement,
    PartReservation,
    ReservationStatus,
    Stock,
)
from fuwu.scheduling.part_queries import (
    ZERO,
    find_part,
    may_handle,
    may_receive,
    part_of_site,
    qty,
)


@dataclass(frozen=True)
class PartAsk:
    """Parts named for a booking beyond its operations' usual parts, by part number."""

    number: str
    quantity: Decimal


def _positive(quantity: Decimal) -> Decimal:
    if quantity <= 0:
        raise Unprocessable("bad_quantity")
    return quantity


def _lock(part_ids: Iterable[int]) -> dict[int, Stock]:
    """The parts' stock rows, created if missing, locked in part order."""
    ids = sorted(set(part_ids))
    Stock.objects.bulk_create([Stock(part_id=pk) for pk in ids], ignore_conflicts=True)
    return {
        s.part_id: s
        for s in Stock.objects.select_for_update().filter(part_id__in=ids).order_by("part_id")
    }


def _move(
    stock: Stock,
    kind: str,
    quantity: Decimal,
    *,
    actor: Actor,
    now: datetime,
    on_hand: Decimal = ZERO,
    reserved: Decimal = ZERO,
    issued: Decimal = ZERO,
    reservation: PartReservation | None = None,
    case_id: int | None = None,
    note: str = "",
) -> None:
    """Move the locked figures and log it, the same deltas on both."""
    if on_hand or reserved or issued:
        Stock.objects.filter(pk=stock.pk).update(
            on_hand=F("on_hand") + on_hand,
            reserved=F("reserved") + reserved,
            issued=F("issued") + issued,
        )
        stock.on_hand += on_hand
        stock.reserved += reserved
        stock.issued += issued
    PartMovement.objects.create(
        part_id=stock.part_id,
        kind=kind,
        quantity=quantity,
        on_hand=on_hand,
        reserved=reserved,
        issued=issued,
        reservation=reservation,
        appointment_id=reservation.appointment_id if reservation else None,
        case_id=case_id if case_id is not None else (reservation.case_id if reservation else None),
        actor=actor.user,
        at=now,
        note=note[:300],
    )


def _hold(
    actor: Actor,
    asks: dict[int, Decimal],
    now: datetime,
    *,
    appointment: Appointment | None = None,
    case: Case | None = None,
    note: str = "",
) -> list[PartReservation]:
    """Reserve what is available of each part asked for; the rest is the shortage."""
    stocks = _lock(asks)
    made = []
    for part_id in sorted(asks):
        stock, wanted = stocks[part_id], asks[part_id]
        take = max(ZERO, min(wanted, stock.available))
        reservation = PartReservation.objects.create(
            part_id=part_id,
            appointment=appointment,
            case=case,
            quantity=wanted,
            held=take,
            created_at=now,
        )
        _move(
            stock,
            MovementKind.RESERVE,
            wanted,
            actor=actor,
            now=now,
            reserved=take,
            reservation=reservation,
            note=note,
        )
        made.append(reservation)
    return made


def reserve_for(
    actor: Actor,
    appointment: Appointment,
    lines: Sequence[AppointmentLine],
    extra: Sequence[PartAsk] = (),
    *,
    now: datetime | None = None,
) -> list[PartReservation]:
    """Reserve the parts of a new booking: its operations' usual parts and the parts named.
    Called by `booking.book` inside its transaction, so a refused booking reserves nothing.
    Raises `unknown_part` for a number not in the site's catalogue."""
    now = now or timezone.now()
    site_id = appointment.workshop.department.site_id
    asks: dict[int, Decimal] = defaultdict(Decimal)
    operations = [line.operation_id for line in lines if line.operation_id]
    for usual in OperationPart.objects.filter(
        operation_id__in=operations, part__site_id=site_id, part__active=True
    ):
        # An operation booked twice takes its parts twice.
        asks[usual.part_id] += usual.quantity * operations.count(usual.operation_id)
    for ask in extra:
        asks[find_part(site_id, ask.number).pk] += _positive(ask.quantity)
    if not asks:
        return []
    return _hold(actor, dict(asks), now, appointment=appointment)


def _appointment(appointment_id: int, *, lock: bool = False) -> Appointment:
    rows = Appointment.objects.select_related("workshop__department__site")
    if lock:
        rows = rows.select_for_update(of=("self",))
    found = rows.filter(pk=appointment_id).first()
    if found is None:
        raise NotFound("not_found", what="appointment")
    return found


def _visible_case(actor: Actor, case_id: int) -> Case:
    case = Case.objects.filter(pk=case_id).first()
    if case is None or not actor.may_see_site(case.site_id):
        raise NotFound("not_found", what="case")
    return case


def _open_case(actor: Actor, case_id: int, site_id: int) -> Case:
    case = Case.objects.filter(pk=case_id).first()
    if case is None or not actor.may_see_site(case.site_id) or case.site_id != site_id:
        raise NotFound("not_found", what="case")
    if case.is_closed:
        raise Conflict("case_closed")
    return case


def reserve(
    actor: Actor,
    part_id: int,
    quantity: Decimal,
    *,
    appointment_id: int | None = None,
    case_id: int | None = None,
    note: str = "",
    now: datetime | None = None,
) -> PartReservation:
    """Reserve a part for a booked appointment (advisors of its workshop) or an open repair
    order (the store's people); what is not available is a shortage."""
    now = now or timezone.now()
    _positive(quantity)
    with transaction.atomic():
        appointment = case = None
        if appointment_id is not None:
            appointment = _appointment(appointment_id, lock=True)
            site_id = appointment.workshop.department.site_id
            if not actor.may_see_site(site_id):
                raise NotFound("not_found", what="appointment")
            if not may_book(actor, appointment.workshop):
                raise Forbidden("may_not_handle_parts")
            if appointment.status not in HOLDING:
                raise Conflict("appointment_not_open", status=appointment.get_status_display())
            case = appointment.case
        elif case_id is not None:
            site_id = _visible_case(actor, case_id).site_id
            if not may_handle(actor, site_id):
                raise Forbidden("may_not_handle_parts")
            case = _open_case(actor, case_id, site_id)
        else:
            raise Unprocessable("bad_quantity")  # pragma: no cover - the API asks for one
        part = part_of_site(actor, part_id, site_id)
        return _hold(
            actor, {part.pk: quantity}, now, appointment=appointment, case=case, note=note
        )[0]


def _reservation(actor: Actor, reservation_id: int) -> tuple[PartReservation, Stock]:
    """A reservation and its part's stock, both locked: the stock row first, as everywhere
    (appointment, then stock rows in part order, then reservations), so no two writers wait
    on each other in a circle."""
    part_id = (
        PartReservation.objects.filter(pk=reservation_id).values_list("part_id", flat=True).first()
    )
    if part_id is None:
        raise NotFound("not_found", what="reservation")
    stock = _lock([part_id])[part_id]
    found = (
        PartReservation.objects.select_for_update(of=("self",))
        .select_related("part")
        .get(pk=reservation_id)
    )
    if not actor.may_see_site(found.part.site_id):
        raise NotFound("not_found", what="reservation")
    return found, stock


def issue(
    actor: Actor,
    *,
    case_id: int,
    reservation_id: int | None = None,
    part_id: int | None = None,
    quantity: Decimal | None = None,
    line: str = "",
    now: datetime | None = None,
) -> PartReservation:
    """Issue parts to a repair order (case) line: a reservation's parts (by default the quantity
    asked for), taking what it holds and, beyond that, what is available; or a part straight
    from the shelf. What a reservation held beyond the quantity issued goes back to available.
    Refused with `insufficient_stock` when the store has not got them."""
    now = now or timezone.now()
    with transaction.atomic():
        if reservation_id is not None:
            reservation, stock = _reservation(actor, reservation_id)
            site_id = reservation.part.site_id
            if not may_handle(actor, site_id):
                raise Forbidden("may_not_handle_parts")
            if reservation.status != ReservationStatus.RESERVED:
                raise Conflict("reservation_not_open", status=reservation.get_status_display())
            amount = _positive(quantity if quantity is not None else reservation.quantity)
            case = _open_case(actor, case_id, site_id)
        elif part_id is not None and quantity is not None:
            case = _visible_case(actor, case_id)
            if not may_handle(actor, case.site_id):
                raise Forbidden("may_not_handle_parts")
            case = _open_case(actor, case_id, case.site_id)
            part = part_of_site(actor, part_id, case.site_id)
            amount = _positive(quantity)
            reservation = PartReservation(part=part, case=case, quantity=amount, created_at=now)
            stock = _lock([part.pk])[part.pk]
        else:
            raise Unprocessable("bad_quantity")
        if amount > reservation.held + stock.available:
            raise Conflict(
                "insufficient_stock",
                part=reservation.part.number,
                name=reservation.part.name,
                available=qty(reservation.held + stock.available),
                quantity=qty(amount),
                unit=reservation.part.unit,
            )
        released = reservation.held
        reservation.case = case
        reservation.line = line.strip()[:200] or reservation.line
        reservation.issued = amount
        reservation.quantity = max(reservation.quantity, amount)
        reservation.held = ZERO
        reservation.status = ReservationStatus.ISSUED
        reservation.save()
        _move(
            stock,
            MovementKind.ISSUE,
            amount,
            actor=actor,
            now=now,
            on_hand=-amount,
            reserved=-released,
            issued=amount,
            reservation=reservation,
            note=reservation.line,
        )
    return reservation


def return_parts(
    actor: Actor,
    reservation_id: int,
    quantity: Decimal,
    *,
    note: str = "",
    now: datetime | None = None,
) -> PartReservation:
    """Unused parts come back from the repair order into the store; at most what was issued
    and not yet returned (`return_too_many`)."""
    now = now or timezone.now()
    _positive(quantity)
    with transaction.atomic():
        reservation, stock = _reservation(actor, reservation_id)
        if not may_handle(actor, reservation.part.site_id):
            raise Forbidden("may_not_handle_parts")
        if reservation.status != ReservationStatus.ISSUED:
            raise Conflict("reservation_not_open", status=reservation.get_status_display())
        if quantity > reservation.outstanding:
            raise Conflict(
                "return_too_many",
                part=reservation.part.number,
                most=qty(reservation.outstanding),
                quantity=qty(quantity),
                unit=reservation.part.unit,
            )
        reservation.returned += quantity
        if reservation.returned == reservation.issued:
            reservation.status = ReservationStatus.RETURNED
        reservation.save(update_fields=["returned", "status"])
        _move(
            stock,
            MovementKind.RETURN,
            quantity,
            actor=actor,
            now=now,
            on_hand=quantity,
            issued=-quantity,
            reservation=reservation,
            note=note,
        )
    return reservation


def release_for(actor: Actor, appointment: Appointment, *, now: datetime | None = None) -> int:
    """The appointment is cancelled or missed: what its reservations hold is available again.
    Called by `booking.set_status` and `booking.mark_no_shows` inside their transaction."""
    now = now or timezone.now()
    rows = PartReservation.objects.filter(
        appointment=appointment, status=ReservationStatus.RESERVED
    ).order_by("part_id", "pk")
    part_ids = list(rows.values_list("part_id", flat=True))
    if not part_ids:
        return 0
    stocks = _lock(part_ids)  # stock rows before reservations, as everywhere
    standing = list(rows.select_for_update())
    for reservation in standing:
        held = reservation.held
        reservation.status = ReservationStatus.RELEASED
        reservation.held = ZERO
        reservation.save(update_fields=["status", "held"])
        _move(
            stocks[reservation.part_id],
            MovementKind.RELEASE,
            held,
            actor=actor,
            now=now,
            reserved=-held,
            reservation=reservation,
            note=appointment.status,
        )
    return len(standing)


def receive(
    actor: Actor, part: Part, quantity: Decimal, *, note: str = "", now: datetime | None = None
) -> Stock:
    """Goods in: the part's on-hand quantity grows and the oldest shortages are filled first
    (appointments by time, then repair orders by when they asked)."""
    now = now or timezone.now()
    _positive(quantity)
    if not may_receive(actor, part.site_id):
        raise Forbidden("may_not_handle_parts")
    with transaction.atomic():
        stock = _lock([part.pk])[part.pk]
        _move(
            stock, MovementKind.RECEIPT, quantity, actor=actor, now=now, on_hand=quantity, note=note
        )
        short = (
            PartReservation.objects.select_for_update(of=("self",))
            .filter(part=part, status=ReservationStatus.RESERVED, held__lt=F("quantity"))
            .order_by(F("appointment__starts_at").asc(nulls_last=True), "created_at", "pk")
        )
        for reservation in short:
            take = min(reservation.quantity - reservation.held, stock.available)
            if take <= 0:
                break
            reservation.held += take
            reservation.save(update_fields=["held"])
            _move(
                stock,
                MovementKind.RESERVE,
                take,
                actor=actor,
                now=now,
                reserved=take,
                reservation=reservation,
                note=note,
            )
    return stock


def confirm_shortage(
    actor: Actor, appointment_id: int, *, note: str = "", now: datetime | None = None
) -> list[PartReservation]:
    """Someone has seen to the appointment's missing parts before the customer comes (ordered,
    borrowed from another store, the customer told): each unconfirmed shortage records who,
    when and what was arranged. `no_shortage` when there is nothing to confirm."""
    now = now or timezone.now()
    with transaction.atomic():
        appointment = _appointment(appointment_id, lock=True)
        if not actor.may_see_site(appointment.workshop.department.site_id):
            raise NotFound("not_found", what="appointment")
        if not may_book(actor, appointment.workshop):
            raise Forbidden("may_not_handle_parts")
        short = [
            r
            for r in PartReservation.objects.select_for_update(of=("self",))
            .select_related("part")
            .filter(
                appointment=appointment,
                status=ReservationStatus.RESERVED,
                confirmed_at__isnull=True,
                held__lt=F("quantity"),
            )
            .order_by("pk")
        ]
        if not short:
            raise Conflict("no_shortage")
        for reservation in short:
            reservation.confirmed_by = actor.user
            reservation.confirmed_at = now
            reservation.confirm_note = note.strip()[:300]
            reservation.save(update_fields=["confirmed_by", "confirmed_at", "confirm_note"])
            PartMovement.objects.create(
                part_id=reservation.part_id,
                kind=MovementKind.CONFIRM,
                quantity=reservation.short,
                reservation=reservation,
                appointment=appointment,
                actor=actor.user,
                at=now,
                note=reservation.confirm_note,
            )
    return short
