"""Progress notices as WeChat template messages, sent by the worker to a local WeChat API."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from fuwu.cases import actions
from fuwu.cases.models import Case
from fuwu.channels import outbound
from fuwu.channels.choices import DeliveryStatus
from fuwu.channels.models import Delivery, Route
from fuwu.channels.tasks import deliver
from fuwu.channels.tests import wechat_kit as kit
from fuwu.channels.tests.conftest import notice_to_owner
from fuwu.channels.tests.fake_servers import serving
from fuwu.channels.wechat import client
from fuwu.channels.wechat.models import WechatAccount, WechatReceipt
from fuwu.channels.wechat.receive import process

TOKEN_PATH = "/cgi-bin/token"
SEND_PATH = "/cgi-bin/message/template/send"


@pytest.fixture
def weixin(settings, account):
    settings.FUWU_QUIET_HOURS = ""
    with serving() as api:
        settings.FUWU_WECHAT_API_BASE = api.base
        api.answer(TOKEN_PATH, (200, {"access_token": "TOKEN-1", "expires_in": 7200}))
        api.answer(SEND_PATH, (200, {"errcode": 0, "errmsg": "ok", "msgid": 200228332}))
        yield api


def test_a_wechat_request_is_acknowledged_and_answered_by_template_message(wechat, weixin, world):
    Route.objects.create(
        channel="wechat",
        address=kit.APP_ID,
        site=world.sites["lanting"],
        procedure_key="property_repair",
    )
    wechat.safe(kit.event("oOwner", "subscribe"))
    wechat.safe(kit.text_message("oOwner", "楼道灯不亮", 501))
    process.call(WechatReceipt.objects.get(key="501").pk)
    case = Case.objects.get()
    notice = Delivery.objects.get(case=case)
    assert (notice.channel, notice.address, notice.kind) == ("wechat", "oOwner", "opened")
    assert deliver.call(notice.pk) == DeliveryStatus.SENT
    (token_call,) = weixin.calls(TOKEN_PATH)
    assert token_call.query == {
        "grant_type": "client_credential",
        "appid": kit.APP_ID,
        "secret": "appsecret-for-tests",
    }
    (sent,) = weixin.calls(SEND_PATH)
    assert sent.query == {"access_token": "TOKEN-1"}
    body = sent.json()
    assert body["touser"] == "oOwner" and body["template_id"] == "TPL_PROGRESS"
    assert body["url"].endswith(f"/portal/cases/{case.pk}/")
    assert body["data"]["keyword1"] == {"value": case.number}
    assert body["data"]["keyword2"] == {"value": "已受理"}
    assert "楼道灯不亮" in body["data"]["first"]["value"]
    notice.refresh_from_db()
    assert notice.provider_id == "200228332"
    # WeChat reports the template message's fate with an event: delivered.
    finish = kit.event("oOwner", "TEMPLATESENDJOBFINISH", at=int(time.time()) + 5)
    finish.update(MsgID=200228332, Status="success")
    assert wechat.safe(finish).content == b"success"
    notice.refresh_from_db()
    assert notice.status == DeliveryStatus.DELIVERED

    # The agent answers on the case: the customer's WeChat receives it, with the token cached.
    actions.comment(world.actor("agent"), case.pk, text="明早九点电工上门")
    reply = Delivery.objects.get(case=case, kind="reply")
    assert deliver.call(reply.pk) == DeliveryStatus.SENT
    assert len(weixin.calls(TOKEN_PATH)) == 1
    assert "明早九点电工上门" in weixin.calls(SEND_PATH)[-1].json()["data"]["remark"]["value"]


def test_an_invalid_or_expired_token_is_fetched_again_once(weixin, account):
    WechatAccount.objects.filter(pk=account.pk).update(
        access_token="OLD", access_token_expires_at=timezone.now() + timedelta(hours=1)
    )
    account.refresh_from_db()
    weixin.answer(
        SEND_PATH,
        (200, {"errcode": 40001, "errmsg": "invalid credential"}),
        (200, {"errcode": 0, "errmsg": "ok", "msgid": 7}),
    )
    msgid = client.send_template(account, openid="o1", template_id="T", url="", data={"first": "x"})
    assert msgid == "7"
    assert [c.query["access_token"] for c in weixin.calls(SEND_PATH)] == ["OLD", "TOKEN-1"]
    account.refresh_from_db()
    assert account.access_token == "TOKEN-1"
    # Near expiry, a new one is fetched before calling.
    with time_machine.travel(timezone.now() + timedelta(seconds=7200 - 60)):
        client.send_template(account, openid="o1", template_id="T", url="", data={})
    assert len(weixin.calls(TOKEN_PATH)) == 2


def test_wechat_down_delays_the_notice_and_a_blocked_user_fails_it(weixin, account, world):
    owner = world.customers["owner"]
    from fuwu.channels.inbound import bind
    from fuwu.channels.wechat.models import WechatFollower

    WechatFollower.objects.create(account=account, openid="oOwner")
    bind(owner, "wechat", "oOwner")
    notice = notice_to_owner(world)
    weixin.answer(SEND_PATH, (503, b"busy"))
    assert deliver.call(notice.pk) == DeliveryStatus.RETRYING
    weixin.answer(SEND_PATH, (200, {"errcode": 43004, "errmsg": "require subscribe"}))
    with time_machine.travel(timezone.now() + timedelta(minutes=5)):
        assert outbound.attempt(notice.pk) == DeliveryStatus.FAILED
    notice.refresh_from_db()
    assert "43004" in notice.error
