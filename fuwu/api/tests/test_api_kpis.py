"""Workshop KPIs through HTTP: the hand-worked Monday (kpi_day.py), rights and bad periods."""

from __future__ import annotations

from unittest import mock

import pytest

from fuwu.scheduling.tests.kpi_day import AFTER, TUESDAY, monday
from fuwu.scheduling.tests.shop import MONDAY

pytestmark = pytest.mark.django_db


def test_the_mondays_kpis_with_the_guides(api, world) -> None:
    scene = monday(world)
    url = f"/api/workshops/{scene.workshop.pk}/kpis"
    with mock.patch("django.utils.timezone.now", return_value=AFTER):
        got = api("advisor").get(url, **{"from": MONDAY.isoformat(), "to": TUESDAY.isoformat()})
    assert got.status_code == 200, got.content
    body = got.json()
    assert (body["from"], body["to"], body["working_days"]) == ("2025-03-03", "2025-03-04", 2)
    mon = body["days"][0]
    assert {k: mon[k] for k in ("customers", "appointment_rate", "no_shows", "no_show_rate")} == {
        "customers": 5,
        "appointment_rate": "0.6000",
        "no_shows": 1,
        "no_show_rate": "0.2500",
    }
    assert (mon["repaired"], mon["carried"], mon["carry_over_rate"]) == (4, 1, "0.2500")
    assert (mon["booked"], mon["sold"], mon["clocked"], mon["idle"]) == (
        "5.50",
        "3.30",
        "8.50",
        "71.50",
    )
    assert body["total"]["idle"] == "151.50"
    assert body["guide"] == {
        "appointment_rate_at_least": "0.80",
        "carry_over_rate_below": "0.05",
        "orders_per_advisor_per_day": [15, 20],
    }
    first = next(t for t in body["technicians"] if t["technician"] == scene.techs[0].pk)
    assert (first["sold"], first["efficiency"], first["idle"]) == (
        "3.30",
        "1.10",
        "13.00",
    )  # 5 h Monday + 8 h Tuesday
    assert body["advisors"] == [
        {
            "advisor": world.users["advisor"].pk,
            "name": world.users["advisor"].staff.display_name,
            "orders": 4,
            "working_days": 2,
            "per_day": "2.0",
            "by_day": [4, 0],
            "within_guide": False,
        }
    ]
    assert body["page"].endswith("/kpis/?from=2025-03-03&to=2025-03-04")
    schema = api("advisor").get("/api/openapi.json").json()
    assert "/api/workshops/{workshop_id}/kpis" in schema["paths"]


def test_rights_and_bad_periods(api, world) -> None:
    scene = monday(world)
    url = f"/api/workshops/{scene.workshop.pk}/kpis"
    week = {"from": MONDAY.isoformat(), "to": TUESDAY.isoformat()}
    assert api("agent").get(url, **week).status_code == 404  # another site's staff
    assert api(None).get(url, **week).status_code == 401
    backwards = api("advisor").get(url, **{"from": "2025-03-04", "to": "2025-03-03"})
    assert backwards.status_code == 422
    assert backwards.json()["code"] == "bad_kpi_period"
    assert "93" in backwards.json()["message"] and "结束日期" in backwards.json()["message"]
    too_long = api("advisor", "en").get(url, **{"from": "2025-01-01", "to": "2025-06-01"})
    assert too_long.status_code == 422 and "at most 93 days" in too_long.json()["message"]
    assert api("advisor").get(url, **{"from": "3月3日", "to": "2025-03-04"}).status_code in (
        400,
        422,
    )
    assert api("advisor").get(url, to="2025-03-04").status_code in (400, 422)
