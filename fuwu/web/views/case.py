"""The case page for staff: header, diagram, timeline, and the forms this person may use now.

Every change goes through `fuwu.cases.actions`; a refusal (`EngineError`) is shown in the
reader's language next to the fields, with what was typed kept. Each form carries the case
`version` the person saw: if someone else changed the case meanwhile the action raises `Stale`
and the page answers 409 with the FRESH state and a message saying who changed it (the typed
input is kept for a re-submit when the case still stands on the same step). Comments and work
log rows are appended, never overwrite anything, so their actions take no version.

Every form posts with htmx (the case body is swapped, no reload) and also works as a plain
POST followed by a redirect (PRG). Errors answer 400/403/409 with the page re-rendered; the
page tells htmx to swap those answers too (static/web/case.js).

Who may do what — which moves, assign targets and buttons show — is asked of
`fuwu.cases.policy` (the actions enforce the same rules), e.g. internal notes: read by their
author, staff of the author's department and managers; others see that a note was written.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from fuwu.cases import actions, policy
from fuwu.cases.choices import TaskState, WorkKind
from fuwu.cases.models import Case, CaseTask, Event, WorkLog
from fuwu.cases.policy import may_read_note
from fuwu.cases.queries import get_case_for, work_totals
from fuwu.core.actors import Actor
from fuwu.core.models import Department
from fuwu.procedures.engine.computed import defaults
from fuwu.procedures.engine.definition import FieldType, Procedure, Transition
from fuwu.procedures.engine.diagram import mermaid
from fuwu.procedures.engine.errors import EngineError, FieldError, NotFound, Stale
from fuwu.procedures.engine.machine import guard_context, is_blank, offered, options
from fuwu.procedures.registry import definition_of
from fuwu.scheduling.case_visits import books_visits, case_visits
from fuwu.web.access import actor_of, staff_required
from fuwu.web.buttons import decided_choices
from fuwu.web.caseforms import CommentForm, PauseForm, TransferForm, WorkForm
from fuwu.web.details import case_details
from fuwu.web.dynforms import DynamicForm, add_engine_errors, form_for_fields, payload_of
from fuwu.web.files import by_item, case_files, upload_context
from fuwu.web.timeline import timeline, with_notices
from fuwu.web.views.people import add_pickers, assign_picker
from fuwu.web.views.personal import case_personal

User = get_user_model()


def _lang() -> str:
    return get_language() or "zh-hans"


def _en(lang: str) -> bool:
    return lang.lower().startswith("en")


def _dept_name(dept: Department, lang: str) -> str:
    return dept.name_en if _en(lang) and dept.name_en else dept.name


def _person(user: Any) -> str:
    if user is None:
        return ""
    staff = getattr(user, "staff", None)
    return (staff.display_name if staff else "") or user.get_full_name() or user.username


# -- the forms of the current step ------------------------------------------------------------


@dataclass
class Move:
    """One transition this person may take now, with the form fields that belong to it alone."""

    transition: Transition
    label: str
    fields: list[str]  # names in the step form that only this transition uses
    needs: list[str]  # labels of what it requires beyond the marked fields
    warnings: list[str] = field(default_factory=list)
    # (field, value) when pressing this button is the answer to a choice (fuwu.web.buttons)
    decides: tuple[str, str] | None = None


@dataclass
class TaskPanel:
    task: CaseTask
    name: str
    department: str
    form: DynamicForm | None  # None: done, or not this person's to complete


def _moves(procedure: Procedure, case: Case, actor: Actor, lang: str) -> list[Move]:
    if case.is_closed:
        return []
    roles, everything = policy.step_roles(actor, case)
    opts = options(procedure, actions.view_of(case), roles, superuser=everything)
    labels = {k: f.label.get(lang) for k, f in procedure.all_fields().items()}
    step = procedure.steps[case.step]
    marked = {f.key for f in step.form if f.required}
    out = []
    for o in opts:
        if not o.allowed:
            continue  # not shown; refused on POST too (the action checks again)
        t = o.transition
        own = {f.key for f in t.fields} - {f.key for f in step.form}
        needs = [
            labels.get(k, k)
            for k in t.require
            if k not in marked and k not in own and is_blank(case.data.get(k))
        ]
        out.append(Move(t, t.label.get(lang), sorted(own), needs))
    decided = decided_choices(step, [m.transition for m in out])
    for m in out:
        m.decides = decided.get(m.transition.key)
        if m.decides:  # the button answers it: not asked, not listed as missing
            label = labels.get(m.decides[0], m.decides[0])
            m.needs = [n for n in m.needs if n != label]
    return out


def _step_form(
    procedure: Procedure, case: Case, moves: list[Move], lang: str, data: Any = None
) -> DynamicForm | None:
    """One form for the step: its fields, its checklist, intake fields still blank that a move
    requires, and each move's own fields (drawn under that move's button)."""
    if not moves:
        return None
    step = procedure.steps[case.step]
    # When every move open to this person leaves the step's form aside (wait, cancel …), the
    # step's fields and checklist are someone else's work: only the moves' own fields show.
    completes = [m for m in moves if not m.transition.skip_form]
    wanted = {k for m in completes for k in m.transition.require}
    intake = [
        f
        for f in procedure.fields
        if completes and (f.required or f.key in wanted) and is_blank(case.data.get(f.key))
    ]
    fields = [*(step.form if completes else []), *intake]
    for m in moves:
        fields.extend(m.transition.fields)
    # Items that do not apply to this case (another valve size, another service) are not shown.
    context = guard_context(procedure, actions.view_of(case))
    items = offered(step.checklist, context, [f.key for f in fields]) if completes else []
    form = form_for_fields(
        fields,
        lang,
        data=data,
        initial=case.data,
        checklist=items,
        prefix=None,
        prefill=defaults(procedure, fields, case.data, timezone.now()),
    )
    # A department choice offers only the departments this site has.
    for key, here in policy.department_choices(procedure, case.site_id).items():
        spec = form.specs.get(key)
        if spec is None or not spec.choices:
            continue
        kept = [(v, label) for v, label in spec.choices if v in here]
        form.specs[key] = dataclasses.replace(spec, choices=kept)
        widget = form.fields[key].widget
        if isinstance(widget, forms.Select):
            widget.choices = [("", "—"), *kept]
    return form


def _branch_forms(
    procedure: Procedure, case: Case, actor: Actor, lang: str, tasks: list[CaseTask], post: Any
) -> list[TaskPanel]:
    step = procedure.steps[case.step]
    specs = {b.key: b for b in step.branches}
    panels = []
    for t in tasks:
        spec = specs.get(t.branch)
        role = spec.owner.role if spec is not None else None
        mine = policy.may_complete_branch(actor, case, t, role)
        form = None
        if spec is not None and t.state == TaskState.OPEN and mine and not case.is_closed:
            form = form_for_fields(
                spec.form,
                lang,
                data=post if post is not None and post.get("branch") == t.branch else None,
                initial=case.data,
                checklist=offered(
                    spec.checklist,
                    guard_context(procedure, actions.view_of(case)),
                    [f.key for f in spec.form],
                ),
                prefix=f"task-{t.branch}",
                prefill=defaults(procedure, spec.form, case.data, timezone.now()),
            )
        panels.append(
            TaskPanel(
                t,
                spec.name.get(lang) if spec else t.branch,
                _dept_name(t.department, lang),
                form,
            )
        )
    return panels


# -- the page ---------------------------------------------------------------------------------


def _case_links(procedure: Procedure, case: Case, actor: Actor, lang: str) -> list[Any]:
    """(label, case) for each `case` field holding a case this person may see (one query)."""
    fields = [
        f
        for f in procedure.all_fields().values()
        if f.type is FieldType.CASE and isinstance(case.data.get(f.key), int)
    ]
    if not fields:
        return []
    found = actor.scope(Case.objects).in_bulk([case.data[f.key] for f in fields])
    return [
        (f.label.get(lang), found[case.data[f.key]]) for f in fields if case.data[f.key] in found
    ]


def _context(
    request: HttpRequest,
    case: Case,
    *,
    bound: dict[str, Any] | None = None,
    notice: tuple[str, str] | None = None,
    warnings: tuple[str, list[str]] | None = None,
) -> dict[str, Any]:
    """Everything the page shows, in a bounded number of queries whatever the history's length.

    `bound` holds forms to show as posted (with their errors) instead of fresh ones; `notice`
    is (level, text) for the banner; `warnings` (transition key, texts) asks for confirmation.
    """
    actor = actor_of(request)
    lang = _lang()
    bound = bound or {}
    procedure = definition_of(case.procedure)
    step = procedure.steps[case.step]
    events = list(Event.objects.filter(case=case).select_related("actor__staff").order_by("seq"))
    visited: list[str] = []
    for e in events:
        visited.extend((e.data or {}).get("visited") or [])
    readable = [e for e in events if may_read_note(actor, e)]
    hidden_notes = len(events) - len(readable)
    work = list(WorkLog.objects.filter(case=case).select_related("by__staff").order_by("at", "pk"))
    hours, parts, tools = work_totals(work)
    tasks: list[CaseTask] = []
    if step.branches:
        tasks = list(
            CaseTask.objects.select_related("department")
            .filter(case=case, step=case.step, cycle=case.step_cycle)
            .order_by("pk")
        )
    moves = _moves(procedure, case, actor, lang)
    if warnings:
        for m in moves:
            if m.transition.key == warnings[0]:
                m.warnings = warnings[1]
    step_form = bound.get("take") or _step_form(procedure, case, moves, lang)
    if step_form is not None:
        add_pickers(step_form, case, lang)
    open_case = not case.is_closed
    may_assign = open_case and policy.may_assign_others(actor, case)
    may_transfer = open_case and policy.may_transfer(actor, case)
    may_pause = open_case and policy.may_pause(actor, case)
    may_flag_major = open_case and not case.is_major and policy.may_flag_major(actor, case)
    departments = (
        [
            (d.pk, _dept_name(d, lang))
            for d in Department.objects.filter(site_id=case.site_id)
            .exclude(pk=case.department_id)
            .order_by("code")
        ]
        if may_transfer
        else []
    )
    # Nobody may work the step: nothing to offer (transfer it instead).
    assign = assign_picker(case, lang, chosen=bound.get("assign")) if may_assign else None
    may_assign = assign is not None
    attachments = case_files(case)
    last = events[-1] if events else None
    personal = case_personal(actor, case, procedure, lang)
    return {
        "case": case,
        "procedure_name": procedure.name.get(lang),
        "case_links": _case_links(procedure, case, actor, lang),
        "step_name": step.name.get(lang),
        "department_name": _dept_name(case.department, lang),
        "assignee_name": _person(case.assignee),
        "diagram": mermaid(procedure, language=lang, current=case.step, visited=visited),
        "entries": with_notices(
            timeline(
                case, readable, lang, show_internal=True, mask_personal=personal["personal_masked"]
            ),
            case,
            lang,
        ),
        **personal,  # the values, masked or full, and the reveal (fuwu.customers.privacy)
        "details": case_details(
            actor, case, procedure, events, lang, masked=personal["personal_masked"]
        ),
        "hidden_notes": hidden_notes,
        "last_change": (_person(last.actor) if last and last.actor_id else _("系统"), last.at)
        if last
        else None,
        "moves": moves,
        "step_form": step_form,
        "move_fields": {n for m in moves for n in m.fields},
        "decided_fields": {m.decides[0] for m in moves if m.decides},
        "tasks": _branch_forms(procedure, case, actor, lang, tasks, None)
        if "task" not in bound
        else bound["task"],
        # The on-site visits the case booked (book_visit), with their technician once routed.
        "visits": case_visits(case) if books_visits(procedure) else [],
        "work": work,
        "work_hours": hours,
        "tools_amount": tools,
        "parts_amount": parts,
        "attachments": attachments,
        "item_files": by_item(attachments),  # beside their checklist items
        **upload_context(case, actor),
        "assign_picker": assign,
        "may_assign": may_assign,
        "may_take_myself": open_case and policy.may_take_myself(actor, case, step),
        "is_assignee": case.assignee_id == actor.user_id,
        "transfer_form": (bound.get("transfer") or TransferForm(departments=departments))
        if may_transfer
        else None,
        "comment_form": (bound.get("comment") or CommentForm())
        if policy.may_comment(actor, case)
        else None,
        "work_form": (bound.get("work") or WorkForm())
        if open_case and policy.may_log_work(actor, case)
        else None,
        "pause_form": (bound.get("pause") or PauseForm()) if may_pause else None,
        "may_flag_major": may_flag_major,
        "notice": notice,
        "open_panels": {"pause": "clock"}.get(next(iter(bound), ""), next(iter(bound), ""))
        if bound
        else "",
        "now": timezone.now(),
    }


def _render(request: HttpRequest, case: Case, *, status: int = 200, **kwargs: Any) -> HttpResponse:
    context = _context(request, case, **kwargs)
    template = "web/_case_body.html" if request.htmx else "web/case.html"  # type: ignore[attr-defined]
    return render(request, template, context, status=status)


@staff_required
def case_page(request: HttpRequest, case_id: int) -> HttpResponse:
    case = _case(request, case_id)  # 404 for cases of other sites
    return _render(request, case)


# -- writes -----------------------------------------------------------------------------------


def _case(request: HttpRequest, case_id: int) -> Case:
    """The case if this person may see it; any other case does not exist (404)."""
    try:
        return get_case_for(actor_of(request), case_id)
    except NotFound:
        raise Http404 from None


def _version(request: HttpRequest, case: Case) -> int:
    """The version the form was drawn from. A stale one is refused before the posted values
    are read against the changed case (the action checks again under the lock)."""
    try:
        version = int(request.POST.get("version", ""))
    except ValueError:
        raise EngineError("bad_request", reason="version") from None
    if version != case.version:
        raise Stale("stale", seen=version, current=case.version)
    return version


def _done(request: HttpRequest, case_id: int, text: str) -> HttpResponse:
    """Success: a plain POST redirects (PRG); htmx gets the fresh body with the notice."""
    if request.htmx:  # type: ignore[attr-defined]
        case = get_case_for(actor_of(request), case_id)
        return _render(request, case, notice=("success", text))
    messages.success(request, text)
    return redirect("web:case", case_id=case_id)


def _refused(
    request: HttpRequest,
    case_id: int,
    exc: EngineError,
    bound: dict[str, Any],
    *,
    seen_step: tuple[str, int] | None = None,
) -> HttpResponse:
    """A refused action: the page again, FRESH, with the message and (usually) the input kept."""
    lang = _lang()
    case = get_case_for(actor_of(request), case_id)
    warnings = None
    if isinstance(exc, Stale):
        last = (
            Event.objects.filter(case=case, seq=case.last_seq)
            .select_related("actor__staff")
            .first()
        )
        who = _person(last.actor) if last and last.actor_id else _("系统")
        when = timezone.localtime(last.at).strftime("%H:%M") if last else ""
        same_step = seen_step is None or seen_step == (case.step, case.step_cycle)
        if same_step:
            text = _(
                "此工单刚刚被 %(who)s 修改（%(when)s）。下面是最新状态；您的输入尚未保存，"
                "已为您保留，请核对后重新提交。"
            ) % {"who": who, "when": when}
        else:
            bound = {}  # the step moved on: the old step's form no longer applies
            text = _(
                "此工单刚刚被 %(who)s 修改（%(when)s），已进入其他步骤。下面是最新状态；"
                "您的输入未保存。"
            ) % {"who": who, "when": when}
        return _render(request, case, status=409, bound=bound, notice=("warning", text))
    if exc.code == "confirm_warnings":
        key = str(exc.params.get("transition", ""))
        warnings = (key, list(exc.details(lang).get("warnings", [])))
        text = exc.message(lang)
        return _render(
            request, case, status=400, bound=bound, notice=("warning", text), warnings=warnings
        )
    return _render(
        request, case, status=exc.status, bound=bound, notice=("danger", exc.message(lang))
    )


def _mark(form: forms.BaseForm, exc: EngineError, lang: str, aliases: dict[str, str]) -> None:
    """Put an action's field errors on a fixed form (unknown names become form errors)."""
    for key, text in exc.details(lang).get("fields", {}).items():
        name = aliases.get(key, key)
        form.add_error(name if name in form.fields else None, text)
    for name in form.errors:
        if name in form.fields:
            widget = form.fields[name].widget
            if "is-invalid" not in widget.attrs.get("class", ""):
                widget.attrs["class"] = f"{widget.attrs.get('class', '')} is-invalid".strip()


@require_POST
@staff_required
def take(request: HttpRequest, case_id: int, key: str) -> HttpResponse:
    actor = actor_of(request)
    lang = _lang()
    case = _case(request, case_id)
    procedure = definition_of(case.procedure)
    moves = _moves(procedure, case, actor, lang)
    move = next((m for m in moves if m.transition.key == key), None)
    seen = (request.POST.get("step", ""), _int(request.POST.get("cycle")))
    post: Any = request.POST
    if move is not None and move.decides:
        post = request.POST.copy()  # the button is the answer (fuwu.web.buttons)
        post[move.decides[0]] = move.decides[1]
    form = _step_form(procedure, case, moves, lang, data=post)
    if form is None or move is None:
        # Not one of this person's moves now: let the action say why (role → 403, …).
        form = _step_form(procedure, case, [], lang)
    try:
        version = _version(request, case)
        payload = payload_of(form) if form is not None else None
        values: dict[str, Any] = {}
        checks: dict[str, Any] = {}
        if payload is not None and move is not None:
            t = move.transition
            own = {f.key for f in t.fields}
            if t.skip_form:
                values = {k: v for k, v in payload.form.items() if k in own}
            else:
                others = {n for m in moves for n in m.fields} - own
                values = {k: v for k, v in payload.form.items() if k not in others}
                checks = payload.checklist
        confirm = request.POST.get("confirm") == key
        actions.take_transition(
            actor, case_id, key, version=version, form=values, checklist=checks, confirm=confirm
        )
    except EngineError as exc:
        if exc.code == "confirm_warnings":
            exc.params["transition"] = key
        if form is not None and form.is_bound:
            labels = {k: f.label.get(lang) for k, f in procedure.all_fields().items()}
            add_engine_errors(form, exc, lang, labels=labels)
        return _refused(
            request,
            case_id,
            exc,
            {"take": form} if form is not None and form.is_bound else {},
            seen_step=seen if seen[0] else None,
        )
    label = move.label if move else key
    return _done(request, case_id, _("已执行：%(action)s") % {"action": label})


def _int(text: str | None) -> int:
    try:
        return int(text or "")
    except ValueError:
        return -1


@require_POST
@staff_required
def complete_task(request: HttpRequest, case_id: int, branch: str) -> HttpResponse:
    actor = actor_of(request)
    lang = _lang()
    case = _case(request, case_id)
    procedure = definition_of(case.procedure)
    tasks = list(
        CaseTask.objects.select_related("department")
        .filter(case=case, step=case.step, cycle=case.step_cycle)
        .order_by("pk")
    )
    post = request.POST.copy()
    post["branch"] = branch
    panels = _branch_forms(procedure, case, actor, lang, tasks, post)
    panel = next((p for p in panels if p.task.branch == branch and p.form is not None), None)
    try:
        version = _version(request, case)
        payload = payload_of(panel.form) if panel and panel.form else None
        actions.complete_task(
            actor,
            case_id,
            branch=branch,
            version=version,
            form=payload.form if payload else {},
            checklist=payload.checklist if payload else {},
        )
    except EngineError as exc:
        if panel and panel.form:
            add_engine_errors(panel.form, exc, lang)
        return _refused(request, case_id, exc, {"task": panels} if panel else {})
    name = panel.name if panel else branch
    return _done(request, case_id, _("已完成任务：%(task)s") % {"task": name})


@require_POST
@staff_required
def assign(request: HttpRequest, case_id: int) -> HttpResponse:
    actor = actor_of(request)
    case = _case(request, case_id)
    take_it = request.POST.get("self") == "1"
    chosen = request.POST.get("assignee", "")
    try:
        version = _version(request, case)
        if take_it:
            assignee = actor.user_id
        elif chosen.isdigit():
            # Anyone named is judged by the action (`policy.check_assign`): one not offered
            # is refused with the reason, not with "not a valid choice".
            assignee = int(chosen)
        else:
            raise EngineError("invalid_form", fields={"assignee": FieldError("required")})
        actions.assign(actor, case_id, assignee_id=assignee, version=version)
    except EngineError as exc:
        return _refused(request, case_id, exc, {} if take_it else {"assign": chosen})
    if take_it:
        return _done(request, case_id, _("您已接手此工单"))
    return _done(request, case_id, _("已指派"))


@require_POST
@staff_required
def transfer(request: HttpRequest, case_id: int) -> HttpResponse:
    actor = actor_of(request)
    lang = _lang()
    case = _case(request, case_id)
    departments = [
        (d.pk, _dept_name(d, lang))
        for d in Department.objects.filter(site_id=case.site_id).exclude(pk=case.department_id)
    ]
    form = TransferForm(request.POST, departments=departments)
    try:
        version = _version(request, case)
        if not form.is_valid():
            raise EngineError("invalid_form")
        actions.transfer(
            actor,
            case_id,
            department_id=form.cleaned_data["department"],
            version=version,
            note=form.cleaned_data["note"],
        )
    except EngineError as exc:
        _mark(form, exc, lang, {})
        return _refused(request, case_id, exc, {"transfer": form})
    return _done(request, case_id, _("已转交其他部门"))


@require_POST
@staff_required
def comment(request: HttpRequest, case_id: int) -> HttpResponse:
    actor = actor_of(request)
    lang = _lang()
    _case(request, case_id)
    form = CommentForm(request.POST)
    try:
        if not form.is_valid():
            raise EngineError("invalid_form")
        actions.comment(
            actor,
            case_id,
            text=form.cleaned_data["text"],
            internal=form.cleaned_data["visibility"] == "internal",
        )
    except EngineError as exc:
        _mark(form, exc, lang, {})
        return _refused(request, case_id, exc, {"comment": form})
    return _done(request, case_id, _("备注已添加"))


@require_POST
@staff_required
def work(request: HttpRequest, case_id: int) -> HttpResponse:
    actor = actor_of(request)
    lang = _lang()
    _case(request, case_id)
    form = WorkForm(request.POST)
    try:
        if not form.is_valid():
            raise EngineError("invalid_form")
        actions.log_work(
            actor,
            case_id,
            actions.WorkEntry(
                kind=WorkKind(form.cleaned_data["kind"]),
                description=form.cleaned_data["description"],
                hours=form.decimal("hours"),
                quantity=form.decimal("quantity"),
                unit_price=form.decimal("unit_price"),
            ),
        )
    except EngineError as exc:
        _mark(form, exc, lang, {})
        return _refused(request, case_id, exc, {"work": form})
    return _done(request, case_id, _("工作记录已添加"))


@require_POST
@staff_required
def void_work(request: HttpRequest, case_id: int, work_id: int) -> HttpResponse:
    """Void a wrong work-log row with a reason (the action writes the event)."""
    actor = actor_of(request)
    _case(request, case_id)
    try:
        actions.void_work(actor, case_id, work_id, request.POST.get("reason", ""))
    except EngineError as exc:
        return _refused(request, case_id, exc, {})
    return _done(request, case_id, _("工作记录已作废"))


@require_POST
@staff_required
def pause(request: HttpRequest, case_id: int) -> HttpResponse:
    actor = actor_of(request)
    lang = _lang()
    case = _case(request, case_id)
    form = PauseForm(request.POST)
    try:
        version = _version(request, case)
        reason = form.cleaned_data["reason"] if form.is_valid() else ""
        actions.pause_clock(actor, case_id, version=version, reason=reason)
    except EngineError as exc:
        _mark(form, exc, lang, {})
        return _refused(request, case_id, exc, {"pause": form})
    return _done(request, case_id, _("计时已暂停"))


@require_POST
@staff_required
def resume(request: HttpRequest, case_id: int) -> HttpResponse:
    actor = actor_of(request)
    case = _case(request, case_id)
    try:
        actions.resume_clock(actor, case_id, version=_version(request, case))
    except EngineError as exc:
        return _refused(request, case_id, exc, {})
    return _done(request, case_id, _("计时已恢复"))


@require_POST
@staff_required
def major(request: HttpRequest, case_id: int) -> HttpResponse:
    actor = actor_of(request)
    case = _case(request, case_id)
    try:
        actions.flag_major(actor, case_id, version=_version(request, case))
    except EngineError as exc:
        return _refused(request, case_id, exc, {})
    return _done(request, case_id, _("已标记为重大工单"))


urlpatterns = [
    path("cases/<int:case_id>/", case_page, name="case"),
    path("cases/<int:case_id>/take/<slug:key>/", take, name="case-take"),
    path("cases/<int:case_id>/task/<slug:branch>/", complete_task, name="case-task"),
    path("cases/<int:case_id>/assign/", assign, name="case-assign"),
    path("cases/<int:case_id>/transfer/", transfer, name="case-transfer"),
    path("cases/<int:case_id>/comment/", comment, name="case-comment"),
    path("cases/<int:case_id>/work/", work, name="case-work"),
    path("cases/<int:case_id>/work/<int:work_id>/void/", void_work, name="case-work-void"),
    path("cases/<int:case_id>/pause/", pause, name="case-pause"),
    path("cases/<int:case_id>/resume/", resume, name="case-resume"),
    path("cases/<int:case_id>/major/", major, name="case-major"),
]
