"""A case's field values as people read them: one formatter for the case page, the timeline and
the portal (which imports it; it holds no staff-only knowledge).

Stored values are machine values (STYLE.md §4): option keys, ISO dates, money as "12.50"
strings, line items as lists of row mappings with every column key. Here they become text in
the reader's language: an option's label, "¥12.50", "是/Yes", a table of rows with totals, and
for the timeline what changed between two versions of a `lines` value.

Totals (the rule, documented in docs/procedure-format.md): a `lines` field's footer totals each
computed number or money column (`compute:`, e.g. `quantity * unit_price`); when no column is
computed, each money column. Other columns (a quantity, a meter reading) are not summed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from fuwu.procedures.engine.definition import FieldDef, FieldType
from fuwu.procedures.engine.machine import is_blank

NUMERIC = (FieldType.NUMBER, FieldType.MONEY)


def decimal_of(raw: Any) -> Decimal | None:
    if raw is None or isinstance(raw, bool):
        return None
    try:
        number = Decimal(str(raw))
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def money(amount: Decimal) -> str:
    return f"¥{amount:,.2f}"


def number(value: Decimal) -> str:
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def display(f: FieldDef | None, raw: Any, language: str) -> str:
    """One stored value as text ("—" when blank). A `lines` value reads as its row count."""
    if is_blank(raw):
        return "—"
    if f is None:
        return _("是") if raw is True else _("否") if raw is False else str(raw)
    match f.type:
        case FieldType.BOOL:
            return _("是") if raw else _("否")
        case FieldType.CHOICE:
            return _option(f, raw, language)
        case FieldType.MULTI_CHOICE:
            chosen = raw if isinstance(raw, list) else [raw]
            return _separator().join(_option(f, v, language) for v in chosen)
        case FieldType.MONEY:
            amount = decimal_of(raw)
            return money(amount) if amount is not None else str(raw)
        case FieldType.NUMBER:
            value = decimal_of(raw)
            return number(value) if value is not None else str(raw)
        case FieldType.DATETIME:
            moment = parse_datetime(str(raw))
            return when(moment) if moment is not None else str(raw)
        case FieldType.LINES:
            count = len(raw) if isinstance(raw, list) else 0
            return ngettext("%(count)s 行", "%(count)s 行", count) % {"count": count}
    return str(raw)


def _option(f: FieldDef, value: Any, language: str) -> str:
    for o in f.options or []:
        if o.value == value:
            return o.label.get(language)
    return str(value)


def _separator() -> str:
    return pgettext("list separator", "、")


def when(moment: datetime) -> str:
    if timezone.is_aware(moment):
        moment = timezone.localtime(moment)
    return f"{moment:%Y-%m-%d %H:%M}"


# -- line items as a table ----------------------------------------------------------------


def total_columns(f: FieldDef) -> list[FieldDef]:
    """The columns a `lines` field's footer totals (see the module docstring)."""
    columns = f.columns or []
    computed = [c for c in columns if c.compute is not None and c.type in NUMERIC]
    return computed or [c for c in columns if c.type is FieldType.MONEY]


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    numeric: bool
    computed: bool


@dataclass(frozen=True)
class LinesTable:
    key: str
    label: str
    columns: list[Column]
    rows: list[list[tuple[Column, str]]]  # (column, cell text), in column order
    totals: list[tuple[Column, str | None]]  # None: a column not summed
    count: int

    @property
    def has_totals(self) -> bool:
        return any(t is not None for _c, t in self.totals)

    @property
    def lead_blank(self) -> bool:
        """The first column has no total: the footer's label spans it."""
        return bool(self.totals) and self.totals[0][1] is None


def column_sums(f: FieldDef, rows: Iterable[Mapping[str, Any]]) -> dict[str, Decimal]:
    sums = {c.key: Decimal(0) for c in total_columns(f)}
    for row in rows:
        for key in sums:
            value = decimal_of(row.get(key))
            if value is not None:
                sums[key] += value
    return sums


def lines_table(f: FieldDef, raw: Any, language: str) -> LinesTable:
    rows = [r for r in raw if isinstance(r, Mapping)] if isinstance(raw, list) else []
    columns = f.columns or []
    sums = column_sums(f, rows)
    shown = [
        Column(c.key, c.label.get(language), c.type in NUMERIC, c.compute is not None)
        for c in columns
    ]
    return LinesTable(
        key=f.key,
        label=f.label.get(language),
        columns=shown,
        rows=[
            [(s, display(c, r.get(c.key), language)) for s, c in zip(shown, columns, strict=True)]
            for r in rows
        ],
        totals=[
            (s, display(c, sums[c.key], language) if c.key in sums else None)
            for s, c in zip(shown, columns, strict=True)
        ],
        count=len(rows),
    )


@dataclass(frozen=True)
class Shown:
    """One field's value on a page: text, or a table for line items."""

    key: str
    label: str
    text: str
    table: LinesTable | None = None
    long: bool = False  # a text to show on its own lines
    personal: str | None = None  # the field's `personal:` kind (the page offers a reveal)
    href: str | None = None  # a linked case's page (fuwu.web.details)


def case_values(fields: Iterable[FieldDef], data: Mapping[str, Any], language: str) -> list[Shown]:
    """The fields that hold a value, in the definition's order, as the reader reads them."""
    out: list[Shown] = []
    for f in fields:
        raw = data.get(f.key)
        if is_blank(raw) or (isinstance(raw, dict) and f.type is not FieldType.LINES):
            continue  # blank, or a system record sharing the key (not the field's value)
        label = f.label.get(language)
        if f.type is FieldType.LINES:
            table = lines_table(f, raw, language)
            out.append(Shown(f.key, label, display(f, raw, language), table))
            continue
        text = display(f, raw, language)
        long = len(text) > 40 or "\n" in text
        out.append(Shown(f.key, label, text, long=long, personal=f.personal))
    return out


# -- what changed in a lines value (the timeline) -------------------------------------------


def _row_text(f: FieldDef, row: Mapping[str, Any], language: str) -> str:
    """ "水龙头（数量 2，单价 ¥35.00，小计 ¥70.00）": the first column, then the others named."""
    columns = f.columns or []
    if not columns:
        return ""
    first, rest = columns[0], columns[1:]
    named = [
        f"{c.label.get(language)} {display(c, row.get(c.key), language)}"
        for c in rest
        if not is_blank(row.get(c.key))
    ]
    head = display(first, row.get(first.key), language)
    if not named:
        return head
    return _("%(first)s（%(rest)s）") % {"first": head, "rest": _separator().join(named)}


def _same_line(f: FieldDef, a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    """Two versions of one line: the same value in the first column (the item, the name)."""
    columns = f.columns or []
    return bool(columns) and a.get(columns[0].key) == b.get(columns[0].key)


def lines_changes(f: FieldDef, old: Any, new: Any, language: str) -> list[str]:
    """Plain-language lines saying how `new` differs from `old` (either may be blank).

    Rows have no identity of their own: an unchanged row is one found in both versions; a
    changed row is one whose first column (the item) is the same while other cells differ;
    every other row was added or removed. Row numbers are 1-based as shown on the page.
    """
    before = [r for r in old if isinstance(r, Mapping)] if isinstance(old, list) else []
    after = [r for r in new if isinstance(r, Mapping)] if isinstance(new, list) else []
    columns = f.columns or []
    left = list(range(len(before)))  # old rows not yet matched
    fresh: list[int] = []
    for j, row in enumerate(after):
        same = next((i for i in left if before[i] == row), None)
        if same is None:
            fresh.append(j)
        else:
            left.remove(same)
    out: list[str] = []
    added: list[int] = []
    for j in fresh:
        i = next((i for i in left if _same_line(f, before[i], after[j])), None)
        if i is None:
            added.append(j)
            continue
        left.remove(i)
        cells = [
            f"{c.label.get(language)} {display(c, before[i].get(c.key), language)}"
            f" → {display(c, after[j].get(c.key), language)}"
            for c in columns
            if before[i].get(c.key) != after[j].get(c.key)
        ]
        out.append(
            _("修改第 %(row)s 行 %(item)s：%(changes)s")
            % {
                "row": j + 1,
                "item": display(columns[0], after[j].get(columns[0].key), language),
                "changes": _separator().join(cells),
            }
        )
    for j in added:
        out.append(
            _("添加第 %(row)s 行：%(line)s")
            % {"row": j + 1, "line": _row_text(f, after[j], language)}
        )
    for i in left:
        out.append(
            _("删除原第 %(row)s 行：%(line)s")
            % {"row": i + 1, "line": _row_text(f, before[i], language)}
        )
    if not out and before != after:
        out.append(_("调整了行的顺序"))
    old_sums, new_sums = column_sums(f, before), column_sums(f, after)
    for c in total_columns(f):
        if not before and after:
            out.append(
                _("%(label)s合计：%(total)s")
                % {"label": c.label.get(language), "total": display(c, new_sums[c.key], language)}
            )
        elif old_sums[c.key] != new_sums[c.key]:
            out.append(
                _("%(label)s合计 %(old)s → %(new)s")
                % {
                    "label": c.label.get(language),
                    "old": display(c, old_sums[c.key], language),
                    "new": display(c, new_sums[c.key], language),
                }
            )
    return out
