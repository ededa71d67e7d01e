"""Admin for the SMS provider: the access key secret and the callback token are written, never
shown back — the form's fields start empty, an empty field keeps the stored value, and the
list shows only their last characters."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from fuwu.channels.admin_secrets import SecretsAdmin, SecretsForm, hint_column, secret_field
from fuwu.channels.sms.models import SmsSettings


class SmsSettingsForm(SecretsForm):
    secrets = ("access_key_secret", "callback_token")
    access_key_secret = secret_field(_("访问密钥密码"), _("留空则保持原值"))
    callback_token = secret_field(_("回调令牌"), _("回调地址须以此值作令牌参数；留空则保持原值"))

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
        data = super().clean()
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
class SmsSettingsAdmin(SecretsAdmin[SmsSettings]):
    form = SmsSettingsForm
    list_display = ("kind", "access_key_id", "sign_name", "active", "secret_hint", "token_hint")
    list_filter = ("kind", "active")

    secret_hint = hint_column("access_key_secret", _("访问密钥密码"))
    token_hint = hint_column("callback_token", _("回调令牌"))
