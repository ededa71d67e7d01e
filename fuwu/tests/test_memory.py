"""Issue 14: each gunicorn worker under 100 MB resident. What a worker loads with the app (the
settings, every app, the URL conf with the API's routers) leaves out the libraries only some
requests need; each is imported by the first request that does. A subprocess, so that what
this test process has imported counts for nothing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

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


def test_loading_the_app_imports_none_of_the_lazy_libraries(tmp_path: Path) -> None:
    code = (
        "import json, sys, django\n"
        "django.setup()\n"
        "from django.urls import get_resolver\n"
        "get_resolver()._populate()\n"
        f"print(json.dumps(sorted(m for m in {sorted(LAZY)!r} if m in sys.modules)))\n"
    )
    env = {
        **{k: v for k, v in os.environ.items() if k != "DATABASE_URL"},
        "DJANGO_SETTINGS_MODULE": "fuwu.settings",
        "FUWU_VAR_DIR": str(tmp_path),
    }
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    )
    assert json.loads(out.stdout.splitlines()[-1]) == []
