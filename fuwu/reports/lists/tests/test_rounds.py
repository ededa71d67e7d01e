"""The vacant-unit inspection log and the survey tally per area against the hand-computed
figures of `dataset.rounds`, in one query each; the pages and the API with their drill-downs."""

from __future__ import annotations

import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.test import Client

from fuwu.procedures.engine.errors import EngineError
from fuwu.reports.lists import rounds, scope_from_params

PERIOD = {"site": "lanting", "from": "2026-12-01", "to": "2026-12-04"}
QUERY = "site=lanting&from=2026-12-01&to=2026-12-04"


def scope(world, **params):  # type: ignore[no-untyped-def]
    return scope_from_params(world.actor("sc_manager"), {**PERIOD, **params}, report="surveys")


def test_vacant_log_and_survey_tally(world, round_data, django_assert_num_queries):
    s = scope(world)
    with django_assert_num_queries(1):
        log = rounds.vacant_log(s)
    assert [(r.unit, r.problem, r.department, r.step) for r in log] == [
        ("1栋1单元101", "", "", "archived"),
        ("2栋1单元202", "卫生间下水管渗水", "engineering", "rectify"),
    ]
    with django_assert_num_queries(1):
        rows = rounds.surveyed(s)
    tally = rounds.survey_tally(rows)
    one, two = tally.lines
    assert (one.building, one.households, one.handed_out, one.returned, one.not_returned) == (
        "1",
        2,
        2,
        1,
        1,
    )
    assert one.return_rate == 50.0 and one.problems == 0 and one.by_department == {}
    assert (two.households, two.handed_out, two.returned, two.return_rate) == (2, 1, 1, 100.0)
    assert two.problems == 2 and two.by_department == {"engineering": 1, "security": 1}
    t = tally.total
    assert (t.households, t.handed_out, t.returned, t.return_rate, t.problems) == (4, 3, 2, 66.7, 2)
    assert tally.departments == ["engineering", "security"]
    units = lambda found: [x.unit for x in found]  # noqa: E731
    assert units(rounds.pick_survey(rows, rounds.NOT_RETURNED)) == ["1栋1单元102"]
    assert units(rounds.pick_survey(rows, "department:security")) == ["2栋1单元202"]
    assert units(rounds.surveyed(s, round="2026年上半年")) == []
    assert units(rounds.surveyed(scope(world, building="2"))) == ["2栋1单元201", "2栋1单元202"]
    with pytest.raises(EngineError):
        rounds.pick_survey(rows, "happy")
    assert rounds.vacant_log(scope(world, **{"from": "2026-12-02"})) == []  # opened on 12-01
    assert log[0].inspected_at is not None and log[0].inspected_at.date() == date(2026, 12, 2)


def test_pages_and_api(world, round_data, api):  # type: ignore[no-untyped-def]
    c = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    c.force_login(world.users["sc_manager"])
    html = c.get(f"/reports/lists/surveys/?{QUERY}").content.decode()
    row = re.search(r'data-testid="survey-row" data-building="2">(.*?)</tr>', html, re.S)
    assert row is not None and 'data-testid="n-return-rate">100.0%' in row.group(1)
    link = re.search(r'<a href="([^"]+)" data-testid="n-problems">2</a>', row.group(1))
    assert link is not None
    page = c.get(link.group(1).replace("&amp;", "&")).content.decode()
    found = {int(x) for x in re.findall(r'data-testid="list-row" data-case="(\d+)"', page)}
    assert found == {round_data["s201"].pk, round_data["s202"].pk}
    assert "秩序维护部" in page
    vacant = c.get(f"/reports/lists/vacant/?{QUERY}").content.decode()
    assert 'data-testid="n-problems">1<' in vacant and "卫生间下水管渗水" in vacant
    en = Client(HTTP_ACCEPT_LANGUAGE="en")
    en.force_login(world.users["sc_manager"])
    assert "Return rate" in en.get(f"/reports/lists/surveys/?{QUERY}").content.decode()
    assert "Engineering" in en.get(f"/reports/lists/vacant/?{QUERY}").content.decode()

    manager = api("sc_manager")
    body = manager.get("/api/reports/lists/surveys", **PERIOD).json()
    assert body["total"]["return_rate_percent"] == 66.7
    assert body["areas"][1]["problems_by_department"] == {"engineering": 1, "security": 1}
    drill = body["areas"][0]["drill"]["not_returned"]
    listed = manager.client.get(drill, **manager.headers).json()
    assert [h["case_id"] for h in listed] == [round_data["s102"].pk]
    log = manager.get("/api/reports/lists/vacant-units", **PERIOD).json()
    assert [r["responsible_department"] for r in log] == ["", "engineering"]
    assert api("agent").get("/api/reports/lists/surveys").status_code == 403
    assert manager.get("/api/reports/lists/surveys/households", measure="x").status_code == 422


def test_tally_counted_by_the_database_equals_the_python_one(world, round_data):
    """`counted_tally` (SQL) against `survey_tally` over `surveyed` (Python), for every area
    filter and a round, and with the answers changed one at a time."""
    for params in ({}, {"building": "1"}, {"building": "2"}, {"building": "-"}, {"building": "7"}):
        s = scope(world, **params)
        assert rounds.counted_tally(s) == rounds.survey_tally(rounds.surveyed(s)), params
    s = scope(world)
    assert rounds.counted_tally(s, round="2026年上半年") == rounds.survey_tally(
        rounds.surveyed(s, round="2026年上半年")
    )
    case = next(c for c in round_data.values() if c.procedure_key == rounds.SURVEY)
    original = dict(case.data)
    for change in (
        {"form_returned": True},
        {"form_returned": False},
        {"form_no": ""},
        {"problem_found": True, "responsible_department": "security"},
        {"problem_found": False, "responsible_department": "security"},
    ):
        case.data = {**original, **change}
        case.save(update_fields=["data"])
        assert rounds.counted_tally(s) == rounds.survey_tally(rounds.surveyed(s)), change


def test_the_households_page_lists_what_pick_survey_picks(world, round_data):
    """`surveyed_order` (chosen and ordered from light columns) and `in_order` give the rows of
    `pick_survey(surveyed(...))`, in its order, for every figure, area and round."""
    from fuwu.cases.models import Case
    from fuwu.reports.lists.tests.dataset import _survey

    # Unit 101 surveyed twice more: its three in case-number order, the first one's number on a
    # later day than the newer cases'.
    unit = round_data["s101"].asset
    for _ in range(2):
        _survey(world, unit, "area_walk", [("visited", {})])
    Case.objects.filter(pk=round_data["s101"].pk).update(
        created_at=datetime(2026, 12, 3, 8, tzinfo=ZoneInfo("Asia/Shanghai"))
    )
    measures = [*rounds.MEASURES, "department:security", "department:engineering", "department:"]
    for params in ({}, {"building": "1"}, {"building": "2"}, {"building": "-"}):
        s = scope(world, **params)
        for round in (None, "2026年下半年", "2026年上半年"):
            for measure in measures:
                expected = rounds.pick_survey(rounds.surveyed(s, round=round), measure)
                ids = rounds.surveyed_order(s, measure, round=round)
                assert rounds.in_order(s, ids, round=round) == expected, (params, round, measure)
                assert rounds.in_order(s, ids[1:3], round=round) == expected[1:3]
    everyone = rounds.surveyed_order(scope(world), rounds.ALL)
    assert everyone[:3] != sorted(everyone[:3]) and round_data["s101"].pk == everyone[2]
    with pytest.raises(EngineError):
        rounds.surveyed_order(scope(world), "happy")
