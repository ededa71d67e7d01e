"""Signing in and out, the sign-in rate limit, password and language changes."""

from __future__ import annotations

import pytest
from django.test import Client

from fuwu.core.models import Staff

pytestmark = pytest.mark.django_db


def test_pages_need_sign_in(world):
    response = Client().get("/work/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/?next=/work/")


def test_sign_in_and_out(world):
    client = Client()
    page = client.get("/login/")
    assert page.status_code == 200
    assert "员工登录" in page.content.decode()
    response = client.post(
        "/login/", {"username": "agent", "password": "pw-agent", "next": "/queue/"}
    )
    assert response.status_code == 302 and response["Location"] == "/queue/"
    assert client.get("/").headers["Location"] == "/work/"
    assert client.get("/logout/").status_code == 405  # never a change on GET
    assert client.post("/logout/").status_code == 302
    assert client.get("/work/").status_code == 302


def test_wrong_password_is_refused_and_an_outside_next_is_ignored(world):
    client = Client()
    response = client.post("/login/", {"username": "agent", "password": "nope"})
    assert response.status_code == 400
    assert "用户名或密码不正确" in response.content.decode()
    response = client.post(
        "/login/", {"username": "agent", "password": "pw-agent", "next": "https://evil.example/"}
    )
    assert response["Location"] == "/"


def test_sign_in_is_locked_after_repeated_failures(world, settings):
    settings.FUWU_LOGIN_MAX_FAILURES = 3
    client = Client()
    for _ in range(3):
        assert client.post("/login/", {"username": "agent", "password": "x"}).status_code == 400
    # Even the right password is refused while locked, with a clear message.
    response = client.post("/login/", {"username": "agent", "password": "pw-agent"})
    assert response.status_code == 429
    assert "登录失败次数过多" in response.content.decode()
    assert "_auth_user_id" not in client.session
    # Another user from the same address is not locked by three failures.
    assert (
        client.post("/login/", {"username": "agent2", "password": "pw-agent2"}).status_code == 302
    )


def test_language_is_kept_per_user(world):
    client = Client()
    client.post("/login/", {"username": "agent", "password": "pw-agent"})
    response = client.post("/language/", {"language": "en", "next": "/login/"})
    assert response.status_code == 302
    assert Staff.objects.get(user__username="agent").language == "en"
    client.post("/logout/")
    fresh = Client()
    fresh.post("/login/", {"username": "agent", "password": "pw-agent"})
    assert 'lang="en"' in fresh.get("/password/").content.decode()
    assert fresh.post("/language/", {"language": "xx"}).status_code == 302
    assert Staff.objects.get(user__username="agent").language == "en"


def test_password_change(world):
    client = Client()
    client.post("/login/", {"username": "agent", "password": "pw-agent"})
    bad = client.post(
        "/password/",
        {"old_password": "wrong", "new_password1": "n3w-Secret!", "new_password2": "n3w-Secret!"},
    )
    assert bad.status_code == 400
    ok = client.post(
        "/password/",
        {
            "old_password": "pw-agent",
            "new_password1": "n3w-Secret!",
            "new_password2": "n3w-Secret!",
        },
    )
    assert ok.status_code == 302
    assert Client().login(username="agent", password="n3w-Secret!")


def test_refusals_are_pages_in_the_users_language(world):
    client = Client()
    client.post("/login/", {"username": "agent", "password": "pw-agent"})
    refused = client.get("/dashboard/")  # managers only
    assert refused.status_code == 403
    assert "无权访问" in refused.content.decode()
    missing = client.get("/cases/999999/")
    assert missing.status_code == 404
    assert "找不到页面" in missing.content.decode()
    client.post("/language/", {"language": "en"})
    assert "Access denied" in client.get("/dashboard/").content.decode()
