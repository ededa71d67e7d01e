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

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext as _

from fuwu.procedures.engine.definition import (
    DOCUMENT_STATES,
    ChecklistItem,
    ChecklistKind,
    FieldDef,
    FieldType,
)
from fuwu.procedures.engine.errors import EngineError
from fuwu.procedures.engine.machine import range_text

CHECK = "checklist."  # prefix of checklist item names, as in the engine's field errors
TEXTAREA_FROM = 256  # text fields allowing more than this many characters get a text area
RADIO_UP_TO = 4  # choices with at most this many options are radio buttons (easy on a phone)


@dataclass(frozen=True)
class Spec:
    """How one input is drawn (read by web/_dynfield.html and static/web/dynforms.js)."""

    kind: str  # text, textarea, number, money, date, datetime, radio, select, person, measure
    key: str  # the definition's key (without the checklist prefix)
    required: bool
    checklist: bool = False
    unit: str = ""
    min: float | None = None
    max: float | None = None
    range: str = ""  # "0.2–0.5 mm", shown next to a measured item
    help: str = ""
    choices: list[tuple[str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class Payload:
    """What an action takes: `form` values by key and `checklist` answers by item key."""

    form: dict[str, Any]
    checklist: dict[str, Any]


class DynamicForm(forms.Form):
    """A form generated from a definition; `specs[name]` says how each input is drawn."""

    specs: dict[str, Spec]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.specs = {}

    def visible(self) -> list[tuple[forms.BoundField, Spec]]:
        """(bound field, spec) pairs in order, with Bootstrap classes and error marks set now,
        after any errors an action added."""
        errors = self.errors if self.is_bound else {}
        for name, f in self.fields.items():
            kind = self.specs[name].kind
            css = "form-select" if kind == "select" else "form-control"
            if name in errors:
                css += " is-invalid"
            f.widget.attrs["class"] = css
        return [(self[name], self.specs[name]) for name in self.fields]

    def field_items(self) -> list[tuple[forms.BoundField, Spec]]:
        return [(bf, s) for bf, s in self.visible() if not s.checklist]

    def checklist_items(self) -> list[tuple[forms.BoundField, Spec]]:
        return [(bf, s) for bf, s in self.visible() if s.checklist]


def _yes_no() -> list[tuple[str, str]]:
    return [("yes", _("是")), ("no", _("否"))]


def _initial(f: FieldDef, value: Any) -> Any:
    """A stored value as the input shows it (booleans as yes/no, date-times in local time)."""
    if value is None:
        return None
    if f.type is FieldType.BOOL:
        return "yes" if value is True else "no" if value is False else None
    if f.type is FieldType.DATETIME:
        try:
            moment = datetime.fromisoformat(str(value))
        except ValueError:
            return value
        if timezone.is_aware(moment):
            moment = timezone.localtime(moment)
        return moment.strftime("%Y-%m-%dT%H:%M")
    return value


def _field(f: FieldDef, language: str, required: bool) -> tuple[forms.Field, Spec]:
    label = f.label.get(language)
    help_text = f.help.get(language) if f.help else ""
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
        case FieldType.BOOL:
            kind, choices = "radio", _yes_no()
            widget = forms.Select(choices=[("", "—"), *choices])
        case FieldType.DATE:
            kind = "date"
            widget = forms.DateInput(attrs={"type": "date"})
        case FieldType.DATETIME:
            kind = "datetime"
            widget = forms.DateTimeInput(attrs={"type": "datetime-local"})
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
) -> DynamicForm:
    """A form for these definition fields (and checklist items), in `language`.

    `data` is the POST (bound form) or None; `initial` the stored values (`case.data`) to show,
    keyed by field key. A field is marked required when the definition says so or its key is
    in `required` (e.g. a transition's `require`). Checklist items start empty: every visit to
    a step fills its checklist anew.
    """
    form = DynamicForm(data=data, prefix=prefix)
    must = set(required)
    for f in fields:
        if f.key in form.fields:
            continue
        django_field, spec = _field(f, language, f.required or f.key in must)
        if initial and f.key in initial:
            django_field.initial = _initial(f, initial[f.key])
        django_field.disabled = (
            f.compute is not None
        )  # shown, never posted (the engine computes it)
        form.fields[f.key] = django_field
        form.specs[f.key] = spec
    for item in checklist:
        django_field, spec = _check_field(item, language)
        form.fields[CHECK + item.key] = django_field
        form.specs[CHECK + item.key] = spec
    return form


def _form_value(spec: Spec, raw: str) -> Any:
    if spec.kind == "radio" and spec.choices and spec.choices[0][0] == "yes":
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
        if raw is None or (isinstance(raw, str) and not raw.strip()) or form.fields[name].disabled:
            continue
        value = _form_value(spec, raw.strip() if isinstance(raw, str) else raw)
        if spec.checklist:
            checks[spec.key] = value
        elif keep is None or spec.key in keep:
            values[spec.key] = value
    return Payload(form=values, checklist=checks)


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
        if key in form.fields:
            form.add_error(key, text)
        else:
            name = key.removeprefix(CHECK)
            label = (labels or {}).get(name, name)
            elsewhere.append(f"{label}: {text}")
            form.add_error(None, f"{label}: {text}")
    return elsewhere
