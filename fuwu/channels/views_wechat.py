"""The WeChat official account's callback: /channels/wechat/<app_id>/callback.

GET is WeChat's URL verification, POST a message or event. Every request must be signed with
the account's token and carry a timestamp within REPLAY_SECONDS of our clock (an old request
replayed is refused, 403); a body larger than MAX_BODY (413), not XML, or, in safe mode, not
encrypted and signed with the account's key (400/403) is refused with a log entry and writes
nothing. The reply goes out at once: `receive.accept` touches only the database and queues the
rest, so WeChat's five seconds are never spent waiting on anything remote.
"""

from __future__ import annotations

import logging
import time

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from fuwu.channels.wechat import protocol
from fuwu.channels.wechat.choices import Mode
from fuwu.channels.wechat.models import WechatAccount
from fuwu.channels.wechat.receive import accept

log = logging.getLogger("fuwu.channels.wechat")

REPLAY_SECONDS = 300
MAX_BODY = protocol.MAX_BODY


def _refuse(account: WechatAccount, status: int, reason: str, request: HttpRequest) -> HttpResponse:
    log.warning(
        "wechat %s: refused %s %s from %s: %s",
        account.app_id,
        request.method,
        request.path,
        request.META.get("REMOTE_ADDR", ""),
        reason,
    )
    return HttpResponse(reason, status=status, content_type="text/plain; charset=utf-8")


def _fresh(timestamp: str) -> bool:
    try:
        sent = int(timestamp)
    except ValueError:
        return False
    return abs(time.time() - sent) <= REPLAY_SECONDS


@csrf_exempt  # WeChat signs its requests; there is no session and no CSRF cookie
@require_http_methods(["GET", "POST"])
def callback(request: HttpRequest, app_id: str) -> HttpResponse:
    account = get_object_or_404(WechatAccount, app_id=app_id, active=True)
    q = request.GET
    timestamp, nonce = q.get("timestamp", ""), q.get("nonce", "")
    if not protocol.signature_ok(q.get("signature", ""), account.token, timestamp, nonce):
        return _refuse(account, 403, "bad signature", request)
    if not _fresh(timestamp):
        return _refuse(account, 403, "stale timestamp", request)
    if request.method == "GET":
        return HttpResponse(q.get("echostr", ""), content_type="text/plain; charset=utf-8")
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > MAX_BODY:
        return _refuse(account, 413, "body too large", request)
    body = request.body
    if len(body) > MAX_BODY:
        return _refuse(account, 413, "body too large", request)
    encrypted = account.mode == Mode.SAFE or (
        account.mode == Mode.COMPATIBLE and q.get("encrypt_type", "") == "aes"
    )
    try:
        outer = protocol.parse_xml(body)
        if encrypted:
            cipher = outer.get("Encrypt", "")
            if not cipher:
                return _refuse(account, 400, "not encrypted", request)
            if not protocol.signature_ok(
                q.get("msg_signature", ""), account.token, timestamp, nonce, cipher
            ):
                return _refuse(account, 403, "bad msg_signature", request)
            inner = protocol.decrypt(
                cipher, encoding_aes_key=account.encoding_aes_key, app_id=account.app_id
            )
            fields = protocol.parse_xml(inner)
        else:
            fields = outer
        message = protocol.message(fields)
    except protocol.ProtocolError as exc:
        return _refuse(account, 400, exc.reason, request)
    with transaction.atomic():
        accepted = accept(account, message)
    if accepted.reply is None:
        return HttpResponse("success", content_type="text/plain; charset=utf-8")
    xml = protocol.text_reply(message, accepted.reply, now=int(time.time()))
    if encrypted:
        xml = protocol.encrypted_reply(
            xml,
            token=account.token,
            encoding_aes_key=account.encoding_aes_key,
            app_id=account.app_id,
            timestamp=timestamp,
            nonce=nonce,
        )
    return HttpResponse(xml, content_type="application/xml; charset=utf-8")
