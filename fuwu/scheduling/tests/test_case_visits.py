"""A case books an on-site visit (`book_visit`) in its transition: the property repair's booked
repair (预约维修) puts the job at the owner's unit on the engineering field team's list, the day's
routes then give it a technician and an arrival time, and the repair's end marks it done. A
site whose department has no workshop or no field base goes on without a visit and says so; a
unit without coordinates or a closed day refuses the move, and nothing is written.

Runs on PostgreSQL too: DATABASE_URL=postgres://postgres@127.0.0.1:5432/fuwu_visits pytest …
"""

from __future__ import annotations

from datetime import datetime, time

import pytest

from fuwu.cases.models import Case, Event
from fuwu.core.choices import CalendarKind
from fuwu.core.models import Skill
from fuwu.procedures.engine.definition import BookVisit
from fuwu.scheduling import routes
from fuwu.scheduling.case_visits import visit_request
from fuwu.scheduling.models import FieldBase, Route, RouteStop, Visit, Workshop
from fuwu.scheduling.tests.fieldcases import (
    BASE,
    SH,
    SUNDAY,
    TUESDAY,
    UNIT,
    booked,
    engineering,
    monday,
    open_repair,
    place,
)
from fuwu.sla.clocks import forget_calendars
from fuwu.testing.scenario import refused, take

pytestmark = pytest.mark.django_db
__all__ = ["monday"]  # a fixture


def visit_events(case: dict) -> list[dict]:
    return [
        e.data for e in Event.objects.filter(case_id=case["id"], kind="field_visit").order_by("seq")
    ]


def test_a_booked_repair_books_a_visit_that_the_days_routes_then_plan(world, api, monday):
    workshop = engineering(world)
    place(world.assets["unit"])
    agent, dispatcher, tech = api("agent"), api("dispatcher"), api("technician")
    case = open_repair(world, agent)
    case = take(dispatcher, case, "book", booked())
    assert case["step"]["key"] == "booked"

    visit = Visit.objects.get(case_id=case["id"])
    assert visit.workshop == workshop and visit.customer == world.customers["owner"]
    assert (visit.address, visit.lat, visit.lon) == ("3栋2单元1502", UNIT[0], UNIT[1])
    assert (visit.day, visit.window_start, visit.window_end) == (TUESDAY, time(9), time(11))
    assert (visit.service_minutes, visit.status, visit.skill) == (90, "open", None)
    assert visit_events(case) == [
        {"visit": visit.pk, "day": "2026-12-08", "window": ["09:00", "11:00"], "minutes": 90}
    ]

    # The dispatcher plans Tuesday: one technician drives 2 km (4 minutes) from 08:30 and
    # waits for the window; the visit starts at 09:00.
    outcome = routes.plan_routes(world.actor("dispatcher"), workshop, TUESDAY)
    assert (outcome.planned, outcome.unplanned) == (1, {})
    stop = RouteStop.objects.select_related("route__technician__staff").get(visit=visit)
    assert stop.travel_minutes == 4
    assert stop.starts_at == datetime(2026, 12, 8, 9, 0, tzinfo=SH)
    visit.refresh_from_db()
    assert visit.status == "planned"

    # The technician arrives and repairs: the visit is done and stays on the route as driven.
    case = take(tech, case, "arrive")
    case = take(
        tech,
        case,
        "complete",
        {"diagnosis": "地漏被头发堵塞", "solution": "疏通并更换地漏芯", "owner_agreed": True},
        {"fault_fixed": True, "site_clean": True},
    )
    visit.refresh_from_db()
    assert visit.status == "done" and RouteStop.objects.filter(visit=visit).exists()
    assert visit_events(case)[-1] == {"visit": visit.pk, "status": "done"}


def test_an_owner_not_in_cancels_the_visit_off_its_route_and_the_rebooking_books_anew(
    world, api, monday
):
    workshop = engineering(world)
    place(world.assets["unit"])
    dispatcher = api("dispatcher")
    case = take(dispatcher, open_repair(world, api("agent")), "book", booked())
    first = Visit.objects.get(case_id=case["id"])
    routes.plan_routes(world.actor("dispatcher"), workshop, TUESDAY)
    assert Route.objects.count() == 1

    case = take(dispatcher, case, "no_show")
    first.refresh_from_db()
    assert first.status == "cancelled"
    assert not RouteStop.objects.exists() and not Route.objects.exists()  # its route was its own

    # Rebooked for the afternoon, with no latest time: the visit starts at 14:00 sharp.
    case = take(dispatcher, case, "book", booked(hh=14, latest=None, minutes=45))
    second = Visit.objects.get(case_id=case["id"], status="open")
    assert (second.window_start, second.window_end, second.service_minutes) == (
        time(14),
        time(14),
        45,
    )
    assert Visit.objects.filter(case_id=case["id"]).count() == 2


def test_a_department_without_a_field_base_or_workshop_books_no_visit_and_says_so(
    world, api, monday
):
    place(world.assets["unit"])
    dispatcher = api("dispatcher")
    case = take(dispatcher, open_repair(world, api("agent")), "book", booked())
    assert case["step"]["key"] == "booked" and not Visit.objects.exists()
    assert visit_events(case) == [{"skipped": "no_workshop"}]

    engineering(world, base=False)
    case = take(dispatcher, open_repair(world, api("agent")), "book", booked())
    assert case["step"]["key"] == "booked" and not Visit.objects.exists()
    assert visit_events(case) == [{"skipped": "no_field_base"}]
    # Marking a visit the case never had changes nothing.
    case = take(dispatcher, case, "no_show")
    assert visit_events(case) == [{"skipped": "no_field_base"}]


def test_a_unit_without_coordinates_or_a_closed_day_refuses_the_move(world, api, monday):
    engineering(world)
    dispatcher = api("dispatcher")
    case = open_repair(world, api("agent"))
    before = Event.objects.filter(case_id=case["id"]).count()

    body = refused(dispatcher, case, "book", booked(), status=422, code="visit_needs_place")
    assert body["message"] == (
        "不能安排上门：服务对象“3栋2单元1502”没有登记位置坐标（属性 lat 纬度、lon 经度），"
        "请先在服务对象资料中补充"
    )
    english = api("dispatcher", "en")
    body = refused(english, case, "book", booked(), status=422, code="visit_needs_place")
    assert "the asset '3栋2单元1502' has no coordinates" in body["message"]
    assert not Visit.objects.exists()
    assert Case.objects.get(pk=case["id"]).step == "dispatch"
    assert Event.objects.filter(case_id=case["id"]).count() == before

    place(world.assets["unit"])
    body = refused(dispatcher, case, "book", booked(day=SUNDAY), status=422, code="closed_day")
    assert "2026-12-13" in body["message"]
    body = refused(  # the latest start before the agreed time
        dispatcher, case, "book", booked(hh=10, latest="t0900"), status=422, code="bad_window"
    )
    assert "08:30–17:30" in body["message"]
    assert not Visit.objects.exists()
    assert Event.objects.filter(case_id=case["id"]).count() == before


def test_a_product_repair_visits_the_customers_address_with_the_chosen_department(
    world, api, monday
):
    """Product repair (上门维修): the repair department chosen at dispatch is the field team,
    the address typed at intake is what the engineer reads; rescheduling cancels the visit."""
    site = world.sites["dealer"]
    site.calendar_kind = CalendarKind.WORKING
    site.work_start, site.work_end = time(8, 30), time(17, 30)
    site.save()
    forget_calendars()
    workshop = Workshop.objects.create(department=world.dept("dealer", "aftersales"))
    FieldBase.objects.create(workshop=workshop, lat=BASE[0], lon=BASE[1])
    place(world.assets["car"])
    cc, engineer = api("cc_agent"), api("engineer")
    r = cc.post(
        "/api/cases",
        {
            "procedure": "product_repair",
            "site": "dealer",
            "channel": "phone",
            "title": "家用充电桩无法充电",
            "customer_id": world.customers["driver"].pk,
            "asset_id": world.assets["car"].pk,
            "data": {
                "product": "7kW 家用交流充电桩 AC-7",
                "fault_description": "指示灯红灯常亮",
                "address": "深圳市南山区科技园 8 栋地下车库 B2-066",
            },
        },
    )
    assert r.status_code == 201, r.json()
    case = take(
        cc,
        r.json(),
        "register",
        {"fault_details": "红灯常亮", "coverage": "in_warranty", "onsite_needed": True},
    )
    case = take(
        cc,
        case,
        "dispatched",
        {
            "specialty": "electrical",
            "repair_department": "aftersales",
            "repair_engineer": "engineer",
        },
        {"engineer_contact_given": True},
    )
    at = datetime.combine(TUESDAY, time(13, 30), SH).isoformat()
    case = take(cc, case, "book_visit", {"visit_at": at, "visit_latest": "t1530"})
    visit = Visit.objects.get(case_id=case["id"])
    assert visit.workshop == workshop and visit.address.startswith("深圳市南山区科技园")
    assert (visit.window_start, visit.window_end, visit.service_minutes) == (
        time(13, 30),
        time(15, 30),
        60,  # the field's default
    )
    case = take(engineer, case, "reschedule", {"reschedule_reason": "客户临时出差"})
    visit.refresh_from_db()
    assert visit.status == "cancelled" and case["step"]["key"] == "agree_time"


def test_a_date_without_a_window_takes_the_working_day_and_the_skill_by_its_code(
    world, api, monday
):
    engineering(world)
    place(world.assets["unit"])
    plumbing = Skill.objects.create(code="plumbing", name="水暖")
    case = Case.objects.get(pk=open_repair(world, api("agent"))["id"])
    case.data = {**case.data, "visit_day": "2026-12-08"}
    spec = BookVisit(department="engineering", day_field="visit_day", minutes=30, skill="plumbing")
    values = visit_request(case, spec).arguments()
    assert (values["day"], values["window_start"], values["window_end"]) == (
        TUESDAY,
        time(8, 30),
        time(17, 30),
    )
    assert (values["skill"], values["service_minutes"], values["address"]) == (
        plumbing,
        30,
        "3栋2单元1502",
    )
    case.data = {**case.data, "visit_day": None}
    assert visit_request(case, spec).skipped == "no_time"
