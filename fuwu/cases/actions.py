"""Every change to a case goes through these functions (STYLE.md §3).

Each action runs in one transaction: lock the case (row lock on PostgreSQL; SQLite's IMMEDIATE
transaction holds the write lock) and check the version the caller saw, validate, change, append
the events and queue side effects (inbox rows, e-mail and clock-check tasks in the same
transaction). Views, the API, the CLI and background jobs all call these; nothing else writes
`Case.step`, `status`, `department` or `assignee`. A refused action raises `EngineError` (or a
subclass) and has changed nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from fuwu.cases import policy
from fuwu.cases.choices import EventKind, Priority, Status, TaskState, WorkKind
from fuwu.cases.flow import Change, department_by_code, lock_case
from fuwu.cases.models import Case, CaseTask, WorkLog
from fuwu.core import clock, limits
from fuwu.core.actors import Actor
from fuwu.core.models import Department, Site, Staff
from fuwu.core.prepared import Prepared
from fuwu.customers.models import Asset, Customer
from fuwu.procedures.engine.computed import defaults
from fuwu.procedures.engine.definition import FieldDef
from fuwu.procedures.engine.errors import EngineError, FieldError, Forbidden, NotFound
from fuwu.procedures.engine.machine import (
    CHECKS_KEY,
    CaseFinder,
    CaseView,
    applicable,
    clean_checklist,
    clean_field,
    follow_automatic,
    guard_context,
    past_errors,
    plan_transition,
)
from fuwu.procedures.registry import current_version, definition_of
from fuwu.sla import clocks

User = get_user_model()


def _is_person(username: str) -> bool:
    return User.objects.filter(username=username, is_active=True, staff__isnull=False).exists()


def case_finder(actor: Actor, site_id: int, *, exclude: int | None = None) -> CaseFinder:
    """How a `case` field finds the case typed: by number or id, on the site, visible to the
    actor, not the case itself. A number must match whole (its date part too)."""

    def find(text: str) -> int | None:
        pk = Case.pk_from_number(text)
        if pk is None or pk == exclude:
            return None
        found = actor.scope(Case.objects).filter(pk=pk, site_id=site_id).only("created_at").first()
        if found is None or ("-" in text and found.number != text):
            return None
        return int(found.pk)

    return find


def view_of(case: Case) -> CaseView:
    return CaseView(
        step=case.step,
        status=case.status,
        priority=case.priority,
        channel=case.channel,
        category=case.category,
        is_major=case.is_major,
        comeback_count=case.comeback_count,
        data=case.data,
        checks=case.records.get(CHECKS_KEY) or {},
    )


def clean_fields(
    fields: list[FieldDef],
    submitted: dict[str, Any],
    *,
    enforce_required: bool,
    required: list[FieldDef] | None = None,
    find_case: CaseFinder | None = None,
    fill: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Clean submitted values; every problem is reported at once. `required` narrows which
    fields must be present (default: every required field when `enforce_required`). `fill`
    gives the defaults of the fields left blank (`computed.defaults`), before `required`.
    With `now`, a `not_past` date or time entered before it is refused."""
    by_key = {f.key: f for f in fields}
    errors = limits.field_errors(submitted)  # NUL, depth, size: before a value is read
    values: dict[str, Any] = {}
    for key, raw in submitted.items():
        if key in errors:
            continue
        f = by_key.get(key)
        if f is None:
            errors[key] = FieldError("unknown_field")
            continue
        value, problems = clean_field(f, raw, is_person=_is_person, find_case=find_case)
        if problems:
            errors.update(problems)
        elif value is not None:
            values[key] = value
    if now is not None:
        errors.update(past_errors(fields, values, timezone.localtime(now)))
    if fill is not None:
        values.update(fill(values))
    if enforce_required:
        for f in fields if required is None else required:
            if f.required and f.key not in values and f.key not in errors:
                errors[f.key] = FieldError("required")
    if errors:
        raise EngineError("invalid_form", fields=errors)
    return values


def check_limits(form: dict[str, Any], checklist: dict[str, Any] | None = None) -> None:
    """Refuse a form or checklist holding a value past the input limits (`fuwu.core.limits`)
    before the engine reads it; every such field is named."""
    errors = limits.field_errors(form)
    for key, error in limits.field_errors(checklist or {}).items():
        errors[f"checklist.{key}"] = error
    if errors:
        raise EngineError("invalid_form", fields=errors)


_SITE = Prepared(lambda pk: Site.objects.filter(pk=pk))


@transaction.atomic
def open_case(
    actor: Actor,
    *,
    procedure_key: str,
    site_id: int,
    channel: str,
    title: str,
    description: str = "",
    priority: str | None = None,
    category: str = "",
    customer_id: int | None = None,
    asset_id: int | None = None,
    data: dict[str, Any] | None = None,
    is_major: bool = False,
    assignee_id: int | None = None,
    parent_id: int | None = None,
    campaign_id: int | None = None,
    now: datetime | None = None,
) -> Case:
    """Open a case on the procedure's current version, at its start step.

    Cases the system opens (linked cases, campaigns, schedules) come on the `system` channel and
    may leave intake fields for the first step to fill.

    Writes `opened` (and `major_flagged` when flagged); starts the response, resolution and
    step clocks; queues the clock check, and the major-case alert when flagged.
    """
    limits.check_fields(title=title, description=description, category=category)
    version = current_version(procedure_key)
    if version is None:
        raise NotFound("procedure_unknown", procedure=procedure_key)
    procedure = definition_of(version)
    by_system = parent_id is not None or campaign_id is not None or actor.is_system
    if channel not in procedure.channels and not by_system:
        raise EngineError("channel_not_allowed", channel=channel)
    if not actor.may_see_site(site_id):
        raise NotFound("not_found", what="site")
    site = _SITE.get(site_id)
    if site is None:
        raise NotFound("not_found", what="site")
    refusal = None if by_system else policy.open_refusal(actor, procedure, site_id, channel)
    if refusal is not None:
        raise refusal
    if (
        customer_id is not None
        and not Customer.objects.live().filter(pk=customer_id, site_id=site_id).exists()
    ):
        raise EngineError("invalid_form", fields={"customer": FieldError("required")})
    if asset_id is not None and not Asset.objects.filter(pk=asset_id, site_id=site_id).exists():
        raise EngineError("invalid_form", fields={"asset": FieldError("required")})
    start = procedure.steps[procedure.start]
    now = now or clock.now()
    intake = [*procedure.fields, *start.form]
    # The intake fields (the procedure's own) must be complete; the start step's form may be
    # filled now or later, while the case stands on that step.
    values = clean_fields(
        intake,
        data or {},
        enforce_required=not by_system,
        required=procedure.fields,
        find_case=case_finder(actor, site_id),
        fill=lambda values: defaults(procedure, intake, values, now),
        now=None if by_system else now,
    )
    owner = (start.owner if start.owner and start.owner.department else None) or procedure.owner
    department = (
        department_by_code(site_id, owner.department, procedure) if owner.department else None
    )
    if department is None:
        raise EngineError("no_such_department", department="")
    case = Case(
        procedure=version,
        procedure_key=procedure.key,
        site=site,
        title=title.strip()[:200],
        description=description,
        step="",
        priority=priority or procedure.default_priority,
        channel=channel,
        category=category,
        customer_id=customer_id,
        asset_id=asset_id,
        department=department,
        data=values,
        parent_id=parent_id,
        campaign_id=campaign_id,
        created_by=actor.user,
        created_at=now,
        updated_at=now,
    )
    if assignee_id is not None:
        case.assignee = policy.check_assign(actor, case, start, assignee_id)
    if procedure.response_on_open:
        case.first_response_at = now  # the call-centre seed: opening the case is the response
    change = Change(case, actor, now)
    clocks.start_clocks(case, procedure, now)
    visited, effects = follow_automatic(procedure, procedure.start)
    change.event(
        EventKind.OPENED,
        procedure=procedure.key,
        version=version.version,
        channel=channel,
        priority=case.priority,
        visited=visited,
    )
    change.arrive(visited, effects)
    if is_major:
        change.flag_major()
    return change.finish()


@transaction.atomic
def take_transition(
    actor: Actor,
    case_id: int,
    transition: str,
    *,
    version: int | None,
    form: dict[str, Any] | None = None,
    checklist: dict[str, Any] | None = None,
    confirm: bool = False,
) -> Case:
    """Take a transition out of the current step, as the procedure allows this actor.

    Checks role, fields, checklist and guard (engine), then moves the case, applies the
    transition's and passed automatic steps' effects. A transition's warnings must be
    confirmed (`confirm=True`) to go on. Writes `transitioned`; when a dispatch step's person
    field names someone (`policy.assigning_fields`), the case is also given to them, who must
    be one the field offers (`policy.check_pick`), and `assigned` is written after it.
    """
    case = lock_case(case_id, actor, version=version)
    change = Change(case, actor)
    wanted = next((t for t in change.step.transitions if t.key == transition), None)
    roles, everything = policy.check_transition(actor, case, wanted)
    picked = None
    for key in sorted(policy.assigning_fields(change.step) & set(form or {})):
        raw = (form or {})[key]
        if isinstance(raw, str) and raw.strip():
            # Judged on the step the pick is made on, before the move changes the owner.
            picked = policy.check_pick(case, change.step, key, raw.strip())
    _move(
        change,
        transition,
        form or {},
        checklist,
        confirm=confirm,
        responds=True,
        roles=roles,
        everything=everything,
    )
    if picked is not None and picked.pk != case.assignee_id:
        _give(change, picked)
    return change.finish()


def _give(change: Change, assignee: Any) -> None:
    """Give the locked case to `assignee` (a User, or None to take it back): the `assigned`
    event, and the new assignee told after the commit (unless they gave it to themselves)."""
    case = change.case
    previous = case.assignee_id
    case.assignee = assignee
    change.event(EventKind.ASSIGNED, **{"from": previous}, to=case.assignee_id)
    if case.assignee_id and case.assignee_id != change.actor.user_id:
        from fuwu.notifications.services import notify

        change.after_save.append(
            lambda: notify([case.assignee], case=case, kind="assigned", data=change.note_data())
        )


def _move(
    change: Change,
    transition: str,
    form: dict[str, Any],
    checklist: dict[str, Any] | None,
    *,
    confirm: bool,
    responds: bool,
    roles: frozenset[str],
    everything: bool,
) -> None:
    """Plan a transition with the engine and apply it to the locked case: values, checklist
    results, the reopening, the `transitioned` event, and arrival (effects, clocks, owners).

    The one place a case moves along its procedure, for staff moves and customer ratings.
    A staff move counts as the first response (`responds`); a customer's does not. `roles`
    and `everything` are the actor's standing on the step (`policy.step_roles`).
    """
    case = change.case
    check_limits(form, checklist)
    plan = plan_transition(
        change.procedure,
        view_of(case),
        transition,
        roles,
        form,
        checklist,
        superuser=everything,
        is_person=_is_person,
        find_case=case_finder(change.actor, case.site_id, exclude=case.pk),
        confirmed=confirm,
        # In the site's zone, so a `not_past` date is judged on the local date.
        now=timezone.localtime(change.now),
    )
    case.data = {**case.data, **plan.values}
    if plan.checks:
        checks = dict(case.records.get(CHECKS_KEY) or {})
        checks[plan.from_step] = {**checks.get(plan.from_step, {}), **plan.checks}
        case.records = {**case.records, CHECKS_KEY: checks}
    if responds:
        change.responded()
    if plan.transition.reopens:
        change.reopen()
    change.event(
        EventKind.TRANSITIONED,
        transition=transition,
        **{"from": plan.from_step},
        to=plan.to_step,
        visited=plan.visited,
        values=plan.values,
        checks=plan.checks,
        **({"confirmed_warnings": plan.warnings} if plan.warnings else {}),
    )
    change.arrive(plan.visited, plan.effects)


@transaction.atomic
def assign(actor: Actor, case_id: int, *, assignee_id: int | None, version: int | None) -> Case:
    """Give the case to a person who may work its step, or take it back with None
    (who may: `policy.check_assign`). Writes `assigned`."""
    case = lock_case(case_id, actor, version=version)
    change = Change(case, actor)
    assignee = policy.check_assign(actor, case, change.step, assignee_id)
    change.responded()
    _give(change, assignee)
    return change.finish()


@transaction.atomic
def transfer(
    actor: Actor,
    case_id: int,
    *,
    department_id: int | None = None,
    department_code: str | None = None,
    version: int | None,
    note: str = "",
) -> Case:
    """Move ownership to another department in one step (never "between" departments).

    Clears the assignee; writes `transferred`; tells the new department's manager.
    """
    case = lock_case(case_id, actor, version=version)
    policy.check(policy.may_transfer(actor, case), "department_only", case)
    if department_id is not None:
        target = Department.objects.filter(pk=department_id, site_id=case.site_id).first()
        if target is None:
            raise EngineError("no_such_department", department=str(department_id))
    else:
        target = department_by_code(case.site_id, department_code or "")
    if target.pk == case.department_id:
        raise EngineError("same_department")
    change = Change(case, actor)
    previous = case.department_id
    case.department = target
    case.assignee = None
    change.responded()
    change.event(EventKind.TRANSFERRED, **{"from": previous}, to=target.pk, note=note[:1000])
    if target.manager_id:
        from fuwu.notifications.services import notify

        change.after_save.append(
            lambda: notify([target.manager], case=case, kind="transferred", data=change.note_data())
        )
    return change.finish()


@transaction.atomic
def comment(
    actor: Actor,
    case_id: int,
    *,
    text: str,
    internal: bool = False,
    via: dict[str, Any] | None = None,
) -> Case:
    """Add a remark to the timeline (internal ones are for staff only). Writes `commented`.

    `via`: the customer wrote it on a channel (`fuwu.channels.inbound`): `{channel, message,
    customer}` go on the event, which the system writes on their behalf."""
    text = text.strip()
    limits.check_fields(text=text)
    if not text:
        raise EngineError("invalid_form", fields={"text": FieldError("required")})
    if len(text) > 10000:
        raise EngineError("invalid_form", fields={"text": FieldError("too_long", max=10000)})
    case = lock_case(case_id, actor, version=None, write=False)
    if not policy.may_comment(actor, case):
        raise Forbidden("comment_not_allowed")
    change = Change(case, actor)
    change.responded()
    change.event(EventKind.COMMENTED, text=text, internal=internal, **({"via": via} if via else {}))
    return change.finish()


def move_to_customer(
    actor: Actor, case_id: int, *, from_id: int, to_id: int, merge_id: int, undo: bool = False
) -> Case | None:
    """Put a case on another customer record because two records were merged (or the merge
    undone). Only `fuwu.customers.merging` calls this; the merge's permission is the rule.

    The case is locked (closed cases too: their history moves with the customer). A case no
    longer on `from_id` is left alone (None): an undo moves back only what still sits where the
    merge put it. Writes `customer_updated` with `{"merge": id, "customer": {"from", "to"}}`
    (and `"undo": true`). The version does not move: no open form depends on the customer.
    """
    case = lock_case(case_id, actor, version=None, write=False)
    if case.customer_id != from_id:
        return None
    change = Change(case, actor)
    case.customer_id = to_id
    data: dict[str, Any] = {"merge": merge_id, "customer": {"from": from_id, "to": to_id}}
    if undo:
        data["undo"] = True
    change.event(EventKind.CUSTOMER_UPDATED, **data)
    return change.finish()


@dataclass(frozen=True)
class WorkEntry:
    kind: WorkKind
    description: str
    hours: Decimal | None = None
    quantity: Decimal | None = None
    unit_price: Decimal | None = None


@transaction.atomic
def log_work(actor: Actor, case_id: int, entry: WorkEntry) -> WorkLog:
    """Record labour hours, a part (quantity × price) or a tool used. Writes `work_logged`."""
    errors = limits.field_errors({"description": entry.description})
    if not entry.description.strip():
        errors["description"] = FieldError("required")
    if entry.kind == WorkKind.LABOUR and (entry.hours is None or entry.hours <= 0):
        errors["hours"] = (
            FieldError("below_min", min="0.01")
            if entry.hours is not None
            else FieldError("required")
        )
    if entry.kind == WorkKind.PART:
        if entry.quantity is None or entry.quantity <= 0:
            errors["quantity"] = (
                FieldError("required")
                if entry.quantity is None
                else FieldError("below_min", min="0.01")
            )
        if entry.unit_price is not None and entry.unit_price < 0:
            errors["unit_price"] = FieldError("below_min", min="0")
    if errors:
        raise EngineError("invalid_form", fields=errors)
    case = lock_case(case_id, actor, version=None)
    policy.check(policy.may_log_work(actor, case), "work_log_not_allowed", case)
    change = Change(case, actor)
    row = WorkLog.objects.create(
        case=case,
        kind=entry.kind,
        description=entry.description.strip()[:200],
        hours=entry.hours,
        quantity=entry.quantity,
        unit_price=entry.unit_price,
        by=actor.user,
        at=change.now,
    )
    change.responded()
    change.event(
        EventKind.WORK_LOGGED,
        id=row.pk,
        kind=str(entry.kind),
        description=row.description,
        hours=_num(entry.hours),
        quantity=_num(entry.quantity),
        unit_price=_num(entry.unit_price),
    )
    change.finish()
    return row


@transaction.atomic
def void_work(actor: Actor, case_id: int, work_id: int, reason: str) -> WorkLog:
    """Void a wrong work-log row of the case, with a reason: it leaves the totals and stays
    on the page struck through. Who may log work may void. Writes `work_voided`."""
    reason = reason.strip()
    errors = limits.field_errors({"reason": reason})
    if not reason:
        errors["reason"] = FieldError("required")
    if errors:
        raise EngineError("invalid_form", fields=errors)
    case = lock_case(case_id, actor, version=None)
    policy.check(policy.may_log_work(actor, case), "work_log_not_allowed", case)
    row = WorkLog.objects.select_for_update().filter(case=case, pk=work_id).first()
    if row is None or row.voided_at is not None:
        raise EngineError("invalid_form", fields={"reason": FieldError("already_voided")})
    change = Change(case, actor)
    row.voided_at = change.now
    row.void_reason = reason[:200]
    row.save(update_fields=["voided_at", "void_reason"])
    change.event(
        EventKind.WORK_VOIDED,
        id=row.pk,
        kind=str(row.kind),
        description=row.description,
        reason=row.void_reason,
    )
    change.finish()
    return row


def _num(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


@transaction.atomic
def pause_clock(actor: Actor, case_id: int, *, version: int | None, reason: str = "") -> Case:
    """Stop the resolution clock while waiting on the customer. Writes `paused`."""
    case = lock_case(case_id, actor, version=version)
    policy.check(policy.may_pause(actor, case), "department_only", case)
    if case.paused_at is not None:
        raise EngineError("already_paused")
    change = Change(case, actor)
    clocks.pause(case, change.now)
    change.responded()
    change.event(EventKind.PAUSED, reason=reason[:500] or "manual")
    return change.finish()


@transaction.atomic
def resume_clock(actor: Actor, case_id: int, *, version: int | None) -> Case:
    """Restart the clock; the resolution deadline moves by the business time spent paused."""
    case = lock_case(case_id, actor, version=version)
    policy.check(policy.may_pause(actor, case), "department_only", case)
    if case.paused_at is None:
        raise EngineError("not_paused")
    change = Change(case, actor)
    clocks.resume(case, change.procedure, change.now)
    change.event(EventKind.RESUMED, reason="manual")
    return change.finish()


@transaction.atomic
def set_priority(actor: Actor, case_id: int, *, priority: str, version: int | None) -> Case:
    """Change the priority (who may: `policy.may_set_priority`). The running clocks follow: a
    limit given per priority is computed again from its start. Writes `priority_changed`."""
    if priority not in Priority.values:
        raise EngineError(
            "invalid_form",
            fields={"priority": FieldError("bad_choice", options=", ".join(Priority.values))},
        )
    case = lock_case(case_id, actor, version=version)
    policy.check_set_priority(actor, case)
    if case.priority == priority:
        raise EngineError("same_priority")
    change = Change(case, actor)
    previous = case.priority
    case.priority = priority
    clocks.recompute(case, change.procedure)
    change.event(EventKind.PRIORITY_CHANGED, **{"from": previous}, to=priority)
    return change.finish()


@transaction.atomic
def flag_major(actor: Actor, case_id: int, *, version: int | None) -> Case:
    """Mark a case major: the responsible head is told at once. Writes `major_flagged`."""
    case = lock_case(case_id, actor, version=version)
    policy.check(policy.may_flag_major(actor, case), "department_only", case)
    change = Change(case, actor)
    change.flag_major()
    return change.finish()


@transaction.atomic
def complete_task(
    actor: Actor,
    case_id: int,
    *,
    branch: str,
    version: int | None,
    form: dict[str, Any] | None = None,
    checklist: dict[str, Any] | None = None,
) -> Case:
    """Finish one department's branch of a parallel step; the last one moves the case on.

    Writes `task_completed`, and `joined` when it was the last open branch.
    """
    case = lock_case(case_id, actor, version=version)
    change = Change(case, actor)
    step = change.step
    spec = next((b for b in step.branches if b.key == branch), None)
    if spec is None:
        raise EngineError("not_parallel")
    task = (
        CaseTask.objects.select_related("department")
        .filter(case=case, step=case.step, cycle=case.step_cycle, branch=branch)
        .first()
    )
    if task is None:
        raise EngineError("not_parallel")
    if task.state == TaskState.DONE:
        raise EngineError("task_done")
    policy.check(
        policy.may_complete_branch(actor, case, task, spec.owner.role),
        "branch_owned_elsewhere",
        case,
        task.department_id,
    )
    field_errors: dict[str, FieldError] = {}
    try:
        values = clean_fields(
            spec.form,
            form or {},
            enforce_required=True,
            find_case=case_finder(actor, case.site_id, exclude=case.pk),
            fill=lambda v: defaults(change.procedure, spec.form, {**case.data, **v}, change.now),
            now=change.now,
        )
    except EngineError as exc:  # reported together with the checklist's problems below
        values, field_errors = {}, exc.fields
    items = applicable(
        spec.checklist, guard_context(change.procedure, view_of(case), {**case.data, **values})
    )
    check_limits({}, checklist)
    checks, errors = clean_checklist(items, checklist or {})
    missing = {
        f"checklist.{i.key}": FieldError("not_done")
        for i in items
        if i.required and i.key not in checks and f"checklist.{i.key}" not in errors
    }
    if field_errors or errors or missing:
        raise EngineError("invalid_form", fields={**field_errors, **errors, **missing})
    CaseTask.objects.filter(pk=task.pk).update(
        state=TaskState.DONE,
        data={**values, "checks": checks},
        done_by=actor.user,
        done_at=change.now,
    )
    case.data = {**case.data, **values}
    change.responded()
    change.event(EventKind.TASK_COMPLETED, branch=branch, values=values, checks=checks)
    remaining = CaseTask.objects.filter(
        case=case, step=case.step, cycle=case.step_cycle, state=TaskState.OPEN
    ).exists()
    if not remaining:
        change.join()
    return change.finish()


def staff_user_by_username(username: str) -> Any:
    user = User.objects.filter(username=username, is_active=True).first()
    if user is None or not Staff.objects.filter(user=user).exists():
        raise NotFound("not_found", what=username)
    return user


# -- the customer's own actions (portal) ----------------------------------------------------


def _customer_case(actor: Actor, case_id: int, *, version: int | None) -> Case:
    """Lock a case of the customer who acts; any other case does not exist for them (404)."""
    case = lock_case(case_id, actor, version=version, write=False)
    if actor.user_id is None or case.customer is None or case.customer.user_id != actor.user_id:
        raise NotFound("not_found", what="case")
    if case.resolved_at is None or case.status not in {Status.RESOLVED, Status.CLOSED}:
        raise EngineError("not_resolved")
    return case


@transaction.atomic
def confirm_completion(actor: Actor, case_id: int, *, version: int | None = None) -> Case:
    """The customer says the service is done. Once per resolution (a reopened case asks again).

    Preconditions: the actor is the case's customer; the case is resolved or closed as done.
    Records `records["confirmation"]` (resolution cycle and time) and writes
    `customer_confirmed`. No step changes and no side effects.
    """
    case = _customer_case(actor, case_id, version=version)
    done = case.records.get("confirmation") or {}
    if done.get("cycle") == case.clock_cycle:
        raise EngineError("already_confirmed")
    change = Change(case, actor)
    case.records = {
        **case.records,
        "confirmation": {"cycle": case.clock_cycle, "at": change.now.isoformat()},
    }
    change.event(EventKind.CUSTOMER_CONFIRMED, cycle=case.clock_cycle)
    return change.finish()


@transaction.atomic
def rate_case(
    actor: Actor, case_id: int, *, score: int, comment: str = "", version: int | None = None
) -> Case:
    """The customer rates the service 1–5 with a comment; once per resolution.

    Preconditions: the actor is the case's customer; the case is resolved or closed as done;
    not yet rated in this resolution cycle; a low score comes with a comment (what went wrong).
    What the rating does follows the procedure's `portal.rating`: on its return-visit step a
    good score takes the `good` transition and a low one (≤ `low`) the `bad` one, which
    reopens the case (its effects tell the department manager). Anywhere else a low score
    escalates: the department manager and the head of the reporting line are told after commit.
    Records `records["rating"]` and writes `rated` (score, comment, cycle, outcome), then the
    `transitioned` event when a transition was taken.
    """
    errors: dict[str, FieldError] = {}
    if isinstance(score, bool) or not isinstance(score, int) or not 1 <= score <= 5:
        errors["score"] = FieldError("bad_choice", options="1, 2, 3, 4, 5")
    comment = (comment or "").strip()
    if len(comment) > 2000:
        errors["comment"] = FieldError("too_long", max=2000)
    if errors:
        raise EngineError("invalid_form", fields=errors)
    case = _customer_case(actor, case_id, version=version)
    rated = case.records.get("rating") or {}
    if rated.get("cycle") == case.clock_cycle:
        raise EngineError("already_rated")
    change = Change(case, actor)
    spec = change.procedure.portal.rating
    low = score <= spec.low
    if low and not comment:
        raise EngineError("invalid_form", fields={"comment": FieldError("required")})
    transition = None
    if spec.step is not None and case.step == spec.step and not case.is_closed:
        transition = spec.bad if low else spec.good
    if transition is not None:
        outcome = "reopened" if low else "return_visit_done"
    else:
        outcome = "escalated" if low else "recorded"
    cycle = case.clock_cycle
    case.records = {
        **case.records,
        "rating": {
            "score": score,
            "comment": comment,
            "cycle": cycle,
            "at": change.now.isoformat(),
        },
    }
    change.event(
        EventKind.RATED,
        score=score,
        comment=comment,
        cycle=cycle,
        outcome=outcome,
        transition=transition,
    )
    if transition is not None:
        form: dict[str, Any] = dict(spec.form)
        if spec.satisfied_field:
            form[spec.satisfied_field] = not low
        if spec.comment_field and comment:
            form[spec.comment_field] = comment
        # The customer takes the procedure's own move (its roles name `customer`), so the
        # reopening, its clocks and its notifications are exactly those staff would cause.
        _move(
            change,
            transition,
            form,
            None,
            confirm=True,
            responds=False,
            roles=actor.roles,
            everything=False,
        )
    elif low:
        from fuwu.notifications.services import notify, recipients

        def tell() -> None:
            users = [*recipients(case, "department_manager"), *recipients(case, "top")]
            message = {
                "message_zh": f"客户评价 {score} 分(不满意),请跟进",
                "message_en": f"The customer rated the service {score}/5 (dissatisfied); follow up",
                "score": score,
            }
            notify(users, case=case, kind="notify", data={**change.note_data(), **message})

        change.after_save.append(tell)
    return change.finish()
