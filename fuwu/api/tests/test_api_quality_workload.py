"""GET /api/reports/quality and /api/reports/workload and their drill-downs, through HTTP: the
fixed day's figures (by hand), every drill link lists what was counted, rights, bad filters."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import pytest
import time_machine

from fuwu.reports import fold
from fuwu.reports.tests.dataset import NOW, build, complaint
from fuwu.sla.clocks import forget_calendars
from fuwu.testing.factories import World, build_world

DAY = {"from": "2026-11-30", "to": "2026-11-30"}


@pytest.fixture
def world(library: None) -> World:
    forget_calendars()
    return build_world(always_open=False)


def _follow(client, url: str) -> dict:
    parts = urlsplit(url)
    r = client.get(parts.path, **dict(parse_qsl(parts.query)))
    assert r.status_code == 200, r.json()
    return r.json()


def test_quality_and_workload_through_the_api(world, api):
    cases = build(world)
    e = complaint(world)
    fold.catch_up(now=NOW)
    manager = api("sc_manager")
    with time_machine.travel(NOW, tick=False):
        body = manager.get("/api/reports/quality", site="lanting", **DAY).json()
        total = body["total"]
        assert total["counts"] == {
            "fixed_first_time": 1,
            "fixed_after_comeback": 1,
            "comeback_returned": 1,
            "comeback_qc": 0,
            "visit_satisfied": 0,
            "visit_dissatisfied": 1,
        }
        assert total["first_time_fix_percent"] == 50.0
        assert [(n["key"], n["count"]) for n in body["complaint_natures"]] == [("responsible", 1)]
        assert body["months"][-1] == {
            "month": "2026-11",
            "complaints": 1,
            "drill": body["months"][-1]["drill"],
        }
        assert body["complaints_rising"] is False
        again = _follow(manager, total["drill"]["fixed_after_comeback"])
        assert again["count"] == 1 and again["items"][0]["case_id"] == cases.a.pk
        assert _follow(manager, body["months"][-1]["drill"])["items"][0]["case_id"] == e.pk
        assert _follow(manager, body["complaint_departments"][0]["drill"])["count"] == 1

        work = manager.get("/api/reports/workload", site="lanting", **DAY).json()
        phone = next(c for c in work["channels"] if c["channel"] == "phone")
        assert phone["total"] == 4 and phone["hours"][9] == 2
        nine = _follow(manager, phone["drill"] + "&hour=9")
        assert sorted(i["case_id"] for i in nine["items"]) == sorted([cases.a.pk, cases.b.pk])
        reception = next(b for b in work["backlog"] if b["step"] == "reception")
        assert reception["count"] == 2
        listed = _follow(manager, reception["drill"])["items"]
        assert sorted(i["case_id"] for i in listed) == sorted([cases.c.pk, cases.d.pk])
        agent = next(p for p in work["people"] if p["person"] == "agent")
        assert agent["totals"] == {"intake": 5, "step_done": 6, "repair_order": 0}
        assert _follow(manager, agent["drill"]["intake"])["count"] == 5
        (card,) = work["scorecards"]
        assert (card["person"], card["week"], card["on_time_percent"]) == (
            "technician",
            "2026-11-30",
            100.0,
        )

    # Only managers; bad filters are refused field by field in the caller's language.
    assert api("agent").get("/api/reports/quality").status_code == 403
    assert api("agent").get("/api/reports/workload").status_code == 403
    bad = api("sc_manager", "en").get("/api/reports/workload/cases", measure="nope")
    assert bad.status_code == 422 and "measure" in bad.json()["details"]["fields"]
    wrong = api("sc_manager", "en").get("/api/reports/quality", site="dealer")
    assert wrong.status_code == 422 and "site" in wrong.json()["details"]["fields"]
