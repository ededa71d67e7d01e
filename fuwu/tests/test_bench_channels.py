"""`make bench --only channels` builds its e-mails and WeChat messages itself: keep the endpoints
accepting them (and its stats reading the cases they make)."""

from __future__ import annotations

from typing import Any

from django.test import Client

from bench import channels
from fuwu.channels.wechat.models import WechatReceipt
from fuwu.channels.wechat.receive import process


def test_the_bench_messages_are_accepted_and_become_one_case_each(world: Any, settings: Any):
    settings.FUWU_MAIL_INBOUND_SECRET = channels.SECRET
    settings.FUWU_QUIET_HOURS = ""
    settings.FUWU_WECHAT_API_BASE = "http://127.0.0.1:9"
    channels.setup_routes()
    client = Client()
    for i in range(2):
        answer = client.post(
            channels.MAIL_PATH,
            data=channels.email_message(i),
            content_type="message/rfc822",
            headers={"X-Fuwu-Secret": channels.SECRET},
        )
        assert answer.status_code == 202, answer.content
        assert answer.json()["status"] == "accepted" and answer.json()["case"]
    path, body = channels.wechat_request(7)
    reply = client.post(path, body, content_type="text/xml")
    assert reply.status_code == 200, reply.content
    assert client.post(path, body, content_type="text/xml").status_code == 200  # WeChat's retry
    assert process.call(WechatReceipt.objects.get().pk) == "accepted"
    stats = channels.stats()
    assert stats["cases"] == 3
    assert stats["email"]["distinct_cases"] == stats["email"]["with_case"] == 2
    assert stats["wechat"] == {
        "messages": 1,
        "with_case": 1,
        "distinct_cases": 1,
        "statuses": {"accepted": 1},
        "delay_ms": stats["wechat"]["delay_ms"],
    }
    assert 0 <= stats["wechat"]["delay_ms"]["max"] < 60_000
