"""Browser tests: Debian's Chromium driven by Playwright, screenshots under test-artifacts/.

Never downloads a browser: Playwright launches /usr/bin/chromium (installed by the Makefile's
test set-up). Without it the browser tests skip with a visible reason, except in CI (CI=true)
where they are required.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.servers.basehttp import WSGIServer
from django.test.testcases import LiveServerThread

CHROMIUM = os.environ.get("FUWU_CHROMIUM", "/usr/bin/chromium")
# Where screenshots go: test-artifacts/ in the checkout unless FUWU_SCREENSHOTS names a folder.
ARTIFACTS = Path(
    os.environ.get("FUWU_SCREENSHOTS") or Path(__file__).resolve().parents[2] / "test-artifacts"
)
PHONE = {"width": 390, "height": 844}
# The two ways a browser test runs a journey: Chinese on a desktop and English on a phone. The
# other two combinations add minutes to the suite and no case the two do not already cover.
two_variants = pytest.mark.parametrize(
    ("language", "phone"), [("zh-hans", False), ("en", True)], ids=["zh-hans-desktop", "en-phone"]
)
# Where a module has several journeys, each runs one way, the ways alternating: the module still
# covers both, and the suite does not pay for every journey twice.
zh_desktop = pytest.mark.parametrize(
    ("language", "phone"), [("zh-hans", False)], ids=["zh-desktop"]
)
en_phone = pytest.mark.parametrize(("language", "phone"), [("en", True)], ids=["en-phone"])
DESKTOP = {"width": 1366, "height": 900}
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


class _SerialWSGIServer(WSGIServer):
    """The live test server, one request at a time (and no keep-alive, which Django's server
    only offers when threaded). On SQLite the test database lives in memory and every thread
    of the threaded server shares its one connection: two requests of one page at once (the
    intake desk's fields and its history panel) then interleave on that connection and one of
    them fails now and then. Served in turn, they cannot."""

    def __init__(self, *args: Any, connections_override: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)


def _serial_live_server_on_sqlite() -> None:
    from django.db import connection

    if connection.vendor == "sqlite":
        LiveServerThread.server_class = _SerialWSGIServer  # type: ignore[assignment]


def require_chromium() -> None:
    if Path(CHROMIUM).exists():
        return
    reason = f"browser tests need Debian's chromium at {CHROMIUM} (make test installs it)"
    if os.environ.get("CI") == "true":
        pytest.fail(reason)
    pytest.skip(reason)


class Shots:
    """Numbered screenshots of one test: test-artifacts/<test name>/01-<what>.png."""

    def __init__(self, test_name: str) -> None:
        self.folder = ARTIFACTS / re.sub(r"[^\w.-]+", "_", test_name)
        self.folder.mkdir(parents=True, exist_ok=True)
        for old in self.folder.glob("*.png"):
            old.unlink()
        self.count = 0

    def __call__(self, page: Any, what: str, *, full_page: bool = True) -> Path:
        self.count += 1
        target = self.folder / f"{self.count:02d}-{re.sub(r'[^\w.-]+', '_', what)}.png"
        page.screenshot(path=str(target), full_page=full_page)
        return target


@pytest.fixture(scope="session")
def chromium_browser() -> Iterator[Any]:
    require_chromium()
    _serial_live_server_on_sqlite()
    # Playwright's sync API runs an event loop in this thread; the ORM calls the tests make
    # around it are still plain synchronous calls.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


class Browser:
    """Opens pages (contexts) against the live server, each with its own cookies and size."""

    def __init__(self, browser: Any, base_url: str, shots: Shots) -> None:
        self.browser = browser
        self.base_url = base_url
        self.shot = shots
        self.contexts: list[Any] = []

    def page(self, *, phone: bool = False, language: str = "zh-CN") -> Any:
        context = self.browser.new_context(
            base_url=self.base_url,
            viewport=PHONE if phone else DESKTOP,
            is_mobile=phone,
            has_touch=phone,
            locale=language,
            device_scale_factor=2 if phone else 1,
            # As people who ask for less motion: no chart or menu animations to render.
            reduced_motion="reduce",
        )
        context.set_default_timeout(15000)
        self.contexts.append(context)
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.js_errors = errors
        return page

    def login(self, page: Any, username: str, password: str | None = None) -> None:
        page.goto("/login/")
        page.fill("#id_username", username)
        page.fill("#id_password", password or f"pw-{username}")
        # Wait for the answer to the sign-in itself: the page is already "loaded" before the
        # click, so waiting for a load state could let the next navigation overtake the POST.
        with page.expect_navigation():
            page.click("button[type=submit]")
        page.wait_for_load_state()

    def to_english(self, page: Any) -> None:
        """Switch the page to English with the menu's button and wait for the English page
        (a load state alone can be the old page's, and the next step would overtake it)."""
        button = page.locator("[data-testid=language-en]")
        button.wait_for(state="visible")
        if page.locator(".navbar-collapse.collapsing").count():  # a phone's menu still opening
            page.wait_for_selector(".navbar-collapse.show")
        with page.expect_navigation(timeout=30000):
            button.click()
        page.wait_for_function("document.documentElement.lang === 'en'", timeout=30000)

    def close(self) -> None:
        for context in self.contexts:
            context.close()


@pytest.fixture
def web(
    chromium_browser: Any, live_server: Any, request: pytest.FixtureRequest
) -> Iterator[Browser]:
    """A browser against the live test server; close its pages and keep the screenshots."""
    b = Browser(chromium_browser, live_server.url, Shots(request.node.name))
    yield b
    b.close()
