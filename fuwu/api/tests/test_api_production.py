"""Production through HTTP: jobs on a repair order, suggestions and dispatch, clocking on and
off (one job at a time, the skill a job needs) with errors in both languages, new promised
times, carry-overs, the board's data for a day, and who may see and do what."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import get_user_model

from fuwu.core.tokens import issue_token
from fuwu.scheduling.models import JobClock, RepairJob
from fuwu.scheduling.tests.crew import seed_workshop
from fuwu.scheduling.tests.shop import crew, engine_skill, repair_order
from fuwu.sla.clocks import site_calendar

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")


def next_working_day(site, after: date) -> date:
    day = after + timedelta(days=1)
    while not site_calendar(site).is_working_day(day):
        day += timedelta(days=1)
    return day


def at(day: date, hh: int, mm: int = 0) -> str:
    return datetime.combine(day, time(hh, mm), SH).isoformat()


@pytest.fixture
def shop(world):
    workshop = seed_workshop(world, technicians=3)
    day = next_working_day(workshop.site, datetime.now(SH).date())
    return workshop, day


def as_user(api, username: str, language: str = "zh-hans"):
    """A client for a crew member (crew.py's technicians are no personas of the world)."""
    client = api(None, language)
    user = get_user_model().objects.get(username=username)
    client.headers["HTTP_AUTHORIZATION"] = f"Bearer {issue_token(user, name='test')[1]}"
    return client


def test_jobs_dispatch_and_clocking_through_http(api, shop, world):
    workshop, day = shop
    techs = crew(workshop)
    engine_skill(techs, {0: 2})
    case = repair_order(world)
    advisor, dispatcher = api("advisor"), api("workshop_qc")
    made = advisor.post(
        f"/api/repair-orders/{case.pk}/jobs",
        {
            "name": "发动机检修",
            "hours": "2.3",
            "skill": "engine",
            "level": 2,
            "promised_at": at(day, 13, 30),
        },
    )
    assert made.status_code == 201, made.json()
    job = made.json()
    assert (job["standard_hours"], job["skill"], job["status"]) == ("2.30", "engine", "planned")
    second = advisor.post(
        f"/api/repair-orders/{case.pk}/jobs", {"name": "洗车", "hours": "0.5"}
    ).json()

    ranked = dispatcher.get(f"/api/repair-jobs/{job['id']}/suggestions", at=at(day, 9)).json()
    assert [s["name"] for s in ranked] == ["技师00"]  # only one has the engine skill
    refused = api("workshop_qc", "en").post(
        f"/api/repair-jobs/{job['id']}/dispatch",
        {"technician": techs[1].pk, "start": at(day, 9)},
    )
    assert refused.status_code == 422 and refused.json()["code"] == "technician_lacks_skill"
    assert "does not have the skill this job needs" in refused.json()["message"]
    assert (
        advisor.post(
            f"/api/repair-jobs/{job['id']}/dispatch",
            {"technician": techs[0].pk, "start": at(day, 9)},
        ).status_code
        == 403
    )
    planned = dispatcher.post(
        f"/api/repair-jobs/{job['id']}/dispatch", {"technician": techs[0].pk, "start": at(day, 9)}
    )
    assert planned.status_code == 200 and planned.json()["technician"] == techs[0].pk

    me, me_en = as_user(api, "tech00"), as_user(api, "tech00", "en")
    on = me.post(f"/api/repair-jobs/{job['id']}/clock-on", {})
    assert on.status_code == 200, on.json()
    two = me_en.post(f"/api/repair-jobs/{second['id']}/clock-on", {})
    assert two.status_code == 409 and two.json()["code"] == "one_job_at_a_time"
    assert "already clocked on to '发动机检修'" in two.json()["message"]
    zh = me.post(f"/api/repair-jobs/{second['id']}/clock-on", {}).json()["message"]
    assert "同一时间只能做一项作业" in zh
    other = as_user(api, "tech01")
    assert (
        other.post(f"/api/repair-jobs/{job['id']}/clock-off", {"done": True}).json()["code"]
        == "not_your_job"
    )
    no_reason = me.post(f"/api/repair-jobs/{job['id']}/clock-off", {"done": False})
    assert no_reason.status_code == 422 and no_reason.json()["code"] == "stop_needs_reason"
    bad_reason = me.post(f"/api/repair-jobs/{job['id']}/clock-off", {"reason": "lunch?"})
    assert bad_reason.status_code == 422 and "reason" in str(bad_reason.json())
    stopped = me.post(
        f"/api/repair-jobs/{job['id']}/clock-off",
        {"reason": "waiting_parts", "note": "等机油滤清器"},
    )
    assert stopped.status_code == 200 and stopped.json()["reason"] == "waiting_parts"
    assert me.post(f"/api/repair-jobs/{second['id']}/clock-on", {}).status_code == 200
    assert JobClock.objects.filter(ended_at__isnull=True).count() == 1

    board = advisor.get(f"/api/workshops/{workshop.pk}/board", day=day.isoformat()).json()
    rows = {r["name"]: r for r in board["technicians"]}
    assert [j["name"] for j in rows["技师00"]["jobs"]] == ["发动机检修"]
    assert rows["技师00"]["next_job"] == job["id"]
    today = datetime.now(SH).date().isoformat()
    now = advisor.get(f"/api/workshops/{workshop.pk}/board", day=today).json()
    mine = next(r for r in now["technicians"] if r["name"] == "技师00")
    # Today: the job clocked on and stopped, and the one running.
    assert {j["name"]: j["status"] for j in mine["jobs"]} == {
        "洗车": "running",
        "发动机检修": "stopped",
    }
    assert mine["running"] == second["id"]
    assert board["available"] == "24.00" and board["carried"] == "0.00"
    bar = rows["技师00"]["jobs"][0]
    assert bar["status"] == "stopped" and bar["promised_at"]


def test_promise_and_carry_over_through_http(api, shop, world):
    workshop, day = shop
    case = repair_order(world)
    advisor = api("advisor")
    advisor.post(
        f"/api/repair-orders/{case.pk}/jobs",
        {"name": "钣金", "hours": "4", "promised_at": at(day, 16)},
    )
    past = advisor.post(
        f"/api/repair-orders/{case.pk}/promise",
        {"promised_at": at(date(2020, 1, 6), 9), "reason": "x"},
    )
    assert past.status_code == 422 and past.json()["code"] == "promise_in_past"
    later = next_working_day(workshop.site, day)
    moved = advisor.post(
        f"/api/repair-orders/{case.pk}/promise",
        {"promised_at": at(later, 11), "reason": "等待零件"},
    )
    assert moved.status_code == 201, moved.json()
    assert moved.json()["changed_by"] == "advisor" and moved.json()["reason"] == "等待零件"
    assert RepairJob.objects.get().promised_at == datetime.fromisoformat(at(later, 11))
    carried = advisor.post(
        f"/api/repair-orders/{case.pk}/carry-over",
        {"reason": "等待零件", "from_date": day.isoformat()},
    )
    assert carried.status_code == 201, carried.json()
    assert (carried.json()["to_date"], carried.json()["hours"]) == (later.isoformat(), "4.00")
    again = advisor.post(
        f"/api/repair-orders/{case.pk}/carry-over",
        {"reason": "等待零件", "from_date": day.isoformat()},
    )
    assert again.status_code == 409 and again.json()["code"] == "already_carried"
    nxt = advisor.get(f"/api/workshops/{workshop.pk}/board", day=later.isoformat()).json()
    assert (nxt["reserve"], nxt["carried"], nxt["reserve_left"]) == ("4.80", "4.00", "0.80")
    assert [c["case"] for c in nxt["carry_overs"]] == [case.pk]


def test_other_sites_staff_see_nothing(api, shop, world):
    workshop, day = shop
    case = repair_order(world)
    job = (
        api("advisor")
        .post(f"/api/repair-orders/{case.pk}/jobs", {"name": "保养", "hours": "1"})
        .json()
    )
    agent = api("agent")  # the residential site's
    assert agent.get(f"/api/workshops/{workshop.pk}/board", day=day.isoformat()).status_code == 404
    assert agent.get(f"/api/repair-jobs/{job['id']}").status_code == 404
    assert agent.post(f"/api/repair-jobs/{job['id']}/clock-on", {}).status_code == 404
    assert (
        agent.post(f"/api/repair-orders/{case.pk}/jobs", {"name": "x", "hours": "1"}).status_code
        == 404
    )
    # Staff of the site who are no technicians of the workshop cannot clock on.
    refused = api("advisor").post(f"/api/repair-jobs/{job['id']}/clock-on", {})
    assert refused.status_code == 403 and refused.json()["code"] == "not_a_technician_to_clock"


def test_the_openapi_document_lists_the_production_endpoints(api):
    doc = api("advisor").get("/api/openapi.json").json()
    paths = doc["paths"]
    for path in (
        "/api/workshops/{workshop_id}/board",
        "/api/repair-orders/{case_id}/jobs",
        "/api/repair-jobs/{job_id}/suggestions",
        "/api/repair-jobs/{job_id}/dispatch",
        "/api/repair-jobs/{job_id}/clock-on",
        "/api/repair-jobs/{job_id}/clock-off",
        "/api/repair-orders/{case_id}/promise",
        "/api/repair-orders/{case_id}/carry-over",
    ):
        assert path in paths, path
