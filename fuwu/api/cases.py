"""Cases: open, read, list, move through the procedure, assign, transfer, comment, log work."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status

from fuwu.api.case_workshop import CaseWorkshopOut, case_workshop, uses_workshop
from fuwu.api.common import READ_ERRORS, WRITE_ERRORS, Out, actor, language, site_for
from fuwu.api.idempotency import idempotent
from fuwu.cases import actions
from fuwu.cases.choices import CLOSED_STATUSES, TaskState, WorkKind
from fuwu.cases.models import Case, CaseTask, Event, WorkLog
from fuwu.cases.policy import department_choices, may_read_note, step_roles
from fuwu.cases.queries import CaseFilter, cases_for, get_case_for
from fuwu.core.actors import Actor
from fuwu.customers import privacy
from fuwu.procedures.engine.computed import defaults
from fuwu.procedures.engine.definition import Procedure
from fuwu.procedures.engine.errors import EngineError, NotFound
from fuwu.procedures.engine.machine import applicable, guard_context, options
from fuwu.procedures.models import ProcedureVersion
from fuwu.procedures.registry import definition_of
from fuwu.sla.lateness import is_late

router = Router(tags=["cases"])


class Ref(Out):
    id: int
    code: str
    name: str


class PersonRef(Out):
    id: int
    username: str
    name: str


class CustomerRef(Out):
    id: int
    name: str
    phone: str


class AssetRef(Out):
    id: int
    kind: str
    label: str


class StepRef(Out):
    key: str
    name: str
    kind: str


class ProcedureRef(Out):
    key: str
    version: int
    name: str


class TaskOut(Out):
    branch: str
    name: str
    department: str
    state: str
    done_at: datetime | None


class CaseOut(Out):
    id: int
    number: str
    procedure: ProcedureRef
    title: str
    description: str
    step: StepRef
    status: str
    priority: str
    channel: str
    category: str
    site: Ref
    department: Ref
    assignee: PersonRef | None
    customer: CustomerRef | None
    asset: AssetRef | None
    is_major: bool
    comeback_count: int
    version: int
    data: dict[str, Any]
    # Each step's latest checklist answers: {step: {item: {"value": ..., "passed": bool}}}.
    checks: dict[str, Any]
    created_at: datetime
    updated_at: datetime
    first_response_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    response_due: datetime | None
    resolution_due: datetime | None
    step_due: datetime | None
    return_visit_due: datetime | None
    paused: bool
    overdue: bool
    parent_id: int | None
    tasks: list[TaskOut] = []
    workshop: CaseWorkshopOut | None = Field(
        default=None,
        description="a case read by id whose procedure books the workshop: its appointments,"
        " repair jobs and on-site visits (not in lists)",
    )


def _person(user: Any) -> PersonRef | None:
    if user is None:
        return None
    staff = getattr(user, "staff", None)
    return PersonRef(
        id=user.pk,
        username=user.username,
        name=staff.display_name if staff else user.get_full_name() or user.username,
    )


def case_out(case: Case, lang: str, tasks: list[CaseTask] | None = None, *, who: Actor) -> CaseOut:
    procedure = definition_of(case.procedure)
    step = procedure.steps[case.step]
    now = timezone.now()
    dept = case.department
    overdue = is_late(case, now)  # the one rule (fuwu.sla.lateness), as the queue filter
    branch_names = {b.key: b.name.get(lang) for b in step.branches}
    return CaseOut(
        id=case.pk,
        number=case.number,
        procedure=ProcedureRef(
            key=procedure.key, version=case.procedure.version, name=procedure.name.get(lang)
        ),
        title=case.title,
        description=case.description,
        step=StepRef(key=case.step, name=step.name.get(lang), kind=step.kind.value),
        status=case.status,
        priority=case.priority,
        channel=case.channel,
        category=case.category,
        site=Ref(id=case.site.pk, code=case.site.code, name=case.site.name),
        department=Ref(
            id=dept.pk,
            code=dept.code,
            name=dept.name_en if lang.startswith("en") and dept.name_en else dept.name,
        ),
        assignee=_person(case.assignee),
        customer=CustomerRef(
            id=case.customer.pk, name=case.customer.name, phone=case.customer.masked_phone
        )
        if case.customer
        else None,
        asset=AssetRef(id=case.asset.pk, kind=case.asset.kind, label=case.asset.label)
        if case.asset
        else None,
        is_major=case.is_major,
        comeback_count=case.comeback_count,
        version=case.version,
        data=privacy.case_data(who, case, procedure),  # personal values masked for some
        checks=case.records.get("checks") or {},
        created_at=case.created_at,
        updated_at=case.updated_at,
        first_response_at=case.first_response_at,
        resolved_at=case.resolved_at,
        closed_at=case.closed_at,
        response_due=case.response_due,
        resolution_due=case.resolution_due,
        step_due=case.step_due,
        return_visit_due=case.return_visit_due,
        paused=case.paused_at is not None,
        overdue=overdue,
        parent_id=case.parent_id,
        tasks=[
            TaskOut(
                branch=t.branch,
                name=branch_names.get(t.branch, t.branch),
                department=t.department.code,
                state=t.state,
                done_at=t.done_at,
            )
            for t in (tasks or [])
        ],
    )


def _detail(request: HttpRequest, found: int | Case) -> CaseOut:
    """The case as the API shows it: re-read by id, or the case a write action just returned
    (it was read with everything the response needs while it was locked)."""
    case = found if isinstance(found, Case) else get_case_for(actor(request), found)
    tasks = []
    if definition_of(case.procedure).steps[case.step].branches:  # only parallel steps have tasks
        tasks = list(
            CaseTask.objects.select_related("department").filter(
                case=case, step=case.step, cycle=case.step_cycle
            )
        )
    out = case_out(case, language(request), tasks, who=actor(request))
    if uses_workshop(definition_of(case.procedure)):
        out.workshop = case_workshop(case)
    return out


class CaseIn(Schema):
    procedure: str = Field(..., max_length=64)
    site: str = Field(..., max_length=40, description="site code")
    channel: str
    title: str = Field(..., min_length=1, max_length=200)
    description: str = Field("", max_length=20000)
    priority: Literal["urgent", "high", "normal", "low"] | None = None
    category: str = Field("", max_length=64)
    customer_id: int | None = None
    asset_id: int | None = None
    data: dict[str, Any] = {}
    is_major: bool = False


@router.post("", response={201: CaseOut, **WRITE_ERRORS}, summary="Open a case")
@idempotent
def create_case(request: HttpRequest, payload: CaseIn) -> Status[CaseOut]:
    who = actor(request)
    site = site_for(who, payload.site)
    case = actions.open_case(
        who,
        procedure_key=payload.procedure,
        site_id=site.pk,
        channel=payload.channel,
        title=payload.title,
        description=payload.description,
        priority=payload.priority,
        category=payload.category,
        customer_id=payload.customer_id,
        asset_id=payload.asset_id,
        data=payload.data,
        is_major=payload.is_major,
    )
    return Status(201, _detail(request, case))  # as written: its site, version, department at hand


class CasePage(Out):
    count: int = Field(
        description="how many cases match, exact up to 1000; past that 1000 and `count_capped`"
    )
    count_capped: bool = Field(
        False, description='more than 1000 cases match: `count` says "at least"'
    )
    has_next: bool = Field(False, description="a next page exists")
    page: int
    page_size: int
    results: list[CaseOut]


@router.get(
    "", response={200: CasePage, **READ_ERRORS}, summary="List cases (filtered, paginated, ordered)"
)
def list_cases(request: HttpRequest, filters: Query[CaseFilter]) -> CasePage:
    who = actor(request)
    found = filters.read_page(cases_for(who), who)
    by_id = Case.objects.select_related(
        "site", "department", "assignee__staff", "customer", "asset"
    ).in_bulk(found.ids)
    rows = [by_id[pk] for pk in found.ids if pk in by_id]
    # Each procedure version once per page (its definition is kilobytes of JSON), not per row.
    versions = ProcedureVersion.objects.defer("definition").in_bulk({c.procedure_id for c in rows})
    for case in rows:
        case.procedure = versions[case.procedure_id]
    lang = language(request)
    return CasePage(
        count=found.count,
        count_capped=found.capped,
        has_next=found.has_next,
        page=filters.page,
        page_size=filters.page_size,
        results=[case_out(c, lang, who=who) for c in rows],
    )


@router.get("/{int:case_id}", response={200: CaseOut, **READ_ERRORS}, summary="A case")
def get_case(request: HttpRequest, case_id: int) -> CaseOut:
    return _detail(request, case_id)


class FieldOut(Schema):
    key: str
    type: str
    label: str
    required: bool
    options: list[dict[str, str]] | None = None
    min: float | None = None
    max: float | None = None
    computed: bool = Field(
        False, description="computed from the case data (or the row): shown, never submitted"
    )
    columns: list[FieldOut] | None = Field(
        None, description="lines: the row's columns; the value is a list of {column: value}"
    )
    min_rows: int | None = None
    max_rows: int | None = None


FieldOut.model_rebuild()


class ChecklistOut(Schema):
    key: str
    type: str
    label: str
    unit: str | None = None
    min: float | None = None
    max: float | None = None
    required: bool
    applies: bool = Field(
        True, description="false when the item's condition does not hold for this case"
    )
    when: str | None = None


class TransitionOut(Schema):
    key: str
    label: str
    to: str
    allowed: bool
    reason: str | None
    require: list[str]
    fields: list[FieldOut]


class TransitionsOut(Schema):
    step: StepRef
    version: int
    form: list[FieldOut]
    checklist: list[ChecklistOut]
    transitions: list[TransitionOut]
    defaults: dict[str, Any] = Field(
        {}, description="values to pre-fill blank fields of the form and transitions with"
    )


def _field_out(f: Any, lang: str, here: dict[str, set[str]] | None = None) -> FieldOut:
    """`here`: the department choices' options that exist on the case's site (the others are
    not offered there)."""
    kept = (here or {}).get(f.key)
    return FieldOut(
        key=f.key,
        type=f.type.value,
        label=f.label.get(lang),
        required=f.required,
        options=[
            {"value": o.value, "label": o.label.get(lang)}
            for o in f.options
            if kept is None or o.value in kept
        ]
        if f.options
        else None,
        min=f.min,
        max=f.max,
        computed=f.compute is not None,
        columns=[_field_out(c, lang) for c in f.columns] if f.columns else None,
        min_rows=f.min_rows,
        max_rows=f.max_rows,
    )


@router.get(
    "/{int:case_id}/transitions",
    response={200: TransitionsOut, **READ_ERRORS},
    summary="The current step's form and the transitions, marked allowed for this user or not",
)
def list_transitions(request: HttpRequest, case_id: int) -> TransitionsOut:
    who = actor(request)
    lang = language(request)
    case = get_case_for(who, case_id)
    procedure = definition_of(case.procedure)
    step = procedure.steps[case.step]
    roles, everything = step_roles(who, case)
    opts = (
        []
        if case.is_closed
        else options(procedure, actions.view_of(case), roles, superuser=everything)
    )
    context = guard_context(procedure, actions.view_of(case))
    applies = {c.key for c in applicable(step.checklist, context)}
    here = department_choices(procedure, case.site_id)
    return TransitionsOut(
        step=StepRef(key=case.step, name=step.name.get(lang), kind=step.kind.value),
        version=case.version,
        form=[_field_out(f, lang, here) for f in step.form],
        checklist=[
            ChecklistOut(
                key=c.key,
                type=c.type.value,
                label=c.label.get(lang),
                unit=c.unit,
                min=c.min,
                max=c.max,
                required=c.required,
                applies=c.key in applies,
                when=c.when,
            )
            for c in step.checklist
        ],
        transitions=[
            TransitionOut(
                key=o.transition.key,
                label=o.transition.label.get(lang),
                to=o.transition.to,
                allowed=o.allowed,
                reason=o.reason,
                require=o.transition.require,
                fields=[_field_out(f, lang, here) for f in o.transition.fields],
            )
            for o in opts
        ],
        defaults=defaults(
            procedure,
            [*step.form, *(f for o in opts for f in o.transition.fields)],
            case.data,
            timezone.now(),
        ),
    )


class TakeIn(Schema):
    version: int = Field(
        ..., description="the case version the client saw (stale versions get 409)"
    )
    form: dict[str, Any] = {}
    checklist: dict[str, Any] = {}
    confirm: bool = Field(
        False, description="go on despite the transition's warnings (after showing them)"
    )


@router.post(
    "/{int:case_id}/transitions/{key}",
    response={200: CaseOut, **WRITE_ERRORS},
    summary="Take a transition",
)
def take(request: HttpRequest, case_id: int, key: str, payload: TakeIn) -> CaseOut:
    case = actions.take_transition(
        actor(request),
        case_id,
        key,
        version=payload.version,
        form=payload.form,
        checklist=payload.checklist,
        confirm=payload.confirm,
    )
    return _detail(request, case)


class AssignIn(Schema):
    version: int
    assignee: str | None = Field(None, description="username; null to unassign")


@router.post(
    "/{int:case_id}/assign", response={200: CaseOut, **WRITE_ERRORS}, summary="Assign or reassign"
)
def assign(request: HttpRequest, case_id: int, payload: AssignIn) -> CaseOut:
    who = actor(request)
    get_case_for(who, case_id)  # 404 before revealing anything about users
    user_id = None
    if payload.assignee:
        try:
            user_id = actions.staff_user_by_username(payload.assignee).pk
        except NotFound:
            raise EngineError("assignee_not_eligible", person=payload.assignee) from None
    case = actions.assign(who, case_id, assignee_id=user_id, version=payload.version)
    return _detail(request, case)


class TransferIn(Schema):
    version: int
    department: str = Field(..., description="department code on the case's site")
    note: str = Field("", max_length=1000)


@router.post(
    "/{int:case_id}/transfer",
    response={200: CaseOut, **WRITE_ERRORS},
    summary="Transfer to another department",
)
def transfer(request: HttpRequest, case_id: int, payload: TransferIn) -> CaseOut:
    case = actions.transfer(
        actor(request),
        case_id,
        department_code=payload.department,
        version=payload.version,
        note=payload.note,
    )
    return _detail(request, case)


class VersionIn(Schema):
    version: int
    reason: str = Field("", max_length=500)


@router.post(
    "/{int:case_id}/pause",
    response={200: CaseOut, **WRITE_ERRORS},
    summary="Pause the clock (waiting on the customer)",
)
def pause(request: HttpRequest, case_id: int, payload: VersionIn) -> CaseOut:
    case = actions.pause_clock(
        actor(request), case_id, version=payload.version, reason=payload.reason
    )
    return _detail(request, case)


@router.post(
    "/{int:case_id}/resume", response={200: CaseOut, **WRITE_ERRORS}, summary="Resume the clock"
)
def resume(request: HttpRequest, case_id: int, payload: VersionIn) -> CaseOut:
    case = actions.resume_clock(actor(request), case_id, version=payload.version)
    return _detail(request, case)


@router.post(
    "/{int:case_id}/major", response={200: CaseOut, **WRITE_ERRORS}, summary="Flag as a major case"
)
def major(request: HttpRequest, case_id: int, payload: VersionIn) -> CaseOut:
    case = actions.flag_major(actor(request), case_id, version=payload.version)
    return _detail(request, case)


@router.post(
    "/{int:case_id}/tasks/{branch}/complete",
    response={200: CaseOut, **WRITE_ERRORS},
    summary="Complete one branch of a parallel step",
)
def complete_task(request: HttpRequest, case_id: int, branch: str, payload: TakeIn) -> CaseOut:
    case = actions.complete_task(
        actor(request),
        case_id,
        branch=branch,
        version=payload.version,
        form=payload.form,
        checklist=payload.checklist,
    )
    return _detail(request, case)


class CommentIn(Schema):
    text: str = Field(..., max_length=10000)
    internal: bool = False


class EventOut(Schema):
    seq: int
    kind: str
    at: datetime
    actor: PersonRef | None
    data: dict[str, Any]


@router.post(
    "/{int:case_id}/comments", response={201: EventOut, **WRITE_ERRORS}, summary="Comment on a case"
)
@idempotent
def add_comment(request: HttpRequest, case_id: int, payload: CommentIn) -> Status[EventOut]:
    case = actions.comment(actor(request), case_id, text=payload.text, internal=payload.internal)
    event = Event.objects.select_related("actor__staff").get(case=case, seq=case.last_seq)
    return Status(201, _event_out(event))


def _event_out(e: Event, masked: Procedure | None = None) -> EventOut:
    """`masked`: the case's procedure when the reader sees its personal values masked."""
    data = privacy.mask_event(masked, e.data) if masked is not None else e.data
    return EventOut(seq=e.seq, kind=e.kind, at=e.at, actor=_person(e.actor), data=data)


@router.get(
    "/{int:case_id}/events",
    response={200: list[EventOut], **READ_ERRORS},
    summary="The case's timeline",
)
def events(request: HttpRequest, case_id: int) -> list[EventOut]:
    who = actor(request)
    case = get_case_for(who, case_id)
    masked = definition_of(case.procedure) if privacy.case_access(who, case).masked else None
    return [
        _event_out(e, masked)
        for e in Event.objects.filter(case=case).select_related("actor__staff").order_by("seq")
        if may_read_note(who, e)
    ]


class WorkIn(Schema):
    kind: WorkKind
    description: str = Field(..., max_length=200)
    hours: Decimal | None = Field(None, max_digits=6, decimal_places=2)
    quantity: Decimal | None = Field(None, max_digits=10, decimal_places=2)
    unit_price: Decimal | None = Field(None, max_digits=12, decimal_places=2)


class WorkOut(Schema):
    id: int
    kind: str
    description: str
    hours: Decimal | None
    quantity: Decimal | None
    unit_price: Decimal | None
    amount: Decimal | None
    by: PersonRef | None
    at: datetime


def _work_out(w: WorkLog) -> WorkOut:
    amount = None
    if w.quantity is not None and w.unit_price is not None:
        amount = (Decimal(w.quantity) * Decimal(w.unit_price)).quantize(Decimal("0.01"))
    return WorkOut(
        id=w.pk,
        kind=w.kind,
        description=w.description,
        hours=w.hours,
        quantity=w.quantity,
        unit_price=w.unit_price,
        amount=amount,
        by=_person(w.by),
        at=w.at,
    )


@router.post(
    "/{int:case_id}/work-log",
    response={201: WorkOut, **WRITE_ERRORS},
    summary="Log labour, a part or a tool",
)
@idempotent
def add_work(request: HttpRequest, case_id: int, payload: WorkIn) -> Status[WorkOut]:
    row = actions.log_work(
        actor(request),
        case_id,
        actions.WorkEntry(
            kind=payload.kind,
            description=payload.description,
            hours=payload.hours,
            quantity=payload.quantity,
            unit_price=payload.unit_price,
        ),
    )
    return Status(201, _work_out(WorkLog.objects.select_related("by__staff").get(pk=row.pk)))


@router.get(
    "/{int:case_id}/work-log",
    response={200: list[WorkOut], **READ_ERRORS},
    summary="The case's work log",
)
def work_log(request: HttpRequest, case_id: int) -> list[WorkOut]:
    case = get_case_for(actor(request), case_id)
    return [
        _work_out(w)
        for w in WorkLog.objects.filter(case=case).select_related("by__staff").order_by("at", "pk")
    ]


__all__ = ["CLOSED_STATUSES", "TaskState", "router"]
