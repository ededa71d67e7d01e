"""GET /api/reports/service-levels and its drill-down, through HTTP: figures, rights, bad filters."""

from __future__ import annotations

import pytest
import time_machine

from fuwu.reports import fold
from fuwu.reports.tests.dataset import NOW, build
from fuwu.sla.clocks import forget_calendars
from fuwu.testing.factories import World, build_world

DAY = {"from": "2026-11-30", "to": "2026-11-30"}


@pytest.fixture
def world(library: None) -> World:
    forget_calendars()
    return build_world(always_open=False)


@pytest.fixture
def folded(world):
    cases = build(world)
    fold.catch_up(now=NOW)
    with time_machine.travel(NOW, tick=False):
        yield cases


def test_the_figures_and_their_cases(world, api, folded):
    manager = api("sc_manager")
    r = manager.get("/api/reports/service-levels", site="lanting", **DAY)
    assert r.status_code == 200, r.json()
    body = r.json()
    assert (body["from"], body["to"], body["sites"]) == ("2026-11-30", "2026-11-30", ["lanting"])
    total = body["total"]
    assert total["counts"] == {
        "intake": 4,
        "responded_on_time": 1,
        "responded_late": 1,
        "resolved_on_time": 2,
        "resolved_late": 0,
        "resolved_no_limit": 0,
        "closed": 0,
        "reopened": 1,
        "comeback": 1,
        "escalated": 1,
    }
    assert total["overdue"] == 2  # C and D, response due 11:00 and 10:00
    assert total["response_on_time_percent"] == 50.0
    assert total["resolution_on_time_percent"] == 100.0
    steps = {(line["step"]): line for line in body["lines"]}
    assert set(steps) == {"reception", "repair", "return_visit"}
    assert steps["reception"]["label"] == "物业报修 · 接待受理"
    assert steps["repair"]["counts"]["resolved_on_time"] == 2
    assert body["escalations"] == [
        {
            "clock": "response",
            "percent": 100,
            "level": 1,
            "count": 1,
            "drill": body["escalations"][0]["drill"],
        }
    ]
    assert body["series"]["responded_late"] == [1]
    # Every number's drill-down lists exactly what it counted, one row per occurrence.
    for line in [total, *body["lines"]]:
        for measure, url in line["drill"].items():
            drilled = manager.client.get(url, **manager.headers).json()
            expected = line["overdue"] if measure == "overdue" else line["counts"][measure]
            assert drilled["count"] == expected == len(drilled["items"]), (measure, line["step"])
    late = manager.client.get(total["drill"]["overdue"], **manager.headers).json()
    assert {i["case_id"] for i in late["items"]} == {folded.c.pk, folded.d.pk}
    resolved = manager.client.get(total["drill"]["resolved_on_time"], **manager.headers).json()
    assert [i["case_id"] for i in resolved["items"]] == [folded.a.pk, folded.a.pk]
    # Each row says where it was counted: A now waits for its return visit at the service
    # centre, but both resolutions were the technician's, on the repair step, in engineering.
    assert {(i["step"], i["department"], i["person"]) for i in resolved["items"]} == {
        ("repair", "工程部", "technician")
    }
    rung = manager.client.get(body["escalations"][0]["drill"], **manager.headers).json()
    assert [i["case_id"] for i in rung["items"]] == [folded.b.pk]


def test_the_period_is_the_sites_days(api, folded):
    # D was opened at 07:30 in Shanghai, still Sunday in UTC: it counts on Monday.
    manager = api("sc_manager")
    sunday = manager.get(
        "/api/reports/service-levels", **{"from": "2026-11-29", "to": "2026-11-29"}
    )
    assert sunday.json()["total"]["counts"]["intake"] == 0
    monday = manager.get("/api/reports/service-levels", **DAY)
    assert monday.json()["total"]["counts"]["intake"] == 4


def test_filters_by_department_procedure_and_person(world, api, folded):
    manager = api("sc_manager")
    eng = world.dept("lanting", "engineering").pk
    body = manager.get("/api/reports/service-levels", department=eng, **DAY).json()
    assert body["total"]["counts"]["resolved_on_time"] == 2
    assert body["total"]["counts"]["intake"] == 0
    tech = world.users["technician"].pk
    body = manager.get("/api/reports/service-levels", person=tech, **DAY).json()
    assert body["total"]["counts"]["resolved_on_time"] == 2 and body["total"]["overdue"] == 0
    body = manager.get("/api/reports/service-levels", procedure="complaint", **DAY).json()
    assert body["total"]["counts"]["intake"] == 0 and body["lines"] == []


def test_rights(api, folded):
    # The dealer's manager sees the dealer only: 兰亭苑's numbers are not theirs.
    dealer = api("as_manager")
    body = dealer.get("/api/reports/service-levels", **DAY).json()
    assert body["sites"] == ["dealer"] and body["total"]["counts"]["intake"] == 0
    r = dealer.get("/api/reports/service-levels", site="lanting", **DAY)
    assert r.status_code == 422 and "site" in r.json()["details"]["fields"]
    # The VP sees every site; an agent sees no reports at all.
    assert (
        api("vp").get("/api/reports/service-levels", **DAY).json()["total"]["counts"]["intake"] == 4
    )
    for path in ("/api/reports/service-levels", "/api/reports/service-levels/cases?measure=intake"):
        r = api("agent").get(path)
        assert r.status_code == 403 and r.json()["code"] == "forbidden"
    assert api(None).get("/api/reports/service-levels").status_code == 401


def test_bad_filters_are_refused_in_the_callers_language(api, folded):
    zh = api("sc_manager")
    r = zh.get("/api/reports/service-levels", **{"from": "2026-12-01", "to": "2026-11-30"})
    assert r.status_code == 422
    assert r.json()["details"]["fields"] == {"from": "开始日期不能晚于结束日期"}
    r = zh.get("/api/reports/service-levels", **{"from": "30/11/2026", "department": "x"})
    assert r.json()["details"]["fields"] == {
        "from": "请输入有效的日期（年-月-日）",
        "department": "应为整数编号",
    }
    en = api("sc_manager", "en")
    r = en.get("/api/reports/service-levels", **{"from": "2024-01-01", "to": "2026-11-30"})
    assert r.json()["details"]["fields"] == {"to": "The period may be at most 366 days"}
    assert r.json()["message"] == "The report filters have errors; check the marked ones"
    r = en.get("/api/reports/service-levels", procedure="nope", department="999999")
    assert set(r.json()["details"]["fields"]) == {"procedure", "department"}
    r = en.get("/api/reports/service-levels/cases", measure="everything")
    assert r.status_code == 422
    assert r.json()["details"]["fields"] == {"measure": "No such report figure"}


def test_in_the_openapi_document(api, world):
    doc = api("sc_manager").get("/api/openapi.json").json()
    assert "/api/reports/service-levels" in doc["paths"]
    assert "/api/reports/service-levels/cases" in doc["paths"]


def test_a_fixed_number_of_queries_whatever_the_data(world, api, folded):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    manager = api("sc_manager")

    def queries() -> int:
        with CaptureQueriesContext(connection) as seen:
            assert manager.get("/api/reports/service-levels", **DAY).status_code == 200
        return len(seen)

    queries()  # the first request fills the caches (the token, the person, the calendars)
    before = queries()
    assert before <= 10
    build(world)  # four more cases and their events, on the same day
    fold.catch_up(now=NOW)
    assert (
        manager.get("/api/reports/service-levels", **DAY).json()["total"]["counts"]["intake"] == 8
    )
    assert queries() == before
