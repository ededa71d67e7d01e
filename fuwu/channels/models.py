"""The channels' tables (one module per channel family, imported here)."""

from fuwu.channels.webhooks.models import *  # noqa: F403
