"""Procedure versions, read-only: definitions are loaded from files by `fuwu procedures load`.

A version is immutable once stored (running cases keep the one they started on), so the admin
only shows it.
"""

from __future__ import annotations

from django.contrib import admin
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from fuwu.core.admin import ReadOnlyAdmin, pretty_json, shown
from fuwu.procedures.models import ProcedureVersion


@admin.register(ProcedureVersion)
class ProcedureVersionAdmin(ReadOnlyAdmin[ProcedureVersion]):
    # The English name is in the form and searched; the Chinese list shows the Chinese name.
    list_display = ["key", "version", "name_zh", "is_current", "created", "source"]
    list_display_links = ["key", "version"]
    list_filter = ["is_current", "key"]
    search_fields = ["key", "name_zh", "name_en"]
    readonly_fields = (
        "key",
        "version",
        "name_zh",
        "name_en",
        "is_current",
        "created",
        "source",
        "checksum",
        "definition_json",
    )
    fields = readonly_fields

    @admin.display(description=_("创建时间"), ordering="created_at")
    def created(self, obj: ProcedureVersion) -> str:
        return shown(obj.created_at)

    @admin.display(description=_("定义"))
    def definition_json(self, obj: ProcedureVersion) -> SafeString:
        return pretty_json(obj.definition)
