"""Template filters of the report lists (`fuwu.web.views.report_lists`)."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()


@register.filter
def lookup(mapping: Any, key: Any) -> Any:
    """`names|lookup:key`: a label from a dict of labels; the key itself when it has none."""
    if isinstance(mapping, dict):
        return mapping.get(key, key)
    return key
