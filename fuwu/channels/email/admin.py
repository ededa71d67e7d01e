"""Admin for the IMAP mailboxes: the password is written, never shown back — the form's field
starts empty, an empty field keeps the stored value, and the list shows its last characters."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from fuwu.channels.email.models import Mailbox
from fuwu.channels.wechat.admin import hint


class MailboxForm(forms.ModelForm):  # type: ignore[type-arg]
    password = forms.CharField(
        label=_("密码"),
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("留空则保持原值"),
    )

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
        data = super().clean() or {}
        if not data.get("password") and self.instance.pk:
            data["password"] = self.instance.password
        if not data.get("password"):
            self.add_error("password", _("请填写密码"))
        return data


@admin.register(Mailbox)
class MailboxAdmin(admin.ModelAdmin[Mailbox]):
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

    @admin.display(description=_("密码"))
    def password_hint(self, obj: Mailbox) -> str:
        return hint(obj.password)

    def save_model(self, request: HttpRequest, obj: Mailbox, form: Any, change: bool) -> None:
        obj.password = form.cleaned_data.get("password") or obj.password
        super().save_model(request, obj, form, change)
