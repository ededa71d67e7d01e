"""Admin for the SMS provider: the access key secret and the callback token are written, never
shown back — the form's fields start empty, an empty field keeps the stored value, and the
list shows only their last characters."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from fuwu.channels.sms.models import SmsSettings
from fuwu.channels.wechat.admin import hint

SECRETS = ("access_key_secret", "callback_token")


class SmsSettingsForm(forms.ModelForm):  # type: ignore[type-arg]
    access_key_secret = forms.CharField(
        label=_("访问密钥密码"),
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("留空则保持原值"),
    )
    callback_token = forms.CharField(
        label=_("回调令牌"),
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("回调地址须以此值作令牌参数；留空则保持原值"),
    )

    class Meta:
        model = SmsSettings
        fields = [
            "kind",
            "access_key_id",
            "access_key_secret",
            "sign_name",
            "template_code",
            "region",
            "endpoint",
            "callback_token",
            "active",
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for name in SECRETS:
            if not data.get(name) and self.instance.pk:
                data[name] = getattr(self.instance, name)
        if data.get("kind") == SmsSettings.Kind.ALIYUN:
            for name in ("access_key_id", "access_key_secret", "sign_name", "template_code"):
                if not data.get(name):
                    self.add_error(name, _("阿里云短信需要填写此项"))
        if data.get("active"):
            others = SmsSettings.objects.filter(active=True).exclude(pk=self.instance.pk)
            if others.exists():
                self.add_error("active", _("已有启用的短信服务商，请先停用它"))
        return data


@admin.register(SmsSettings)
class SmsSettingsAdmin(admin.ModelAdmin[SmsSettings]):
    form = SmsSettingsForm
    list_display = ("kind", "access_key_id", "sign_name", "active", "secret_hint", "token_hint")
    list_filter = ("kind", "active")

    @admin.display(description=_("访问密钥密码"))
    def secret_hint(self, obj: SmsSettings) -> str:
        return hint(obj.access_key_secret)

    @admin.display(description=_("回调令牌"))
    def token_hint(self, obj: SmsSettings) -> str:
        return hint(obj.callback_token)

    def save_model(self, request: HttpRequest, obj: SmsSettings, form: Any, change: bool) -> None:
        for name in SECRETS:
            setattr(obj, name, form.cleaned_data.get(name) or getattr(obj, name))
        super().save_model(request, obj, form, change)
