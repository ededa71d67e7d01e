"""The channels' tables (one module per channel family, imported here)."""

from fuwu.channels.wechat.models import (  # noqa: F401
    BindingCode,
    WechatAccount,
    WechatFollower,
    WechatReceipt,
)
