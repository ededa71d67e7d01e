"""On-site visits (上门服务) and the technicians' routes: every write to a visit or a route goes
through here, checked and in one transaction.

- `add_visit`: a case's job at the customer's place, with the window agreed with the customer;
- `plan_routes`: the day's routes for a workshop's technicians on shift (their shift from the
  staff record or the site's hours, the site's working calendar, leave and 调休 days, as
  `fuwu.scheduling.capacity` reads them), by skill and time window, from the workshop's field
  base and back, solved by PyVRP (`fuwu.scheduling.vrptw`, whose doc says how travel, lunch and
  skills are modelled). It replaces the day's routes, a dispatcher's changes included; visits
  it cannot place stay open with the reason;
- `set_visit_status`: done, or cancelled (it leaves its route, which is timed again);
- `move_visit`: a dispatcher moves a visit to another technician or place in the order; both
  routes are timed again and the change is REFUSED (with the visit, time and window in the
  message) when a window or the shift's end would be missed, so a saved route is always one the
  technician can drive.

Who: dispatchers, service advisors and managers of the workshop's site (`may_dispatch`); people
of other sites do not see the workshop at all (`fuwu.scheduling.booking.visible_workshops`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from fuwu.core.actors import Actor
from fuwu.core.models import Skill, Staff
from fuwu.customers.models import Customer
from fuwu.procedures.engine.errors import Conflict, Forbidden, NotFound, Unprocessable
from fuwu.scheduling import vrptw
from fuwu.scheduling.capacity import day_capacity, technicians
from fuwu.scheduling.models import (
    FieldBase,
    Route,
    RouteStatus,
    RouteStop,
    Technician,
    Visit,
    VisitStatus,
    Workshop,
)
from fuwu.sla.clocks import site_calendar

DISPATCH_ROLES = frozenset({"dispatcher", "service_advisor", "manager", "vp", "admin"})
LIVE = (VisitStatus.OPEN, VisitStatus.PLANNED)

REASONS: dict[str, Promise] = {
    vrptw.NO_TECHNICIAN: _("当天没有技术员上班"),
    vrptw.NO_SKILL: _("当天上班的技术员都没有所需技能"),
    vrptw.UNREACHABLE: _("在班次内无法按约定时间赶到"),
    vrptw.NO_ROOM: _("当天的路线已排满"),
}


def may_dispatch(actor: Actor, workshop: Workshop) -> bool:
    return actor.superuser or (
        workshop.department.site_id in actor.site_ids and bool(actor.roles & DISPATCH_ROLES)
    )


def _zone(workshop: Workshop) -> ZoneInfo:
    return ZoneInfo(workshop.site.timezone)


def _seconds(moment: datetime, day: date, zone: ZoneInfo) -> int:
    return int((moment - datetime.combine(day, time.min, zone)).total_seconds())


def _moment(seconds: int, day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time.min, zone) + timedelta(seconds=seconds)


def _clock(seconds: int) -> str:
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}"


def _base(workshop: Workshop) -> FieldBase:
    base = FieldBase.objects.filter(workshop=workshop).first()
    if base is None:
        raise Unprocessable("no_field_base")
    return base


def add_visit(
    actor: Actor,
    workshop: Workshop,
    *,
    address: str,
    lat: Decimal,
    lon: Decimal,
    day: date,
    window_start: time,
    window_end: time,
    service_minutes: int,
    skill: Skill | None = None,
    customer: Customer | None = None,
    case_id: int | None = None,
    note: str = "",
) -> Visit:
    """A visit to plan: refused, writing nothing, for a closed day, a window outside the site's
    hours or inverted, a customer of another site or bad coordinates."""
    if not may_dispatch(actor, workshop):
        raise Forbidden("may_not_dispatch")
    site = workshop.site
    if customer is not None and customer.site_id != site.pk:
        raise Forbidden("may_not_dispatch")
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise Unprocessable("bad_place")
    if not site_calendar(site).is_working_day(day):
        raise Unprocessable("closed_day", day=day.isoformat())
    if not (site.work_start <= window_start <= window_end <= site.work_end):
        raise Unprocessable(
            "bad_window", opens=f"{site.work_start:%H:%M}", closes=f"{site.work_end:%H:%M}"
        )
    return Visit.objects.create(
        workshop=workshop,
        case_id=case_id,
        customer=customer,
        address=address.strip(),
        lat=lat,
        lon=lon,
        day=day,
        window_start=window_start,
        window_end=window_end,
        service_minutes=service_minutes,
        skill=skill,
        note=note,
    )


@dataclass(frozen=True)
class Crew:
    """The day's technicians on shift, as the solver sees them, and their rows."""

    workers: dict[int, vrptw.Worker]  # technician id → worker
    technicians: dict[int, Technician]


def _crew(workshop: Workshop, day: date) -> Crew:
    zone = _zone(workshop)
    cap = day_capacity(workshop, day)
    rows = {t.pk: t for t in technicians(workshop)}
    skills: dict[int, set[str]] = {}
    for staff_id, code in Staff.skills.through.objects.filter(
        staff_id__in=[t.staff_id for t in rows.values()]
    ).values_list("staff_id", "skill__code"):
        skills.setdefault(staff_id, set()).add(code)
    workers = {}
    for t in cap.technicians:
        if not t.periods:
            continue  # absent, or the workshop is closed
        tech = rows[t.technician_id]
        lunch = None
        if len(t.periods) == 2:
            lunch = (_seconds(t.periods[0][1], day, zone), _seconds(t.periods[1][0], day, zone))
        workers[tech.pk] = vrptw.Worker(
            key=tech.pk,
            start=_seconds(t.periods[0][0], day, zone),
            end=_seconds(t.periods[-1][1], day, zone),
            skills=frozenset(skills.get(tech.staff_id, ())),
            lunch=lunch,
        )
    return Crew(workers, rows)


def _job(visit: Visit, base: FieldBase) -> vrptw.Job:
    def sec(t: time) -> int:
        return t.hour * 3600 + t.minute * 60 + t.second

    return vrptw.Job(
        key=visit.pk,
        place=vrptw.Place(float(visit.lat), float(visit.lon)),
        early=sec(visit.window_start),
        late=sec(visit.window_end),
        service=visit.service_minutes * 60,
        skill=visit.skill.code if visit.skill else "",
    )


def _problem(base: FieldBase, jobs: Sequence[vrptw.Job], crew: Crew) -> vrptw.DayProblem:
    return vrptw.DayProblem(
        base=vrptw.Place(float(base.lat), float(base.lon)),
        jobs=tuple(jobs),
        workers=tuple(crew.workers[k] for k in sorted(crew.workers)),
        speed_kmh=float(base.speed_kmh),
    )


def _live_visits(workshop: Workshop, day: date) -> list[Visit]:
    return list(
        Visit.objects.filter(workshop=workshop, day=day, status__in=LIVE)
        .select_related("skill")
        .order_by("pk")
    )


def _write_route(
    route: Route,
    line: vrptw.Timeline,
    day: date,
    zone: ZoneInfo,
) -> None:
    """Save a route's times and replace its stops by the timeline's."""
    route.distance_m = line.distance
    route.travel_minutes = round(line.travel / 60)
    route.leaves_at = _moment(line.stops[0].arrive - line.stops[0].travel, day, zone)
    route.back_at = _moment(line.back, day, zone)
    route.lunch_at = _moment(line.lunch[0], day, zone) if line.lunch else None
    route.save()
    route.stops.all().delete()
    RouteStop.objects.bulk_create(
        [
            RouteStop(
                route=route,
                visit_id=stop.job,
                position=n,
                travel_minutes=round(stop.travel / 60),
                distance_m=stop.distance,
                arrives_at=_moment(stop.arrive, day, zone),
                starts_at=_moment(stop.start, day, zone),
                ends_at=_moment(stop.end, day, zone),
            )
            for n, stop in enumerate(line.stops, start=1)
        ]
    )


@dataclass(frozen=True)
class PlanOutcome:
    routes: int
    planned: int
    unplanned: dict[int, str]  # visit id → reason code
    iterations: int
    seconds: float


def plan_routes(
    actor: Actor,
    workshop: Workshop,
    day: date,
    *,
    iterations: int = 3000,
    now: datetime | None = None,
) -> PlanOutcome:
    """Plan the day's routes afresh from the day's open and planned visits. The solver runs
    outside the transaction (it may take seconds); the write then checks, with the visits
    locked, that they are still the ones planned, else `routes_changed` and nothing is written."""
    if not may_dispatch(actor, workshop):
        raise Forbidden("may_not_dispatch")
    now = now or timezone.now()
    base = _base(workshop)
    zone = _zone(workshop)
    visits = _live_visits(workshop, day)
    crew = _crew(workshop, day)
    plan = vrptw.plan_day(
        _problem(base, [_job(v, base) for v in visits], crew), iterations=iterations
    )
    with transaction.atomic():
        locked = list(
            Visit.objects.select_for_update()
            .filter(workshop=workshop, day=day, status__in=LIVE)
            .order_by("pk")
            .values_list("pk", "window_start", "window_end", "service_minutes", "skill_id")
        )
        seen = [(v.pk, v.window_start, v.window_end, v.service_minutes, v.skill_id) for v in visits]
        if locked != seen:
            raise Conflict("routes_changed")
        Route.objects.filter(workshop=workshop, day=day).delete()
        planned = 0
        for line in plan.routes:
            if not line.stops:
                continue
            route = Route(
                workshop=workshop,
                technician=crew.technicians[line.worker],
                day=day,
                status=RouteStatus.PLANNED,
                solver_iterations=plan.iterations,
                planned_at=now,
                planned_by=actor.user,
            )
            _write_route(route, line, day, zone)
            planned += len(line.stops)
        done = {s.job for line in plan.routes for s in line.stops}
        Visit.objects.filter(pk__in=done).update(status=VisitStatus.PLANNED, unplanned_reason="")
        for reason in set(plan.unplanned.values()):
            Visit.objects.filter(
                pk__in=[k for k, r in plan.unplanned.items() if r == reason]
            ).update(status=VisitStatus.OPEN, unplanned_reason=reason)
    return PlanOutcome(
        routes=sum(1 for line in plan.routes if line.stops),
        planned=planned,
        unplanned=dict(plan.unplanned),
        iterations=plan.iterations,
        seconds=plan.seconds,
    )


def _order(route: Route | None) -> list[int]:
    if route is None:
        return []
    return list(route.stops.order_by("position").values_list("visit_id", flat=True))


def move_visit(
    actor: Actor,
    visit_id: int,
    *,
    technician_id: int,
    position: int | None = None,
    now: datetime | None = None,
) -> Route:
    """Put a visit on `technician_id`'s route at `position` (1 = first; None or past the end =
    last), taking it off the route it was on. Both routes are timed again; the move is refused
    and nothing changes when the technician is not on shift, lacks the visit's skill, or a
    window or the shift's end would be missed."""
    now = now or timezone.now()
    with transaction.atomic():
        visit = (
            Visit.objects.select_for_update(of=("self",))
            .select_related("workshop__department__site", "skill")
            .filter(pk=visit_id)
            .first()
        )
        if visit is None:
            raise NotFound("not_found", what="visit")
        workshop = visit.workshop
        if not may_dispatch(actor, workshop):
            raise Forbidden("may_not_dispatch")
        if visit.status not in LIVE:
            raise Conflict("visit_not_movable", status=visit.get_status_display())
        base = _base(workshop)
        zone = _zone(workshop)
        day = visit.day
        crew = _crew(workshop, day)
        tech = crew.technicians.get(technician_id)
        if tech is None:
            raise NotFound("not_found", what="technician")
        name = tech.staff.display_name
        worker = crew.workers.get(technician_id)
        if worker is None:
            raise Conflict("not_on_shift", technician=name)
        if visit.skill and visit.skill.code not in worker.skills:
            raise Conflict("lacks_skill", technician=name, skill=str(visit.skill.name))
        # Lock both routes' rows so two dispatchers moving visits at once go one after another.
        routes = {
            r.technician_id: r
            for r in Route.objects.select_for_update().filter(workshop=workshop, day=day)
        }
        source = next((r for r in routes.values() if visit.pk in _order(r)), None)
        target = routes.get(technician_id)
        order = [v for v in _order(target) if v != visit.pk]
        at = len(order) if position is None else max(0, min(position - 1, len(order)))
        order.insert(at, visit.pk)
        rows = {v.pk: v for v in Visit.objects.filter(pk__in=order).select_related("skill")}
        problem = _problem(base, [], crew)
        jobs = [_job(rows[k], base) for k in order]
        line = vrptw.timeline(problem, worker, jobs)
        if line.late:
            stop = next(s for s in line.stops if s.job == line.late[0])
            late_visit = rows[line.late[0]]
            raise Conflict(
                "visit_would_be_late",
                address=late_visit.address,
                start=_clock(stop.start),
                late=f"{late_visit.window_end:%H:%M}",
            )
        if line.over_shift:
            raise Conflict(
                "route_over_shift", technician=name, back=_clock(line.back), end=_clock(worker.end)
            )
        if source is not None and source.pk != getattr(target, "pk", None):
            rest = [v for v in _order(source) if v != visit.pk]
            source.stops.filter(visit=visit).delete()
            if rest:
                others = {
                    v.pk: v for v in Visit.objects.filter(pk__in=rest).select_related("skill")
                }
                left = vrptw.timeline(
                    problem,
                    crew.workers.get(source.technician_id)
                    or vrptw.Worker(source.technician_id, 0, 86400),
                    [_job(others[k], base) for k in rest],
                )
                source.status, source.edited_by, source.edited_at = (
                    RouteStatus.EDITED,
                    actor.user,
                    now,
                )
                _write_route(source, left, day, zone)
            else:
                source.delete()
        if target is None:
            target = Route(workshop=workshop, technician=tech, day=day, planned_by=actor.user)
        else:
            target.stops.filter(visit=visit).delete()
        target.status, target.edited_by, target.edited_at = RouteStatus.EDITED, actor.user, now
        _write_route(target, line, day, zone)
        Visit.objects.filter(pk=visit.pk).update(status=VisitStatus.PLANNED, unplanned_reason="")
    return target


def set_visit_status(
    actor: Actor, visit_id: int, status: str, *, now: datetime | None = None
) -> Visit:
    """Done or cancelled. A cancelled visit leaves its route, whose times are worked out again
    (a route left empty is removed); a done one stays on it as it was driven."""
    if status not in (VisitStatus.DONE, VisitStatus.CANCELLED):
        raise Unprocessable("visit_not_movable", status=status)
    now = now or timezone.now()
    with transaction.atomic():
        visit = (
            Visit.objects.select_for_update(of=("self",))
            .select_related("workshop__department__site")
            .filter(pk=visit_id)
            .first()
        )
        if visit is None:
            raise NotFound("not_found", what="visit")
        workshop = visit.workshop
        if not may_dispatch(actor, workshop):
            raise Forbidden("may_not_dispatch")
        if visit.status not in LIVE:
            raise Conflict("visit_not_movable", status=visit.get_status_display())
        stop = RouteStop.objects.filter(visit=visit).select_related("route").first()
        if status == VisitStatus.CANCELLED and stop is not None:
            route = Route.objects.select_for_update().get(pk=stop.route_id)
            rest = [v for v in _order(route) if v != visit.pk]
            stop.delete()
            if rest:
                base = _base(workshop)
                crew = _crew(workshop, visit.day)
                others = {
                    v.pk: v for v in Visit.objects.filter(pk__in=rest).select_related("skill")
                }
                line = vrptw.timeline(
                    _problem(base, [], crew),
                    crew.workers.get(route.technician_id)
                    or vrptw.Worker(route.technician_id, 0, 86400),
                    [_job(others[k], base) for k in rest],
                )
                route.status, route.edited_by, route.edited_at = RouteStatus.EDITED, actor.user, now
                _write_route(route, line, visit.day, _zone(workshop))
            else:
                route.delete()
        visit.status = status
        visit.unplanned_reason = ""
        visit.save(update_fields=["status", "unplanned_reason"])
    return visit


@dataclass(frozen=True)
class DayRoutes:
    day: date
    base: FieldBase | None
    routes: list[Route]  # stops and visits prefetched, by technician
    unplanned: list[Visit]  # open visits, with the reason the last plan gave


def day_routes(workshop: Workshop, day: date) -> DayRoutes:
    routes = list(
        Route.objects.filter(workshop=workshop, day=day)
        .select_related("technician__staff", "edited_by__staff")
        .prefetch_related("stops__visit__skill", "stops__visit__customer")
        .order_by("technician__staff__display_name", "pk")
    )
    unplanned = list(
        Visit.objects.filter(workshop=workshop, day=day, status=VisitStatus.OPEN)
        .select_related("skill", "customer")
        .order_by("window_start", "pk")
    )
    return DayRoutes(day, FieldBase.objects.filter(workshop=workshop).first(), routes, unplanned)


def reason_text(code: str) -> str:
    return str(REASONS.get(code, code))
