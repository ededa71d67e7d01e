"""Planning a field team's day (plan_routes) and a dispatcher's changes (move_visit), on the
dealer's real working calendar: windows, skills, shifts, lunch, leave, and refusals."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from fuwu.procedures.engine.errors import Conflict, Forbidden, Unprocessable
from fuwu.scheduling import routes, vrptw
from fuwu.scheduling.models import Absence, Route, RouteStatus, RouteStop, Visit, VisitStatus
from fuwu.scheduling.tests.fieldcrew import TUESDAY, seed_field, visit

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")


def local(moment: datetime) -> time:
    return moment.astimezone(SH).time()


def test_a_day_is_planned_within_windows_skills_and_shifts(world):
    workshop, techs, electrical = seed_field(world)
    visits = [
        visit(world, workshop, 2, "09:00", "09:30"),
        visit(world, workshop, 4, "09:00", "11:00", minutes=60),
        visit(world, workshop, -3, "10:00", "10:30", skill=electrical),
        visit(world, workshop, -5, "14:00", "15:00", skill=electrical),
        visit(world, workshop, 6, "13:00", "16:00", minutes=90),
        visit(world, workshop, 1, "16:00", "16:30"),
    ]
    outcome = routes.plan_routes(world.actor("vp"), workshop, TUESDAY)
    assert outcome.unplanned == {} and outcome.planned == 6
    stops = list(RouteStop.objects.select_related("visit", "route"))
    assert len(stops) == 6
    for stop in stops:
        v = stop.visit
        assert v.window_start <= local(stop.starts_at) <= v.window_end
        assert stop.ends_at - stop.starts_at == timedelta(minutes=v.service_minutes)
        assert stop.arrives_at <= stop.starts_at
        if v.skill:  # only the electrician takes the electrical jobs
            assert stop.route.technician_id == techs[0].pk
    for route in Route.objects.all():
        assert local(route.leaves_at) >= time(8, 30) and local(route.back_at) <= time(17, 30)
        assert route.status == RouteStatus.PLANNED and route.distance_m > 0
        if route.lunch_at:  # the hour's break overlaps no visit
            lunch = (route.lunch_at, route.lunch_at + timedelta(hours=1))
            assert all(s.ends_at <= lunch[0] or s.starts_at >= lunch[1] for s in route.stops.all())
    assert set(Visit.objects.values_list("status", flat=True)) == {VisitStatus.PLANNED}
    # 2 km = 4 minutes at 30 km/h: the first visit's travel time, whoever takes it
    first = RouteStop.objects.get(visit=visits[0])
    assert first.travel_minutes == 4 or first.position > 1


def test_visits_that_cannot_be_done_are_reported_with_the_reason(world):
    workshop, _techs, _electrical = seed_field(world, technicians=2)
    from fuwu.core.models import Skill

    gas = Skill.objects.create(code="gas", name="燃气")
    ok = visit(world, workshop, 1, "09:00", "10:00")
    no_skill = visit(world, workshop, 1, "10:00", "11:00", skill=gas)
    far = visit(world, workshop, 200, "08:30", "09:00")  # 400 minutes' drive away
    outcome = routes.plan_routes(world.actor("vp"), workshop, TUESDAY)
    assert outcome.unplanned == {no_skill.pk: vrptw.NO_SKILL, far.pk: vrptw.UNREACHABLE}
    assert Visit.objects.get(pk=ok.pk).status == VisitStatus.PLANNED
    left = Visit.objects.get(pk=far.pk)
    assert left.status == VisitStatus.OPEN and left.unplanned_reason == "unreachable"
    assert routes.reason_text("no_skill") == "当天上班的技术员都没有所需技能"


def test_a_full_day_leaves_the_rest_open_and_leave_takes_a_technician_off(world):
    workshop, techs, _electrical = seed_field(world, technicians=2)
    Absence.objects.create(technician=techs[1], date=TUESDAY, kind="leave")
    # One technician, 8 working hours: three visits of 3 hours cannot all fit.
    made = [visit(world, workshop, n, "08:30", "16:00", minutes=180) for n in (1, 2, 3)]
    outcome = routes.plan_routes(world.actor("vp"), workshop, TUESDAY)
    assert outcome.planned == 2 and list(outcome.unplanned.values()) == [vrptw.NO_ROOM]
    assert set(Route.objects.values_list("technician_id", flat=True)) == {techs[0].pk}
    # The electrical visit needs techs[0]; with them on leave too nobody is on shift.
    Absence.objects.create(technician=techs[0], date=TUESDAY, kind="day_off")
    outcome = routes.plan_routes(world.actor("vp"), workshop, TUESDAY)
    assert outcome.unplanned == {v.pk: vrptw.NO_TECHNICIAN for v in made}
    assert not Route.objects.exists()


def test_a_dispatcher_moves_a_visit_and_is_refused_when_it_would_break_a_window(world):
    workshop, techs, electrical = seed_field(world)
    a = visit(world, workshop, 2, "09:00", "09:30")
    b = visit(world, workshop, 3, "10:00", "12:00")
    c = visit(world, workshop, -4, "09:00", "09:20", skill=electrical)
    routes.plan_routes(world.actor("vp"), workshop, TUESDAY)
    dispatcher = world.actor("workshop_qc")  # the dealer workshop's dispatcher
    # Move b to whoever does not have it, first in the order.
    holder = RouteStop.objects.get(visit=b).route.technician_id
    other = next(t for t in techs[1:] if t.pk != holder)
    route = routes.move_visit(dispatcher, b.pk, technician_id=other.pk, position=1)
    assert (
        route.status == RouteStatus.EDITED and route.edited_by_id == world.users["workshop_qc"].pk
    )
    assert RouteStop.objects.get(visit=b).route.technician_id == other.pk
    # b 10:00–10:30 then a, whose window closed at 09:30: refused, nothing changes.
    before = list(RouteStop.objects.order_by("pk").values_list("visit", "route", "starts_at"))
    with pytest.raises(Conflict) as refused:
        routes.move_visit(dispatcher, a.pk, technician_id=other.pk, position=2)
    assert refused.value.code == "visit_would_be_late"
    assert "09:30" in refused.value.message("zh-hans")
    assert (
        list(RouteStop.objects.order_by("pk").values_list("visit", "route", "starts_at")) == before
    )
    # The electrical visit cannot go to a technician without the skill.
    with pytest.raises(Conflict) as refused:
        routes.move_visit(dispatcher, c.pk, technician_id=other.pk)
    assert refused.value.code == "lacks_skill"
    # Nor to one on leave.
    Absence.objects.create(technician=techs[2], date=TUESDAY, kind="leave")
    with pytest.raises(Conflict) as refused:
        routes.move_visit(dispatcher, b.pk, technician_id=techs[2].pk)
    assert refused.value.code == "not_on_shift"
    # A technician (no dispatching role) may not move visits.
    with pytest.raises(Forbidden):
        routes.move_visit(world.actor("workshop_tech"), b.pk, technician_id=techs[0].pk)


def test_moving_past_the_shift_end_is_refused(world):
    workshop, _techs, _electrical = seed_field(world, technicians=2)
    long = visit(world, workshop, 1, "08:30", "13:00", minutes=240)
    late = visit(world, workshop, 1, "13:00", "17:00", minutes=240)
    routes.plan_routes(world.actor("vp"), workshop, TUESDAY)
    holder = {s.visit_id: s.route.technician_id for s in RouteStop.objects.select_related("route")}
    # 4 h, the hour's lunch and 4 h from 08:30 do not fit one shift: two routes.
    assert holder[long.pk] != holder[late.pk]
    with pytest.raises(Conflict) as refused:
        routes.move_visit(world.actor("vp"), late.pk, technician_id=holder[long.pk])
    assert refused.value.code == "route_over_shift"
    assert "17:30" in refused.value.message("en")


def test_bad_visits_are_refused(world):
    workshop, _techs, _electrical = seed_field(world, technicians=1)
    with pytest.raises(Unprocessable) as bad:
        visit(world, workshop, 1, "10:00", "09:00")
    assert bad.value.code == "bad_window"
    with pytest.raises(Unprocessable) as bad:
        visit(world, workshop, 1, "09:00", "10:00", day=TUESDAY + timedelta(days=4))  # Saturday
    assert bad.value.code == "closed_day"
    with pytest.raises(Forbidden):
        routes.add_visit(
            world.actor("workshop_tech"),
            workshop,
            address="x",
            lat=0,
            lon=0,
            day=TUESDAY,
            window_start=time(9),
            window_end=time(10),
            service_minutes=30,
        )
    assert not Visit.objects.exists()


def test_no_field_base_is_a_clear_error(world):
    workshop, _techs, _electrical = seed_field(world, technicians=1)
    workshop.field_base.delete()
    with pytest.raises(Unprocessable) as err:
        routes.plan_routes(world.actor("vp"), workshop, TUESDAY)
    assert err.value.code == "no_field_base"


def test_reordering_a_route_and_assigning_a_left_out_visit(world):
    workshop, techs, _electrical = seed_field(world, technicians=1)
    first = visit(world, workshop, 1, "09:00", "12:00")
    second = visit(world, workshop, 2, "09:00", "12:00")
    routes.plan_routes(world.actor("vp"), workshop, TUESDAY)
    order = list(RouteStop.objects.order_by("position").values_list("visit", flat=True))
    last = order[-1]
    route = routes.move_visit(world.actor("vp"), last, technician_id=techs[0].pk, position=1)
    assert list(route.stops.order_by("position").values_list("visit", flat=True)) == [
        last,
        order[0],
    ]
    assert {first.pk, second.pk} == set(order)
    # A visit added after planning is open; the dispatcher puts it last on the route.
    late = visit(world, workshop, 1, "15:00", "16:00")
    assert Visit.objects.get(pk=late.pk).status == VisitStatus.OPEN
    route = routes.move_visit(world.actor("vp"), late.pk, technician_id=techs[0].pk)
    stops = list(route.stops.order_by("position"))
    assert [s.visit_id for s in stops][-1] == late.pk and len(stops) == 3
    assert local(stops[-1].starts_at) == time(15, 0)
    assert Visit.objects.get(pk=late.pk).status == VisitStatus.PLANNED


def test_visits_changed_while_planning_write_nothing(world, monkeypatch):
    workshop, _techs, _electrical = seed_field(world, technicians=1)
    visit(world, workshop, 1, "09:00", "12:00")
    solve = vrptw.plan_day

    def meanwhile(*args, **kwargs):
        plan = solve(*args, **kwargs)
        visit(world, workshop, 2, "09:00", "12:00")  # another dispatcher adds one meanwhile
        return plan

    monkeypatch.setattr(vrptw, "plan_day", meanwhile)
    with pytest.raises(Conflict) as changed:
        routes.plan_routes(world.actor("vp"), workshop, TUESDAY)
    assert changed.value.code == "routes_changed"
    assert not Route.objects.exists()
    assert set(Visit.objects.values_list("status", flat=True)) == {VisitStatus.OPEN}
