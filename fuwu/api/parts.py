"""Parts (`fuwu.scheduling.parts`): the catalogue with its stock figures (available = on hand −
reserved), the low-stock list, a part's movements; reserving for an appointment or a repair
order, issuing to a repair-order line, returning unused parts, and confirming an appointment's
shortage before the customer comes. Only staff of the part's site see it; who may write is
checked by `fuwu.scheduling.parts` (`may_not_handle_parts`)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

from django.db.models import Q, QuerySet
from django.http import HttpRequest
from ninja import Field, Router, Schema, Status
from ninja.pagination import PageNumberPagination, paginate

from fuwu.api.common import READ_ERRORS, WRITE_ERRORS, actor, found, site_for, workshop_for
from fuwu.api.idempotency import idempotent
from fuwu.core.actors import Actor
from fuwu.procedures.engine.errors import EngineError, FieldError, NotFound
from fuwu.scheduling import part_queries, parts
from fuwu.scheduling.booking import visible_workshops
from fuwu.scheduling.models import Appointment, Part, PartMovement, PartReservation

router = Router(tags=["parts"])
PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
# A quantity as typed: above 0, two decimals (4.5 L of oil).
Quantity = Annotated[Decimal, Field(gt=0, le=100000, max_digits=10, decimal_places=2)]


class PartOut(Schema):
    id: int
    site: str = Field(description="site code")
    number: str
    name: str
    name_en: str
    unit: str
    price: Decimal | None
    reorder_level: Decimal
    on_hand: Decimal = Field(description="in the store, reserved ones included")
    reserved: Decimal = Field(description="held for booked jobs")
    issued: Decimal = Field(description="out on repair orders, not returned")
    available: Decimal = Field(description="on hand − reserved")
    low: bool = Field(description="available at or below the reorder level")
    active: bool

    @staticmethod
    def resolve_site(obj: Part) -> str:
        return obj.site.code

    @staticmethod
    def _stock(obj: Part, name: str) -> Decimal:
        stock = getattr(obj, "stock", None)
        return getattr(stock, name) if stock is not None else Decimal("0")

    @staticmethod
    def resolve_on_hand(obj: Part) -> Decimal:
        return PartOut._stock(obj, "on_hand")

    @staticmethod
    def resolve_reserved(obj: Part) -> Decimal:
        return PartOut._stock(obj, "reserved")

    @staticmethod
    def resolve_issued(obj: Part) -> Decimal:
        return PartOut._stock(obj, "issued")

    @staticmethod
    def resolve_available(obj: Part) -> Decimal:
        return PartOut._stock(obj, "on_hand") - PartOut._stock(obj, "reserved")

    @staticmethod
    def resolve_low(obj: Part) -> bool:
        return part_queries.is_low(obj)


class PartMovementOut(Schema):
    id: int
    kind: str = Field(description="receipt, reserve, release, issue, return or confirm")
    quantity: Decimal
    on_hand: Decimal = Field(description="change of on hand")
    reserved: Decimal = Field(description="change of reserved")
    issued: Decimal = Field(description="change of issued")
    reservation: int | None = Field(None, alias="reservation_id")
    appointment: int | None = Field(None, alias="appointment_id")
    case: int | None = Field(None, alias="case_id")
    actor: str | None = Field(description="username; null for the system")
    at: datetime
    note: str

    @staticmethod
    def resolve_actor(obj: PartMovement) -> str | None:
        return obj.actor.get_username() if obj.actor else None


class PartReservationOut(Schema):
    id: int
    part: int
    number: str
    name: str
    unit: str
    appointment: int | None
    case: int | None
    line: str
    status: str = Field(description="reserved, issued, returned or released")
    quantity: Decimal = Field(description="asked for")
    held: Decimal = Field(description="reserved from stock")
    short: Decimal = Field(description="asked for and not held (缺件), while reserved")
    issued: Decimal
    returned: Decimal
    confirmed_by: str | None = Field(description="who confirmed the shortage")
    confirmed_at: datetime | None
    confirm_note: str


def reservation_out(r: PartReservation) -> PartReservationOut:
    return PartReservationOut(
        id=r.pk,
        part=r.part_id,
        number=r.part.number,
        name=r.part.name,
        unit=r.part.unit,
        appointment=r.appointment_id,
        case=r.case_id,
        line=r.line,
        status=r.status,
        quantity=r.quantity,
        held=r.held,
        short=r.short,
        issued=r.issued,
        returned=r.returned,
        confirmed_by=r.confirmed_by.get_username() if r.confirmed_by else None,
        confirmed_at=r.confirmed_at,
        confirm_note=r.confirm_note,
    )


class PartShortageOut(Schema):
    appointment: int
    starts_at: datetime
    customer: str
    vehicle: str
    parts: list[PartReservationOut]


class PartReserveIn(Schema):
    part: int = Field(description="part id")
    quantity: Quantity
    appointment: int | None = Field(None, description="a booked appointment")
    case: int | None = Field(None, description="or an open repair order")
    note: str = Field("", max_length=300)


class PartIssueIn(Schema):
    case: int = Field(description="the repair order")
    reservation: int | None = Field(None, description="the reserved parts to issue")
    part: int | None = Field(None, description="or a part straight from the shelf, with quantity")
    quantity: Quantity | None = Field(None, description="by default the reservation's quantity")
    line: str = Field("", max_length=200, description="the repair-order line, e.g. M10")


class PartReturnIn(Schema):
    quantity: Quantity
    note: str = Field("", max_length=300)


class ShortageConfirmIn(Schema):
    note: str = Field(
        "", max_length=300, description="what was arranged: ordered, borrowed, customer told"
    )


def _reservations() -> QuerySet[PartReservation]:
    return PartReservation.objects.select_related("part", "confirmed_by")


def _visible_appointment(who: Actor, appointment_id: int) -> Appointment:
    return found(
        (
            Appointment.objects.filter(pk=appointment_id, workshop__in=visible_workshops(who))
            .select_related("customer", "asset")
            .first()
        ),
        "appointment",
    )


@router.get(
    "/parts",
    response={200: list[PartOut], **READ_ERRORS},
    summary="The parts catalogue with stock figures (filter by site, text, low stock)",
)
@paginate(PageNumberPagination, page_size=PAGE_SIZE, max_page_size=MAX_PAGE_SIZE)
def part_list(
    request: HttpRequest, site: str | None = None, q: str = "", low: bool = False
) -> QuerySet[Part]:
    who = actor(request)
    rows = part_queries.parts_for(who)
    if site:
        rows = rows.filter(site=site_for(who, site))
    text = q.strip()[:100]
    if text:
        rows = rows.filter(
            Q(number__icontains=text) | Q(name__icontains=text) | Q(name_en__icontains=text)
        )
    return part_queries.low_stock(rows) if low else rows


@router.get(
    "/parts/low-stock",
    response={200: list[PartOut], **READ_ERRORS},
    summary="Parts whose available quantity is at or below the reorder level",
)
def low_stock(request: HttpRequest, site: str | None = None) -> list[Part]:
    who = actor(request)
    rows = part_queries.parts_for(who)
    if site:
        rows = rows.filter(site=site_for(who, site))
    return list(part_queries.low_stock(rows))


@router.get(
    "/parts/{int:part_id}",
    response={200: PartOut, **READ_ERRORS},
    summary="A part with its stock figures",
)
def part_detail(request: HttpRequest, part_id: int) -> Part:
    return found(
        part_queries.parts_for(actor(request)).filter(pk=part_id).first(),
        "part",
    )


@router.get(
    "/parts/{int:part_id}/movements",
    response={200: list[PartMovementOut], **READ_ERRORS},
    summary="A part's history: who did what, when, and how each figure moved; newest first",
)
@paginate(PageNumberPagination, page_size=PAGE_SIZE, max_page_size=MAX_PAGE_SIZE)
def movements(request: HttpRequest, part_id: int) -> QuerySet[PartMovement]:
    if not part_queries.parts_for(actor(request)).filter(pk=part_id).exists():
        raise NotFound("not_found", what="part")
    return (
        PartMovement.objects.filter(part_id=part_id).select_related("actor").order_by("-at", "-pk")
    )


@router.post(
    "/parts/reserve",
    response={201: PartReservationOut, **WRITE_ERRORS},
    summary="Reserve a part for an appointment or a repair order (a shortage if not in stock)",
)
@idempotent
def reserve(request: HttpRequest, payload: PartReserveIn) -> Status[PartReservationOut]:
    if (payload.appointment is None) == (payload.case is None):
        raise EngineError(
            "invalid_form",
            fields={"appointment": FieldError("bad_choice", options="appointment | case")},
        )
    made = parts.reserve(
        actor(request),
        payload.part,
        payload.quantity,
        appointment_id=payload.appointment,
        case_id=payload.case,
        note=payload.note,
    )
    return Status(201, reservation_out(_reservations().get(pk=made.pk)))


@router.post(
    "/parts/issue",
    response={201: PartReservationOut, **WRITE_ERRORS},
    summary="Issue parts to a repair-order line: a reservation's, or a part from the shelf",
)
@idempotent
def issue(request: HttpRequest, payload: PartIssueIn) -> Status[PartReservationOut]:
    if (payload.reservation is None) == (payload.part is None) or (
        payload.part is not None and payload.quantity is None
    ):
        raise EngineError(
            "invalid_form",
            fields={"reservation": FieldError("bad_choice", options="reservation | part+quantity")},
        )
    done = parts.issue(
        actor(request),
        case_id=payload.case,
        reservation_id=payload.reservation,
        part_id=payload.part,
        quantity=payload.quantity,
        line=payload.line,
    )
    return Status(201, reservation_out(_reservations().get(pk=done.pk)))


@router.post(
    "/parts/reservations/{int:reservation_id}/return",
    response={200: PartReservationOut, **WRITE_ERRORS},
    summary="Return unused parts from a repair order to the store",
)
def return_parts(
    request: HttpRequest, reservation_id: int, payload: PartReturnIn
) -> PartReservationOut:
    done = parts.return_parts(actor(request), reservation_id, payload.quantity, note=payload.note)
    return reservation_out(_reservations().get(pk=done.pk))


@router.get(
    "/appointments/{int:appointment_id}/parts",
    response={200: list[PartReservationOut], **READ_ERRORS},
    summary="An appointment's parts: reserved, short (缺件), issued",
)
def appointment_parts(request: HttpRequest, appointment_id: int) -> list[PartReservationOut]:
    appointment = _visible_appointment(actor(request), appointment_id)
    return [
        reservation_out(r) for r in _reservations().filter(appointment=appointment).order_by("pk")
    ]


@router.post(
    "/appointments/{int:appointment_id}/parts/confirm",
    response={200: list[PartReservationOut], **WRITE_ERRORS},
    summary="Confirm the appointment's shortage before the customer comes (who, when, what)",
)
def confirm_shortage(
    request: HttpRequest, appointment_id: int, payload: ShortageConfirmIn
) -> list[PartReservationOut]:
    who = actor(request)
    _visible_appointment(who, appointment_id)
    done = parts.confirm_shortage(who, appointment_id, note=payload.note)
    rows = _reservations().filter(pk__in=[r.pk for r in done]).order_by("pk")
    return [reservation_out(r) for r in rows]


@router.get(
    "/workshops/{int:workshop_id}/shortages",
    response={200: list[PartShortageOut], **READ_ERRORS},
    summary="A day's appointments with a shortage nobody has confirmed yet",
)
def shortages(request: HttpRequest, workshop_id: int, day: date) -> list[PartShortageOut]:
    workshop = workshop_for(actor(request), workshop_id)
    return [
        PartShortageOut(
            appointment=a.pk,
            starts_at=a.starts_at,
            customer=a.customer.name,
            vehicle=a.asset.label if a.asset else "",
            parts=[reservation_out(r) for r in a.shortages],  # type: ignore[attr-defined]
        )
        for a in part_queries.unconfirmed_shortages(workshop, day)
    ]
