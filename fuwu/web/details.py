"""Everything a case holds, grouped by the step that captured it: the case page's details card
and its print view (issue 10, item 1).

Where a value belongs: the step whose form last set it, read from the events (`transitioned`
carries the values and checklist answers of the step it leaves, `task_completed` those of a
parallel branch, found under its step). A value no event set — the intake fields, given when the
case was opened, or a value an effect wrote — belongs where the definition declares it, intake
first. So a field two steps declare (the return visit after a repair and after a special service)
shows under the step that was actually worked, not under the first one written in the file.

Checklists: each step's latest answers (`Case.records["checks"]`; a step entered again starts
afresh), a branch's from its last `task_completed` event. The customer's confirmation and rating
(`Case.records`) close the list.

Values are formatted by `fuwu.web.values` and arrive masked or not as `fuwu.customers.privacy`
decided for the reader (the caller says which). People are named and linked cases numbered with
one query each, only when such a field holds a value. Nothing that was never captured is shown.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from fuwu.cases.choices import EventKind
from fuwu.cases.models import Case, Event
from fuwu.core.actors import Actor
from fuwu.customers.privacy import mask_values
from fuwu.procedures.engine.definition import (
    ChecklistItem,
    ChecklistKind,
    FieldDef,
    FieldType,
    Procedure,
)
from fuwu.procedures.engine.machine import is_blank
from fuwu.web.lists import person_name
from fuwu.web.values import Shown, case_values, decimal_of, number, when

User = get_user_model()

# Group keys that are not step keys (a definition's keys never start with "_").
INTAKE = "_intake"
OTHER = "_other"
CUSTOMER = "_customer"


@dataclass(frozen=True)
class CheckShown:
    """One checklist answer: the item, the answer as read, and whether it passed."""

    key: str
    label: str
    text: str
    passed: bool


@dataclass(frozen=True)
class Group:
    """The values (and checklist answers) one step captured, with who last filled it and when."""

    key: str
    title: str
    values: list[Shown]
    checks: list[CheckShown] = field(default_factory=list)
    by: str = ""
    at: datetime | None = None

    @property
    def facts(self) -> list[Shown]:
        return [v for v in self.values if v.table is None]

    @property
    def tables(self) -> list[Shown]:
        return [v for v in self.values if v.table is not None]


def _declared(procedure: Procedure) -> dict[str, str]:
    """Where the definition declares each field: intake, else the first step that does."""
    out = {f.key: INTAKE for f in procedure.fields}
    for key, step in procedure.steps.items():
        own = [
            *step.form,
            *(f for b in step.branches for f in b.form),
            *(f for t in step.transitions for f in t.fields),
        ]
        for f in own:
            out.setdefault(f.key, key)
    return out


def _branch_steps(procedure: Procedure) -> dict[str, str]:
    return {b.key: key for key, step in procedure.steps.items() for b in step.branches}


@dataclass
class _Captured:
    """What the events say: each field's capturing step, and each step's last filler."""

    step_of: dict[str, str] = field(default_factory=dict)
    last: dict[str, Event] = field(default_factory=dict)
    order: list[str] = field(default_factory=list)  # steps in the order first worked
    branch_checks: dict[str, tuple[str, dict[str, Any]]] = field(default_factory=dict)


def _captured(procedure: Procedure, events: Iterable[Event]) -> _Captured:
    branches = _branch_steps(procedure)
    out = _Captured()
    for e in events:
        data = e.data or {}
        if e.kind == EventKind.TRANSITIONED:
            step = str(data.get("from") or "")
        elif e.kind == EventKind.TASK_COMPLETED:
            branch = str(data.get("branch") or "")
            step = branches.get(branch, "")
            if data.get("checks"):
                out.branch_checks[branch] = (step, data["checks"])
        else:
            continue
        keys = [*(data.get("values") or {}), *(data.get("computed") or {})]
        if not step or not (keys or data.get("checks")):
            continue
        for key in keys:
            out.step_of[key] = step
        out.last[step] = e
        if step not in out.order:
            out.order.append(step)
    return out


# -- checklist answers --------------------------------------------------------------------------


def _answer(item: ChecklistItem, result: Any, language: str) -> CheckShown | None:
    value = result.get("value") if isinstance(result, Mapping) else result
    passed = result.get("passed", True) if isinstance(result, Mapping) else bool(result)
    if value is None:
        return None
    kind = item.type
    if isinstance(value, bool):
        text = _("是") if value else _("否")
    elif kind is ChecklistKind.MEASUREMENT:
        amount = decimal_of(value)
        shown = number(amount) if amount is not None else str(value)
        text = f"{shown} {item.unit or ''}".strip()
    elif kind is ChecklistKind.DOCUMENT:
        states = {"received": _("已收"), "missing": _("缺少"), "inconsistent": _("不一致")}
        text = states.get(str(value), str(value))
    else:
        text = str(value)
    return CheckShown(item.key, item.label.get(language), text, bool(passed))


def _checks(
    items: list[ChecklistItem], answers: Mapping[str, Any], language: str
) -> list[CheckShown]:
    """The answers in the checklist's order; an item no longer in the definition is skipped."""
    out = []
    for item in items:
        if item.key in answers:
            shown = _answer(item, answers[item.key], language)
            if shown is not None:
                out.append(shown)
    return out


# -- people and linked cases --------------------------------------------------------------------


def person_names(usernames: Iterable[str]) -> dict[str, str]:
    """Display names of the staff that person fields name (they store usernames), in one query;
    none when there is no username to read."""
    wanted = set(usernames)
    if not wanted:
        return {}
    people = User.objects.filter(username__in=wanted).select_related("staff")
    return {u.username: person_name(u) or u.username for u in people}


def _names(fields: Iterable[FieldDef], data: Mapping[str, Any]) -> dict[str, str]:
    return person_names(
        data[f.key]
        for f in fields
        if f.type is FieldType.PERSON and isinstance(data.get(f.key), str)
    )


def _linked(actor: Actor, fields: Iterable[FieldDef], data: Mapping[str, Any]) -> dict[int, Case]:
    """The cases the case fields link to that this reader may see, in one query."""
    ids = [
        data[f.key] for f in fields if f.type is FieldType.CASE and isinstance(data.get(f.key), int)
    ]
    return actor.scope(Case.objects).in_bulk(ids) if ids else {}


def _typed(
    shown: Shown, f: FieldDef | None, data: Mapping[str, Any], names: dict[str, str], cases: Any
) -> Shown:
    """A person by name, a linked case by its number (and page, when the reader may see it)."""
    if f is None:
        return shown
    raw = data.get(f.key)
    if f.type is FieldType.PERSON and isinstance(raw, str) and raw in names:
        return dataclasses.replace(shown, text=names[raw])
    if f.type is FieldType.CASE and isinstance(raw, int) and raw in cases:
        linked = cases[raw]
        href = reverse("web:case", args=[linked.pk])
        return dataclasses.replace(shown, text=f"{linked.number} {linked.title}", href=href)
    return shown


# -- the customer's own records -------------------------------------------------------------------


def _customer_records(records: Mapping[str, Any]) -> list[Shown]:
    out: list[Shown] = []
    confirmed = records.get("confirmation")
    if isinstance(confirmed, Mapping) and confirmed.get("at"):
        moment = parse_datetime(str(confirmed["at"]))
        text = when(moment) if moment else str(confirmed["at"])
        out.append(Shown("confirmation", _("客户确认服务完成"), text))
    rating = records.get("rating")
    if isinstance(rating, Mapping) and rating.get("score") is not None:
        score = _("%(score)s 分（满分 5 分）") % {"score": rating["score"]}
        out.append(Shown("rating", _("客户评分"), score))
        comment = str(rating.get("comment") or "").strip()
        if comment:
            out.append(Shown("rating_comment", _("评价内容"), comment, long=True))
    return out


def _who(event: Event, case: Case) -> str:
    """Who filled a step: staff by name; the case's own customer (portal) by their name, never
    by their login (a phone number or an e-mail address); the system as nobody."""
    user = event.actor
    if user is None:
        return ""
    if getattr(user, "staff", None) is not None:
        return person_name(user)
    customer = case.customer
    return customer.name if customer is not None and customer.user_id == user.pk else ""


# -- the groups ---------------------------------------------------------------------------------


def case_details(
    actor: Actor,
    case: Case,
    procedure: Procedure,
    events: Iterable[Event],
    language: str,
    *,
    masked: bool,
) -> list[Group]:
    """The case's values by the step that captured them, intake first, then the steps in the
    order they were worked, then the customer's confirmation and rating. `events` are the case's
    events oldest first (read with `select_related("actor__staff")`); `masked` is the reader's
    `privacy.case_access(...).masked`.

    Queries: none beyond the events, but one for the people named by person fields and one for
    the cases linked by case fields, each only when such a field holds a value.
    """
    data: Mapping[str, Any] = mask_values(procedure, case.data) if masked else case.data
    rows = list(events)
    captured = _captured(procedure, rows)
    declared = _declared(procedure)
    fields = procedure.all_fields()
    names = _names(fields.values(), data)
    cases = _linked(actor, fields.values(), data)

    # Each key with a value goes to its capturing step, else where it is declared.
    placed: dict[str, list[str]] = {}
    for key, raw in data.items():
        if is_blank(raw):
            continue
        place = captured.step_of.get(key) or declared.get(key, OTHER)
        placed.setdefault(place, []).append(key)
    checks = case.records.get("checks") or {}
    order = [INTAKE, *captured.order]
    order += [k for k in procedure.steps if k not in order and (k in placed or k in checks)]
    order += [s for s, _answers in captured.branch_checks.values() if s and s not in order]
    order.append(OTHER)

    groups: list[Group] = []
    for key in order:
        keys = set(placed.get(key, []))
        # The definition's order within a group: intake fields, then each step's form.
        in_order = [f for k, f in fields.items() if k in keys]
        values = [
            _typed(v, fields.get(v.key), data, names, cases)
            for v in case_values(in_order, data, language)
        ]
        if not masked:  # a value no field declares (data imported or written by hand): its
            # key is all there is to name it, and nothing says whether it is personal
            values += [Shown(k, k, str(data[k])) for k in sorted(keys - fields.keys())]
        step = procedure.steps.get(key)
        answers: list[CheckShown] = []
        if step is not None:
            answers = _checks(step.checklist, checks.get(key) or {}, language)
            for b in step.branches:
                branch_step, branch_answers = captured.branch_checks.get(b.key, ("", {}))
                if branch_step == key:
                    answers += _checks(b.checklist, branch_answers, language)
        if not values and not answers:
            continue  # nothing captured here: no empty heading
        title = _("受理信息") if key == INTAKE else step.name.get(language) if step else _("其他")
        event = captured.last.get(key) if key != INTAKE else (rows[0] if rows else None)
        groups.append(
            Group(
                key=key,
                title=title,
                values=values,
                checks=answers,
                by=_who(event, case) if event else "",
                at=event.at if event else None,
            )
        )
    feedback = _customer_records(case.records)
    if feedback:
        groups.append(Group(CUSTOMER, _("客户确认与评价"), feedback))
    return groups
