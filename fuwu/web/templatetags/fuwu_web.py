"""Template helpers shared by the staff pages and the portal."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from django import template
from django.utils import timezone, translation
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from fuwu.web.dynforms import lines_editor as build_lines_editor
from fuwu.web.timeleft import time_left

register = template.Library()


@register.simple_tag
def deadline(due: datetime | None, start: datetime | None = None) -> SafeString:
    """A coloured "time left" badge that counts down in the browser (static/web/countdown.js):
    in seconds (mm:ss) for a short clock (`fuwu.web.timeleft.SECONDS_WINDOW`)."""
    left = time_left(due, timezone.now(), start)
    if left.state == "none" or due is None:
        return mark_safe('<span class="text-body-secondary">—</span>')
    return format_html(
        '<time class="deadline deadline-{}" datetime="{}" data-due="{}" data-start="{}"{}'
        ' title="{}">{}</time>',
        left.state,
        due.isoformat(),
        due.isoformat(),
        start.isoformat() if start else "",
        mark_safe(' data-seconds="1"') if left.ticks else "",
        timezone.localtime(due).strftime("%Y-%m-%d %H:%M:%S" if left.ticks else "%Y-%m-%d %H:%M"),
        left.text,
    )


@register.simple_tag(takes_context=True)
def query_with(context: dict[str, Any], **changes: Any) -> str:
    """The current query string with some parameters replaced (None removes one)."""
    request = context["request"]
    params = request.GET.copy()
    for key, value in changes.items():
        params.pop(key, None)
        if value not in (None, ""):
            params[key] = value
    return "?" + urlencode(sorted(params.lists()), doseq=True) if params else "?"


@register.inclusion_tag("web/_lines.html")
def lines_editor(bf: Any, spec: Any) -> dict[str, Any]:
    """The editable table of a `lines` field (fuwu.web.dynforms.lines_editor)."""
    return {"ed": build_lines_editor(bf, spec), "spec": spec}


@register.filter
def files_for(files: dict[str, list[Any]], key: str) -> list[Any]:
    """The files attached to one checklist item: `item_files|files_for:"<step>.<item>"`."""
    return files.get(key, []) if isinstance(files, dict) else []


@register.filter
def job_name(line: Any) -> str:
    """A job (an appointment's line, a repair job) in the reader's language (`name_in`)."""
    return str(line.name_in(translation.get_language() or "zh-hans"))


@register.filter
def hours(value: Any) -> str:
    """Labour hours as people write them: 8.00 → 8, 62.50 → 62.5."""
    text = f"{value:f}" if value is not None else ""
    return text.rstrip("0").rstrip(".") if "." in text else text
