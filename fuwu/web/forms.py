"""Form helpers shared by the staff pages and the portal."""

from __future__ import annotations

from django import forms


def styled[F: forms.BaseForm](form: F) -> F:
    """Give every widget of a Django form the Bootstrap classes (and mark errors)."""
    for name, field in form.fields.items():
        widget = field.widget
        if isinstance(widget, forms.CheckboxInput):
            css = "form-check-input"
        elif isinstance(widget, forms.Select | forms.SelectMultiple):
            css = "form-select"
        else:
            css = "form-control"
        if form.is_bound and name in form.errors:
            css += " is-invalid"
        widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()
    return form
