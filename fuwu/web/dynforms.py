"""Django forms built from a procedure definition's fields and checklists.

The engine (`fuwu.procedures.engine.machine.clean_value` / `clean_checklist`, called by the
actions) is the ONE validator of what a person submits: required fields, ranges, options,
measured items. These forms only draw the right inputs (typed widgets, required marks, the
accepted range of a measurement for the as-you-type check in static/web/dynforms.js), keep
what was typed, and turn what was posted into the payload the actions take. Their fields are
therefore all lenient (`required=False`, no range validators); `add_engine_errors` puts an
action's refusal (`EngineError.details`) back next to the fields, in the user's language.

Field names are the definition's keys; checklist items are named `checklist.<key>` — the same
names the engine uses in its field errors, so errors map back without a table.

Line items (`type: lines`) post one input per cell, named `<field>.<row>.<column>` with rows
numbered from 0 in the order shown (static/web/lines.js renumbers them after every add, remove
or move), which is again the engine's error key for a cell (`parts.1.quantity`): a refusal puts
each message next to its cell (`DynamicForm.cell_errors`). A `multi_choice` field is a group of
checkboxes posting a list. A computed field (`compute:`) is shown, never posted.

Usage (intake, case page)::

    form = form_for_fields(step.form, lang, data=request.POST or None, checklist=step.checklist)
    if form.is_bound and form.is_valid():
        payload = payload_of(form)
        try:
            actions.take_transition(..., form=payload.form, checklist=payload.checklist)
        except EngineError as exc:
            add_engine_errors(form, exc, lang)
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext as _

from fuwu.procedures.engine.definition import (
    DOCUMENT_STATES,
    MAX_ROWS,
    ChecklistItem,
    ChecklistKind,
    FieldDef,
    FieldType,
)
from fuwu.procedures.engine.errors import EngineError
from fuwu.procedures.engine.machine import is_blank, range_text
from fuwu.web.values import decimal_of, display, money, total_columns
from fuwu.web.values import number as number_text

CHECK = "checklist."  # prefix of checklist item names, as in the engine's field errors
# A hidden input `<name>.posted` says a table or a group of boxes was on the page: then no rows
# or no ticks means "emptied", which clears a stored value; without it the field is left alone.
POSTED = ".posted"
TEXTAREA_FROM = 256  # text fields allowing more than this many characters get a text area
RADIO_UP_TO = 4  # choices with at most this many options are radio buttons (easy on a phone)


@dataclass(frozen=True)
class Column:
    """One column of a `lines` field: how its cells are drawn (web/_lines.html, lines.js)."""

    key: str
    label: str
    kind: str  # text, number, money, date, datetime, select, bool, person; or computed
    required: bool = False
    compute: str = ""  # the column's expression over the row (evaluated live by lines.js)
    result: str = ""  # a computed column's type: number or money
    min: float | None = None
    max: float | None = None
    range: str = ""
    choices: list[tuple[str, str]] = field(default_factory=list)
    total: bool = False  # summed in the footer (fuwu.web.values.total_columns)
    max_length: int = 2000


@dataclass(frozen=True)
class Spec:
    """How one input is drawn (read by web/_dynfield.html and static/web/dynforms.js)."""

    # text, textarea, number, money, date, datetime, radio, select, person, measure;
    # lines (an editable table), checks (multi_choice), computed (read-only)
    kind: str
    key: str  # the definition's key (without the checklist prefix)
    required: bool
    checklist: bool = False
    unit: str = ""
    min: float | None = None
    max: float | None = None
    range: str = ""  # "0.2–0.5 mm", shown next to a measured item
    help: str = ""
    choices: list[tuple[str, str]] = field(default_factory=list)
    columns: list[Column] = field(default_factory=list)
    min_rows: int = 0
    max_rows: int = MAX_ROWS
    shown: str = ""  # a computed field's value as text
    # A person field on the case page: the people it may name (fuwu.web.people.Picker), drawn
    # as a searchable list instead of a username box.
    picker: Any = None

    def with_picker(self, picker: Any) -> Spec:
        return replace(self, picker=picker, help="")


@dataclass(frozen=True)
class Payload:
    """What an action takes: `form` values by key and `checklist` answers by item key."""

    form: dict[str, Any]
    checklist: dict[str, Any]


class DynamicForm(forms.Form):
    """A form generated from a definition; `specs[name]` says how each input is drawn."""

    specs: dict[str, Spec]
    # A lines field's errors per cell and per row: {field: {(row, column): [messages]}}, the
    # row's own errors under column "".
    cell_errors: dict[str, dict[tuple[int, str], list[str]]]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.specs = {}
        self.cell_errors = {}

    def visible(self) -> list[tuple[forms.BoundField, Spec]]:
        """(bound field, spec) pairs in order, with Bootstrap classes and error marks set now,
        after any errors an action added."""
        errors = self.errors if self.is_bound else {}
        for name, f in self.fields.items():
            kind = self.specs[name].kind
            css = "form-select" if kind == "select" else "form-control"
            if kind == "checks":
                css = "form-check-input"
            if name in errors:
                css += " is-invalid"
            f.widget.attrs["class"] = css
        return [(self[name], self.specs[name]) for name in self.fields]

    def field_items(self) -> list[tuple[forms.BoundField, Spec]]:
        return [(bf, s) for bf, s in self.visible() if not s.checklist]

    def checklist_items(self) -> list[tuple[forms.BoundField, Spec]]:
        return [(bf, s) for bf, s in self.visible() if s.checklist]


class LinesWidget(forms.Widget):
    """Reads the cells posted as `<name>.<row>.<column>` back into rows of raw text, in row
    order (blank rows kept, so the engine's row numbers are the ones on the page). Drawn by
    web/_lines.html through the `lines_editor` tag, never by this widget."""

    def value_from_datadict(self, data: Any, files: Any, name: str) -> Any:
        pattern = re.compile(rf"^{re.escape(name)}\.(\d{{1,4}})\.([a-z][a-z0-9_]{{0,62}})$")
        rows: dict[int, dict[str, Any]] = {}
        for key in data:
            found = pattern.match(key)
            if found:
                rows.setdefault(int(found[1]), {})[found[2]] = data.get(key)
        if not rows:
            # Every row removed ([]) or the table not on the page at all (None: leave it alone).
            return [] if f"{name}{POSTED}" in data else None
        # One more than the engine allows, so that it says "at most N rows".
        return [rows[i] for i in sorted(rows)][: MAX_ROWS + 1]

    def value_omitted_from_data(self, data: Any, files: Any, name: str) -> bool:
        return not any(str(key).startswith(f"{name}.") for key in data)


class ChecksWidget(forms.CheckboxSelectMultiple):
    """The ticked boxes; None when the group was not on the page (nothing ticked is [])."""

    def value_from_datadict(self, data: Any, files: Any, name: str) -> Any:
        ticked = super().value_from_datadict(data, files, name)
        if ticked:
            return ticked
        return [] if f"{name}{POSTED}" in data else None


class LinesField(forms.Field):
    """A list of row mappings, taken as posted (the engine cleans it)."""

    widget = LinesWidget

    def to_python(self, value: Any) -> Any:
        return value if isinstance(value, list) else None


class ChoicesField(forms.Field):
    """The values of the ticked boxes, taken as posted (the engine checks them)."""

    def to_python(self, value: Any) -> list[str] | None:
        if isinstance(value, list | tuple):
            return [str(v) for v in value]
        return None if value in (None, "") else [str(value)]


def _yes_no() -> list[tuple[str, str]]:
    return [("yes", _("是")), ("no", _("否"))]


def _initial(f: FieldDef, value: Any) -> Any:
    """A stored value as the input shows it (booleans as yes/no, date-times in local time)."""
    if value is None:
        return None
    if f.type is FieldType.BOOL:
        return "yes" if value is True else "no" if value is False else None
    if f.type is FieldType.DATETIME:
        return _local(value)
    return value


def _local(value: Any) -> Any:
    """A stored date-time as a datetime-local input shows it (local time, to the minute)."""
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return value
    if timezone.is_aware(moment):
        moment = timezone.localtime(moment)
    return moment.strftime("%Y-%m-%dT%H:%M")


CELL_KINDS = {
    FieldType.NUMBER: "number",
    FieldType.MONEY: "money",
    FieldType.DATE: "date",
    FieldType.DATETIME: "datetime",
    FieldType.CHOICE: "select",
    FieldType.BOOL: "bool",
    FieldType.PERSON: "person",
}


RESULTS = {FieldType.MONEY: "money", FieldType.NUMBER: "number"}  # how a computed cell reads


def _column(c: FieldDef, language: str, totals: set[str]) -> Column:
    kind = "computed" if c.compute is not None else CELL_KINDS.get(c.type, "text")
    choices: list[tuple[str, str]] = []
    if c.type is FieldType.CHOICE:
        choices = [(o.value, o.label.get(language)) for o in c.options or []]
    elif c.type is FieldType.BOOL:
        choices = _yes_no()
    ranged = c.type in (FieldType.NUMBER, FieldType.MONEY) and c.compute is None
    return Column(
        key=c.key,
        label=c.label.get(language),
        kind=kind,
        required=c.required,
        compute=c.compute or "",
        result=RESULTS.get(c.type, "text"),
        min=c.min if ranged else None,
        max=c.max if ranged else None,
        range=_range(c.min, c.max) if ranged and (c.min is not None or c.max is not None) else "",
        choices=choices,
        total=c.key in totals,
        max_length=c.max_length,
    )


def _lines(f: FieldDef, language: str, required: bool, help_text: str) -> tuple[forms.Field, Spec]:
    totals = {c.key for c in total_columns(f)}
    spec = Spec(
        kind="lines",
        key=f.key,
        required=required,
        help=help_text,
        columns=[_column(c, language, totals) for c in f.columns or []],
        min_rows=f.min_rows or 0,
        max_rows=min(f.max_rows or MAX_ROWS, MAX_ROWS),
    )
    return LinesField(label=f.label.get(language), required=False), spec


def _field(f: FieldDef, language: str, required: bool) -> tuple[forms.Field, Spec]:
    label = f.label.get(language)
    help_text = f.help.get(language) if f.help else ""
    if f.compute is not None:
        spec = Spec(kind="computed", key=f.key, required=False, help=help_text)
        return forms.CharField(label=label, required=False, disabled=True), spec
    if f.type is FieldType.LINES:
        return _lines(f, language, required, help_text)
    attrs: dict[str, Any] = {}
    kind: str
    choices: list[tuple[str, str]] = []
    widget: forms.Widget
    match f.type:
        case FieldType.NUMBER | FieldType.MONEY:
            kind = "money" if f.type is FieldType.MONEY else "number"
            attrs = {"inputmode": "decimal", "step": "0.01" if kind == "money" else "any"}
            if f.min is not None:
                attrs["data-min"] = _num(f.min)
            if f.max is not None:
                attrs["data-max"] = _num(f.max)
            widget = forms.NumberInput(attrs=attrs)
        case FieldType.CHOICE:
            choices = [(o.value, o.label.get(language)) for o in f.options or []]
            kind = "radio" if len(choices) <= RADIO_UP_TO else "select"
            widget = forms.Select(choices=[("", "—"), *choices])
        case FieldType.MULTI_CHOICE:
            kind = "checks"
            choices = [(o.value, o.label.get(language)) for o in f.options or []]
            spec = Spec(kind=kind, key=f.key, required=required, help=help_text, choices=choices)
            widget = ChecksWidget(choices=choices)
            return ChoicesField(label=label, required=False, widget=widget), spec
        case FieldType.BOOL:
            kind, choices = "radio", _yes_no()
            widget = forms.Select(choices=[("", "—"), *choices])
        case FieldType.DATE:
            kind = "date"
            attrs = {"type": "date"}
            if f.not_past:  # the browser's picker starts today; the engine judges it again
                attrs["min"] = timezone.localdate().isoformat()
            widget = forms.DateInput(attrs=attrs)
        case FieldType.DATETIME:
            kind = "datetime"
            attrs = {"type": "datetime-local"}
            if f.not_past:
                attrs["min"] = f"{timezone.localtime():%Y-%m-%dT%H:%M}"
            widget = forms.DateTimeInput(attrs=attrs)
        case FieldType.PERSON:
            kind = "person"
            widget = forms.TextInput(attrs={"autocomplete": "off", "maxlength": 150})
            help_text = help_text or _("员工用户名")
        case FieldType.CASE:
            kind = "text"
            widget = forms.TextInput(
                attrs={"autocomplete": "off", "maxlength": 30, "placeholder": "20261203-000123"}
            )
            help_text = help_text or _("工单编号")
        case _:
            long = f.max_length > TEXTAREA_FROM
            kind = "textarea" if long else "text"
            widget = (
                forms.Textarea(attrs={"rows": 2, "maxlength": f.max_length})
                if long
                else forms.TextInput(attrs={"maxlength": f.max_length})
            )
    shown = ""
    if kind in ("number", "money") and (f.min is not None or f.max is not None):
        shown = _range(f.min, f.max)
    spec = Spec(
        kind=kind,
        key=f.key,
        required=required,
        min=f.min,
        max=f.max,
        range=shown,
        help=help_text,
        choices=choices,
    )
    # Lenient on purpose: the engine validates (see the module docstring).
    return forms.CharField(label=label, required=False, widget=widget, strip=False), spec


def _check_field(item: ChecklistItem, language: str) -> tuple[forms.Field, Spec]:
    label = item.label.get(language)
    choices: list[tuple[str, str]] = []
    widget: forms.Widget
    unit, low, high, shown = "", None, None, ""
    match item.type:
        case ChecklistKind.MEASUREMENT:
            kind, unit, low, high, shown = "measure", item.unit or "", item.min, item.max, ""
            shown = range_text(item)
            attrs: dict[str, Any] = {"inputmode": "decimal", "step": "any"}
            if low is not None:
                attrs["data-min"] = _num(low)
            if high is not None:
                attrs["data-max"] = _num(high)
            widget = forms.NumberInput(attrs=attrs)
        case ChecklistKind.DOCUMENT:
            kind = "radio"
            labels = {"received": _("已收"), "missing": _("缺少"), "inconsistent": _("不一致")}
            choices = [(s, labels[s]) for s in DOCUMENT_STATES]
            widget = forms.Select(choices=[("", "—"), *choices])
        case ChecklistKind.YES_NO:
            kind, choices = "radio", _yes_no()
            widget = forms.Select(choices=[("", "—"), *choices])
        case ChecklistKind.PHOTO:
            kind = "text"
            widget = forms.TextInput(attrs={"maxlength": 2000})
        case _:
            kind = "text"
            widget = forms.TextInput(attrs={"maxlength": 2000})
    spec = Spec(
        kind=kind,
        key=item.key,
        required=item.required,
        checklist=True,
        unit=unit,
        min=low,
        max=high,
        range=shown,
        help=_("照片编号或说明") if item.type is ChecklistKind.PHOTO else "",
        choices=choices,
    )
    return forms.CharField(label=label, required=False, widget=widget, strip=False), spec


def _range(low: float | None, high: float | None) -> str:
    if low is not None and high is not None:
        return f"{_num(low)}–{_num(high)}"
    return f"≤ {_num(high)}" if high is not None else f"≥ {_num(low or 0)}"


def _num(number: float) -> str:
    return str(int(number)) if float(number).is_integer() else str(number)


def form_for_fields(
    fields: Sequence[FieldDef],
    language: str,
    data: Mapping[str, Any] | None = None,
    initial: Mapping[str, Any] | None = None,
    *,
    checklist: Iterable[ChecklistItem] = (),
    required: Iterable[str] = (),
    prefix: str | None = None,
    prefill: Mapping[str, Any] | None = None,
) -> DynamicForm:
    """A form for these definition fields (and checklist items), in `language`.

    `data` is the POST (bound form) or None; `initial` the stored values (`case.data`) to show,
    keyed by field key. A field is marked required when the definition says so or its key is
    in `required` (e.g. a transition's `require`). `prefill` holds the fields' `default` values
    (`computed.defaults`), shown where nothing is stored yet. Checklist items start empty: every
    visit to a step fills its checklist anew.
    """
    form = DynamicForm(data=data, prefix=prefix)
    must = set(required)
    for f in fields:
        if f.key in form.fields:
            continue
        django_field, spec = _field(f, language, f.required or f.key in must)
        if initial and f.key in initial and not is_blank(initial[f.key]):
            django_field.initial = _initial(f, initial[f.key])
        elif prefill and f.key in prefill:
            django_field.initial = _initial(f, prefill[f.key])
        if spec.kind == "computed":
            stored = (initial or {}).get(f.key)
            spec = replace(
                spec,
                shown=display(f, stored, language) if not is_blank(stored) else _("保存后自动计算"),
            )
        form.fields[f.key] = django_field
        form.specs[f.key] = spec
    for item in checklist:
        django_field, spec = _check_field(item, language)
        form.fields[CHECK + item.key] = django_field
        form.specs[CHECK + item.key] = spec
    return form


def _form_value(spec: Spec | Column, raw: str) -> Any:
    if spec.kind == "radio" and spec.choices and spec.choices[0][0] == "yes":
        return {"yes": True, "no": False}.get(raw, raw)
    if spec.kind == "bool":
        return {"yes": True, "no": False}.get(raw, raw)
    if spec.kind == "datetime":
        try:
            moment = datetime.fromisoformat(raw)
        except ValueError:
            return raw  # the engine says what is wrong with it
        if timezone.is_naive(moment):
            moment = timezone.make_aware(moment)
        return moment.isoformat()
    if spec.kind == "date":
        try:
            return date.fromisoformat(raw).isoformat()
        except ValueError:
            return raw
    return raw


def payload_of(form: DynamicForm, *, only: Iterable[str] | None = None) -> Payload:
    """The submitted values as the actions take them: blanks left out (so a stored value stays),
    yes/no as booleans, a local date-time as an aware ISO string. `only` limits the form values
    to these keys (the checklist always goes along)."""
    source = form.cleaned_data if form.is_valid() else {}
    keep = None if only is None else set(only)
    values: dict[str, Any] = {}
    checks: dict[str, Any] = {}
    for name, spec in form.specs.items():
        raw = source.get(name)
        if spec.kind == "computed":
            continue  # computed by the engine, never taken from input
        if spec.kind in ("lines", "checks"):
            if raw is None or (keep is not None and spec.key not in keep):
                continue  # not on the page that was posted
            posted = _rows(spec, raw) if spec.kind == "lines" else raw
            if _blank_rows(posted):
                # Emptied: clear what was stored; never stored: nothing to send.
                if not is_blank(form.fields[name].initial):
                    values[spec.key] = []
                continue
            values[spec.key] = posted
            continue
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            continue
        value = _form_value(spec, raw.strip() if isinstance(raw, str) else raw)
        if spec.checklist:
            checks[spec.key] = value
        elif keep is None or spec.key in keep:
            values[spec.key] = value
    return Payload(form=values, checklist=checks)


def _rows(spec: Spec, raw: Any) -> list[dict[str, Any]]:
    """Posted rows as the engine takes them: cells stripped and typed like single fields
    (yes/no as booleans, local date-times made aware); computed columns left out."""
    if not isinstance(raw, list):
        return []
    columns = {c.key: c for c in spec.columns}
    rows = []
    for posted in raw:
        row: dict[str, Any] = {}
        for key, value in posted.items():
            column = columns.get(key)
            if column is not None and column.kind == "computed":
                continue
            text = value.strip() if isinstance(value, str) else value
            if column is not None and isinstance(text, str) and text:
                text = _form_value(column, text)
            row[key] = text
        rows.append(row)
    return rows


def _blank_rows(rows: Any) -> bool:
    """No rows, or only rows whose every cell is blank (the engine drops those)."""
    if not rows:
        return True
    if all(isinstance(r, str) for r in rows):
        return False  # ticked options
    return all(all(is_blank(v) for v in r.values()) for r in rows if isinstance(r, dict))


def add_engine_errors(
    form: DynamicForm,
    error: EngineError,
    language: str,
    *,
    labels: Mapping[str, str] | None = None,
) -> list[str]:
    """Put an action's field errors next to the fields of a bound form.

    Errors about fields the form does not show (e.g. an intake field a transition requires)
    become non-field errors prefixed with the field's label; the list of those is returned too.
    """
    form.errors  # noqa: B018 - cleans the form first, so errors can be added to it
    messages = error.details(language).get("fields", {})
    elsewhere: list[str] = []
    for key, text in messages.items():
        base, _dot, rest = key.partition(".")
        spec = form.specs.get(base)
        if key in form.fields and any(k.startswith(f"{key}.") for k in messages):
            continue  # "required" because a row was refused: the rows' own errors say it
        if key in form.fields:
            form.add_error(key, text)
        elif spec is not None and spec.kind == "lines" and rest:
            row, _dot, column = rest.partition(".")
            if not row.isdigit():
                form.add_error(base, text)
                continue
            cells = form.cell_errors.setdefault(base, {})
            if not cells:  # once per field: the summary next to the table
                form.add_error(base, _("明细有误，请更正标出的单元格。"))
            cells.setdefault((int(row), column), []).append(text)
        else:
            name = key.removeprefix(CHECK)
            label = (labels or {}).get(name, name)
            elsewhere.append(f"{label}: {text}")
            form.add_error(None, f"{label}: {text}")
    return elsewhere


# -- the line-item editor (web/_lines.html) -------------------------------------------------


@dataclass(frozen=True)
class Cell:
    column: Column
    name: str  # the input's name, `<field>.<row>.<column>`
    id: str
    value: str  # as the input shows it
    shown: str = ""  # a computed cell's text
    errors: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class EditorRow:
    index: int
    cells: list[Cell]
    errors: list[str] = field(default_factory=list)

    @property
    def number(self) -> int:
        return self.index + 1

    @property
    def has_errors(self) -> bool:
        return bool(self.errors) or any(c.errors for c in self.cells)


@dataclass(frozen=True)
class Total:
    column: Column
    shown: str  # "" for a column not summed


@dataclass(frozen=True)
class LinesEditor:
    name: str  # the field's input name (with the form's prefix)
    spec: Spec
    rows: list[EditorRow]
    blank: EditorRow  # the row "add a row" copies (lines.js renumbers its names)
    totals: list[Total]
    has_totals: bool

    @property
    def lead_blank(self) -> bool:
        """The first column has no total: the footer's label spans it."""
        return bool(self.totals) and not self.totals[0].shown


def _cell_text(column: Column, value: Any) -> str:
    """A stored or posted cell as its input shows it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if column.kind == "datetime":
        return str(_local(value))
    return str(value)


def _computed_text(column: Column, value: Any) -> str:
    amount = decimal_of(value)
    if amount is None:
        return "—"
    return f"{amount:.2f}" if column.result == "money" else number_text(amount)


def lines_editor(bf: forms.BoundField, spec: Spec) -> LinesEditor:
    """What web/_lines.html draws for a `lines` field: the rows posted (or stored), each cell's
    errors from the last refusal, at least `min_rows` (and one) rows, the footer totals."""
    form = bf.form
    errors = form.cell_errors.get(spec.key, {}) if isinstance(form, DynamicForm) else {}
    value = bf.value()
    raw_rows = [r for r in value if isinstance(r, Mapping)] if isinstance(value, list) else []
    shown_rows = max(len(raw_rows), spec.min_rows, 1)
    name = bf.html_name

    def row(index: int, posted: Mapping[str, Any], *, blank: bool = False) -> EditorRow:
        cells = []
        for c in spec.columns:
            key = f"{name}.{index}.{c.key}"
            cell_value = posted.get(c.key)
            cells.append(
                Cell(
                    column=c,
                    name=key,
                    id=f"id_{name}_{index}_{c.key}",
                    value=_cell_text(c, cell_value)
                    if c.kind != "computed"
                    else _decimal_text(cell_value),
                    shown=_computed_text(c, cell_value) if c.kind == "computed" else "",
                    errors=[] if blank else errors.get((index, c.key), []),
                )
            )
        return EditorRow(index, cells, [] if blank else errors.get((index, ""), []))

    rows = [row(i, raw_rows[i] if i < len(raw_rows) else {}) for i in range(shown_rows)]
    sums: dict[str, Decimal] = {c.key: Decimal(0) for c in spec.columns if c.total}
    for r in raw_rows:
        for key in sums:
            amount = decimal_of(r.get(key))
            if amount is not None:
                sums[key] += amount
    totals = [
        Total(
            c,
            (money(sums[c.key]) if c.result == "money" else number_text(sums[c.key]))
            if c.total
            else "",
        )
        for c in spec.columns
    ]
    return LinesEditor(
        name=name,
        spec=spec,
        rows=rows,
        blank=row(0, {}, blank=True),
        totals=totals,
        has_totals=bool(sums),
    )


def _decimal_text(value: Any) -> str:
    amount = decimal_of(value)
    return "" if amount is None else f"{amount:f}"
