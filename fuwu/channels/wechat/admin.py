"""Admin for WeChat official accounts: the secrets (token, EncodingAESKey, AppSecret) are
written, never shown back — the form's fields start empty, an empty field keeps the stored
value, and the list shows only their last characters."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from fuwu.channels.wechat import protocol
from fuwu.channels.wechat.choices import Mode
from fuwu.channels.wechat.models import WechatAccount, WechatFollower, WechatReceipt
from fuwu.core.admin import ReadOnlyAdmin

SECRETS = ("token", "encoding_aes_key", "app_secret")


def hint(value: str) -> str:
    """What the page may show of a secret: that it is set, and its last four characters."""
    return f"****{value[-4:]}" if value else "—"


class AccountForm(forms.ModelForm):  # type: ignore[type-arg]
    token = forms.CharField(
        label=_("令牌"),
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("与公众号后台“服务器配置”一致；留空则保持原值"),
    )
    encoding_aes_key = forms.CharField(
        label=_("消息加解密密钥"),
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("43 个字符；留空则保持原值"),
    )
    app_secret = forms.CharField(
        label=_("开发者密码"),
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("用于发送模板消息；留空则保持原值"),
    )

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
        data = super().clean() or {}
        stored = self.instance if self.instance.pk else None
        for name in SECRETS:
            if not data.get(name) and stored is not None:
                data[name] = getattr(stored, name)
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
class WechatAccountAdmin(admin.ModelAdmin[WechatAccount]):
    form = AccountForm
    list_display = ("name", "site", "app_id", "mode", "active", "token_hint", "secret_hint")
    list_filter = ("site", "mode", "active")
    search_fields = ("name", "app_id", "original_id")

    @admin.display(description=_("令牌"))
    def token_hint(self, obj: WechatAccount) -> str:
        return hint(obj.token)

    @admin.display(description=_("开发者密码"))
    def secret_hint(self, obj: WechatAccount) -> str:
        return hint(obj.app_secret)

    def save_model(self, request: HttpRequest, obj: WechatAccount, form: Any, change: bool) -> None:
        for name in SECRETS:
            setattr(obj, name, form.cleaned_data.get(name) or getattr(obj, name))
        super().save_model(request, obj, form, change)


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
