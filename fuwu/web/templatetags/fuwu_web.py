"""Template helpers shared by the staff pages and the portal."""

from __future__ import annotations

import html
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from django import template
from django.db.models import TextChoices
from django.utils import timezone, translation
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import Truncator
from django.utils.translation import gettext

from fuwu.cases.choices import Priority, Status
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
    moment = due.isoformat()
    begun = start.isoformat() if start else ""
    ticks = ' data-seconds="1"' if left.ticks else ""
    shown = timezone.localtime(due).strftime(
        "%Y-%m-%d %H:%M:%S" if left.ticks else "%Y-%m-%d %H:%M"
    )
    # An f-string with the standard library's escape (the moments are ISO text): a list page
    # draws one a row.
    return mark_safe(  # noqa: S308 - the one free text is escaped
        f'<time class="deadline deadline-{left.state}" datetime="{moment}" data-due="{moment}"'
        f' data-start="{begun}"{ticks} title="{shown}">{html.escape(left.text)}</time>'
    )


@register.simple_tag
def options(items: Any, chosen: Any = None) -> SafeString:
    """The `<option>`s of a filter's `<select>`: `items` are `(value, label)` pairs or objects with
    `.value` and `.label`; `chosen` a value, or a list of them (a filter taking several), is
    marked selected. In Python, not a template loop: the queue's filters list every person,
    department and procedure of the reader's sites, on every page."""
    e = html.escape
    many = isinstance(chosen, list | tuple | set | frozenset)
    out = []
    for item in items:
        value, label = item if isinstance(item, tuple) else (item.value, item.label)
        picked = (value in chosen) if many else (value == chosen)
        out.append(
            f'<option value="{e(str(value))}"{" selected" if picked else ""}>{e(str(label))}</option>'
        )
    return mark_safe("".join(out))  # noqa: S308 - values and labels escaped


def _labels(choices: type[TextChoices]) -> dict[str, str]:
    return {str(k): str(v) for k, v in choices.choices}


@register.simple_tag
def case_rows(rows: list[Any], bulk: bool = False) -> SafeString:
    """The `<tr>` of each `lists.Row` of a case table (`_case_table.html`).

    Written in Python with the standard library's `html.escape`, not as a template loop nor
    with `format_html`: a page of rows was about 1,100 look-ups in the template engine, most of
    the queue page's CPU, and Django's lazy-aware escaping costs several times the escape."""
    e = html.escape
    t_customer, t_asset = e(gettext("客户")), e(gettext("服务对象"))
    t_dept, t_assignee = e(gettext("部门")), e(gettext("处理人"))
    unassigned, select = gettext("未指派"), e(gettext("选择"))
    major = (
        f' <span class="badge text-bg-danger" title="{e(gettext("重大工单"))}">'
        f"{e(gettext('重大'))}</span>"
    )
    # Each choice label translated once a table (`get_status_display` builds the choices dict
    # again and translates it for every row).
    status_labels, priority_labels = _labels(Status), _labels(Priority)
    out = []
    for r in rows:
        c = r.case
        pk, number, url = c.pk, e(c.number), e(r.url)
        customer, asset = c.customer, c.asset
        picker = (
            f'<td class="case-select"><input class="form-check-input" type="checkbox" name="case"'
            f' value="{pk}" form="bulk-form" data-bulk-row data-testid="select-row"'
            f' aria-label="{select} {number}"></td>'
            if bulk
            else ""
        )
        branches = "".join(
            f'<div class="small text-body-secondary" data-testid="row-branch">{e(b)}</div>'
            for b in r.branches
        )
        out.append(
            f'<tr class="row-{e(r.state)}" data-testid="case-row" data-case="{pk}">{picker}'
            f'<td class="case-number"><a href="{url}" data-testid="case-link">{number}</a>'
            f"{major if c.is_major else ''}</td>"
            f'<td class="case-title"><a href="{url}" class="link-body-emphasis'
            f' text-decoration-none">{e(Truncator(c.title).chars(60))}</a></td>'
            f'<td class="case-procedure">{e(r.procedure)}</td>'
            f'<td class="case-step">{e(r.step)}{branches}</td>'
            f'<td class="text-nowrap"><span class="badge status-{e(c.status)}">'
            f"{e(status_labels.get(c.status, c.status))}</span></td>"
            f'<td class="text-nowrap"><span class="badge priority-{e(c.priority)}">'
            f"{e(priority_labels.get(c.priority, c.priority))}</span></td>"
            f'<td class="text-nowrap case-customer" data-label="{t_customer}">'
            f"{e((customer.name if customer else '') or '—')}</td>"
            f'<td class="case-asset" data-label="{t_asset}">'
            f"{e((asset.label if asset else '') or '—')}</td>"
            f'<td class="case-dept" data-label="{t_dept}">{e(r.department)}</td>'
            f'<td class="text-nowrap case-assignee" data-label="{t_assignee}">'
            f"{e(r.assignee or unassigned)}</td>"
            f'<td class="text-nowrap case-due">{deadline(r.due, r.due_start)}</td></tr>\n'
        )
    return mark_safe("".join(out))  # noqa: S308 - every value above is escaped or a number


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
