from __future__ import annotations

import ctypes.util
from typing import Any

from django.apps import AppConfig
from django.core import checks
from django.utils.translation import gettext_lazy as _


def pango_present(**_kwargs: Any) -> list[checks.CheckMessage]:
    """WeasyPrint opens Pango when it first prints: say at start-up when it is missing, not on
    the first print (the rest of Fuwu runs without it; only printing documents needs it)."""
    if ctypes.util.find_library("pango-1.0") and ctypes.util.find_library("pangoft2-1.0"):
        return []
    return [
        checks.Warning(
            "Pango is not installed: printed documents (PDF) cannot be made.",
            hint="apt-get install libpango-1.0-0 libpangoft2-1.0-0 (make run installs them).",
            id="fuwu.documents.W001",
        )
    ]


class DocumentsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "fuwu.documents"
    verbose_name = _("打印单据")

    def ready(self) -> None:
        checks.register(pango_present)
