"""Sign-in rate limit and one-time code tries, counted atomically per identity.

Why not django-axes: axes asks "locked?" before the password check and records the failure
after it, so N parallel wrong attempts all pass the question before any failure is written (the
probe got 11 checks where 5 are allowed). Here an attempt *takes a number first* — one
INSERT … ON CONFLICT … DO UPDATE … RETURNING statement, atomic on PostgreSQL and SQLite — and only
an attempt whose number is within the limit goes on to the password or code check. A success
hands its number back; a failure keeps it.

What is counted (never the address alone for an identity's lock, so an office behind one NAT
keeps working when one person mistypes):

- ``login:<identity>``: attempts for one username, phone (E.164) or e-mail address, from any
  address — FUWU_LOGIN_MAX_FAILURES (5) per FUWU_LOGIN_LOCK_SECONDS window. Counting one
  identity from everywhere also caps every (identity, address) pair at the same 5.
- ``addr:<address>``: a much higher ceiling per address (FUWU_LOGIN_MAX_PER_ADDRESS, 100)
  against one machine spraying many usernames.
- ``code:<nonce>``: the checks of one e-mailed code (see ``take``), CODE_TRIES at most.

The rule runs in one place, ``ThrottledModelBackend``: the staff sign-in, the portal sign-in and
the admin sign-in all call ``authenticate(request, ...)``, so all three are limited alike.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import timedelta
from typing import Any

import phonenumbers
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy

from fuwu.core.net import client_address
from fuwu.web.models import LoginCounter

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PHONE_CHARS = re.compile(r"^[\d\s\-().+]+$")
LOCKED = "_fuwu_login_locked"  # request attribute: authenticate() refused without checking


def normalise_phone(text: str) -> phonenumbers.PhoneNumber | None:
    """A phone number however written (+86, 0086, 86…, spaces, dashes, full-width digits)."""
    text = unicodedata.normalize("NFKC", text or "").strip()
    if not PHONE_CHARS.match(text) or sum(c.isdigit() for c in text) < 6:
        return None
    try:
        number = phonenumbers.parse(text, "CN")
    except phonenumbers.NumberParseException:
        return None
    return number if phonenumbers.is_valid_number(number) else None


def normalise_login(text: str) -> tuple[str, str] | None:
    """("email", address) or ("phone", number) for what a person typed; None if neither.

    A Chinese number is kept as its national digits (13812345678, 01012345678), the form
    accounts and customer records already hold; any other as E.164 (+442079460958).
    """
    text = unicodedata.normalize("NFKC", text or "").strip()
    if "@" in text:
        address = text.lower()
        return ("email", address) if EMAIL_RE.match(address) and len(address) <= 150 else None
    number = normalise_phone(text)
    if number is None:
        return None
    if number.country_code == 86:
        national = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
        return ("phone", re.sub(r"\D", "", national))
    return ("phone", phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))


def phone_writings(value: str) -> list[str]:
    """The ways a normalised phone may be stored on an older customer record."""
    number = normalise_phone(value)
    if number is None:
        return [value]
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return sorted({value, e164, f"+{number.country_code}{number.national_number}"})


def identity(username: str) -> str:
    """One key per person however their name, phone or address is written."""
    number = normalise_phone(username)
    if number is not None:
        return "phone:" + phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return "name:" + unicodedata.normalize("NFKC", username).strip().lower()[:180]


# One statement, the same on PostgreSQL and SQLite (≥ 3.35): start the key's row, or count one
# more in its window, or start a new window when the old one has run out; return the count.
# (In the SET clause both CASEs read the row's old values.)
_TAKE = (
    'INSERT INTO "web_logincounter" ("key", "count", "since") VALUES (%s, 1, %s) '
    'ON CONFLICT ("key") DO UPDATE SET '
    '"count" = CASE WHEN "web_logincounter"."since" < %s THEN 1 '
    'ELSE "web_logincounter"."count" + 1 END, '
    '"since" = CASE WHEN "web_logincounter"."since" < %s THEN %s '
    'ELSE "web_logincounter"."since" END '
    'RETURNING "count"'
)


def _window() -> timedelta:
    return timedelta(seconds=settings.FUWU_LOGIN_LOCK_SECONDS)


def take(key: str, *, window: timedelta | None = None) -> int:
    """Take the next attempt number for `key` in its window (1 for the first) — atomically.

    One statement increments the row, or starts a new window when the old one has run out, and
    returns the new count: two requests never get the same number, on PostgreSQL (the row is
    locked by the upsert) or SQLite (one writer at a time).
    """
    now = timezone.now()
    expired = now - (window or _window())
    ops = connection.ops
    now_db, expired_db = ops.adapt_datetimefield_value(now), ops.adapt_datetimefield_value(expired)
    with connection.cursor() as cursor:
        cursor.execute(_TAKE, [key[:200], now_db, expired_db, expired_db, now_db])
        row = cursor.fetchone()
    return int(row[0])


def give_back(key: str) -> None:
    """Return a number taken by an attempt that turned out not to be a failure."""
    LoginCounter.objects.filter(key=key[:200], count__gt=0).update(count=F("count") - 1)


def forget(key: str) -> None:
    LoginCounter.objects.filter(key=key[:200]).delete()


def claim(key: str) -> bool:
    """True for exactly one caller: deleting the counter row succeeds once (a right code is
    used by one request even when two carry it at the same moment)."""
    deleted, _ = LoginCounter.objects.filter(key=key[:200]).delete()
    return deleted > 0


def take_signup(request: HttpRequest) -> bool:
    """Count a sign-up attempt from this address; False over the per-address ceiling.

    A phone sign-up must refuse a number already in use (nothing can verify it), which tells
    that it is registered: this caps how many numbers one machine can try.
    """
    return take("signup:" + client_address(request)) <= settings.FUWU_LOGIN_MAX_PER_ADDRESS


def begin_attempt(request: HttpRequest, username: str) -> bool:
    """Take a number for this identity and this address; False when either is over its limit.

    An attempt refused by the address ceiling hands the identity's number back, so spraying
    from one machine does not lock the people it names.
    """
    who = "login:" + identity(username)
    if take(who) > settings.FUWU_LOGIN_MAX_FAILURES:
        return False
    if take("addr:" + client_address(request)) > settings.FUWU_LOGIN_MAX_PER_ADDRESS:
        give_back(who)
        return False
    return True


def attempt_succeeded(request: HttpRequest, username: str) -> None:
    """A right password clears the identity's count and was not a failure of the address."""
    forget("login:" + identity(username))
    give_back("addr:" + client_address(request))


def sweep() -> None:
    """Drop rows whose window ended long ago (they would restart at 1 anyway), so the table
    stays small. A day at least: an e-mailed code's counter must outlive the code."""
    horizon = max(2 * _window(), timedelta(days=1))
    LoginCounter.objects.filter(since__lt=timezone.now() - horizon).delete()


def was_locked_out(request: HttpRequest) -> bool:
    """authenticate() refused this request without checking the password (over the limit)."""
    return bool(getattr(request, LOCKED, False))


class ThrottledModelBackend(ModelBackend):
    """Django's username/password backend behind the attempt counters of this module.

    Without a request (``Client.login`` in tests, the shell) there is no address to count and no
    throttling. A refused attempt raises PermissionDenied, which ``authenticate`` turns into
    "no user" after telling ``user_login_failed``; the view asks ``was_locked_out`` to say why.
    The unknown-user path of ModelBackend still hashes the password once, so known and unknown
    names cost the same.
    """

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> Any:
        if username is None:
            username = kwargs.get(get_user_model().USERNAME_FIELD)
        if request is None or username is None or password is None:
            return super().authenticate(request, username, password, **kwargs)
        if not begin_attempt(request, str(username)):
            setattr(request, LOCKED, True)
            raise PermissionDenied
        user = super().authenticate(request, username, password, **kwargs)
        if user is not None:
            attempt_succeeded(request, str(username))
        sweep()
        return user


LOCKED_MESSAGE = gettext_lazy("登录失败次数过多，请 15 分钟后再试。")


class AdminLoginForm(AdminAuthenticationForm):
    """The admin's sign-in form, saying so when the attempt limit (not the password) refused it."""

    def get_invalid_login_error(self) -> ValidationError:
        if self.request is not None and was_locked_out(self.request):
            return ValidationError(LOCKED_MESSAGE, code="locked")
        return super().get_invalid_login_error()
