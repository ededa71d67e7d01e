"""What every SMS provider does for Fuwu: send a text, check a callback, and read the inbound
messages and delivery receipts it posts. Providers differ only in the wire format."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from django.http import HttpRequest


class SmsError(Exception):
    """The provider refused a message, or could not be reached (then `retry` is True)."""

    def __init__(self, message: str, *, retry: bool) -> None:
        super().__init__(message)
        self.retry = retry


class CallbackRefused(Exception):
    """A callback that is not the provider's (bad secret) or cannot be read; `reason` logs."""

    def __init__(self, reason: str, status: int = 400) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status


@dataclass(frozen=True)
class Sent:
    message_id: str  # the provider's id, which its receipts name


@dataclass(frozen=True)
class InboundSms:
    phone: str
    text: str
    message_id: str  # unique per message at the provider: the dedupe key
    sent_at: datetime | None
    to: str = ""  # the number or extension it was sent to


@dataclass(frozen=True)
class Receipt:
    message_id: str
    delivered: bool
    error: str
    at: datetime | None


class SmsProvider(Protocol):
    name: str

    def send(self, phone: str, text: str, *, reference: str) -> Sent:
        """Send `text` to `phone`; `reference` (our delivery's id) is echoed in receipts where
        the provider allows. Raises SmsError."""
        ...

    def verify(self, request: HttpRequest) -> None:
        """Raise CallbackRefused unless the callback is the provider's."""
        ...

    def parse_inbound(self, body: bytes) -> list[InboundSms]:
        """The messages of an inbound callback. Raises CallbackRefused when unreadable."""
        ...

    def parse_receipts(self, body: bytes) -> list[Receipt]:
        """The receipts of a delivery-report callback. Raises CallbackRefused when unreadable."""
        ...

    def acknowledge(self) -> tuple[bytes, str]:
        """The body and content type the provider expects in answer to a callback."""
        ...
