"""Printed documents in the admin: to look up, never to edit (numbers and signatures are a
record; they change only through `fuwu.documents.actions`)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from fuwu.documents.models import Document, Signature


class ReadOnly:
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Document)
class DocumentAdmin(ReadOnly, admin.ModelAdmin[Document]):
    list_display = ("number", "kind", "site", "case", "prints", "issued_at", "issued_by")
    list_filter = ("site", "kind")
    search_fields = ("number", "case__number")
    list_select_related = ("site", "case", "issued_by")


@admin.register(Signature)
class SignatureAdmin(ReadOnly, admin.ModelAdmin[Signature]):
    list_display = ("document", "signer_name", "signed_at", "taken_by")
    search_fields = ("document__number", "signer_name")
    list_select_related = ("document", "taken_by")
