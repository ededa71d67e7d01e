"""The callback as WeChat's servers call it: verification, signatures, replay, refusals."""

from __future__ import annotations

import logging
import time

import time_machine

from fuwu.channels.tests import wechat_kit as kit
from fuwu.channels.wechat.choices import Mode
from fuwu.channels.wechat.models import WechatFollower, WechatReceipt


def test_url_verification_echoes_echostr_only_when_signed(wechat):
    ok = wechat.verify("5938279318")
    assert ok.status_code == 200 and ok.content == b"5938279318"
    assert wechat.verify("5938279318", signature="0" * 40).status_code == 403
    assert wechat.client.get("/channels/wechat/wxUNKNOWN/callback").status_code == 404


def test_bad_signature_is_refused_with_a_log_entry_and_nothing_written(wechat, caplog):
    caplog.set_level(logging.WARNING, "fuwu.channels.wechat")
    fields = kit.event("oUser1", "subscribe")
    assert wechat.safe(fields, signature="f" * 40).status_code == 403
    assert wechat.safe(fields, msg_signature="f" * 40).status_code == 403
    assert not WechatReceipt.objects.exists() and not WechatFollower.objects.exists()
    assert "bad signature" in caplog.text and "bad msg_signature" in caplog.text


def test_an_old_or_replayed_timestamp_is_refused(wechat, caplog):
    caplog.set_level(logging.WARNING, "fuwu.channels.wechat")
    old = int(time.time()) - 301
    response = wechat.safe(kit.event("oUser1", "subscribe", at=old), timestamp=old)
    assert response.status_code == 403
    assert (
        wechat.safe(kit.event("oUser1", "subscribe"), timestamp=int(time.time()) + 400).status_code
        == 403
    )
    assert not WechatReceipt.objects.exists()
    assert "stale timestamp" in caplog.text


def test_malformed_or_oversized_bodies_are_refused_and_logged(wechat, caplog):
    caplog.set_level(logging.WARNING, "fuwu.channels.wechat")
    q = wechat.query()
    from urllib.parse import urlencode

    url = f"{wechat.url}?{urlencode(q)}"
    assert wechat.client.post(url, b"<xml><Encrypt>", content_type="text/xml").status_code == 400
    big = b"<xml><Encrypt>" + b"A" * 70_000 + b"</Encrypt></xml>"
    assert wechat.client.post(url, big, content_type="text/xml").status_code == 413
    # Signed correctly, but what is inside is no message.
    assert wechat.safe({}, raw=b"<xml><Nonsense/></xml>").status_code == 400
    # Safe mode takes no plain message.
    assert wechat.plain(kit.event("oUser1", "subscribe")).status_code == 400
    assert not WechatReceipt.objects.exists()
    for reason in ("malformed_xml", "body too large", "malformed_message", "not encrypted"):
        assert reason in caplog.text


def test_subscribe_gets_an_encrypted_welcome_and_a_retry_counts_once(wechat):
    with time_machine.travel(time.time(), tick=False):
        fields = kit.event("oUser1", "subscribe")
        first = wechat.safe(fields)
        assert first.status_code == 200
        reply = wechat.reply_of(first)
        assert reply["ToUserName"] == "oUser1" and reply["FromUserName"] == kit.ORIGINAL_ID
        assert reply["MsgType"] == "text" and "感谢关注兰亭物业服务" in reply["Content"]
        again = wechat.safe(fields)  # WeChat's retry: same sender, same CreateTime
        assert again.content == b"success"
    assert WechatReceipt.objects.count() == 1
    assert WechatFollower.objects.get(openid="oUser1").subscribed
    wechat.safe(kit.event("oUser1", "unsubscribe", at=int(time.time()) + 1))
    assert not WechatFollower.objects.get(openid="oUser1").subscribed


def test_plain_mode_replies_in_plain_xml(wechat, account):
    account.mode = Mode.PLAIN
    account.save()
    response = wechat.plain(kit.event("oUser2", "subscribe"))
    assert response.status_code == 200
    assert b"<Encrypt>" not in response.content
    assert "感谢关注" in wechat.reply_of(response)["Content"]


def test_what_cannot_become_a_request_is_answered_and_queues_nothing(wechat):
    from django_tasks_db.models import DBTaskResult

    location = {
        "ToUserName": kit.ORIGINAL_ID,
        "FromUserName": "oUser3",
        "CreateTime": int(time.time()),
        "MsgType": "location",
        "Location_X": "23.134521",
        "Location_Y": "113.358803",
        "MsgId": 7001,
    }
    assert "暂不支持" in wechat.reply_of(wechat.safe(location))["Content"]
    mute = kit.voice_message("oUser3", "", 7002)
    assert "未能识别语音" in wechat.reply_of(wechat.safe(mute))["Content"]
    assert set(WechatReceipt.objects.values_list("status", flat=True)) == {"ignored"}
    assert not DBTaskResult.objects.filter(task_path__endswith="receive.process").exists()
    # A text is queued for the worker in the callback's own transaction.
    wechat.safe(kit.text_message("oUser3", "水管漏水", 7003))
    assert DBTaskResult.objects.filter(task_path__endswith="receive.process").count() == 1
