"""Which adapter sends a notice on a channel: `send(delivery)` returns the provider's message id.

The built-in adapters are in `DEFAULT_SENDERS`; `settings.FUWU_CHANNEL_SENDERS` overrides or
adds (a dotted path per channel key, e.g. a console sender in development). An adapter raises
`PermanentError` when trying again cannot help (no such address, refused by the provider);
any other exception is taken as the provider being down, and the notice is tried again later.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from django.conf import settings
from django.utils.module_loading import import_string

from fuwu.channels import sms

if TYPE_CHECKING:
    from fuwu.channels.models import Delivery

DEFAULT_SENDERS: dict[str, str] = {
    "email": "fuwu.channels.email.outbound.EmailSender",
    "wechat": "fuwu.channels.wechat.sender.WechatSender",
    "sms": "fuwu.channels.sms.sender.SmsSender",
}


class Sender(Protocol):
    def send(self, delivery: Delivery) -> str: ...


class PermanentError(Exception):
    """The notice cannot be sent on this channel, now or later: it is marked failed."""


def sender_paths() -> dict[str, str]:
    paths = {**DEFAULT_SENDERS, **getattr(settings, "FUWU_CHANNEL_SENDERS", {})}
    if paths.get("sms") == DEFAULT_SENDERS["sms"] and not sms.provider_name():
        del paths["sms"]  # no SMS provider configured: a text reaches nobody, so none is queued
    return paths


def sender_for(channel: str) -> Sender | None:
    path = sender_paths().get(channel)
    return import_string(path)() if path else None
