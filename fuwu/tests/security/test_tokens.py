"""Issue 9, item 3: the API token lifecycle through HTTP.

Created only by a signed-in person (never by a token), used, limited by scope, expired, revoked
by its owner, by a password change (the password page, the admin), by deactivation; its last use
shown, and written at most once a minute.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from io import StringIO

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone

from fuwu.core.models import ApiToken

NOW = "2026-12-03 10:00 +0800"


def _signed_in(user) -> tuple[Client, str]:
    """A browser session with its CSRF token, as the staff pages give it."""
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(user)
    browser.get("/account/tokens/")  # sets the CSRF cookie
    return browser, browser.cookies["csrftoken"].value


def _create(browser: Client, csrf: str, **body) -> dict:
    r = browser.post(
        "/api/tokens",
        {"name": "script", **body},
        content_type="application/json",
        HTTP_X_CSRFTOKEN=csrf,
    )
    assert r.status_code == 201, r.content
    return r.json()


def _bearer(raw: str, language: str = "zh-hans") -> dict:
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}", "HTTP_ACCEPT_LANGUAGE": language}


def _can_read(raw: str) -> int:
    return Client().get("/api/cases", **_bearer(raw)).status_code


@time_machine.travel(NOW, tick=False)
def test_a_signed_in_person_creates_a_token_that_works_with_default_expiry_and_both_scopes(world):
    browser, csrf = _signed_in(world.users["agent"])
    new = _create(browser, csrf)
    assert new["scopes"] == ["read", "write"] and new["state"] == "active"
    assert new["expires_at"].startswith("2027-03-03")  # 90 days (FUWU_TOKEN_DAYS)
    assert _can_read(new["token"]) == 200


def test_a_token_cannot_create_tokens(world, api):
    client = api("agent", "en")
    r = client.post("/api/tokens", {"name": "child"})
    assert r.status_code == 403
    assert r.json()["code"] == "token_cannot_mint"
    assert r.json()["message"] == (
        "Only a signed-in person can create API tokens; a token cannot create tokens"
    )
    assert ApiToken.objects.filter(name="child").count() == 0
    # Listing and revoking one's own with a token is fine.
    assert client.get("/api/tokens").status_code == 200


def test_session_without_csrf_cannot_create(world):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(world.users["agent"])
    r = browser.post("/api/tokens", {"name": "x"}, content_type="application/json")
    assert r.status_code == 401
    assert not ApiToken.objects.exists()


def test_read_only_token_reads_but_may_not_write(world):
    browser, csrf = _signed_in(world.users["agent"])
    raw = _create(browser, csrf, scopes=["read"])["token"]
    assert _can_read(raw) == 200
    r = Client().post(
        "/api/customers",
        {"site": "lanting", "name": "王五", "phone": "13900000000"},
        content_type="application/json",
        **_bearer(raw, "en"),
    )
    assert r.status_code == 403
    assert r.json()["code"] == "token_scope"
    assert r.json()["message"] == "This API token has only the 'read' scope and cannot do this"
    zh = Client().post(
        f"/api/tokens/{raw[3:11]}/revoke", content_type="application/json", **_bearer(raw)
    )
    assert zh.status_code == 403 and "只有“读取”权限" in zh.json()["message"]


def test_write_only_token_may_not_read(world):
    browser, csrf = _signed_in(world.users["agent"])
    raw = _create(browser, csrf, scopes=["write"])["token"]
    r = Client().get("/api/cases", **_bearer(raw))
    assert r.status_code == 403 and r.json()["code"] == "token_scope"


@pytest.mark.parametrize(
    "body, field",
    [
        ({"scopes": ["admin"]}, "scopes"),
        ({"scopes": []}, "scopes"),
        ({"days": 366}, "days"),
        ({"days": 0}, "days"),
        ({"expires_at": "2030-01-01T00:00:00+08:00"}, "expires_at"),
        ({"expires_at": "2020-01-01T00:00:00+08:00"}, "expires_at"),
        ({"days": 3, "expires_at": "2026-12-10T00:00:00+08:00"}, "expires_at"),
    ],
)
@time_machine.travel(NOW, tick=False)
def test_bad_scopes_and_lifetimes_are_refused(world, body, field):
    browser, csrf = _signed_in(world.users["agent"])
    r = browser.post(
        "/api/tokens",
        {"name": "x", **body},
        content_type="application/json",
        HTTP_X_CSRFTOKEN=csrf,
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert r.status_code in (400, 422), r.content
    assert any(name.split(".")[0] == field for name in r.json()["details"]["fields"])
    assert not ApiToken.objects.exists()


def test_expired_token_is_refused_with_a_clear_message(world):
    with time_machine.travel(NOW, tick=False) as clock:
        browser, csrf = _signed_in(world.users["agent"])
        new = _create(browser, csrf, days=7)
        assert _can_read(new["token"]) == 200
        clock.shift(timedelta(days=7, seconds=-1))
        assert _can_read(new["token"]) == 200
        clock.shift(timedelta(seconds=1))
        r = Client().get("/api/cases", **_bearer(new["token"], "en"))
        assert r.status_code == 401
        assert r.json()["code"] == "token_expired"
        assert r.json()["message"] == "The API token has expired; sign in and create a new one"
        zh = Client().get("/api/cases", **_bearer(new["token"]))
        assert zh.json()["message"] == "API 令牌已过期，请登录后创建新令牌"
        listed = browser.get("/api/tokens").json()
        assert [t["state"] for t in listed] == ["expired"]


@time_machine.travel(NOW, tick=False)
def test_chosen_expiry_date_up_to_the_maximum(world, settings):
    settings.FUWU_TOKEN_MAX_DAYS = 30
    browser, csrf = _signed_in(world.users["agent"])
    new = _create(browser, csrf, expires_at="2027-01-01T10:00:00+08:00")
    assert datetime.fromisoformat(new["expires_at"]) == datetime.fromisoformat(
        "2027-01-01T10:00:00+08:00"
    )
    r = browser.post(
        "/api/tokens",
        {"name": "x", "days": 31},
        content_type="application/json",
        HTTP_X_CSRFTOKEN=csrf,
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert r.status_code == 400
    assert r.json()["details"]["fields"]["days"] == "The lifetime must be 1 to 30 days"


def test_revoked_token_stops_at_once_and_says_so(world):
    browser, csrf = _signed_in(world.users["agent"])
    raw = _create(browser, csrf)["token"]
    assert _can_read(raw) == 200
    r = browser.post(
        f"/api/tokens/{raw[3:11]}/revoke", content_type="application/json", HTTP_X_CSRFTOKEN=csrf
    )
    assert r.status_code == 200 and r.json()["state"] == "revoked"
    r = Client().get("/api/cases", **_bearer(raw, "en"))
    assert r.status_code == 401 and r.json()["code"] == "token_revoked"


def test_password_change_page_revokes_every_token(world):
    browser = Client()
    assert browser.login(username="agent", password="pw-agent")
    browser.get("/account/tokens/")
    csrf = browser.cookies["csrftoken"].value
    raws = [_create(browser, csrf)["token"] for _ in range(2)]
    other = _create(*_signed_in(world.users["technician"]))["token"]
    r = browser.post(
        "/password/",
        {
            "old_password": "pw-agent",
            "new_password1": "n3w-Secret!",
            "new_password2": "n3w-Secret!",
        },
    )
    assert r.status_code == 302
    assert [_can_read(raw) for raw in raws] == [401, 401]
    assert _can_read(other) == 200  # someone else's are not touched
    assert all(t["state"] == "revoked" for t in browser.get("/api/tokens").json())


def test_signing_in_again_keeps_the_tokens(world):
    raw = _create(*_signed_in(world.users["agent"]))["token"]
    assert (
        Client().post("/login/", {"username": "agent", "password": "pw-agent"}).status_code == 302
    )
    assert _can_read(raw) == 200


def test_admin_password_change_revokes_tokens(world, admin_client):
    user = world.users["agent"]
    raw = _create(*_signed_in(user))["token"]
    r = admin_client.post(
        f"/admin/auth/user/{user.pk}/password/",
        {"password1": "An0ther-Secret!", "password2": "An0ther-Secret!", "usable_password": "true"},
    )
    assert r.status_code == 302, r.content.decode()[:2000]
    assert _can_read(raw) == 401


def test_set_password_and_save_revokes_tokens(world):
    user = world.users["agent"]
    raw = _create(*_signed_in(user))["token"]
    user.set_password("changed-by-a-script")
    user.save()
    assert _can_read(raw) == 401
    assert ApiToken.objects.get().revoked_at is not None


def test_deactivation_revokes_tokens(world):
    user = world.users["agent"]
    raw = _create(*_signed_in(user))["token"]
    user.is_active = False
    user.save(update_fields=["is_active"])
    assert _can_read(raw) == 401
    user.is_active = True
    user.save()
    assert _can_read(raw) == 401  # reactivation does not bring the tokens back
    assert ApiToken.objects.get().revoked_at is not None


def _form_values(response) -> dict:
    """What the admin change page would post back unchanged: every form and inline field."""
    data: dict = {}
    forms = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        forms += list(formset.forms)
        data.update(
            {f"{formset.prefix}-{k}": v for k, v in formset.management_form.initial.items()}
        )
    for form in forms:
        for field in form:
            value = field.value()
            if value is None or value is False:
                continue
            if hasattr(field.field.widget, "widgets"):  # split date and time
                for i, part in enumerate(field.field.widget.decompress(value)):
                    data[f"{field.html_name}_{i}"] = part
            else:
                data[field.html_name] = value
    return data


def test_deactivation_in_the_admin_revokes_tokens(world, admin_client):
    user = world.users["agent"]
    raw = _create(*_signed_in(user))["token"]
    url = f"/admin/auth/user/{user.pk}/change/"
    data = _form_values(admin_client.get(url))
    assert data.pop("is_active") is True
    r = admin_client.post(url, data)
    assert r.status_code == 302, r.context and r.context.get("errors")
    user.refresh_from_db()
    assert not user.is_active
    assert _can_read(raw) == 401
    assert ApiToken.objects.get().revoked_at is not None


def test_last_use_is_shown_and_written_at_most_once_a_minute(world, django_assert_num_queries):
    with time_machine.travel(NOW, tick=False) as clock:
        browser, csrf = _signed_in(world.users["agent"])
        raw = _create(browser, csrf)["token"]
        assert browser.get("/api/tokens").json()[0]["last_used_at"] is None
        assert _can_read(raw) == 200
        first = ApiToken.objects.get()
        assert first.last_used_at == timezone.now() and first.last_used_from == "127.0.0.1"

        clock.shift(timedelta(seconds=30))
        client = Client()
        client.get("/api/tokens", **_bearer(raw))  # warm up per-process caches
        with django_assert_num_queries(2):  # the token and the list: no write
            client.get("/api/tokens", **_bearer(raw))
        assert ApiToken.objects.get().last_used_at == first.last_used_at

        clock.shift(timedelta(seconds=31))
        listed = Client().get("/api/tokens", **_bearer(raw)).json()[0]
        assert ApiToken.objects.get().last_used_at == timezone.now()
        assert listed["last_used_from"] == "127.0.0.1"
        page = browser.get("/account/tokens/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
        assert "127.0.0.1" in page


def test_tokens_page_creates_shows_once_and_revokes(world):
    browser, _ = _signed_in(world.users["agent"])
    page = browser.get("/account/tokens/")
    assert page.status_code == 200 and 'data-testid="no-tokens"' in page.content.decode()
    csrf = browser.cookies["csrftoken"].value
    today = timezone.localdate()
    r = browser.post(
        "/account/tokens/",
        {
            "name": "报表脚本",
            "scopes": ["read"],
            "expires_on": (today + timedelta(days=10)).isoformat(),
            "csrfmiddlewaretoken": csrf,
        },
    )
    assert r.status_code == 200
    html = r.content.decode()
    token = ApiToken.objects.get()
    assert token.scope_list == ["read"]
    assert (token.expires_at.date() - token.created_at.date()).days == 10
    raw = html.split('data-testid="new-token-value"')[0].rsplit('value="', 1)[1].split('"')[0]
    assert raw.startswith("fw_") and _can_read(raw) == 200
    again = browser.get("/account/tokens/").content.decode()
    assert raw not in again and "报表脚本" in again and "读取" in again  # shown once
    english = browser.get("/account/tokens/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Read" in english

    r = browser.post(
        f"/account/tokens/{token.prefix}/revoke/", {"csrfmiddlewaretoken": csrf}, follow=True
    )
    assert r.status_code == 200 and _can_read(raw) == 401
    assert "已撤销" in r.content.decode()


def test_tokens_page_refuses_bad_values(world, settings):
    settings.FUWU_TOKEN_MAX_DAYS = 30
    browser, csrf = _signed_in(world.users["agent"])
    r = browser.post(
        "/account/tokens/",
        {
            "name": "x",
            "scopes": ["read"],
            "expires_on": (timezone.localdate() + timedelta(days=31)).isoformat(),
            "csrfmiddlewaretoken": csrf,
        },
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert r.status_code == 400
    assert "The lifetime must be 1 to 30 days" in r.content.decode()
    r = browser.post(
        "/account/tokens/",
        {"name": "x", "expires_on": "2030-01-01", "csrfmiddlewaretoken": csrf},
    )
    assert r.status_code == 400 and not ApiToken.objects.exists()


def test_another_persons_token_cannot_be_revoked(world):
    victim = _create(*_signed_in(world.users["technician"]))["token"]
    browser, csrf = _signed_in(world.users["agent"])
    r = browser.post(f"/account/tokens/{victim[3:11]}/revoke/", {"csrfmiddlewaretoken": csrf})
    assert r.status_code == 302 and _can_read(victim) == 200
    r = browser.post(
        f"/api/tokens/{victim[3:11]}/revoke",
        content_type="application/json",
        HTTP_X_CSRFTOKEN=csrf,
    )
    assert r.status_code == 404 and _can_read(victim) == 200


def test_admin_lists_the_same_columns(world, admin_client):
    _create(*_signed_in(world.users["agent"]), scopes=["read"])
    page = admin_client.get("/admin/core/apitoken/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    for column in ("Prefix", "Scopes", "Created", "Expires", "Last used", "Revoked at"):
        assert column in page
    assert "Read" in page


def test_cli_scopes_and_days(world):
    out = StringIO()
    call_command("token", "create", "agent", "--scopes", "read", "--days", "5", stdout=out)
    token = ApiToken.objects.get()
    assert token.scope_list == ["read"]
    assert (token.expires_at - token.created_at).days == 5
    assert _can_read(out.getvalue().strip()) == 200
    with pytest.raises(CommandError, match="--scopes"):
        call_command("token", "create", "agent", "--scopes", "read,sudo", stdout=StringIO())
    with pytest.raises(CommandError, match="--days: The lifetime must be 1 to 365 days"):
        call_command("token", "create", "agent", "--days", "1000", stdout=StringIO())
    listing = StringIO()
    call_command("token", "list", "agent", stdout=listing)
    assert "active" in listing.getvalue() and "read " in listing.getvalue()


def test_last_use_behind_a_trusted_proxy_is_the_client_address(world, settings):
    # The proxy appends the client's address; earlier entries are the client's own words.
    settings.FUWU_TRUSTED_PROXY = True
    browser, csrf = _signed_in(world.users["agent"])
    raw = _create(browser, csrf)["token"]
    Client().get("/api/tokens", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.9", **_bearer(raw))
    assert ApiToken.objects.get().last_used_from == "203.0.113.9"
