"""On-site visits and routes through HTTP: add visits, plan the day, read it, move a visit and
be refused in the user's language; people of another site get 404, a technician 403."""

from __future__ import annotations

import pytest

from fuwu.scheduling.models import Route, RouteStop, Visit
from fuwu.scheduling.tests.fieldcrew import BASE, KM_LAT, TUESDAY, seed_field

pytestmark = pytest.mark.django_db


def body(workshop, km: float, start: str, end: str, **extra):
    return {
        "workshop": workshop.pk,
        "address": f"福田区 北 {km} 公里",
        "lat": str(BASE[0] + KM_LAT * int(km)),
        "lon": str(BASE[1]),
        "day": TUESDAY.isoformat(),
        "window_start": start,
        "window_end": end,
        "service_minutes": 30,
        **extra,
    }


def test_plan_read_and_move_through_http(api, world):
    workshop, techs, _electrical = seed_field(world)
    qc = api("workshop_qc")  # the workshop's dispatcher
    made = [
        qc.post("/api/visits", body(workshop, 2, "09:00", "09:30")),
        qc.post("/api/visits", body(workshop, 3, "10:00", "12:00")),
        qc.post("/api/visits", body(workshop, -4, "09:00", "09:20", skill="electrical")),
        qc.post("/api/visits", body(workshop, 1, "09:00", "10:00", skill="gas-none")),
    ]
    assert [r.status_code for r in made] == [201, 201, 201, 400]
    a, b, c = (r.json()["id"] for r in made[:3])
    planned = qc.post(f"/api/workshops/{workshop.pk}/routes/plan", {"day": TUESDAY.isoformat()})
    assert planned.status_code == 200, planned.content
    out = planned.json()
    assert out["unplanned"] == [] and out["solver_iterations"] > 0
    stops = {s["visit"]["id"]: (r, s) for r in out["routes"] for s in r["stops"]}
    assert set(stops) == {a, b, c}
    assert stops[c][0]["technician"] == techs[0].pk  # the electrician
    assert stops[a][1]["starts_at"] <= f"{TUESDAY.isoformat()}T09:30:00+08:00"
    read = qc.get(f"/api/workshops/{workshop.pk}/routes", day=TUESDAY.isoformat()).json()
    assert read["routes"] == out["routes"] and read["base"]["speed_kmh"] == "30.0"

    other = next(t for t in techs[1:] if t.pk != stops[b][0]["technician"])
    moved = qc.post(f"/api/visits/{b}/move", {"technician": other.pk, "position": 1})
    assert moved.status_code == 200, moved.content
    route = next(r for r in moved.json()["routes"] if r["technician"] == other.pk)
    assert route["status"] == "edited" and route["edited_by"] == "workshop_qc"
    assert route["stops"][0]["visit"]["id"] == b

    # a after b on that route would start after 09:30: refused, in Chinese and in English.
    refused = qc.post(f"/api/visits/{a}/move", {"technician": other.pk, "position": 2})
    assert refused.status_code == 409
    assert refused.json()["code"] == "visit_would_be_late"
    assert "09:30" in refused.json()["message"]
    en = api("workshop_qc", "en").post(
        f"/api/visits/{c}/move", {"technician": other.pk, "position": 1}
    )
    assert en.status_code == 409 and "does not have the skill" in en.json()["message"]


def test_rights(api, world):
    workshop, techs, _electrical = seed_field(world, technicians=1)
    visit = api("workshop_qc").post("/api/visits", body(workshop, 1, "09:00", "10:00")).json()
    # Another site's dispatcher does not see the workshop at all.
    stranger = api("dispatcher")
    assert stranger.get(f"/api/workshops/{workshop.pk}/routes", day="2026-12-08").status_code == 404
    assert (
        stranger.post(
            f"/api/workshops/{workshop.pk}/routes/plan", {"day": "2026-12-08"}
        ).status_code
        == 404
    )
    assert (
        stranger.post(f"/api/visits/{visit['id']}/move", {"technician": techs[0].pk}).status_code
        == 404
    )
    assert stranger.post("/api/visits", body(workshop, 1, "09:00", "10:00")).status_code == 404
    # A technician of the workshop sees the routes but may not plan or add visits.
    tech = api("workshop_tech")
    assert tech.get(f"/api/workshops/{workshop.pk}/routes", day="2026-12-08").status_code == 200
    refused = tech.post(f"/api/workshops/{workshop.pk}/routes/plan", {"day": "2026-12-08"})
    assert refused.status_code == 403 and refused.json()["code"] == "may_not_dispatch"
    assert tech.post("/api/visits", body(workshop, 1, "09:00", "10:00")).status_code == 403
    assert not Route.objects.exists() and not RouteStop.objects.exists()
    assert Visit.objects.count() == 1
    # A window outside opening hours is refused with the reason.
    bad = api("workshop_qc", "en").post("/api/visits", body(workshop, 1, "07:00", "08:00"))
    assert bad.status_code == 422 and "08:30–17:30" in bad.json()["message"]


def test_routes_are_in_the_openapi_document(api, world):
    paths = api("workshop_qc").get("/api/openapi.json").json()["paths"]
    for path in (
        "/api/visits",
        "/api/workshops/{workshop_id}/routes",
        "/api/workshops/{workshop_id}/routes/plan",
        "/api/visits/{visit_id}/move",
    ):
        assert path in paths


def test_cancelling_a_visit_takes_it_off_its_route(api, world):
    workshop, _techs, _electrical = seed_field(world, technicians=1)
    qc = api("workshop_qc")
    a = qc.post("/api/visits", body(workshop, 2, "09:00", "09:30")).json()["id"]
    b = qc.post("/api/visits", body(workshop, 4, "10:00", "12:00")).json()["id"]
    qc.post(f"/api/workshops/{workshop.pk}/routes/plan", {"day": TUESDAY.isoformat()})
    done = qc.post(f"/api/visits/{a}/status", {"status": "cancelled"})
    assert done.status_code == 200, done.content
    (route,) = done.json()["routes"]
    assert [s["visit"]["id"] for s in route["stops"]] == [b] and route["status"] == "edited"
    assert Visit.objects.get(pk=a).status == "cancelled"
    again = qc.post(f"/api/visits/{a}/move", {"technician": route["technician"]})
    assert again.status_code == 409 and again.json()["code"] == "visit_not_movable"
    assert qc.post(f"/api/visits/{b}/status", {"status": "done"}).status_code == 200
    assert qc.post(f"/api/visits/{b}/status", {"status": "open"}).status_code == 422
