"""The channels' HTTP endpoints, for providers and mail servers (not people): each checks its
caller's secret, bounds the body itself and answers JSON in the API's error shape."""

from __future__ import annotations

import hmac
import logging
from typing import Any

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.utils import translation
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from fuwu.channels.choices import InboundStatus
from fuwu.channels.email import settings as mail_settings
from fuwu.channels.email.inbound import receive_raw
from fuwu.procedures.engine.errors import MESSAGES, render

log = logging.getLogger("fuwu.channels")


def error(status: int, code: str, **params: Any) -> JsonResponse:
    message = render(MESSAGES, code, translation.get_language(), params)
    return JsonResponse({"code": code, "message": message, "details": params}, status=status)


def secret_ok(request: HttpRequest, secret: str, header: str) -> bool:
    given = request.headers.get(header, "")
    return bool(secret) and hmac.compare_digest(given.encode(), secret.encode())


@csrf_exempt
@require_POST
def email_inbound(request: HttpRequest) -> JsonResponse:
    """An MTA posts one raw RFC 822 message (`Content-Type: message/rfc822`), authenticated by
    `X-Fuwu-Secret` (`FUWU_MAIL_INBOUND_SECRET`; unset, the endpoint does not exist). The
    envelope recipient may be given as `?recipient=` (else Delivered-To / To is used).

    202 with the message's id, status (`accepted`, `threaded`, `ignored`, `refused`), reason and
    case number; 200 for a message already received (nothing new is written); 413 for a body
    past `FUWU_MAIL_MAX_BYTES` (refused before it is read); 400 for a malformed message (kept
    in the log of received messages, refused)."""
    secret = getattr(settings, "FUWU_MAIL_INBOUND_SECRET", "")
    if not secret:
        return error(404, "not_found", what="endpoint")
    if not secret_ok(request, secret, "X-Fuwu-Secret"):
        log.warning("mail post refused: bad secret from %s", request.META.get("REMOTE_ADDR"))
        return error(403, "bad_secret")
    limit = mail_settings.max_bytes()
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > limit:
        log.warning("mail post refused: %s bytes > %s", declared, limit)
        return error(413, "too_large", limit=limit, size=declared)
    raw = request.read(limit + 1)
    if len(raw) > limit:
        log.warning("mail post refused: more than %s bytes", limit)
        return error(413, "too_large", limit=limit, size=len(raw))
    outcome = receive_raw(raw, account=request.GET.get("recipient", "").strip().lower())
    message = outcome.message
    if message.status == InboundStatus.REFUSED and message.reason == "malformed":
        return error(400, "mail_refused", reason=message.detail or message.reason, id=message.pk)
    return JsonResponse(
        {
            "id": message.pk,
            "status": message.status,
            "reason": message.reason,
            "case": message.case.number if message.case else None,
            "duplicate": outcome.duplicate,
        },
        status=200 if outcome.duplicate else 202,
    )
