"""Template helpers of the customer portal: `{% load fuwu_portal %}`."""

from __future__ import annotations

from datetime import datetime

from django import template
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.translation import get_language

register = template.Library()
# (this year, another year) per language.
PATTERNS = {"en": ("j M, H:i", "j M Y, H:i"), "zh": ("n月j日 H:i", "Y年n月j日 H:i")}


@register.filter
def when(value: datetime | None) -> str:
    """A moment as a customer reads it: "11月28日 14:05" / "28 Nov, 14:05", the year only when
    it is not this year. Django's short format for English is the American "11/28/2026 2:05
    p.m.", which a customer elsewhere easily misreads."""
    if value is None:
        return ""
    local = timezone.localtime(value) if timezone.is_aware(value) else value
    this_year = local.year == timezone.localtime().year
    patterns = PATTERNS["en" if (get_language() or "").startswith("en") else "zh"]
    return date_format(local, patterns[0] if this_year else patterns[1])
