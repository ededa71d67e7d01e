"""Issue 14: each gunicorn worker under 100 MB resident. What a worker loads with the app (the
settings, every app, the URL conf with the API's routers) leaves out the libraries only some
requests need; each is imported by the first request that does. A subprocess, so that what
this test process has imported counts for nothing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from importlib import import_module
from pathlib import Path

from django.urls import URLResolver, get_resolver

# Each is imported where it is used; the figure is what importing it costs a process (RSS).
LAZY = {
    "PIL": "Pillow, 2.6 MB: pictures (fuwu.cases.attachments, fuwu.documents.signatures)",
    "nh3": "1.5 MB: HTML-only inbound mail (fuwu.channels.email.inbound)",
    "jieba": "search words, with its HMM table (fuwu.search.text)",
    "marisa_trie": "jieba's dictionary (fuwu.search.dictionary)",
    "openpyxl": "xlsx exports and imports (fuwu.sheets)",
    "weasyprint": "printed documents",
    "pyvrp": "route planning (fuwu.scheduling.vrptw)",
    "holidays": "calendars of countries outside the shipped table (fuwu.sla.statutory)",
    "cryptography": "WeChat's safe mode (fuwu.channels.wechat)",
    "lxml": "WeChat's XML",
}


# The URL confs `fuwu.urls.on_first_use` includes: a worker answering only the API never loads them.
PAGES = ("fuwu.web.urls", "fuwu.portal.urls", "fuwu.channels.urls", "fuwu.web.views.case")
# Domain modules the API's routers import where an endpoint needs them (fuwu/api/*.py): the
# route planner (with PyVRP's wrapper), the workshop KPIs, WeChat binding with the channels'
# intake, the surveys' actions and analysis. About 2 MB together.
BY_ENDPOINT = (
    "fuwu.scheduling.routes",
    "fuwu.scheduling.vrptw",
    "fuwu.scheduling.kpis",
    "fuwu.channels.wechat.binding",
    "fuwu.channels.inbound",
    "fuwu.surveys.actions",
    "fuwu.surveys.analysis",
)


def _loaded(tmp_path: Path, then: str, names: list[str]) -> list[str]:
    """Which of `names` a fresh process has imported after setting up Django and doing `then`."""
    code = (
        "import json, sys, django\n"
        "django.setup()\n"
        "from django.urls import get_resolver, resolve\n"
        f"{then}\n"
        f"print(json.dumps(sorted(m for m in {names!r} if m in sys.modules)))\n"
    )
    env = {
        **{k: v for k, v in os.environ.items() if k != "DATABASE_URL"},
        "DJANGO_SETTINGS_MODULE": "fuwu.settings",
        "FUWU_VAR_DIR": str(tmp_path),
    }
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    )
    loaded: list[str] = json.loads(out.stdout.splitlines()[-1])
    return loaded


def test_loading_the_app_imports_none_of_the_lazy_libraries(tmp_path: Path) -> None:
    # Every URL conf and view module loaded (the first reverse() does this).
    assert _loaded(tmp_path, "get_resolver()._populate()", sorted(LAZY)) == []


def test_an_api_request_loads_neither_the_pages_nor_the_portal(tmp_path: Path) -> None:
    assert _loaded(tmp_path, "resolve('/api/cases/1')", [*PAGES, *BY_ENDPOINT]) == []
    assert _loaded(tmp_path, "resolve('/portal/')", list(PAGES)) == ["fuwu.portal.urls"]


def test_each_url_conf_included_on_first_use_has_its_own_namespace() -> None:
    later = [
        r
        for r in get_resolver().url_patterns
        if isinstance(r, URLResolver) and isinstance(r.urlconf_name, str)
    ]
    assert {r.urlconf_name for r in later} >= {"fuwu.web.urls", "fuwu.portal.urls"}
    for resolver in later:
        app_name = import_module(resolver.urlconf_name).app_name
        assert resolver.app_name == resolver.namespace == app_name
