from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from fuwu.channels.models import Route
from fuwu.channels.tests import wechat_kit as kit
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
