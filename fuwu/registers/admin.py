from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from fuwu.registers.models import Entry, OpeningBalance


@admin.register(Entry)
class EntryAdmin(admin.ModelAdmin):
    """Read-only: entries are written by cases (register_out / register_in effects)."""

    list_display = ("register", "item", "holder", "out_at", "due_back", "returned_at", "site")
    list_filter = ("register", "site", ("returned_at", admin.EmptyFieldListFilter))
    search_fields = ("item", "holder")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(OpeningBalance)
class OpeningBalanceAdmin(admin.ModelAdmin):
    """Read-only: opening balances are imported (`fuwu.sheets.kinds.fees`)."""

    list_display = ("asset", "fee_type", "outstanding", "paid", "as_of", "site", "created_by")
    list_filter = ("site", "fee_type")
    search_fields = ("asset__label",)
    list_select_related = ("asset", "site", "created_by")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
