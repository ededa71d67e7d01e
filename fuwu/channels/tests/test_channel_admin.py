"""Mailboxes and the SMS provider configured in the admin: their secrets are written, never
shown back, and the worker and the notices use what the admin configured."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from fuwu.cases.models import Case
from fuwu.channels.choices import DeliveryStatus
from fuwu.channels.email.imap import poll_mailboxes
from fuwu.channels.models import Mailbox, SmsSettings
from fuwu.channels.sms.aliyun import sign
from fuwu.channels.tasks import deliver
from fuwu.channels.tests.conftest import BIZ_ID, notice_to_owner, sms_receipt
from fuwu.channels.tests.servers import free_port
from fuwu.channels.tests.test_email import TO, _append, compose

pytestmark = pytest.mark.django_db

MAILBOX = "/admin/channels/mailbox/"
SMS = "/admin/channels/smssettings/"


@pytest.fixture
def admin_client(world: Any) -> Client:
    root = get_user_model().objects.create_superuser("root", "root@example.com", "pw-root-1")
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(root)
    return client


def mailbox_form(world: Any, **fields: Any) -> dict[str, Any]:
    return {
        "site": world.sites["lanting"].pk,
        "name": "报修邮箱",
        "host": "127.0.0.1",
        "port": 993,
        "username": "repair",
        "password": "",
        "folder": "INBOX",
        "address": TO,
        "active": "on",
        **fields,
    }


def test_a_mailbox_added_in_the_admin_never_shows_its_password_and_the_worker_reads_it(
    world, admin_client, mail_route, imap_server, settings
):
    settings.FUWU_IMAP_MAILBOXES = []
    refused = admin_client.post(MAILBOX + "add/", mailbox_form(world))
    assert refused.status_code == 200 and "请填写密码" in refused.content.decode()
    assert not Mailbox.objects.exists()
    form = mailbox_form(
        world, host=imap_server.host, port=imap_server.port, username=imap_server.user
    )
    added = admin_client.post(MAILBOX + "add/", {**form, "password": imap_server.password})
    assert added.status_code == 302
    box = Mailbox.objects.get()
    assert box.password == imap_server.password and not box.ssl
    listing = admin_client.get(MAILBOX).content.decode()
    assert imap_server.password not in listing and "****" + imap_server.password[-4:] in listing
    page = admin_client.get(f"{MAILBOX}{box.pk}/change/").content.decode()
    assert imap_server.password not in page
    # Saved again with the password left empty: the stored one stays.
    kept = admin_client.post(f"{MAILBOX}{box.pk}/change/", {**form, "name": "报修"})
    assert kept.status_code == 302
    box.refresh_from_db()
    assert (box.name, box.password) == ("报修", imap_server.password)

    _append(imap_server, compose())
    assert poll_mailboxes() == {"accepted": 1}
    assert Case.objects.count() == 1
    box.refresh_from_db()
    assert box.last_polled_at is not None and box.last_error == ""


def test_a_failing_admin_mailbox_records_its_error_and_an_inactive_one_is_not_read(
    world, settings, caplog
):
    settings.FUWU_IMAP_MAILBOXES = []
    site = world.sites["lanting"]
    common = {"site": site, "host": "127.0.0.1", "ssl": False, "password": "p"}
    down = Mailbox.objects.create(name="坏", port=free_port(), username="down", **common)
    off = Mailbox.objects.create(
        name="停", port=free_port(), username="off", active=False, **common
    )
    assert poll_mailboxes() == {}
    down.refresh_from_db()
    off.refresh_from_db()
    assert down.last_polled_at is not None and down.last_error
    assert off.last_polled_at is None
    assert "IMAP mailbox down@127.0.0.1" in caplog.text and "off@" not in caplog.text


def sms_form(**fields: Any) -> dict[str, Any]:
    return {
        "kind": "aliyun",
        "access_key_id": "LTAI-admin",
        "access_key_secret": "",
        "sign_name": "兰亭物业",
        "template_code": "SMS_000002",
        "region": "cn-hangzhou",
        "endpoint": "https://dysmsapi.aliyuncs.com/",
        "callback_token": "",
        "active": "on",
        **fields,
    }


def test_the_sms_provider_configured_in_the_admin_sends_the_notices(
    world, admin_client, settings, sms_api
):
    settings.FUWU_QUIET_HOURS = ""
    settings.FUWU_SMS_PROVIDER = ""  # nothing in the settings: the admin's row is what counts
    settings.FUWU_SMS_CALLBACK_TOKEN = ""
    secret, token = "admin-secret-7391", "admin-token-5824"
    refused = admin_client.post(SMS + "add/", sms_form(endpoint=sms_api.base + "/"))
    assert refused.status_code == 200 and "阿里云短信需要填写此项" in refused.content.decode()
    assert not SmsSettings.objects.exists()
    form = sms_form(endpoint=sms_api.base + "/")
    added = admin_client.post(
        SMS + "add/", {**form, "access_key_secret": secret, "callback_token": token}
    )
    assert added.status_code == 302
    row = SmsSettings.objects.get()
    for url in (SMS, f"{SMS}{row.pk}/change/"):
        page = admin_client.get(url).content.decode()
        assert secret not in page and token not in page
    assert "****" + secret[-4:] in admin_client.get(SMS).content.decode()
    assert admin_client.post(f"{SMS}{row.pk}/change/", form).status_code == 302
    row.refresh_from_db()
    assert (row.access_key_secret, row.callback_token) == (secret, token)
    second = admin_client.post(SMS + "add/", {**form, "kind": "console"})
    assert "已有启用的短信服务商" in second.content.decode()

    notice = notice_to_owner(world, "sms")
    assert notice.channel == "sms"
    assert deliver.call(notice.pk) == DeliveryStatus.SENT
    (call,) = sms_api.seen
    q = dict(call.query)
    assert q.pop("Signature") == sign(q, secret)
    assert (q["AccessKeyId"], q["TemplateCode"]) == ("LTAI-admin", "SMS_000002")

    body = sms_receipt(notice, BIZ_ID)
    wrong = Client().post(
        "/channels/sms/aliyun/receipt?token=x", body, content_type="application/json"
    )
    assert wrong.status_code == 403
    url = f"/channels/sms/aliyun/receipt?token={quote(token)}"
    assert Client().post(url, body, content_type="application/json").status_code == 200
    notice.refresh_from_db()
    assert notice.status == DeliveryStatus.DELIVERED
