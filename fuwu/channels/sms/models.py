"""The SMS provider configured in the admin: the one active row is used when present, else
the settings (`FUWU_SMS_PROVIDER`, `FUWU_SMS_CALLBACK_TOKEN`, `FUWU_SMS_ALIYUN`). The access
key secret and the callback token are secrets: the admin never shows them back."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class SmsSettings(models.Model):
    class Kind(models.TextChoices):
        ALIYUN = "aliyun", _("阿里云短信")
        CONSOLE = "console", _("控制台（开发用）")

    kind = models.CharField(_("服务商"), max_length=10, choices=Kind.choices)
    access_key_id = models.CharField(_("访问密钥 ID"), max_length=100, blank=True)
    access_key_secret = models.CharField(_("访问密钥密码"), max_length=100, blank=True)
    sign_name = models.CharField(_("短信签名"), max_length=50, blank=True)
    template_code = models.CharField(_("模板代码"), max_length=50, blank=True)
    region = models.CharField(_("地域"), max_length=40, default="cn-hangzhou")
    endpoint = models.URLField(_("接口地址"), default="https://dysmsapi.aliyuncs.com/")
    callback_token = models.CharField(
        _("回调令牌"), max_length=100, blank=True, help_text=_("回调地址须以此值作令牌参数")
    )
    active = models.BooleanField(
        _("启用"), default=True, help_text=_("只能启用一个；未启用任何一个时使用部署设置")
    )

    class Meta:
        verbose_name = _("短信服务商")
        verbose_name_plural = _("短信服务商")
        constraints = [
            models.UniqueConstraint(
                fields=["active"], condition=models.Q(active=True), name="sms_settings_one_active"
            )
        ]

    def __str__(self) -> str:
        return self.get_kind_display()
