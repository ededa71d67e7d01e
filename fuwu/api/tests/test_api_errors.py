"""Bad input through the API: a clear JSON error in the caller's language, and nothing changed."""

from __future__ import annotations

import json

import pytest

from fuwu.cases.models import Case, Event


def _open(client, world, **over):
    body = {
        "procedure": "property_repair",
        "site": "lanting",
        "channel": "phone",
        "title": "门禁失灵",
        "data": {"repair_item": "门禁失灵", "service_type": "free"},
    }
    body.update(over)
    return client.post("/api/cases", body)


def _snapshot():
    return (
        Case.objects.count(),
        Event.objects.count(),
        list(Case.objects.values_list("version", flat=True)),
    )


def test_no_token_and_bad_token_are_401_in_both_languages(world, api):
    anon = api(None)
    r = anon.get("/api/cases")
    assert r.status_code == 401 and r.json()["code"] == "unauthorized"
    assert r.json()["message"] == "需要有效的 API 令牌或登录"
    bad = api(None, "en")
    bad.headers["HTTP_AUTHORIZATION"] = "Bearer fw_not-a-real-token"
    r = bad.get("/api/cases")
    assert r.status_code == 401 and r.json()["message"] == "A valid API token or login is required"


def test_revoked_token_stops_working(world, api):
    client = api("agent")
    assert client.get("/api/tokens").status_code == 200
    prefix = client.headers["HTTP_AUTHORIZATION"].split()[1][3:11]
    assert client.post(f"/api/tokens/{prefix}/revoke").status_code == 200
    assert client.get("/api/cases").status_code == 401


@pytest.mark.parametrize(
    "body, code, status",
    [
        ({"procedure": "no_such"}, "procedure_unknown", 404),
        ({"channel": "fax"}, "channel_not_allowed", 400),
        ({"site": "nowhere"}, "invalid_form", 400),
        ({"data": {"repair_item": "x", "service_type": "gold"}}, "invalid_form", 400),
        ({"data": {"service_type": "free"}}, "invalid_form", 400),
        (
            {"data": {"repair_item": "x", "service_type": "free", "colour": "red"}},
            "invalid_form",
            400,
        ),
        ({"title": ""}, "invalid_form", 422),
        ({"priority": "whenever"}, "invalid_form", 422),
    ],
)
def test_bad_case_input_changes_nothing(world, api, body, code, status):
    before = _snapshot()
    r = _open(api("agent"), world, **body)
    assert r.status_code == status, r.json()
    assert r.json()["code"] == code and r.json()["message"]
    assert _snapshot() == before


def test_malformed_and_oversized_json(world, api, settings):
    client = api("agent", "en")
    r = client.client.post(
        "/api/cases", "{not json", content_type="application/json", **client.headers
    )
    assert (
        r.status_code == 400
        and r.json()["code"] == "bad_request"
        and "malformed JSON" in r.json()["message"]
    )
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    big = json.dumps(
        {
            "procedure": "property_repair",
            "site": "lanting",
            "channel": "phone",
            "title": "x",
            "description": "长" * 5000,
        }
    )
    before = _snapshot()
    r = client.client.post("/api/cases", big, content_type="application/json", **client.headers)
    assert r.status_code == 413 and r.json()["code"] == "too_large"
    assert _snapshot() == before


def test_stale_version_is_409_and_changes_nothing(world, api):
    a1, a2 = api("agent"), api("agent2", "en")
    case = _open(a1, world).json()
    ok = a1.post(
        f"/api/cases/{case['id']}/transitions/issue_work_order",
        {"version": case["version"], "form": {"details_confirmed": True}},
    )
    assert ok.status_code == 200
    before = _snapshot()
    r = a2.post(
        f"/api/cases/{case['id']}/transitions/cancel",
        {"version": case["version"], "form": {"cancel_reason": "重复"}},
    )
    assert r.status_code == 409 and r.json()["code"] == "stale"
    assert "Someone else changed this case" in r.json()["message"]
    assert r.json()["details"] == {"seen": case["version"], "current": case["version"] + 1}
    assert _snapshot() == before


def test_unknown_transition_wrong_role_missing_fields(world, api):
    agent, tech = api("agent"), api("technician", "en")
    case = _open(agent, world).json()
    before = _snapshot()
    r = agent.post(f"/api/cases/{case['id']}/transitions/teleport", {"version": case["version"]})
    assert r.status_code == 400 and r.json()["code"] == "unknown_transition"
    r = tech.post(
        f"/api/cases/{case['id']}/transitions/issue_work_order",
        {"version": case["version"], "form": {"details_confirmed": True}},
    )
    assert r.status_code == 403 and r.json()["code"] == "role_not_allowed"
    assert "agent" in r.json()["message"]
    r = agent.post(f"/api/cases/{case['id']}/transitions/cancel", {"version": case["version"]})
    assert r.status_code == 400 and r.json()["details"]["fields"] == {"cancel_reason": "必填"}
    r = agent.post(f"/api/cases/{case['id']}/transitions/cancel", {"form": {"cancel_reason": "x"}})
    assert r.status_code == 422  # the version is required
    assert _snapshot() == before


def test_other_sites_cases_are_404(world, api):
    case = _open(api("agent"), world).json()
    outsider = api("outsider")
    assert outsider.get(f"/api/cases/{case['id']}").status_code == 404
    assert outsider.get(f"/api/cases/{case['id']}/events").status_code == 404
    r = outsider.post(f"/api/cases/{case['id']}/comments", {"text": "hi"})
    assert r.status_code == 404
    assert outsider.get("/api/cases").json()["count"] == 0
    assert _open(outsider, world).status_code == 400  # may not open cases on a site not theirs


def test_every_declared_status_is_in_openapi(world, api):
    doc = api("agent").get("/api/openapi.json").json()
    take = doc["paths"]["/api/cases/{case_id}/transitions/{key}"]["post"]["responses"]
    assert {"200", "400", "401", "403", "404", "409", "413", "422"} <= set(take)
    listing = doc["paths"]["/api/cases"]["get"]["responses"]
    assert {"200", "401", "422"} <= set(listing)


def test_a_host_header_that_names_no_host_is_answered_in_json(client) -> None:
    """Django's own 400 (DisallowedHost) under /api/ speaks the API's JSON, as documented;
    the staff pages keep Django's page."""
    r = client.get("/api/cases", HTTP_HOST="^2>kvoh(s=X")
    assert r.status_code == 400
    assert r["Content-Type"].startswith("application/json")
    assert r.json()["code"] == "bad_request"
    page = client.get("/queue/", HTTP_HOST="^2>kvoh(s=X")
    assert page.status_code == 400 and page["Content-Type"].startswith("text/html")
