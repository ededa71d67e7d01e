"""The channels' admin pages (each channel family registers its own, imported here)."""

from fuwu.channels.wechat import admin as wechat_admin  # noqa: F401
