"""Admin for the IMAP mailboxes: the password is written, never shown back — the form's field
starts empty, an empty field keeps the stored value, and the list shows its last characters."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from fuwu.channels.admin_secrets import SecretsAdmin, SecretsForm, hint_column, secret_field
from fuwu.channels.email.models import Mailbox


class MailboxForm(SecretsForm):
    secrets = ("password",)
    password = secret_field(_("密码"), _("留空则保持原值"))

    class Meta:
        model = Mailbox
        fields = [
            "site",
            "name",
            "host",
            "port",
            "ssl",
            "starttls",
            "username",
            "password",
            "folder",
            "address",
            "active",
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not data.get("password"):
            self.add_error("password", _("请填写密码"))
        return data


@admin.register(Mailbox)
class MailboxAdmin(SecretsAdmin[Mailbox]):
    form = MailboxForm
    list_display = (
        "name",
        "site",
        "username",
        "host",
        "active",
        "password_hint",
        "last_polled_at",
        "last_error",
    )
    list_filter = ("site", "active")
    search_fields = ("name", "username", "host", "address")
    readonly_fields = ("last_polled_at", "last_error")

    password_hint = hint_column("password", _("密码"))
