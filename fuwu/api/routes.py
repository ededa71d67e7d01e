"""On-site visits and the technicians' routes: add a visit, plan a workshop's day (PyVRP, by
skill, window and shift), read the day's routes, move a visit (refused with `visit_would_be_late`,
`route_over_shift`, `lacks_skill`, `not_on_shift` when the change would not hold). A workshop of
another site is a 404, as for the rest of scheduling."""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal
from typing import Literal

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from fuwu.api.common import READ_ERRORS, WRITE_ERRORS, actor
from fuwu.api.scheduling import _workshop
from fuwu.core.actors import Actor
from fuwu.core.models import Skill
from fuwu.customers.models import Customer
from fuwu.procedures.engine.errors import EngineError, FieldError, NotFound
from fuwu.scheduling.models import Route, Visit

router = Router(tags=["on-site visits and routes"])


class VisitIn(Schema):
    workshop: int
    address: str = Field(..., min_length=1, max_length=300)
    lat: Decimal = Field(..., ge=-90, le=90, max_digits=9, decimal_places=6)
    lon: Decimal = Field(..., ge=-180, le=180, max_digits=9, decimal_places=6)
    day: date
    window_start: time = Field(description="the earliest the service may start (local time)")
    window_end: time = Field(description="the latest the service may start (local time)")
    service_minutes: int = Field(..., ge=1, le=720)
    skill: str = Field("", max_length=40, description="a skill code, or empty")
    customer: int | None = None
    case: int | None = None
    note: str = Field("", max_length=500)


class VisitOut(Schema):
    id: int
    workshop: int
    case: int | None
    customer: int | None
    address: str
    lat: Decimal
    lon: Decimal
    day: date
    window_start: time
    window_end: time
    service_minutes: int
    skill: str
    status: str
    unplanned_reason: str = Field(
        description="a code: no_technician, no_skill, unreachable, no_room"
    )
    unplanned_text: str


class StopOut(Schema):
    position: int
    visit: VisitOut
    travel_minutes: int
    distance_m: int
    arrives_at: datetime
    starts_at: datetime
    ends_at: datetime


class RouteOut(Schema):
    id: int
    technician: int
    technician_name: str
    status: str = Field(description="planned (by the solver) or edited (by a dispatcher)")
    distance_m: int
    travel_minutes: int
    leaves_at: datetime | None
    back_at: datetime | None
    lunch_at: datetime | None
    edited_by: str | None
    edited_at: datetime | None
    stops: list[StopOut]


class BaseOut(Schema):
    name: str
    lat: Decimal
    lon: Decimal
    speed_kmh: Decimal


class DayRoutesOut(Schema):
    day: date
    base: BaseOut | None
    routes: list[RouteOut]
    unplanned: list[VisitOut]


class PlanIn(Schema):
    day: date


class PlanOut(DayRoutesOut):
    solver_iterations: int
    solver_seconds: float


class VisitStatusIn(Schema):
    status: Literal["done", "cancelled"]


class MoveIn(Schema):
    technician: int
    position: int | None = Field(None, ge=1, description="1 = first; empty = last")


def visit_out(v: Visit) -> VisitOut:
    from fuwu.scheduling import routes  # PyVRP's planner, on first use (fuwu.tests.test_memory)

    return VisitOut(
        id=v.pk,
        workshop=v.workshop_id,
        case=v.case_id,
        customer=v.customer_id,
        address=v.address,
        lat=v.lat,
        lon=v.lon,
        day=v.day,
        window_start=v.window_start,
        window_end=v.window_end,
        service_minutes=v.service_minutes,
        skill=v.skill.code if v.skill else "",
        status=v.status,
        unplanned_reason=v.unplanned_reason,
        unplanned_text=routes.reason_text(v.unplanned_reason) if v.unplanned_reason else "",
    )


def _route_out(r: Route) -> RouteOut:
    return RouteOut(
        id=r.pk,
        technician=r.technician_id,
        technician_name=r.technician.staff.display_name,
        status=r.status,
        distance_m=r.distance_m,
        travel_minutes=r.travel_minutes,
        leaves_at=r.leaves_at,
        back_at=r.back_at,
        lunch_at=r.lunch_at,
        edited_by=r.edited_by.get_username() if r.edited_by else None,
        edited_at=r.edited_at,
        stops=[
            StopOut(
                position=s.position,
                visit=visit_out(s.visit),
                travel_minutes=s.travel_minutes,
                distance_m=s.distance_m,
                arrives_at=s.arrives_at,
                starts_at=s.starts_at,
                ends_at=s.ends_at,
            )
            for s in r.stops.all()
        ],
    )


def _day_out(workshop_id: int, who: Actor, day: date) -> DayRoutesOut:
    from fuwu.scheduling import routes  # PyVRP's planner, on first use (fuwu.tests.test_memory)

    workshop = _workshop(who, workshop_id)
    found = routes.day_routes(workshop, day)
    base = found.base
    return DayRoutesOut(
        day=day,
        base=BaseOut(name=base.name, lat=base.lat, lon=base.lon, speed_kmh=base.speed_kmh)
        if base
        else None,
        routes=[_route_out(r) for r in found.routes],
        unplanned=[visit_out(v) for v in found.unplanned],
    )


@router.post(
    "/visits", response={201: VisitOut, **WRITE_ERRORS}, summary="Add an on-site visit to plan"
)
def add_visit(request: HttpRequest, payload: VisitIn) -> Status[VisitOut]:
    from fuwu.scheduling import routes  # PyVRP's planner, on first use (fuwu.tests.test_memory)

    who = actor(request)
    workshop = _workshop(who, payload.workshop)
    skill = None
    if payload.skill:
        skill = Skill.objects.filter(code=payload.skill).first()
        if skill is None:
            raise EngineError(
                "invalid_form", fields={"skill": FieldError("bad_choice", options="")}
            )
    customer = None
    if payload.customer is not None:
        customer = (
            Customer.objects.live()
            .filter(pk=payload.customer, site_id=workshop.department.site_id)
            .first()
        )
        if customer is None:
            raise EngineError(
                "invalid_form", fields={"customer": FieldError("bad_choice", options="")}
            )
    if payload.case is not None:
        from fuwu.cases.models import Case

        if not Case.objects.filter(pk=payload.case, site_id=workshop.department.site_id).exists():
            raise EngineError("invalid_form", fields={"case": FieldError("bad_choice", options="")})
    made = routes.add_visit(
        who,
        workshop,
        address=payload.address,
        lat=payload.lat,
        lon=payload.lon,
        day=payload.day,
        window_start=payload.window_start,
        window_end=payload.window_end,
        service_minutes=payload.service_minutes,
        skill=skill,
        customer=customer,
        case_id=payload.case,
        note=payload.note,
    )
    return Status(201, visit_out(Visit.objects.select_related("skill").get(pk=made.pk)))


@router.get(
    "/workshops/{int:workshop_id}/routes",
    response={200: DayRoutesOut, **READ_ERRORS},
    summary="A day's routes per technician, and the visits not planned with the reason",
)
def day_routes(request: HttpRequest, workshop_id: int, day: date) -> DayRoutesOut:
    return _day_out(workshop_id, actor(request), day)


@router.post(
    "/workshops/{int:workshop_id}/routes/plan",
    response={200: PlanOut, **WRITE_ERRORS},
    summary="Plan the day's routes afresh (replaces a dispatcher's changes)",
)
def plan(request: HttpRequest, workshop_id: int, payload: PlanIn) -> PlanOut:
    from fuwu.scheduling import routes  # PyVRP's planner, on first use (fuwu.tests.test_memory)

    who = actor(request)
    workshop = _workshop(who, workshop_id)
    outcome = routes.plan_routes(who, workshop, payload.day)
    out = _day_out(workshop_id, who, payload.day)
    return PlanOut(
        **out.dict(),
        solver_iterations=outcome.iterations,
        solver_seconds=round(outcome.seconds, 3),
    )


@router.post(
    "/visits/{int:visit_id}/move",
    response={200: DayRoutesOut, **WRITE_ERRORS},
    summary="Move a visit to a technician's route, at a position; refused if it would not hold",
)
def move(request: HttpRequest, visit_id: int, payload: MoveIn) -> DayRoutesOut:
    from fuwu.scheduling import routes  # PyVRP's planner, on first use (fuwu.tests.test_memory)

    who = actor(request)
    found = Visit.objects.filter(pk=visit_id).first()
    if found is None:
        raise NotFound("not_found", what="visit")
    _workshop(who, found.workshop_id)  # another site's visit is a 404
    routes.move_visit(who, visit_id, technician_id=payload.technician, position=payload.position)
    return _day_out(found.workshop_id, who, found.day)


@router.post(
    "/visits/{int:visit_id}/status",
    response={200: DayRoutesOut, **WRITE_ERRORS},
    summary="Mark a visit done, or cancel it (it leaves its route, which is timed again)",
)
def visit_status(request: HttpRequest, visit_id: int, payload: VisitStatusIn) -> DayRoutesOut:
    from fuwu.scheduling import routes  # PyVRP's planner, on first use (fuwu.tests.test_memory)

    who = actor(request)
    found = Visit.objects.filter(pk=visit_id).first()
    if found is None:
        raise NotFound("not_found", what="visit")
    _workshop(who, found.workshop_id)
    routes.set_visit_status(who, visit_id, payload.status)
    return _day_out(found.workshop_id, who, found.day)
