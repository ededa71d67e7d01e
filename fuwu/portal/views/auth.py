"""Customers sign up and sign in with a phone number or an e-mail address and a password.

Sign-in is limited like the staff's (fuwu.web.ratelimit: attempts per normalised phone / address
are counted atomically in the authentication backend) and costs one password hash whether or not
the phone or address is registered, so neither the answer nor its time tells who has an account.

An earlier customer record with the same phone or e-mail (one an agent created when the person
called) holds that person's cases. Linking it on someone's word would let anyone read another
person's cases by typing their number, so:

- e-mail: a 6-digit code is always sent to that address; the account is created (linked to the
  earlier record if there is one) only when the code is entered (15 minutes, 5 checks counted
  atomically, so parallel guesses get no more). Whoever cannot read that mailbox cannot take
  the record. An address that already has an account gets a "you already have an account"
  e-mail instead and the same page, so sign-up does not reveal who is registered.
- phone: there is no SMS gateway, so a number cannot be verified and is NEVER linked: the
  account gets a new customer record; staff link the earlier one in the admin (set its user,
  after clearing it on the new record) once they have checked who the person is. Without a code
  a number already in use can only be refused, which says it is registered: sign-up attempts
  are therefore capped per address (FUWU_LOGIN_MAX_PER_ADDRESS per window).
"""

from __future__ import annotations

import secrets
import time
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import authenticate, get_user_model, login
from django.contrib.auth.hashers import check_password, make_password
from django.core.mail import send_mail
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from fuwu.channels.wechat import binding
from fuwu.core.actors import Actor
from fuwu.customers import actions as customer_actions
from fuwu.customers.models import Customer
from fuwu.portal.access import customer_from, customer_of, customer_required
from fuwu.portal.forms import CodeForm, LoginForm, SignUpForm, login_taken
from fuwu.web.forms import styled
from fuwu.web.middleware import remember_language
from fuwu.web.ratelimit import (
    claim,
    normalise_login,
    phone_writings,
    take,
    take_signup,
    was_locked_out,
)

User = get_user_model()
PENDING = "fuwu_portal_signup"
CODE_SECONDS = 15 * 60
CODE_TRIES = 5


def _next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target.startswith("/portal/") and url_has_allowed_host_and_scheme(
        target, {request.get_host()}
    ):
        return target
    return reverse("portal:home")


def user_for_login(found: tuple[str, str]) -> Any:
    """The portal account a normalised phone number or address signs in: its own login, else
    the linked customer record carrying it (a record staff linked may carry both)."""
    kind, value = found
    user = User.objects.filter(username__iexact=value, customer__isnull=False).first()
    if user is not None:
        return user
    linked = Customer.objects.filter(user__isnull=False).select_related("user")
    linked = (
        linked.filter(email__iexact=value)
        if kind == "email"
        else linked.filter(phone__in=phone_writings(value))
    )
    matches = list(linked[:2])
    return matches[0].user if len(matches) == 1 else None


def login_view(request: HttpRequest) -> HttpResponse:
    if customer_of(request.user) is not None:
        return redirect("portal:home")
    form = styled(LoginForm(request.POST or None))
    status = 200
    staff_hint = False
    if request.method == "POST" and form.is_valid():
        typed = form.cleaned_data["login"].strip()
        found = normalise_login(typed)
        account = user_for_login(found) if found is not None else None
        # Exactly one authenticate() whatever was typed: a known account checks its password,
        # an unknown phone/address or a staff name goes through the same backend, which hashes
        # once for a name it does not know. The backend counts the attempt first.
        username = typed if found is None else found[1]
        if account is not None:
            username = account.get_username()
        user = authenticate(request, username=username, password=form.cleaned_data["password"])
        if user is not None and customer_of(user) is not None:
            login(request, user)
            remember_language(request, customer_of(user).language)  # type: ignore[union-attr]
            return redirect(_next(request))
        status = 400
        if user is not None:
            staff_hint = True  # a member of staff at the wrong door: point, do not sign in
            form.add_error(None, _("这是员工账号，请使用员工登录页面。"))
        elif was_locked_out(request):
            form.add_error(None, _("登录失败次数过多，请 15 分钟后再试。"))
            status = 429
        else:
            form.add_error(None, _("手机号/电子邮件或密码不正确。"))
    elif request.method == "POST":
        status = 400
    return render(
        request,
        "portal/login.html",
        {"form": form, "next": _next(request), "staff_hint": staff_hint},
        status=status,
    )


def _create_account(request: HttpRequest, pending: dict[str, Any]) -> Customer:
    """The account and its customer record (the earlier one, when the code proved it)."""
    kind, value = pending["kind"], pending["value"]
    with transaction.atomic():
        user = User.objects.create(
            username=value,
            email=value if kind == "email" else "",
            password=pending["password"],
            first_name=pending["name"][:150],
        )
        actor = Actor(
            user=user,
            roles=frozenset({"customer"}),
            site_ids=frozenset({pending["site_id"]}),
            department_id=None,
            superuser=False,
        )
        customer = None
        if pending.get("customer_id"):
            customer = customer_actions.link_account(
                actor, pending["customer_id"], user=user, language=pending["language"]
            )
        if customer is None:
            # The account's own record: the same rules as every customer record, except that
            # it may share a phone number with an earlier record it is never linked to.
            customer = customer_actions.create_customer(
                actor,
                site_id=pending["site_id"],
                name=pending["name"],
                phone=value if kind == "phone" else "",
                email=value if kind == "email" else "",
                language=pending["language"],
                user=user,
            )
    login(request, user, backend="fuwu.web.ratelimit.ThrottledModelBackend")
    remember_language(request, customer.language)
    return customer


def _earlier_record(site_id: int, kind: str, value: str) -> Customer | None:
    qs = Customer.objects.live().filter(site_id=site_id, user__isnull=True)
    qs = (
        qs.filter(email__iexact=value)
        if kind == "email"
        else qs.filter(phone__in=phone_writings(value))
    )
    return qs.order_by("created_at").first()


def _send_code(pending: dict[str, Any], *, taken: bool) -> None:
    """Mail the code, or (for an address that has an account) say so: the same work either way."""
    code = f"{secrets.randbelow(1_000_000):06d}"
    pending.update(
        code=make_password(code),
        nonce=secrets.token_hex(16),
        expires=time.time() + CODE_SECONDS,
        tries=0,
        taken=taken,
    )
    with translation.override(pending["language"]):
        if taken:
            subject = _("服务 Fuwu 注册提醒")
            body = _(
                "有人（可能是您）用这个地址注册服务门户，但它已经有账号了。"
                "请直接登录；忘记密码请联系客服中心。如果不是您本人操作，请忽略这封邮件。"
            )
        else:
            subject = _("服务 Fuwu 注册验证码")
            body = _(
                "您的验证码是 %(code)s，15 分钟内有效。如果不是您本人操作，请忽略这封邮件。"
            ) % {"code": code}
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [pending["value"]])


def signup_view(request: HttpRequest) -> HttpResponse:
    if customer_of(request.user) is not None:
        return redirect("portal:home")
    initial = {"language": translation.get_language() or settings.LANGUAGE_CODE}
    form = styled(SignUpForm(request.POST or None, initial=initial))
    if request.method == "POST" and not take_signup(request):
        form.add_error(None, _("注册尝试次数过多，请 15 分钟后再试。"))
        return render(request, "portal/signup.html", {"form": form}, status=429)
    if request.method == "POST" and form.is_valid():
        kind, value = form.cleaned_data["login"]
        site = form.cleaned_data["site"]
        pending: dict[str, Any] = {
            "name": form.cleaned_data["name"],
            "kind": kind,
            "value": value,
            "password": make_password(form.cleaned_data["password"]),
            "site_id": site.pk,
            "language": form.cleaned_data["language"],
        }
        if kind == "email":
            earlier = _earlier_record(site.pk, kind, value)
            pending["customer_id"] = earlier.pk if earlier is not None else None
            _send_code(pending, taken=login_taken(kind, value))
            request.session[PENDING] = pending
            return redirect("portal:verify")
        if login_taken(kind, value):
            # No SMS gateway: an unverifiable number in use can only be refused.
            form.add_error("login", _("该手机号已注册，请直接登录。"))
            return render(request, "portal/signup.html", {"form": form}, status=400)
        earlier = _earlier_record(site.pk, kind, value)
        _create_account(request, pending)
        if earlier is not None:  # a phone number we cannot verify: never linked
            messages.info(
                request,
                _(
                    "我们已有使用这个手机号的客户记录，但无法通过短信验证。"
                    "如需查看以前的报修记录，请联系客服中心为您关联。"
                ),
            )
        else:
            messages.success(request, _("注册成功，欢迎使用服务门户。"))
        return redirect("portal:home")
    return render(request, "portal/signup.html", {"form": form}, status=400 if form.errors else 200)


def _code_dead(request: HttpRequest) -> HttpResponse:
    del request.session[PENDING]
    messages.error(request, _("验证码已失效，请重新注册。"))
    return redirect("portal:signup")


def verify_view(request: HttpRequest) -> HttpResponse:
    pending = request.session.get(PENDING)
    if not pending:
        return redirect("portal:signup")
    form = styled(CodeForm(request.POST or None))
    status = 200
    if request.method == "POST":
        status = 400
        stale = "nonce" not in pending  # begun before this version: start again
        if stale or time.time() > pending["expires"] or pending["tries"] >= CODE_TRIES:
            return _code_dead(request)
        if form.is_valid():
            # The number is taken in the database before the code is checked: parallel
            # requests of one session each read the same session, but never the same number.
            key = "code:" + pending["nonce"]
            tries = take(key, window=timedelta(seconds=CODE_SECONDS))
            if tries > CODE_TRIES:
                return _code_dead(request)
            right = check_password(form.cleaned_data["code"], pending["code"])
            # Only one request may use a right code (claim deletes the counter row once).
            if right and not pending["taken"] and claim(key):
                del request.session[PENDING]
                _create_account(request, pending)
                if pending.get("customer_id"):
                    messages.success(request, _("邮箱已验证，您以前的服务记录已关联到这个账号。"))
                else:
                    messages.success(request, _("邮箱已验证，注册成功，欢迎使用服务门户。"))
                return redirect("portal:home")
            # Only a well-formed guess counts as a try; a typo in the length says so instead.
            pending["tries"] = tries
            request.session[PENDING] = pending
            form.add_error(None, _("验证码不正确。"))
    return render(
        request, "portal/verify.html", {"form": form, "address": pending["value"]}, status=status
    )


@customer_required
def account_view(request: HttpRequest) -> HttpResponse:
    """My account: who I am, where, the language of the pages and messages, password, sign out."""
    customer = customer_from(request)
    return render(
        request,
        "portal/account.html",
        {
            "customer": customer,
            "login": request.user.get_username(),
            "languages": settings.LANGUAGES,
            "wechat_account": binding.account_for(customer),
            "wechat_bound": binding.is_bound(customer),
        },
    )
