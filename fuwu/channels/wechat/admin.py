"""Admin for WeChat official accounts: the secrets (token, EncodingAESKey, AppSecret) are
written, never shown back — the form's fields start empty, an empty field keeps the stored
value, and the list shows only their last characters."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from fuwu.channels.admin_secrets import SecretsAdmin, SecretsForm, hint_column, secret_field
from fuwu.channels.wechat import protocol
from fuwu.channels.wechat.choices import Mode
from fuwu.channels.wechat.models import WechatAccount, WechatFollower, WechatReceipt
from fuwu.core.admin import ReadOnlyAdmin


class AccountForm(SecretsForm):
    secrets = ("token", "encoding_aes_key", "app_secret")
    token = secret_field(_("令牌"), _("与公众号后台“服务器配置”一致；留空则保持原值"))
    encoding_aes_key = secret_field(_("消息加解密密钥"), _("43 个字符；留空则保持原值"))
    app_secret = secret_field(_("开发者密码"), _("用于发送模板消息；留空则保持原值"))

    class Meta:
        model = WechatAccount
        fields = [
            "site",
            "name",
            "app_id",
            "original_id",
            "token",
            "encoding_aes_key",
            "app_secret",
            "mode",
            "template_id",
            "active",
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not data.get("token"):
            self.add_error("token", _("请填写令牌"))
        key = data.get("encoding_aes_key") or ""
        if key:
            try:
                protocol.aes_key(key)
            except protocol.ProtocolError:
                self.add_error("encoding_aes_key", _("应为 43 个字符的消息加解密密钥"))
        elif data.get("mode") in (Mode.SAFE, Mode.COMPATIBLE):
            self.add_error("encoding_aes_key", _("安全模式和兼容模式需要消息加解密密钥"))
        return data


@admin.register(WechatAccount)
class WechatAccountAdmin(SecretsAdmin[WechatAccount]):
    form = AccountForm
    list_display = ("name", "site", "app_id", "mode", "active", "token_hint", "secret_hint")
    list_filter = ("site", "mode", "active")
    search_fields = ("name", "app_id", "original_id")

    token_hint = hint_column("token", _("令牌"))
    secret_hint = hint_column("app_secret", _("开发者密码"))


@admin.register(WechatFollower)
class WechatFollowerAdmin(ReadOnlyAdmin[WechatFollower]):
    list_display = ("openid", "account", "subscribed", "first_seen_at")
    list_filter = ("account", "subscribed")
    search_fields = ("openid",)


@admin.register(WechatReceipt)
class WechatReceiptAdmin(ReadOnlyAdmin[WechatReceipt]):
    list_display = ("received_at", "account", "openid", "msg_type", "event", "status", "note")
    list_filter = ("account", "msg_type", "status")
    search_fields = ("openid", "key")
    date_hierarchy = "received_at"
