"""The SMS provider's callbacks: /channels/sms/<provider>/inbound (messages customers sent)
and /channels/sms/<provider>/receipt (delivery reports of our notices).

Each is checked by the provider's adapter (`verify`: the configured secret) before its body is
read; a refused or unreadable callback is answered with an error and a log entry and writes
nothing. An inbound SMS goes to the channels' inbound core — the customer found by phone, a
reply to a notice we texted added to that case, anything else a new case; a message the
provider delivers twice counts once. A receipt marks the notice delivered or failed.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from fuwu.cases.choices import CLOSED_STATUSES
from fuwu.channels import sms
from fuwu.channels.choices import Medium
from fuwu.channels.inbound import Incoming, receive
from fuwu.channels.models import Delivery
from fuwu.channels.outbound import record_receipt
from fuwu.channels.sms.base import CallbackRefused, InboundSms, SmsProvider

log = logging.getLogger("fuwu.channels.sms")

MAX_BODY = 256 * 1024
REPLY_DAYS = 7  # an SMS within this of a notice we texted that number answers that case


def _provider(request: HttpRequest, name: str) -> SmsProvider:
    if name not in sms.NAMES:
        raise CallbackRefused(f"unknown provider {name!r}", 404)
    provider = sms.provider(name)
    provider.verify(request)
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > MAX_BODY:
        raise CallbackRefused("body too large", 413)
    return provider


def _refused(request: HttpRequest, name: str, exc: CallbackRefused) -> HttpResponse:
    log.warning(
        "sms %s: refused %s from %s: %s",
        name,
        request.path,
        request.META.get("REMOTE_ADDR", ""),
        exc.reason,
    )
    return JsonResponse({"code": exc.status, "msg": exc.reason}, status=exc.status)


def replied_case(phone: str) -> int | None:
    """The open case of the latest notice we texted this number (within REPLY_DAYS)."""
    return (
        Delivery.objects.filter(
            channel=Medium.SMS,
            address=phone,
            case__isnull=False,
            created_at__gte=timezone.now() - timedelta(days=REPLY_DAYS),
        )
        .exclude(case__status__in=CLOSED_STATUSES)
        .order_by("-created_at", "-pk")
        .values_list("case_id", flat=True)
        .first()
    )


def _incoming(provider: SmsProvider, message: InboundSms) -> Incoming:
    return Incoming(
        channel=Medium.SMS,
        account=message.to or provider.name,
        external_id=f"{provider.name}:{message.message_id}",
        sender=message.phone,
        body=message.text,
        headers={"provider": provider.name, "to": message.to},
        case_id=replied_case(message.phone),
        received_at=message.sent_at,
    )


@csrf_exempt  # the provider signs (or carries our secret); there is no session
@require_POST
def inbound(request: HttpRequest, provider: str) -> HttpResponse:
    try:
        adapter = _provider(request, provider)
        messages = adapter.parse_inbound(request.body)
    except CallbackRefused as exc:
        return _refused(request, provider, exc)
    with transaction.atomic():
        for message in messages:
            receive(_incoming(adapter, message))
    body, content_type = adapter.acknowledge()
    return HttpResponse(body, content_type=content_type)


@csrf_exempt
@require_POST
def receipt(request: HttpRequest, provider: str) -> HttpResponse:
    try:
        adapter = _provider(request, provider)
        receipts = adapter.parse_receipts(request.body)
    except CallbackRefused as exc:
        return _refused(request, provider, exc)
    with transaction.atomic():
        for r in receipts:
            record_receipt(Medium.SMS, r.message_id, delivered=r.delivered, error=r.error)
    body, content_type = adapter.acknowledge()
    return HttpResponse(body, content_type=content_type)
