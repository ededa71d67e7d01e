"""Fixtures for the channels' tests: a WeChat account on the 兰亭 site."""

from __future__ import annotations

import pytest
from django.test import Client

from fuwu.channels.tests import wechat_kit as kit
from fuwu.channels.wechat.choices import Mode
from fuwu.channels.wechat.models import WechatAccount


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
