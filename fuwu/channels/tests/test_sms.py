"""SMS through Alibaba Cloud's documented API shape, against a local server: SendSms signed as
the provider checks it, inbound messages and delivery receipts posted as its callbacks do."""

from __future__ import annotations

import json
import logging
from urllib.parse import quote

import pytest
from django.test import Client

from fuwu.cases.models import Case
from fuwu.channels.choices import DeliveryStatus
from fuwu.channels.models import Delivery, InboundMessage, Route
from fuwu.channels.sms.aliyun import sign
from fuwu.channels.tasks import deliver
from fuwu.channels.tests.conftest import notice_to_owner, sms_receipt

SECRET = "callback-secret-2026"


def test_the_signature_matches_the_providers_documented_example():
    # The worked example of Alibaba Cloud's "signature mechanism" page for SendSms.
    params = {
        "AccessKeyId": "testId",
        "Action": "SendSms",
        "Format": "XML",
        "OutId": "123",
        "PhoneNumbers": "15300000001",
        "RegionId": "cn-hangzhou",
        "SignName": "阿里云短信测试专用",
        "SignatureMethod": "HMAC-SHA1",
        "SignatureNonce": "45e25e9b-0a6f-4070-8c85-2956eda1b466",
        "SignatureVersion": "1.0",
        "TemplateCode": "SMS_71390007",
        "TemplateParam": '{"customer":"test"}',
        "Timestamp": "2017-07-12T02:42:19Z",
        "Version": "2017-05-25",
    }
    assert sign(params, "testSecret") == "zJDF+Lrzhj/ThnlvIToysFRq6t4="


@pytest.fixture
def aliyun(settings, sms_api):
    settings.FUWU_QUIET_HOURS = ""
    settings.FUWU_SMS_PROVIDER = "aliyun"
    settings.FUWU_SMS_CALLBACK_TOKEN = SECRET
    settings.FUWU_SMS_ALIYUN = {
        "endpoint": sms_api.base + "/",
        "access_key_id": "LTAI-test",
        "access_key_secret": "secret-test",
        "sign_name": "兰亭物业",
        "template_code": "SMS_000001",
        "region": "cn-hangzhou",
    }
    return sms_api


def test_a_notice_goes_out_by_sendsms_signed_and_its_receipt_marks_it_delivered(aliyun, world):
    notice = notice_to_owner(world, "sms")
    case = notice.case
    assert (notice.channel, notice.address) == ("sms", "13812345678")
    assert deliver.call(notice.pk) == DeliveryStatus.SENT
    (call,) = aliyun.seen
    q = dict(call.query)
    given = q.pop("Signature")
    assert given == sign(q, "secret-test")  # what the provider recomputes
    assert (q["Action"], q["PhoneNumbers"], q["SignName"], q["OutId"]) == (
        "SendSms",
        "13812345678",
        "兰亭物业",
        str(notice.pk),
    )
    assert case.number in json.loads(q["TemplateParam"])["content"]
    notice.refresh_from_db()
    assert notice.provider_id == "900619746936498440^0"

    url = f"/channels/sms/aliyun/receipt?token={quote(SECRET)}"
    body = sms_receipt(notice, "900619746936498440^0")
    response = Client().post(url, body, content_type="application/json")
    assert response.status_code == 200 and response.json() == {"code": 0, "msg": "成功"}
    notice.refresh_from_db()
    assert notice.status == DeliveryStatus.DELIVERED


def test_a_provider_error_is_final_or_retried_by_its_code(aliyun, world):
    aliyun.answer("/", (200, {"Code": "isv.BUSINESS_LIMIT_CONTROL", "Message": "触发流控"}))
    notice = notice_to_owner(world, "sms")
    assert deliver.call(notice.pk) == DeliveryStatus.RETRYING
    aliyun.answer("/", (200, {"Code": "isv.MOBILE_NUMBER_ILLEGAL", "Message": "非法手机号"}))
    Delivery.objects.filter(pk=notice.pk).update(next_attempt_at=None)
    assert deliver.call(notice.pk) == DeliveryStatus.FAILED


def _smsup(sequence: int, text: str, phone: str = "13812345678") -> list[dict]:
    return [
        {
            "phone_number": phone,
            "send_time": "2026-12-04 09:30:00",
            "content": text,
            "sign_name": "兰亭物业",
            "dest_code": "1234",
            "sequence_id": sequence,
        }
    ]


def test_an_inbound_sms_opens_a_case_for_the_customer_found_by_phone_once(aliyun, world):
    Route.objects.create(
        channel="sms", address="*", site=world.sites["lanting"], procedure_key="property_repair"
    )
    url = f"/channels/sms/aliyun/inbound?token={quote(SECRET)}"
    body = json.dumps(_smsup(1234, "5栋电梯困人"))
    assert Client().post(url, body, content_type="application/json").json()["code"] == 0
    assert Client().post(url, body, content_type="application/json").status_code == 200
    case = Case.objects.get()
    assert (case.channel, case.customer, case.title) == (
        "sms",
        world.customers["owner"],
        "5栋电梯困人",
    )
    assert InboundMessage.objects.count() == 1
    # A reply to the notice we texted lands on that case.
    Delivery.objects.filter(case=case).update(channel="sms", address="13812345678")
    Client().post(url, json.dumps(_smsup(1235, "人已出来了")), content_type="application/json")
    assert Case.objects.count() == 1
    assert case.events.filter(kind="commented", data__text="人已出来了").exists()


@pytest.mark.parametrize(
    ("token", "body", "status", "reason"),
    [
        ("wrong", "[]", 403, "bad token"),
        ("", "[]", 403, "bad token"),
        (SECRET, "{not json", 400, "malformed JSON"),
        (SECRET, '{"phone_number": "1"}', 400, "not a JSON array"),
        (SECRET, '[{"content": "no phone"}]', 400, "SmsUp without phone_number"),
    ],
)
def test_refused_callbacks_write_nothing_and_are_logged(
    aliyun, world, caplog, token, body, status, reason
):
    caplog.set_level(logging.WARNING, "fuwu.channels.sms")
    url = f"/channels/sms/aliyun/inbound?token={quote(token)}"
    assert Client().post(url, body, content_type="application/json").status_code == status
    assert not InboundMessage.objects.exists() and not Case.objects.exists()
    assert reason in caplog.text


def test_an_oversized_callback_or_an_unknown_provider_is_refused(aliyun, world):
    big = json.dumps(_smsup(1, "x" * 300_000))
    url = f"/channels/sms/aliyun/inbound?token={quote(SECRET)}"
    assert Client().post(url, big, content_type="application/json").status_code == 413
    url = f"/channels/sms/nope/inbound?token={quote(SECRET)}"
    assert Client().post(url, "[]", content_type="application/json").status_code == 404
    assert not InboundMessage.objects.exists()


def test_the_console_provider_logs_and_takes_the_neutral_callbacks(settings, world, caplog):
    settings.FUWU_SMS_PROVIDER = "console"
    settings.FUWU_SMS_CALLBACK_TOKEN = SECRET
    settings.FUWU_QUIET_HOURS = ""
    caplog.set_level(logging.WARNING, "fuwu.channels.sms")
    notice = notice_to_owner(world, "sms")
    case = notice.case
    assert deliver.call(notice.pk) == DeliveryStatus.SENT
    assert "SMS to 13812345678" in caplog.text and case.number in caplog.text
    notice.refresh_from_db()
    receipt = json.dumps([{"id": notice.provider_id, "delivered": False, "error": "空号"}])
    url = f"/channels/sms/console/receipt?token={quote(SECRET)}"
    assert Client().post(url, receipt, content_type="application/json").status_code == 200
    notice.refresh_from_db()
    assert (notice.status, notice.error) == (DeliveryStatus.FAILED, "空号")
