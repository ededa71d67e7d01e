"""The e-mail channel's settings, read when used (tests override them)."""

from __future__ import annotations

from django.conf import settings


def from_address() -> str:
    return getattr(settings, "FUWU_MAIL_FROM", "") or settings.DEFAULT_FROM_EMAIL


def reply_to() -> str:
    """Where customers' replies go (the mailbox the worker reads): the From address by default."""
    return getattr(settings, "FUWU_MAIL_REPLY_TO", "") or from_address()


def domain() -> str:
    """The domain of our Message-IDs (threading and loop detection rely on it)."""
    return getattr(settings, "FUWU_MAIL_DOMAIN", "") or from_address().rpartition("@")[2] or "fuwu"


def loop_token() -> str:
    """The value of our `X-Fuwu-Loop` header: mail carrying it came from this installation."""
    return getattr(settings, "FUWU_MAIL_LOOP_TOKEN", "") or domain()


def max_bytes() -> int:
    """The largest message accepted (by IMAP or the HTTP endpoint), raw."""
    return int(getattr(settings, "FUWU_MAIL_MAX_BYTES", 10 * 1024 * 1024))
