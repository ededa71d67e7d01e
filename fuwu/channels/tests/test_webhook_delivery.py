"""Webhooks end to end: case changes through the actions, the worker's task and sweep, a real
HTTP receiver in the test process; signatures checked as a receiver checks them."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django_tasks_db.models import DBTaskResult

from fuwu.cases import actions as case_actions
from fuwu.channels.tests.receiver import Receiver, receiver_fixture, run_deliveries  # noqa: F401
from fuwu.channels.webhooks import payload, sending
from fuwu.channels.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookSubscription
from fuwu.notifications.messages import render
from fuwu.notifications.models import Notification
from fuwu.web.tests.test_queue import repair

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)


def subscribe(api: Any, url: str, **body: Any) -> dict[str, Any]:
    body.setdefault("site", "lanting")
    answer = api("sc_manager").post("/api/webhooks/subscriptions", {"url": url, **body})
    assert answer.status_code == 201, answer.json()
    return answer.json()  # type: ignore[no-any-return]


def test_a_case_event_arrives_signed_with_its_case(world, api, receiver: Receiver):
    sub = subscribe(api, receiver.url, events=["opened", "commented"])
    with time_machine.travel(NOW, tick=False):
        case = repair(world)
        case_actions.comment(world.actor("agent"), case.pk, text="已联系业主")
        assert WebhookDelivery.objects.filter(status="queued").count() == 2
        assert run_deliveries() == 2
    assert [r.headers["X-Fuwu-Event"] for r in receiver.requests] == ["opened", "commented"]
    first = receiver.requests[0]
    assert first.path == "/hooks/fuwu?x=1"
    assert first.headers["Content-Type"] == "application/json; charset=utf-8"
    stamp = int(NOW.timestamp())
    assert first.headers["X-Fuwu-Signature"].startswith(f"t={stamp},v1=")
    assert payload.verify(sub["secret"], first.body, first.headers["X-Fuwu-Signature"], now=stamp)
    assert not payload.verify(
        "fwhk_other", first.body, first.headers["X-Fuwu-Signature"], now=stamp
    )
    too_late = stamp + payload.TOLERANCE + 1
    assert not payload.verify(
        sub["secret"], first.body, first.headers["X-Fuwu-Signature"], now=too_late
    )
    body = json.loads(first.body)
    assert body["id"] == first.headers["X-Fuwu-Delivery"]
    assert set(body) == {"id", "event", "case"}
    event, case_part = body["event"], body["case"]
    assert event["kind"] == "opened" and event["seq"] == 1
    assert event["actor"] == {"id": world.users["agent"].pk, "username": "agent"}
    assert event["data"]["procedure"] == "property_repair" and event["data"]["channel"] == "phone"
    assert case_part["id"] == case.pk and case_part["number"] == case.number
    assert case_part["site"] == "lanting" and case_part["procedure"] == "property_repair"
    assert case_part["status"] == "open" and case_part["data"]["repair_item"] == "灯"
    commented = json.loads(receiver.requests[1].body)["event"]
    assert commented["data"]["text"] == "已联系业主" and commented["seq"] == 2
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {"delivered"}
    assert run_deliveries() == 0 and len(receiver.requests) == 2  # nothing sent twice


def test_a_receiver_down_is_retried_with_backoff_until_it_answers(world, api, receiver):
    receiver.answer = 500
    subscribe(api, receiver.url, events=["opened"])
    with time_machine.travel(NOW, tick=False) as clock:
        repair(world)
        run_deliveries()
        delivery = WebhookDelivery.objects.get()
        assert delivery.status == "pending" and delivery.attempts == 1
        assert delivery.next_attempt_at == NOW + timedelta(minutes=1)
        assert delivery.last_status_code == 500 and delivery.last_error == "HTTP 500"
        clock.move_to(NOW + timedelta(seconds=59))
        assert sending.queue_due() == 0
        clock.move_to(NOW + timedelta(minutes=1))
        assert sending.queue_due() == 1
        run_deliveries()
        delivery.refresh_from_db()
        assert delivery.attempts == 2
        assert delivery.next_attempt_at == NOW + timedelta(minutes=1 + 2)
        receiver.answer = 200
        clock.move_to(NOW + timedelta(minutes=3))
        assert sending.queue_due() == 1
        run_deliveries()
    delivery.refresh_from_db()
    assert delivery.status == "delivered" and delivery.attempts == 3
    assert delivery.delivered_at == NOW + timedelta(minutes=3)
    log = list(WebhookAttempt.objects.filter(delivery=delivery).order_by("at"))
    assert [(a.ok, a.status_code) for a in log] == [(False, 500), (False, 500), (True, 200)]
    assert log[0].response.startswith("receiver broke: ") and len(log[0].response) == 1024
    # The same delivery every time: one id, the same body, for the receiver to deduplicate.
    assert len({r.headers["X-Fuwu-Delivery"] for r in receiver.requests}) == 1
    assert len({r.body for r in receiver.requests}) == 1
    assert sending.backoff(7) == timedelta(minutes=60) == sending.backoff(12)


def test_repeated_failure_disables_the_subscription_and_tells_the_managers(
    world, api, receiver, settings
):
    settings.FUWU_WEBHOOK_ATTEMPTS = 2
    settings.FUWU_WEBHOOK_DISABLE_AFTER = 2
    receiver.answer = 503
    sub = subscribe(api, receiver.url, events=["opened"], name="维修系统")
    with time_machine.travel(NOW, tick=False) as clock:
        repair(world, "一")
        repair(world, "二")
        run_deliveries()  # both fail once
        clock.move_to(NOW + timedelta(minutes=1))
        sending.queue_due()
        run_deliveries()  # both fail twice: given up, the second failure disables
    row = WebhookSubscription.objects.get(pk=sub["id"])
    assert not row.active and row.consecutive_failures == 2
    assert row.disabled_reason == "failures" and row.disabled_at == NOW + timedelta(minutes=1)
    assert "HTTP 503" in row.disabled_detail
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {"failed"}
    told = Notification.objects.filter(kind="webhook_disabled")
    # The site's managers (and the VP, a manager on every site), once each.
    assert sorted(n.recipient.username for n in told) == ["eng_manager", "sc_manager", "vp"]
    note = told.get(recipient=world.users["sc_manager"])
    assert note.data["name"] == "维修系统" and note.data["failures"] == 2
    assert render("webhook_disabled", note.data, "en").startswith(
        "The webhook subscription '维修系统' failed 2 deliveries in a row and was disabled "
        "(last error: HTTP 503)"
    )
    assert "已自动停用" in render("webhook_disabled", note.data, "zh-hans")
    # Disabled: new events are not written for it; replay is refused until it is enabled.
    repair(world, "三")
    assert WebhookDelivery.objects.count() == 2
    manager = api("sc_manager", "en")
    failed = WebhookDelivery.objects.order_by("created_at").first()
    refused = manager.post(f"/api/webhooks/deliveries/{failed.pk}/replay")
    assert refused.status_code == 409 and refused.json()["code"] == "webhook_disabled"
    assert refused.json()["message"].startswith("This webhook subscription is disabled")
    receiver.answer = 200
    enabled = manager.client.patch(
        f"/api/webhooks/subscriptions/{sub['id']}",
        {"active": True},
        content_type="application/json",
        **manager.headers,
    )
    assert enabled.status_code == 200, enabled.json()
    assert enabled.json()["active"] and enabled.json()["consecutive_failures"] == 0
    assert enabled.json()["disabled_reason"] == ""
    replayed = manager.post(f"/api/webhooks/deliveries/{failed.pk}/replay")
    assert replayed.status_code == 202 and replayed.json()["status"] == "queued"
    again = manager.post(f"/api/webhooks/deliveries/{failed.pk}/replay")
    assert again.status_code == 409 and again.json()["code"] == "webhook_in_flight"
    run_deliveries()
    failed.refresh_from_db()
    assert failed.status == "delivered" and failed.replays == 1 and failed.attempts == 1
    assert receiver.requests[-1].headers["X-Fuwu-Delivery"] == str(failed.pk)


def test_a_receiver_that_hangs_times_out_and_holds_back_its_other_deliveries(world, api, receiver):
    receiver.answer = 0  # accepts the connection, never answers
    subscribe(api, receiver.url, events=["opened"])
    with time_machine.travel(NOW, tick=False):
        repair(world, "一")
        repair(world, "二")
        ids = [str(pk) for pk in WebhookDelivery.objects.values_list("pk", flat=True)]
        DBTaskResult.objects.filter(task_path__endswith="webhooks.tasks.deliver").delete()
        started = time.monotonic()
        assert sending.deliver(ids) == 0
    assert time.monotonic() - started < 3  # one timeout (0.3 s), not one per delivery
    assert len(receiver.requests) == 1
    rows = {d.attempts: d for d in WebhookDelivery.objects.all()}
    assert set(rows) == {0, 1}  # the second was put back without an attempt
    assert "timed out" in rows[1].last_error
    assert {d.status for d in rows.values()} == {"pending"}
    assert {d.next_attempt_at for d in rows.values()} == {NOW + timedelta(minutes=1)}


def test_two_workers_given_the_same_delivery_send_it_once(world, api, receiver):
    subscribe(api, receiver.url, events=["opened"])
    repair(world)
    delivery_id = str(WebhookDelivery.objects.get().pk)
    mine = sending.claim(delivery_id)  # worker A holds it …
    assert mine is not None
    assert sending.deliver([delivery_id]) == 0  # … worker B's task finds it taken
    assert receiver.requests == []
    sending.record(mine, sending.post(mine))  # A sends
    assert sending.deliver([delivery_id]) == 0  # a task run again sends nothing
    assert run_deliveries() == 1 and len(receiver.requests) == 1
    assert WebhookDelivery.objects.get().status == "delivered"


def test_a_worker_that_died_mid_send_leaves_the_delivery_to_the_sweep(world, api, receiver):
    subscribe(api, receiver.url, events=["opened"])
    with time_machine.travel(NOW, tick=False) as clock:
        repair(world)
        assert sending.claim(str(WebhookDelivery.objects.get().pk)) is not None  # then it died
        assert sending.queue_due() == 0
        clock.move_to(NOW + sending.STALE_SENDING + timedelta(seconds=1))
        assert sending.queue_due() == 1
        run_deliveries()
    assert WebhookDelivery.objects.get().status == "delivered" and len(receiver.requests) == 1


def test_only_the_subscribed_kinds_and_site(world, api, receiver):
    subscribe(api, receiver.url, events=["commented"])
    dealer = api("as_manager").post(
        "/api/webhooks/subscriptions", {"url": receiver.url, "site": "dealer"}
    )
    assert dealer.status_code == 201
    case = repair(world)  # lanting, `opened`: neither subscription wants it
    assert not WebhookDelivery.objects.exists()
    case_actions.comment(world.actor("agent"), case.pk, text="备注")
    assert list(WebhookDelivery.objects.values_list("kind", "subscription__site__code")) == [
        ("commented", "lanting")
    ]


def test_a_rolled_back_change_writes_no_delivery(world, api, receiver):
    subscribe(api, receiver.url)
    case = repair(world)
    before = (WebhookDelivery.objects.count(), DBTaskResult.objects.count())
    with pytest.raises(RuntimeError), transaction.atomic():
        case_actions.comment(world.actor("agent"), case.pk, text="会撤销")
        assert WebhookDelivery.objects.count() == before[0] + 1
        raise RuntimeError("the request failed after the change")
    assert (WebhookDelivery.objects.count(), DBTaskResult.objects.count()) == before
    run_deliveries()
    assert [r.headers["X-Fuwu-Event"] for r in receiver.requests] == ["opened"]


def _comment_queries(world: Any, case_id: int) -> list[str]:
    with CaptureQueriesContext(connection) as seen:
        case_actions.comment(world.actor("agent"), case_id, text="备注")
    return [q["sql"] for q in seen.captured_queries]


def test_the_write_path_costs_no_query_without_subscriptions(world, api, receiver):
    case = repair(world)
    _comment_queries(world, case.pk)  # warm the caches (actor, organisation, subscriptions)
    none = _comment_queries(world, case.pk)
    assert not [q for q in none if "webhook" in q.lower()]
    api("as_manager").post("/api/webhooks/subscriptions", {"url": receiver.url, "site": "dealer"})
    _comment_queries(world, case.pk)  # the list changed: read once more, then cached
    elsewhere = _comment_queries(world, case.pk)
    assert len(elsewhere) == len(none)  # a subscription that does not match costs nothing
    subscribe(api, receiver.url, events=["commented"])
    _comment_queries(world, case.pk)
    matching = _comment_queries(world, case.pk)
    # One INSERT of the deliveries and one of their task: the subscriptions come from the cache.
    added = [q for q in matching if q not in none]
    assert len(matching) == len(none) + 2, added
    assert any("channels_webhookdelivery" in q for q in added)


def test_a_name_that_resolves_to_a_private_address_is_not_called(monkeypatch, settings):
    from fuwu.channels.webhooks import targets

    settings.FUWU_WEBHOOK_ALLOW_HOSTS = []

    def fake_dns(host: str, port: int, **kwargs: Any) -> list[Any]:
        address = {"hooks.example.com": "10.1.2.3", "ok.example.com": "93.184.216.34"}[host]
        return [(2, 1, 6, "", (address, port))]

    monkeypatch.setattr(targets.socket, "getaddrinfo", fake_dns)
    with pytest.raises(targets.Refused, match="private address"):
        targets.resolve("https://hooks.example.com/in")
    target = targets.resolve("https://ok.example.com:8443/in?a=1")
    assert (target.address, target.port, target.path) == ("93.184.216.34", 8443, "/in?a=1")


def test_the_log_forgets_finished_deliveries_after_its_days(world, api, receiver, settings):
    settings.FUWU_WEBHOOK_LOG_DAYS = 30
    subscribe(api, receiver.url, events=["opened"])
    with time_machine.travel(NOW, tick=False) as clock:
        repair(world, "送达")
        run_deliveries()
        receiver.answer = 500
        repair(world, "待重试")
        run_deliveries()
        clock.move_to(NOW + timedelta(days=30))
        sending.prune_log()
        assert WebhookDelivery.objects.count() == 2
        clock.move_to(NOW + timedelta(days=30, seconds=1))
        assert sending.prune_log() == 1
    # The delivered one (and its attempt) is gone; the one still waiting to retry stays.
    assert list(WebhookDelivery.objects.values_list("status", flat=True)) == ["pending"]
    assert WebhookAttempt.objects.count() == 1


def test_https_receivers_must_show_a_certificate_for_their_name(
    world, api, settings, tmp_path, monkeypatch
):
    import ssl

    from fuwu.channels.tests.receiver import self_signed, serving

    settings.FUWU_WEBHOOK_ALLOW_HOSTS = ["127.0.0.1"]
    pem = self_signed(tmp_path)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(pem)
    with serving(context) as tls:
        sub = subscribe(api, tls.url, events=["opened"])
        repair(world)
        run_deliveries()  # a certificate nobody vouches for: refused before anything is sent
        delivery = WebhookDelivery.objects.get()
        assert delivery.status == "pending" and "CERTIFICATE_VERIFY_FAILED" in delivery.last_error
        assert tls.requests == []
        monkeypatch.setenv("SSL_CERT_FILE", str(pem))  # now the receiver's certificate is trusted
        api("sc_manager").post(f"/api/webhooks/deliveries/{delivery.pk}/replay")
        run_deliveries()
    delivery.refresh_from_db()
    assert delivery.status == "delivered" and len(tls.requests) == 1
    signed = tls.requests[0]
    assert payload.verify(sub["secret"], signed.body, signed.headers["X-Fuwu-Signature"])


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_two_worker_processes_send_each_delivery_once(world, api, receiver):
    """Two processes given the same deliveries at the same moment (two workers running the
    same task twice): the claim lets one send each."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: worker processes must share the test database")
    subscribe(api, receiver.url, events=["opened"])
    for n in range(6):
        repair(world, f"第{n}单")
    ids = [str(pk) for pk in WebhookDelivery.objects.values_list("pk", flat=True)]
    s = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{s['USER']}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}",
        "FUWU_WEBHOOK_ALLOW_HOSTS": "127.0.0.1",
    }
    code = f"from fuwu.channels.webhooks.tasks import deliver; deliver.call({ids!r})"
    runs = [
        subprocess.Popen(
            [sys.executable, "-m", "fuwu.cli", "shell", "-c", code],
            cwd=Path(__file__).resolve().parents[3],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(2)
    ]
    for run in runs:
        assert run.wait(90) == 0
    sent = [r.headers["X-Fuwu-Delivery"] for r in receiver.requests]
    assert sorted(sent) == sorted(ids)  # each once
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {"delivered"}
    assert WebhookAttempt.objects.count() == len(ids)
