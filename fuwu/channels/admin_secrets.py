"""Secrets in the channels' admin (a WeChat account's keys, the SMS provider's secret, a
mailbox's password): written, never shown back. Each is a password input that starts empty, an
empty field keeps the stored value, and the list shows only a hint (its last four characters).

A form lists its secret fields in `secrets` and declares each with `secret_field`; its admin
derives from `SecretsAdmin` and names its hint columns with `hint_column`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

from django import forms
from django.contrib import admin
from django.db.models import Model
from django.http import HttpRequest

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


def hint(value: str) -> str:
    """What the page may show of a secret: that it is set, and its last four characters."""
    return f"****{value[-4:]}" if value else "—"


def secret_field(label: StrOrPromise, help_text: StrOrPromise) -> forms.CharField:
    """A secret's input: a password field never filled with the stored value, and optional
    (empty keeps what is stored; the form's own `clean` says when one is needed)."""
    return forms.CharField(
        label=label,
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text=help_text,
    )


class SecretsForm(forms.ModelForm):  # type: ignore[type-arg]
    """A model form whose `secrets` fields, left empty on a stored row, keep the stored value.

    The stored values are put back into `cleaned_data` before a subclass's own checks (called
    after `super().clean()`), so "is it set" checks see what will be saved.
    """

    secrets: ClassVar[tuple[str, ...]] = ()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.instance.pk:
            for name in self.secrets:
                if not data.get(name):
                    data[name] = getattr(self.instance, name)
        return data


class SecretsAdmin[M: Model](admin.ModelAdmin[M]):
    """The admin of a `SecretsForm`: a secret left empty is not overwritten when saving."""

    def save_model(self, request: HttpRequest, obj: M, form: Any, change: bool) -> None:
        for name in form.secrets:
            setattr(obj, name, form.cleaned_data.get(name) or getattr(obj, name))
        super().save_model(request, obj, form, change)


def hint_column(name: str, description: StrOrPromise) -> Callable[[Any, Any], str]:
    """A list column showing only the hint of the secret `name`, under `description`."""

    @admin.display(description=description)
    def column(model_admin: Any, obj: Any) -> str:
        return hint(getattr(obj, name))

    return column
