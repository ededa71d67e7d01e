"""SMS: a provider-neutral protocol (`base.SmsProvider`), Alibaba Cloud SMS (`aliyun`) and a
console provider for development (`console`); `provider()` is the one configured (the admin's
active `SmsSettings` row, else the settings)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings

from fuwu.channels.sms.base import SmsProvider

if TYPE_CHECKING:
    from fuwu.channels.sms.models import SmsSettings


def configured() -> SmsSettings | None:
    """The active provider row of the admin, if any (it replaces the settings)."""
    from fuwu.channels.sms.models import SmsSettings

    return SmsSettings.objects.filter(active=True).first()


def provider_name() -> str:
    """The provider in use: the admin's active row, else FUWU_SMS_PROVIDER ("" for none)."""
    row = configured()
    return row.kind if row else str(getattr(settings, "FUWU_SMS_PROVIDER", "") or "")


def callback_token() -> str:
    """The secret callbacks must carry: the active row's, else FUWU_SMS_CALLBACK_TOKEN."""
    row = configured()
    if row is not None:
        return row.callback_token
    return str(getattr(settings, "FUWU_SMS_CALLBACK_TOKEN", "") or "")


def aliyun_config() -> dict[str, str]:
    row = configured()
    if row is None:
        return dict(settings.FUWU_SMS_ALIYUN)
    return {
        "endpoint": row.endpoint,
        "access_key_id": row.access_key_id,
        "access_key_secret": row.access_key_secret,
        "sign_name": row.sign_name,
        "template_code": row.template_code,
        "region": row.region,
    }


def provider(name: str | None = None) -> SmsProvider:
    """The provider named (a callback's URL names it) or the configured one (the admin's active
    row, else FUWU_SMS_PROVIDER)."""
    from fuwu.channels.sms.aliyun import AliyunSms
    from fuwu.channels.sms.console import ConsoleSms

    chosen = name or provider_name() or "console"
    if chosen == "aliyun":
        return AliyunSms(aliyun_config())
    if chosen == "console":
        return ConsoleSms()
    raise KeyError(chosen)


NAMES = ("aliyun", "console")
