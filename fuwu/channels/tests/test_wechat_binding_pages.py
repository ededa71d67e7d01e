"""Where a binding code comes from (the portal's account page), how long it lives, and the
admin page of an account, which never shows a secret back."""

from __future__ import annotations

import re
import time
from datetime import timedelta

import time_machine
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from fuwu.channels.models import Identity
from fuwu.channels.tests import wechat_kit as kit
from fuwu.channels.wechat import binding
from fuwu.channels.wechat.models import WechatAccount
from fuwu.portal.tests.helpers import give_account


def test_the_portal_hands_out_a_code_that_binds_the_customers_wechat(world, wechat):
    owner = world.customers["owner"]
    client = Client()
    client.force_login(give_account(owner, "13812345678"))
    account_page = client.get("/portal/account/").content.decode()
    assert "绑定公众号“兰亭物业服务”后" in account_page
    page = client.post("/portal/account/wechat/").content.decode()
    code = re.search(r'data-testid="wechat-code">绑定 (\d{6})<', page).group(1)
    reply = wechat.reply_of(wechat.safe(kit.text_message("oOwner", code, 900)))
    assert reply["Content"].startswith("绑定成功：王芳")
    assert Identity.objects.get(value="oOwner").customer == owner
    assert "已绑定公众号“兰亭物业服务”" in client.get("/portal/account/").content.decode()


def test_a_site_without_an_account_offers_no_binding(world):
    driver = world.customers["driver"]  # the dealer's customer: no account there
    client = Client()
    client.force_login(give_account(driver, "13987654321"))
    assert 'data-testid="account-wechat"' not in client.get("/portal/account/").content.decode()
    response = client.post("/portal/account/wechat/")
    assert response.status_code == 302 and response["Location"] == "/portal/account/"


def test_a_code_expires(world, wechat):
    issued = binding.issue_code(world.customers["owner"])
    with time_machine.travel(timezone.now() + timedelta(minutes=binding.CODE_MINUTES, seconds=1)):
        reply = wechat.reply_of(
            wechat.safe(kit.text_message("oLate", f"绑定 {issued.code}", 901, at=int(time.time())))
        )
    assert "无效或已过期" in reply["Content"]
    assert not Identity.objects.exists()


def test_the_admin_takes_secrets_and_never_shows_them_back(world, account):
    admin = get_user_model().objects.create_superuser("root", "root@example.com", "pw")
    client = Client()
    client.force_login(admin)
    page = client.get(f"/admin/channels/wechataccount/{account.pk}/change/").content.decode()
    for secret in (kit.TOKEN, kit.AES_KEY, "appsecret-for-tests"):
        assert secret not in page
    listing = client.get("/admin/channels/wechataccount/").content.decode()
    assert kit.TOKEN not in listing and "****2026" in listing
    # Saved with the secret fields left empty: the stored values stay.
    response = client.post(
        f"/admin/channels/wechataccount/{account.pk}/change/",
        {
            "site": world.sites["lanting"].pk,
            "name": "兰亭服务号",
            "app_id": kit.APP_ID,
            "original_id": kit.ORIGINAL_ID,
            "token": "",
            "encoding_aes_key": "",
            "app_secret": "",
            "mode": "safe",
            "template_id": "TPL_PROGRESS",
            "active": "on",
        },
    )
    assert response.status_code == 302
    account.refresh_from_db()
    assert (account.name, account.token, account.encoding_aes_key) == (
        "兰亭服务号",
        kit.TOKEN,
        kit.AES_KEY,
    )
    # A malformed key is refused.
    response = client.post(
        f"/admin/channels/wechataccount/{account.pk}/change/",
        {
            "site": world.sites["lanting"].pk,
            "name": "兰亭服务号",
            "app_id": kit.APP_ID,
            "token": "",
            "encoding_aes_key": "too-short",
            "mode": "safe",
        },
    )
    assert response.status_code == 200 and "应为 43 个字符" in response.content.decode()
    assert WechatAccount.objects.get().encoding_aes_key == kit.AES_KEY


def test_staff_issue_a_code_for_a_customer_at_the_desk(world, api, wechat):
    owner = world.customers["owner"]
    response = api("agent").post(f"/api/customers/{owner.pk}/wechat-code")
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["account"], body["bound"]) == ("兰亭物业服务", False)
    reply = wechat.reply_of(wechat.safe(kit.text_message("oDesk", f"bind {body['code']}", 950)))
    assert reply["Content"].startswith("绑定成功")
    assert api("agent").post(f"/api/customers/{owner.pk}/wechat-code").json()["bound"] is True
    # A technician sees masked details only; another site's agent does not see the customer.
    assert api("technician").post(f"/api/customers/{owner.pk}/wechat-code").status_code == 403
    assert api("cc_agent").post(f"/api/customers/{owner.pk}/wechat-code").status_code == 404
    driver = world.customers["driver"]  # the dealer has no official account
    refused = api("cc_agent", "en").post(f"/api/customers/{driver.pk}/wechat-code")
    assert refused.status_code == 400
    assert refused.json()["message"] == "This site has no active WeChat account"
