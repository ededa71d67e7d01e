"""Deployment settings (issue 9, item 2): `check --deploy` clean in production, settings from the
environment, a Content-Security-Policy with no inline script on every page, API docs for staff.

The browser test visits the main pages in Chromium under the real policy and fails on any
console error or `securitypolicyviolation` event, so a page that still needs inline script, or
a library that needs eval, is caught where the user would feel it.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import translation

from fuwu.api.root import api
from fuwu.portal.tests.helpers import give_account
from fuwu.testing.factories import World
from fuwu.web.tests.casesetup import at_dispatch, open_repair, signed_in

REPO = Path(__file__).resolve().parents[3]

PRODUCTION = {
    "DEBUG": "false",
    "FUWU_HTTPS": "true",
    "ALLOWED_HOSTS": "fuwu.example.com",
    "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
}


def run_fuwu(tmp_path: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """`fuwu <args>` in a fresh process with only `env` (plus a private var directory)."""
    environ = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "FUWU_VAR_DIR": str(tmp_path / "var"),
        "PYTHONPATH": str(REPO),
        **env,
    }
    return subprocess.run(
        [sys.executable, "-m", "fuwu.cli", *args],
        cwd=REPO,
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
    )


def settings_in(tmp_path: Path, env: dict[str, str], *names: str) -> dict[str, Any]:
    """The values the settings module computes from `env`, read in a fresh process."""
    code = (
        "import json, django; from django.conf import settings; django.setup(); "
        f"print(json.dumps({{n: getattr(settings, n, None) for n in {list(names)!r}}}))"
    )
    environ = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "FUWU_VAR_DIR": str(tmp_path / "var"),
        "PYTHONPATH": str(REPO),
        "DJANGO_SETTINGS_MODULE": "fuwu.settings",
        **env,
    }
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO,
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


# --- check --deploy and the settings read from the environment -----------------------------------


def test_check_deploy_is_clean_in_a_production_configuration(tmp_path):
    env = {**PRODUCTION, "SECRET_KEY": secrets.token_urlsafe(50)}
    done = run_fuwu(tmp_path, env, "check", "--deploy", "--fail-level", "WARNING")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "System check identified no issues" in done.stdout
    assert "WARNINGS" not in done.stderr + done.stdout


def test_check_deploy_warns_without_https(tmp_path):
    # The same configuration without the switch: the check names what is missing.
    env = {**PRODUCTION, "FUWU_HTTPS": "false", "SECRET_KEY": secrets.token_urlsafe(50)}
    done = run_fuwu(tmp_path, env, "check", "--deploy", "--fail-level", "WARNING")
    assert done.returncode != 0
    for warning in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert warning in done.stderr


def test_https_switch_turns_on_the_secure_defaults_each_overridable(tmp_path):
    names = (
        "SECURE_SSL_REDIRECT",
        "SESSION_COOKIE_SECURE",
        "CSRF_COOKIE_SECURE",
        "SECURE_HSTS_SECONDS",
        "SECURE_HSTS_INCLUDE_SUBDOMAINS",
        "SECURE_HSTS_PRELOAD",
        "SECURE_PROXY_SSL_HEADER",
        "USE_X_FORWARDED_HOST",
        "CSRF_TRUSTED_ORIGINS",
    )
    plain = settings_in(tmp_path, {}, *names)
    assert plain == {
        "SECURE_SSL_REDIRECT": False,
        "SESSION_COOKIE_SECURE": False,
        "CSRF_COOKIE_SECURE": False,
        "SECURE_HSTS_SECONDS": 0,
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": False,
        "SECURE_HSTS_PRELOAD": False,
        "SECURE_PROXY_SSL_HEADER": None,
        "USE_X_FORWARDED_HOST": False,
        "CSRF_TRUSTED_ORIGINS": [],
    }
    https = settings_in(tmp_path, {"FUWU_HTTPS": "true"}, *names)
    assert https["SECURE_SSL_REDIRECT"] and https["SESSION_COOKIE_SECURE"]
    assert https["CSRF_COOKIE_SECURE"] and https["SECURE_HSTS_SECONDS"] == 31536000
    assert https["SECURE_HSTS_INCLUDE_SUBDOMAINS"] and https["SECURE_HSTS_PRELOAD"]
    # HTTPS alone never trusts forwarded headers: a client could claim HTTPS or another host.
    assert https["SECURE_PROXY_SSL_HEADER"] is None and https["USE_X_FORWARDED_HOST"] is False

    tuned = settings_in(
        tmp_path,
        {
            "FUWU_HTTPS": "true",
            "SECURE_HSTS_SECONDS": "300",
            "SECURE_HSTS_PRELOAD": "false",
            "SECURE_SSL_REDIRECT": "false",
            "FUWU_TRUSTED_PROXY": "true",
            "CSRF_TRUSTED_ORIGINS": "https://fuwu.example.com, https://desk.example.com",
        },
        *names,
    )
    assert tuned["SECURE_HSTS_SECONDS"] == 300 and tuned["SECURE_HSTS_PRELOAD"] is False
    assert tuned["SECURE_SSL_REDIRECT"] is False and tuned["SESSION_COOKIE_SECURE"] is True
    assert tuned["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert tuned["USE_X_FORWARDED_HOST"] is True
    assert tuned["CSRF_TRUSTED_ORIGINS"] == ["https://fuwu.example.com", "https://desk.example.com"]


@pytest.mark.django_db
def test_https_headers_and_redirect(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SECURE_HSTS_PRELOAD = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    plain = client.get("/login/")
    assert plain.status_code == 301 and plain["Location"].startswith("https://")
    r = client.get("/healthz")  # probes stay on plain HTTP (503 here: no worker runs in tests)
    assert r.status_code in (200, 503) and r.json()["database"] == "ok"
    secure = client.get("/login/", headers={"x-forwarded-proto": "https"})
    assert secure.status_code == 200
    assert secure["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert secure["X-Content-Type-Options"] == "nosniff"
    assert secure["X-Frame-Options"] == "DENY"
    assert secure["Referrer-Policy"] == "same-origin"


# --- Content-Security-Policy on every page -------------------------------------------------------

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I)
HANDLER = re.compile(r"<[a-zA-Z][^>]*\son[a-z]+\s*=", re.I)
JS_URL = re.compile(r"""(href|src|action)\s*=\s*["']\s*javascript:""", re.I)


def script_sources(policy: str) -> list[str]:
    for directive in policy.split(";"):
        name, *values = directive.split()
        if name == "script-src":
            return values
    raise AssertionError(f"no script-src in {policy!r}")


def assert_strict_page(response: Any, url: str) -> None:
    assert response.status_code == 200, (url, response.status_code)
    assert response["Content-Type"].startswith("text/html"), url
    policy = response.get("Content-Security-Policy", "")
    assert policy, f"{url}: no Content-Security-Policy header"
    sources = script_sources(policy)
    assert "'unsafe-inline'" not in sources and "'unsafe-eval'" not in sources, (url, policy)
    assert "default-src 'self'" in policy and "object-src 'none'" in policy, (url, policy)
    html = response.content.decode()
    assert not INLINE_SCRIPT.findall(html), f"{url}: inline <script>: {INLINE_SCRIPT.findall(html)}"
    assert not HANDLER.search(html), f"{url}: on*= handler: {HANDLER.search(html)}"
    assert not JS_URL.search(html), f"{url}: javascript: URL"


def test_no_template_carries_inline_script():
    # Every template, including pages this test does not visit: the policy would block the
    # script, so the page would quietly lose its behaviour.
    found = []
    for template in sorted((REPO / "fuwu").rglob("templates/**/*.html")):
        text = template.read_text(encoding="utf-8")
        for pattern in (INLINE_SCRIPT, HANDLER, JS_URL):
            found += [
                f"{template.relative_to(REPO)}: {m.group()[:80]}" for m in pattern.finditer(text)
            ]
    assert found == [], "\n".join(found)


def staff_pages(world: World) -> list[str]:
    case = at_dispatch(world)
    return [
        "/work/",
        "/inbox/",
        "/queue/",
        "/dashboard/",
        "/intake/",
        f"/intake/?site={world.sites['lanting'].pk}&customer={world.customers['owner'].pk}",
        f"/cases/{case.pk}/",
        "/procedures/",
        "/procedures/property_repair/",
        "/password/",
    ]


@pytest.mark.django_db
def test_every_html_page_carries_a_policy_without_inline_script(world):
    anonymous = Client()
    for url in ["/login/", "/portal/login/", "/portal/signup/", "/admin/login/"]:
        assert_strict_page(anonymous.get(url), url)

    manager = signed_in("vp")
    for url in staff_pages(world):
        assert_strict_page(manager.get(url), url)
    for url in ["/admin/", "/admin/cases/case/", "/api/docs"]:
        assert_strict_page(admin_client().get(url), url)

    owner = world.customers["owner"]
    give_account(owner, "13812345678", "Owner-pass-1")
    customer = Client()
    customer.post("/portal/login/", {"login": "13812345678", "password": "Owner-pass-1"})
    case = open_repair(world)
    for url in [
        "/portal/",
        "/portal/new/",
        "/portal/new/property_repair/",
        f"/portal/cases/{case.pk}/",
        "/portal/account/",
    ]:
        assert_strict_page(customer.get(url), url)


def admin_client() -> Client:
    User = get_user_model()
    if not User.objects.filter(username="root").exists():
        User.objects.create_superuser("root", "root@example.com", "pw-root")
    client = Client()
    client.login(username="root", password="pw-root")
    return client


# --- API docs only for staff in production -------------------------------------------------------


@pytest.mark.django_db
def test_api_docs_for_signed_in_staff_only_when_debug_is_off(world, settings):
    settings.DEBUG = False
    anonymous = Client()
    page = anonymous.get("/api/docs")
    assert page.status_code == 302 and page["Location"].startswith("/login/")
    schema = anonymous.get("/api/openapi.json")
    assert schema.status_code == 401 and schema.json()["code"] == "unauthorized"
    forged = anonymous.get("/api/openapi.json", headers={"authorization": "Bearer nope"})
    assert forged.status_code == 401

    give_account(world.customers["owner"], "13812345678", "Owner-pass-1")
    customer = Client()
    customer.post("/portal/login/", {"login": "13812345678", "password": "Owner-pass-1"})
    assert customer.get("/api/docs").status_code == 404
    assert customer.get("/api/openapi.json").status_code == 404

    agent = signed_in("agent")
    assert agent.get("/api/docs").status_code == 200
    assert agent.get("/api/openapi.json").json()["info"]["title"] == "Fuwu API"
    token = world.token("technician")
    by_token = Client().get("/api/openapi.json", headers={"authorization": f"Bearer {token}"})
    assert by_token.status_code == 200 and "paths" in by_token.json()


@pytest.mark.django_db
def test_api_docs_open_to_anyone_in_debug(settings):
    settings.DEBUG = True
    anonymous = Client()
    assert anonymous.get("/api/docs").status_code == 200
    assert anonymous.get("/api/openapi.json").json()["info"]["title"] == "Fuwu API"


# --- the same pages in a real browser, under the enforced policy ---------------------------------

WATCH_POLICY = """
document.addEventListener("securitypolicyviolation", function (e) {
  window.fuwuViolation([e.violatedDirective, e.blockedURI, e.sourceFile + ":" + e.lineNumber].join(" "));
});
"""


class Watched:
    """A browser page that records policy violations and console errors, per URL visited."""

    def __init__(self, web: Any, page: Any) -> None:
        self.web, self.page = web, page
        self.problems: list[str] = []
        page.expose_function(
            "fuwuViolation", lambda what: self.problems.append(f"{page.url}: CSP {what}")
        )
        page.add_init_script(WATCH_POLICY)
        page.on(
            "console",
            lambda msg: (
                self.problems.append(f"{page.url}: console {msg.text}")
                if msg.type == "error"
                else None
            ),
        )
        page.on("pageerror", lambda exc: self.problems.append(f"{page.url}: error {exc}"))

    def visit(self, url: str, *, ready: str | None = None, shot: str | None = None) -> None:
        response = self.page.goto(url)
        assert response is not None and response.status == 200, (url, response and response.status)
        assert "script-src 'self'" in (response.headers.get("content-security-policy") or ""), url
        self.page.wait_for_load_state("load")
        if ready:
            self.page.wait_for_selector(ready)
        if shot:
            self.web.shot(self.page, shot)


@pytest.mark.django_db(transaction=True)
def test_pages_work_under_the_policy_in_a_browser(web, world):
    case = at_dispatch(world)
    staff = Watched(web, web.page())
    web.login(staff.page, "vp")
    staff.visit("/work/", shot="work")
    staff.visit("/inbox/")
    staff.visit("/queue/", shot="queue")
    # ECharts draws the trend on a canvas; Mermaid draws diagrams (each SVG carries a <style>).
    staff.visit(
        "/dashboard/", ready="[data-testid=trend-chart][data-drawn=true] canvas", shot="dashboard"
    )
    staff.visit("/procedures/property_repair/", ready="[data-testid=diagram][data-drawn=true] svg")
    staff.visit(f"/cases/{case.pk}/", ready="[data-testid=diagram] svg", shot="case")
    # The intake desk: htmx searches as one types (no eval, no injected style), Enter stays put.
    staff.visit("/intake/")
    staff.page.fill("[data-testid=customer-search]", "王芳")
    staff.page.wait_for_selector("[data-testid=customer-result]")
    staff.page.press("[data-testid=customer-search]", "Enter")
    assert staff.page.url.endswith("/intake/")
    web.shot(staff.page, "intake-search")
    # The API docs (Swagger UI from ninja's static files) render the operations. The document
    # is built once per process (seconds of CPU): built here first, in the live server's process,
    # so that a busy machine does not turn the build into the page's wait.
    with translation.override("zh-hans"):
        api.get_openapi_schema(path_prefix="/api/")
    staff.visit("/api/docs", ready=".swagger-ui .opblock", shot="api-docs")

    admin = Watched(web, web.page())
    get_user_model().objects.create_superuser("root", "root@example.com", "pw-root")
    admin.visit("/admin/login/")
    admin.page.fill("#id_username", "root")
    admin.page.fill("#id_password", "pw-root")
    admin.page.click("input[type=submit]")
    admin.page.wait_for_selector("#content-main")
    admin.visit("/admin/", shot="admin")
    admin.visit("/admin/cases/case/")
    admin.visit(
        f"/admin/customers/customer/{world.customers['owner'].pk}/change/", shot="admin-change"
    )

    give_account(world.customers["owner"], "13812345678", "Owner-pass-1")
    portal = Watched(web, web.page(phone=True))
    portal.visit("/portal/login/")
    portal.page.fill("#id_login", "13812345678")
    portal.page.fill("#id_password", "Owner-pass-1")
    portal.page.click("[data-testid=login-submit]")
    portal.page.wait_for_url("**/portal/")
    portal.visit("/portal/", shot="portal-home")
    portal.visit("/portal/new/")
    portal.visit("/portal/new/property_repair/")
    # The request form's script (a static file now) shows the new-unit box only for "new".
    assert portal.page.locator("#new-asset").is_hidden()
    portal.page.select_option("#id_asset", "new")
    assert portal.page.locator("#new-asset").is_visible()
    web.shot(portal.page, "portal-new")
    portal.visit(f"/portal/cases/{case.pk}/")
    portal.visit("/portal/account/")

    problems = staff.problems + admin.problems + portal.problems
    assert problems == [], "\n".join(problems)


def test_smtp_settings_from_the_environment(tmp_path):
    env = {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "smtp.example.com",
        "EMAIL_PORT": "587",
        "EMAIL_HOST_USER": "fuwu",
        "EMAIL_HOST_PASSWORD": "s3cret",
        "EMAIL_USE_TLS": "true",
    }
    mailer = settings_in(tmp_path, env, "MAILERS")["MAILERS"]["default"]
    assert mailer["BACKEND"] == env["EMAIL_BACKEND"]
    assert mailer["OPTIONS"] == {
        "host": "smtp.example.com",
        "port": 587,
        "username": "fuwu",
        "password": "s3cret",
        "use_tls": True,
        "use_ssl": False,
        "timeout": 10,
    }
