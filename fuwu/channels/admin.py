"""The channels' admin pages (one module per channel family, imported here)."""

from fuwu.channels.webhooks import admin as webhooks_admin  # noqa: F401
