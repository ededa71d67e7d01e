"""The WeChat journey end to end: a message opens a repair case, the agent answers on the case
page in a real browser, and the customer's WeChat receives the answer as a template message;
then the customer replies by e-mail (posted by the mail server) and the reply lands on the case
the agent has open."""

from __future__ import annotations

from email.message import EmailMessage
from email.utils import make_msgid

import pytest
from django.test import Client

from fuwu.cases.models import Case
from fuwu.channels.choices import DeliveryStatus
from fuwu.channels.models import Delivery, Route
from fuwu.channels.tasks import deliver
from fuwu.channels.tests import wechat_kit as kit
from fuwu.channels.tests.fake_servers import serving
from fuwu.channels.wechat.models import WechatReceipt
from fuwu.channels.wechat.receive import process
from fuwu.customers.models import Customer

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_wechat_message_becomes_a_case_and_the_answer_reaches_wechat(
    web, world, account, settings
):
    settings.FUWU_QUIET_HOURS = ""
    settings.FUWU_MAIL_INBOUND_SECRET = "s3cret"
    Route.objects.create(
        channel="wechat",
        address=kit.APP_ID,
        site=world.sites["lanting"],
        procedure_key="property_repair",
    )
    wechat = kit.WechatServer(Client())
    with serving() as api:
        settings.FUWU_WECHAT_API_BASE = api.base
        api.answer("/cgi-bin/token", (200, {"access_token": "T", "expires_in": 7200}))
        api.answer("/cgi-bin/message/template/send", (200, {"errcode": 0, "msgid": 1}))

        wechat.safe(kit.event("oOwner", "subscribe"))
        wechat.safe(kit.text_message("oOwner", "3栋2单元1502 卫生间天花板渗水", 8801))
        process.call(WechatReceipt.objects.get(key="8801").pk)  # the worker, after the reply
        case = Case.objects.get()
        for notice in Delivery.objects.filter(case=case):
            assert deliver.call(notice.pk) == DeliveryStatus.SENT

        page = web.page()
        web.login(page, "agent")
        page.goto(f"/cases/{case.pk}/")
        assert "卫生间天花板渗水" in page.inner_text("body")
        assert "微信" in page.inner_text("body")
        web.shot(page, "case-from-wechat", full_page=False)
        page.click("button[data-bs-target='#act-comment']")
        page.fill("[data-testid=comment-form] textarea", "明天上午九点维修工上门查看")
        page.check("[data-testid=comment-form] input[value=public]")
        page.click("[data-testid=comment-submit]")
        page.wait_for_selector("text=明天上午九点维修工上门查看")
        web.shot(page, "answered", full_page=False)

        reply = Delivery.objects.get(case=case, kind="reply")
        assert deliver.call(reply.pk) == DeliveryStatus.SENT  # the worker sends it
        sent = api.calls("/cgi-bin/message/template/send")[-1].json()
    assert sent["touser"] == "oOwner"
    assert "明天上午九点维修工上门查看" in sent["data"]["remark"]["value"]
    assert sent["data"]["keyword1"]["value"] == case.number

    # The customer answers by e-mail; the reply, its subject tagged with the case number, is
    # threaded onto the case as their public comment and the agent sees it on the page.
    Customer.objects.filter(pk=case.customer_id).update(email="wechat.owner@example.com")
    Route.objects.create(
        channel="email",
        address="service@lanting.example.cn",
        site=world.sites["lanting"],
        procedure_key="property_repair",
    )
    mail = EmailMessage()
    mail["From"] = "业主 <wechat.owner@example.com>"
    mail["To"] = "service@lanting.example.cn"
    mail["Subject"] = f"回复：[#{case.number}] 维修进度"
    mail["Message-ID"] = make_msgid(domain="example.com")
    mail.set_content("好的，明天上午我在家。")
    posted = Client().post(
        "/channels/email/inbound",
        data=mail.as_bytes(),
        content_type="message/rfc822",
        headers={"X-Fuwu-Secret": "s3cret"},
    )
    assert posted.status_code == 202 and posted.json()["status"] == "threaded", posted.json()
    page.goto(f"/cases/{case.pk}/")
    page.wait_for_selector("text=好的，明天上午我在家。")
    web.shot(page, "reply-by-email", full_page=False)
    assert Case.objects.count() == 1 and not page.js_errors
