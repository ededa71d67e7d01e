"""The development SMS provider: a sent message is written to the log (nothing leaves the
machine). Its callbacks take a plain JSON array — inbound `[{"id", "phone", "text"}]`,
receipts `[{"id", "delivered", "error"}]` — behind the same secret as every provider's, so
the whole path can be tried by hand with curl."""

from __future__ import annotations

import hmac
import json
import logging
import uuid
from typing import Any

from django.http import HttpRequest

from fuwu.channels.sms.base import CallbackRefused, InboundSms, Receipt, Sent

log = logging.getLogger("fuwu.channels.sms")


def check_token(request: HttpRequest) -> None:
    """The callback URL's `token` must be the configured secret (the admin's provider row, else
    FUWU_SMS_CALLBACK_TOKEN; none configured: refused)."""
    from fuwu.channels.sms import callback_token

    expected = callback_token()
    given = request.GET.get("token", "")
    if not expected or not hmac.compare_digest(given.encode(), expected.encode()):
        raise CallbackRefused("bad token", 403)


def _rows(body: bytes) -> list[dict[str, Any]]:
    try:
        rows = json.loads(body)
    except ValueError as exc:
        raise CallbackRefused("malformed JSON") from exc
    if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
        raise CallbackRefused("not a JSON array of objects")
    return rows


class ConsoleSms:
    name = "console"

    def send(self, phone: str, text: str, *, reference: str) -> Sent:
        message_id = uuid.uuid4().hex
        log.warning("SMS to %s (%s, id %s): %s", phone, reference, message_id, text)
        return Sent(message_id)

    def verify(self, request: HttpRequest) -> None:
        check_token(request)

    def parse_inbound(self, body: bytes) -> list[InboundSms]:
        out = []
        for row in _rows(body):
            if not row.get("id") or not row.get("phone"):
                raise CallbackRefused("inbound without id or phone")
            out.append(
                InboundSms(str(row["phone"]), str(row.get("text", "")), str(row["id"]), None)
            )
        return out

    def parse_receipts(self, body: bytes) -> list[Receipt]:
        out = []
        for row in _rows(body):
            if not row.get("id"):
                raise CallbackRefused("receipt without id")
            delivered = row.get("delivered") is True
            out.append(Receipt(str(row["id"]), delivered, str(row.get("error", "")), None))
        return out

    def acknowledge(self) -> tuple[bytes, str]:
        return b'{"ok": true}', "application/json"
