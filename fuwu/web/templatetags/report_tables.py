"""The report pages' long tables, a row at a time in Python: the service levels' table has a
line per procedure step (180 at a million cases) and nine links in each, the workload's
backlog and scorecards hundreds of lines; through the template engine each cell's tags,
lookups and includes cost more than the figures behind the page. The markup is the one the
templates wrote (`data-measure` on each link, `data-testid` on each row)."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.formats import localize
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext

register = template.Library()

DANGER = frozenset({"responded_late", "resolved_late"})
ZERO = '<td class="text-end"><span class="text-body-tertiary">0</span></td>'


def _cell(n: int, url: str, measure: str, danger: bool) -> str:
    if not n:
        return ZERO
    css = ' class="link-danger"' if danger else ""
    return (
        f'<td class="text-end"><a href="{escape(url)}" data-measure="{escape(measure)}"{css}>'
        f"{localize(n)}</a></td>"
    )


def _rate(value: float | None) -> str:
    return f'<td class="text-end">{"—" if value is None else f"{localize(value)}%"}</td>'


@register.simple_tag
def service_level_rows(rows: list[dict[str, Any]], is_total: bool = False) -> SafeString:
    """The service levels' table lines (`web/reports.py`'s `rows`, or `[total]` with
    `is_total`): the step, a linked figure per measure, the two rates, overdue now."""
    out = []
    for row in rows:
        line = row["line"]
        if is_total:
            head = (
                '<tr data-testid="report-total">\n  <th scope="row" class="fw-normal">'
                f"<strong>{escape(gettext('合计'))}</strong></th>"
            )
        else:
            where = escape(f"{line.procedure}/{line.step}")
            head = (
                f'<tr data-testid="report-row" data-step="{where}">\n'
                f'  <th scope="row" class="fw-normal">{escape(line.label)}</th>'
            )
        cells = "".join(_cell(n, url, str(m), str(m) in DANGER) for n, url, m in row["cells"])
        overdue, overdue_url = row["overdue"]
        out.append(
            f"{head}\n  {cells}\n  {_rate(line.response_rate)}\n  {_rate(line.resolution_rate)}\n"
            f"  {_cell(overdue, overdue_url, 'overdue', True)}\n</tr>"
        )
    return mark_safe("\n".join(out))  # noqa: S308 — every value above is escaped


def _linked(n: int, url: str) -> str:
    if not n:
        return ZERO
    return f'<td class="text-end"><a href="{escape(url)}">{localize(n)}</a></td>'


@register.simple_tag
def backlog_rows(rows: list[dict[str, Any]]) -> SafeString:
    """The workload's backlog lines: step, department, the open cases (a link)."""
    return mark_safe(  # noqa: S308 — every value is escaped
        "\n".join(
            f'<tr data-testid="backlog-row"><td>{escape(b["label"])}</td>'
            f'<td>{escape(b["department"])}</td><td class="text-end">'
            f'<a href="{escape(b["url"])}">{localize(b["count"])}</a></td></tr>'
            for b in rows
        )
    )


@register.simple_tag
def score_rows(rows: list[dict[str, Any]]) -> SafeString:
    """The workload's scorecard lines: person, week, on-time rate, six linked figures, the
    average rating."""
    out = []
    for s in rows:
        rate = "—" if s["rate"] is None else f"{localize(s['rate'])}%"
        rating = "—" if s["rating"] is None else localize(s["rating"])
        cells = "".join(_linked(n, url) for n, url in s["cells"])
        out.append(
            f'<tr data-testid="score-row"><th scope="row" class="fw-normal">{escape(s["name"])}</th>'
            f'<td class="text-nowrap">{s["week"]:%Y-%m-%d}</td>\n'
            f'      <td class="text-end">{rate}</td>\n      {cells}\n'
            f'      <td class="text-end">{rating}</td></tr>'
        )
    return mark_safe("\n".join(out))  # noqa: S308 — every value is escaped
