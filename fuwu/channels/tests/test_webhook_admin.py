"""Webhooks in the admin: the same checks as the API, the secret shown once, replay."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from fuwu.channels.tests.receiver import Receiver, receiver_fixture, run_deliveries  # noqa: F401
from fuwu.channels.webhooks.models import WebhookDelivery, WebhookSubscription
from fuwu.web.tests.test_queue import repair

pytestmark = pytest.mark.django_db

ADD = "/admin/channels/webhooksubscription/add/"


def test_an_administrator_adds_a_subscription_and_replays_a_delivery(world, receiver: Receiver):
    admin = get_user_model().objects.create_superuser("root", "root@example.com", "pw-root-1")
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(admin)
    form = {"name": "工程系统", "url": "https://10.0.0.8/in", "site": world.sites["lanting"].pk}
    refused = client.post(ADD, {**form, "active": "on"})
    assert refused.status_code == 200 and "不能发送到内网" in refused.content.decode()
    assert not WebhookSubscription.objects.exists()
    made = client.post(
        ADD, {**form, "url": receiver.url, "event_kinds": ["opened"], "active": "on"}, follow=True
    )
    assert made.status_code == 200
    row = WebhookSubscription.objects.get()
    assert row.event_kinds == ["opened"] and row.created_by == admin and row.active
    page = made.content.decode()
    assert row.secret in page  # shown this once …
    changed = client.get(f"/admin/channels/webhooksubscription/{row.pk}/change/").content.decode()
    assert row.secret not in changed and row.secret_hint in changed  # … never again in full
    repair(world)
    run_deliveries()
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "delivered"
    replayed = client.post(
        "/admin/channels/webhookdelivery/",
        {"action": "replay", "_selected_action": [str(delivery.pk)]},
        follow=True,
    )
    assert "已重发 1 条记录" in replayed.content.decode()
    run_deliveries()
    assert len(receiver.requests) == 2
    assert len({r.headers["X-Fuwu-Delivery"] for r in receiver.requests}) == 1
