"""SMS: a provider-neutral protocol (`base.SmsProvider`), Alibaba Cloud SMS (`aliyun`) and a
console provider for development (`console`); `provider()` is the one configured."""

from __future__ import annotations

from django.conf import settings

from fuwu.channels.sms.base import SmsProvider


def provider(name: str | None = None) -> SmsProvider:
    """The provider named (a callback's URL names it) or the configured one (FUWU_SMS_PROVIDER)."""
    from fuwu.channels.sms.aliyun import AliyunSms
    from fuwu.channels.sms.console import ConsoleSms

    chosen = name or getattr(settings, "FUWU_SMS_PROVIDER", "") or "console"
    if chosen == "aliyun":
        return AliyunSms(settings.FUWU_SMS_ALIYUN)
    if chosen == "console":
        return ConsoleSms()
    raise KeyError(chosen)


NAMES = ("aliyun", "console")
