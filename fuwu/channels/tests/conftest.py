from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from fuwu.cases import actions
from fuwu.cases.models import Case
from fuwu.channels.models import Delivery, Route
from fuwu.channels.tests import wechat_kit as kit
from fuwu.channels.tests.fake_servers import FakeApi, serving
from fuwu.channels.tests.servers import DOVECOT, Imap, Smtp, dovecot, smtp_server
from fuwu.channels.wechat.choices import Mode
from fuwu.channels.wechat.models import WechatAccount


@pytest.fixture
def imap_server() -> Iterator[Imap]:
    """Debian's Dovecot with its configuration in a temporary directory (dovecot-imapd is in
    the Makefile's DEBIAN_TEST_PACKAGES; in CI it must be there)."""
    if DOVECOT is None:
        if os.environ.get("CI"):
            pytest.fail("dovecot is not installed (apt-get install dovecot-imapd)")
        pytest.skip("dovecot is not installed (apt-get install dovecot-imapd)")
    # Not under pytest's tmp_path: its parents are private to us, and Dovecot's mail processes
    # run as its own user when the tests run as root.
    with tempfile.TemporaryDirectory(prefix="fuwu-dovecot-") as tmp, dovecot(Path(tmp)) as server:
        yield server


@pytest.fixture
def smtp(settings: Any) -> Iterator[Smtp]:
    """aiosmtpd in this process, and Django's mailer pointed at it over real SMTP."""
    with smtp_server() as server:
        settings.MAILERS = smtp_mailer(server.port)
        yield server


def smtp_mailer(port: int) -> dict[str, Any]:
    return {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": port, "timeout": 5},
        }
    }


@pytest.fixture
def mail_route(world: Any, settings: Any) -> Route:
    settings.FUWU_QUIET_HOURS = ""
    settings.FUWU_MAIL_FROM = "service@lanting.example.cn"
    settings.FUWU_MAIL_DOMAIN = "lanting.example.cn"
    return Route.objects.create(
        channel="email",
        address="repair@lanting.example.cn",
        site=world.sites["lanting"],
        procedure_key="property_repair",
    )


@pytest.fixture
def account(world) -> WechatAccount:
    return WechatAccount.objects.create(
        site=world.sites["lanting"],
        name="兰亭物业服务",
        app_id=kit.APP_ID,
        original_id=kit.ORIGINAL_ID,
        token=kit.TOKEN,
        encoding_aes_key=kit.AES_KEY,
        app_secret="appsecret-for-tests",
        mode=Mode.SAFE,
        template_id="TPL_PROGRESS",
    )


@pytest.fixture
def wechat(account: WechatAccount) -> kit.WechatServer:
    return kit.WechatServer(Client())


BIZ_ID = "900619746936498440^0"  # what the fake SMS API names each message it accepts


@pytest.fixture
def sms_api() -> Iterator[FakeApi]:
    """A local stand-in for Alibaba Cloud's SMS API that accepts every SendSms."""
    with serving() as api:
        api.answer("/", (200, {"Code": "OK", "Message": "OK", "BizId": BIZ_ID}))
        yield api


def open_pipe_leak(world: Any) -> Case:
    """An agent opens a repair case (a leaking pipe) by phone for the owner, which queues the
    "opened" notice."""
    return actions.open_case(
        world.actor("agent"),
        procedure_key="property_repair",
        site_id=world.sites["lanting"].pk,
        channel="phone",
        title="水管漏水",
        customer_id=world.customers["owner"].pk,
        data={"repair_item": "水管", "service_type": "free"},
    )


def notice_to_owner(world: Any, channel: str = "") -> Delivery:
    """The notice queued when a repair case is opened for the owner (who prefers `channel` to
    be told on, when one is given); the test delivers it."""
    if channel:
        owner = world.customers["owner"]
        owner.preferences = {"contact_channel": channel}
        owner.save()
    return Delivery.objects.get(case=open_pipe_leak(world))


def sms_receipt(notice: Delivery, biz_id: str) -> str:
    """Alibaba Cloud's SmsReport callback body: the message `biz_id`, sent for `notice`,
    reached the phone."""
    return json.dumps(
        [
            {
                "phone_number": "13812345678",
                "send_time": "2026-12-04 10:00:00",
                "report_time": "2026-12-04 10:00:05",
                "success": True,
                "err_code": "DELIVERED",
                "err_msg": "用户接收成功",
                "sms_size": "1",
                "biz_id": biz_id,
                "out_id": str(notice.pk),
            }
        ]
    )
