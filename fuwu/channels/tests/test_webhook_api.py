"""The webhooks API: who may manage subscriptions, what a subscription may say (refused whole,
with a message in the caller's language), the secret shown once, the delivery log."""

from __future__ import annotations

from typing import Any

import pytest

from fuwu.channels.tests.receiver import Receiver, receiver_fixture, run_deliveries  # noqa: F401
from fuwu.channels.webhooks.models import WebhookDelivery, WebhookSubscription
from fuwu.web.tests.test_queue import repair

pytestmark = pytest.mark.django_db

URL = "/api/webhooks/subscriptions"


def patch(api: Any, path: str, body: dict[str, Any]) -> Any:
    return api.client.patch(path, body, content_type="application/json", **api.headers)


def test_a_manager_subscribes_and_sees_the_secret_once(world, api, receiver: Receiver):
    manager = api("sc_manager")
    made = manager.post(URL, {"url": receiver.url, "site": "lanting", "events": ["opened"]})
    assert made.status_code == 201, made.json()
    body = made.json()
    assert body["secret"].startswith("fwhk_") and len(body["secret"]) > 40
    assert body["secret_hint"] == body["secret"][:9] + "…"
    assert body["events"] == ["opened"] and body["site"] == "lanting" and body["active"]
    listed = manager.get(URL).json()
    assert listed["count"] == 1 and "secret" not in listed["items"][0]
    one = manager.get(f"{URL}/{body['id']}").json()
    assert one["secret_hint"] == body["secret_hint"] and "secret" not in one
    assert body["secret"] not in str(manager.get(f"{URL}/{body['id']}").content)
    # The API documents the payload the receiver gets.
    schema = manager.get("/api/openapi.json").json()
    assert {"WebhookPayload", "EventPayload", "CasePayload"} <= set(schema["components"]["schemas"])
    assert "X-Fuwu-Signature" in schema["paths"][URL]["post"]["description"]


@pytest.mark.parametrize(
    ("body", "field", "zh", "en"),
    [
        ({"url": "ftp://hooks.example.com/in"}, "url", "https://", "whole https:// URL"),
        ({"url": "https://user:pw@hooks.example.com/"}, "url", "https://", "whole https:// URL"),
        ({"url": "http://hooks.example.com/in"}, "url", "只能使用", "Only https://"),
        ({"url": "https://10.0.0.5/in"}, "url", "内网", "private, loopback"),
        ({"url": "https://localhost/in"}, "url", "内网", "private, loopback"),
        ({"url": "https://[::1]:8443/in"}, "url", "内网", "private, loopback"),
        ({"url": "https://169.254.169.254/latest"}, "url", "内网", "private, loopback"),
        ({"url": "https://intranet/in"}, "url", "内网", "private, loopback"),
        (
            {"url": "https://hooks.example.com/in", "events": ["opened", "exploded"]},
            "events",
            "无效选项",
            "Not an option",
        ),
        (
            {"url": "https://hooks.example.com/in", "site": "nowhere"},
            "site",
            "无效选项",
            "Not an option",
        ),
        (
            {"url": "https://hooks.example.com/in", "site": None},
            "site",
            "请选择项目",
            "Choose a site",
        ),
    ],
)
def test_bad_input_is_refused_with_a_message_and_writes_nothing(world, api, body, field, zh, en):
    body = {"site": "lanting", **body}
    for language, text in (("zh-hans", zh), ("en", en)):
        answer = api("sc_manager", language).post(URL, body)
        assert answer.status_code == 400, answer.json()
        assert answer.json()["code"] == "invalid_form"
        assert text in answer.json()["details"]["fields"][field]
    assert not WebhookSubscription.objects.exists()


def test_who_may_manage_webhooks(world, api, receiver):
    made = api("sc_manager").post(URL, {"url": receiver.url, "site": "lanting"}).json()
    for persona in ("agent", "dispatcher", "technician"):  # staff who are not managers
        assert api(persona).get(URL).status_code == 403
        assert api(persona).post(URL, {"url": receiver.url, "site": "lanting"}).status_code == 403
        assert api(persona).get(f"{URL}/{made['id']}").status_code == 403
        assert api(persona).get("/api/webhooks/deliveries").status_code == 403
    other = api("as_manager")  # a manager of another site
    assert other.get(URL).json()["count"] == 0
    assert other.get(f"{URL}/{made['id']}").status_code == 404
    assert patch(other, f"{URL}/{made['id']}", {"active": False}).status_code == 404
    assert other.delete(f"{URL}/{made['id']}").status_code == 404
    assert other.post(URL, {"url": receiver.url, "site": "lanting"}).status_code == 400
    assert api(None).get(URL).status_code == 401
    assert WebhookSubscription.objects.count() == 1


def test_change_disable_and_delete(world, api, receiver):
    manager = api("sc_manager")
    made = manager.post(URL, {"url": receiver.url, "site": "lanting"}).json()
    path = f"{URL}/{made['id']}"
    changed = patch(manager, path, {"events": ["commented"], "name": "工程系统"})
    assert changed.status_code == 200
    assert changed.json()["events"] == ["commented"] and changed.json()["name"] == "工程系统"
    refused = patch(manager, path, {"url": "https://192.168.1.10/in"})
    assert refused.status_code == 400
    assert WebhookSubscription.objects.get().url == receiver.url
    off = patch(manager, path, {"active": False}).json()
    assert not off["active"] and off["disabled_reason"] == "manual"
    repair(world)
    assert not WebhookDelivery.objects.exists()  # disabled: nothing written for it
    on = patch(manager, path, {"active": True}).json()
    assert on["active"] and on["disabled_at"] is None
    assert manager.delete(path).status_code == 204
    assert not WebhookSubscription.objects.exists()


def test_the_delivery_log_filters_pages_and_shows_each_attempt(world, api, receiver):
    manager = api("sc_manager")
    sub = manager.post(URL, {"url": receiver.url, "site": "lanting"}).json()
    quiet = manager.post(URL, {"url": receiver.url, "site": "lanting", "events": ["escalated"]})
    case = repair(world)
    receiver.answer = 500
    run_deliveries()
    log = manager.get("/api/webhooks/deliveries", subscription=sub["id"]).json()
    assert log["count"] == 1
    row = log["items"][0]
    assert row["kind"] == "opened" and row["status"] == "pending" and row["case_id"] == case.pk
    assert row["last_status_code"] == 500 and row["attempts"] == 1
    assert manager.get("/api/webhooks/deliveries", status="delivered").json()["count"] == 0
    assert manager.get("/api/webhooks/deliveries", subscription=quiet.json()["id"]).json() == {
        "items": [],
        "count": 0,
    }
    assert manager.get("/api/webhooks/deliveries", status="lost").status_code == 400
    detail = manager.get(f"/api/webhooks/deliveries/{row['id']}").json()
    assert detail["payload"]["id"] == row["id"] and detail["payload"]["case"]["id"] == case.pk
    assert [(a["ok"], a["status_code"]) for a in detail["attempt_log"]] == [(False, 500)]
    assert api("as_manager").get(f"/api/webhooks/deliveries/{row['id']}").status_code == 404
    assert api("as_manager").post(f"/api/webhooks/deliveries/{row['id']}/replay").status_code == 404
    receiver.answer = 200
    replayed = manager.post(f"/api/webhooks/deliveries/{row['id']}/replay")
    assert replayed.status_code == 202 and replayed.json()["replays"] == 1
    run_deliveries()
    detail = manager.get(f"/api/webhooks/deliveries/{row['id']}").json()
    assert detail["status"] == "delivered"
    assert [(a["ok"], a["status_code"]) for a in detail["attempt_log"]] == [
        (False, 500),
        (True, 200),
    ]
    for n in range(3):
        repair(world, f"第{n}单")
    page = manager.get("/api/webhooks/deliveries", page_size=2, kind="opened").json()
    assert page["count"] == 4 and len(page["items"]) == 2
