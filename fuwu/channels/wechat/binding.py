"""Binding a WeChat user (an openid of one account) to a customer with a one-time code.

The customer asks for a code in the portal, or staff issue one; the user sends "绑定 123456"
(or the six digits alone) to the account, and the openid is bound. A code is six digits, valid
CODE_MINUTES, used once, and only its keyed digest is stored. Issuing is limited per customer
(ISSUE_LIMIT an hour); wrong codes are limited per openid (TRY_LIMIT per TRY_MINUTES, counted
with a conditional update so parallel tries cannot pass the limit together).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from fuwu.channels.choices import Medium
from fuwu.channels.inbound import bind
from fuwu.channels.models import Identity
from fuwu.channels.wechat.models import BindingCode, WechatAccount, WechatFollower
from fuwu.customers.models import Customer
from fuwu.procedures.engine.errors import EngineError

log = logging.getLogger("fuwu.channels.wechat")

CODE_MINUTES = 10
ISSUE_LIMIT = 5
TRY_LIMIT = 5
TRY_MINUTES = 15
CODE_RE = re.compile(r"^\s*(?:绑定|bind)?\s*[:：]?\s*(\d{6})\s*$", re.IGNORECASE)


class Outcome(StrEnum):
    WRONG = "wrong"
    LOCKED = "locked"


@dataclass(frozen=True)
class Issued:
    code: str
    expires_at: datetime


def code_in(text: str) -> str | None:
    """The code in a message that asks to bind: "绑定 123456", "bind 123456" or the digits."""
    found = CODE_RE.match(text or "")
    return found.group(1) if found else None


def _digest(code: str) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), code.encode(), hashlib.sha256).hexdigest()


def issue_code(customer: Customer, *, now: datetime | None = None) -> Issued:
    """A new code for `customer` (a portal customer for themselves, or staff for one of their
    site's customers: the caller checks who may ask). Raises `too_many_codes` past the limit."""
    now = now or timezone.now()
    with transaction.atomic():
        BindingCode.objects.filter(expires_at__lt=now - timedelta(hours=1)).delete()
        recent = BindingCode.objects.filter(
            customer=customer, created_at__gte=now - timedelta(hours=1)
        ).count()
        if recent >= ISSUE_LIMIT:
            raise EngineError("too_many_codes", minutes=60)
    for _attempt in range(10):
        code = f"{secrets.randbelow(1_000_000):06d}"
        try:
            with transaction.atomic():
                BindingCode.objects.create(
                    customer=customer,
                    digest=_digest(code),
                    created_at=now,
                    expires_at=now + timedelta(minutes=CODE_MINUTES),
                )
        except IntegrityError:
            continue  # that number is still live for someone else: draw another
        return Issued(code, now + timedelta(minutes=CODE_MINUTES))
    raise EngineError("too_many_codes", minutes=CODE_MINUTES)


def _take_try(follower: WechatFollower, now: datetime) -> bool:
    """Count one try for this openid; False when it is past the limit (the try is refused
    before the code is looked at)."""
    window = now - timedelta(minutes=TRY_MINUTES)
    WechatFollower.objects.filter(pk=follower.pk).filter(
        Q(failed_since__isnull=True) | Q(failed_since__lt=window)
    ).update(failed_binds=0, failed_since=now)
    return bool(
        WechatFollower.objects.filter(pk=follower.pk, failed_binds__lt=TRY_LIMIT).update(
            failed_binds=F("failed_binds") + 1
        )
    )


@transaction.atomic
def redeem(
    account: WechatAccount, follower: WechatFollower, code: str, *, now: datetime | None = None
) -> Customer | Outcome:
    """Bind `follower` to the customer whose live code this is (a customer of the account's
    site) and return that customer; else WRONG, or LOCKED past the tries. A code is claimed
    with a conditional update, so it binds once. The binding is the channels' `Identity`,
    which moves an openid a stranger's first message had bound to a placeholder record."""
    now = now or timezone.now()
    if not _take_try(follower, now):
        return Outcome.LOCKED
    row = (
        BindingCode.objects.filter(
            digest=_digest(code),
            used_at__isnull=True,
            expires_at__gt=now,
            customer__site_id=account.site_id,
            customer__merged_into__isnull=True,
        )
        .select_related("customer")
        .first()
    )
    if row is None or not BindingCode.objects.filter(pk=row.pk, used_at__isnull=True).update(
        used_at=now
    ):
        return Outcome.WRONG
    WechatFollower.objects.filter(pk=follower.pk).update(failed_binds=0, failed_since=None)
    bind(row.customer, Medium.WECHAT, follower.openid)
    log.info("wechat %s: %s bound to customer %s", account.app_id, follower.openid, row.customer_id)
    return row.customer


def account_for(customer: Customer) -> WechatAccount | None:
    """The official account a customer binds to: their site's active one."""
    return (
        WechatAccount.objects.filter(site_id=customer.site_id, active=True).order_by("pk").first()
    )


def is_bound(customer: Customer) -> bool:
    return Identity.objects.filter(customer=customer, channel=Medium.WECHAT).exists()
