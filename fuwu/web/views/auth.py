"""Signing in and out, changing one's password and one's language (staff pages)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth import authenticate, login, logout, update_session_auth_hash
from django.contrib.auth.forms import PasswordChangeForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from fuwu.core.actors import actor_for
from fuwu.web.context import is_staff_member
from fuwu.web.forms import styled
from fuwu.web.middleware import remember_language, saved_language
from fuwu.web.ratelimit import LOCKED_MESSAGE, was_locked_out


class LoginForm(forms.Form):
    username = forms.CharField(label=gettext_lazy("用户名"), max_length=150)
    password = forms.CharField(label=gettext_lazy("密码"), widget=forms.PasswordInput)


def _next(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}):
        return target
    return default


def home(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect("web:login")
    if is_staff_member(actor_for(request.user)):
        return redirect("web:work")
    return redirect("portal:home")


def login_view(request: HttpRequest) -> HttpResponse:
    """Staff sign-in; the attempt limits live in the authentication backend (fuwu.web.ratelimit)."""
    form = LoginForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        username = form.cleaned_data["username"]
        user = authenticate(request, username=username, password=form.cleaned_data["password"])
        if user is not None:
            login(request, user)
            chosen = saved_language(user)
            if chosen:
                remember_language(request, chosen)
            return redirect(_next(request, "/"))
        if was_locked_out(request):
            form.add_error(None, LOCKED_MESSAGE)
            status = 429
        else:
            form.add_error(None, _("用户名或密码不正确。"))
            status = 400
    elif request.method == "POST":
        status = 400
    return render(
        request, "web/login.html", {"form": form, "next": _next(request, "")}, status=status
    )


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    portal = request.user.is_authenticated and not is_staff_member(actor_for(request.user))
    logout(request)
    messages.info(request, _("您已退出登录。"))
    return redirect("portal:login" if portal else "web:login")


def password_view(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect("web:login")
    form = styled(PasswordChangeForm(request.user, request.POST or None))
    if request.method == "POST" and form.is_valid():
        user = form.save()
        update_session_auth_hash(request, user)
        messages.success(request, _("密码已修改。"))
        return redirect("/")
    template = (
        "web/password.html" if is_staff_member(actor_for(request.user)) else "portal/password.html"
    )
    return render(request, template, {"form": form}, status=400 if form.errors else 200)


@require_POST
def language_view(request: HttpRequest) -> HttpResponse:
    """Switch language: saved in the profile of a signed-in user, in the session for anyone."""
    from django.conf import settings

    language = request.POST.get("language", "")
    if language not in dict(settings.LANGUAGES):
        messages.error(request, _("不支持这种语言。"))
    else:
        remember_language(request, language)
        user = request.user
        if user.is_authenticated:
            for attr in ("staff", "customer"):
                profile = getattr(user, attr, None) if hasattr(user, attr) else None
                if profile is not None:
                    type(profile).objects.filter(pk=profile.pk).update(language=language)
                    break
            from fuwu.core.actors import forget_actors

            forget_actors()
    return redirect(_next(request, "/"))


urlpatterns = [
    path("", home, name="home"),
    path("login/", login_view, name="login"),
    path("logout/", logout_view, name="logout"),
    path("password/", password_view, name="password"),
    path("language/", language_view, name="language"),
]
