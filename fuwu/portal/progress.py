"""What a customer sees of a case: the procedures they may ask for, and a simple progress line.

The progress line is derived from the case's events in a few plain milestones — received,
assigned, in progress, done — never from staff internals: no internal notes, no escalations,
no form values. Public remarks (comments not marked internal) are shown as messages.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from fuwu.cases.choices import EventKind, Status
from fuwu.cases.models import Case, Event
from fuwu.core.models import Department
from fuwu.procedures.engine.definition import Procedure
from fuwu.procedures.models import ProcedureVersion
from fuwu.procedures.registry import definition_of

ICONS = {
    "property_repair": "bi-tools",
    "product_repair": "bi-wrench-adjustable",
    "complaint": "bi-megaphone",
    "toyota_seven_step": "bi-car-front",
    "after_sales_call_center": "bi-headset",
    "service_desk_problem": "bi-question-circle",
    "general_service": "bi-hand-thumbs-up",
    "service_delivery_kpi": "bi-clipboard-check",
}


# What a customer calls each service. Procedure names and descriptions are written for staff
# ("General service procedure", "Toyota seven-step service", a description of the internal
# workflow); a customer choosing a service needs a plain name and a line on what it is for.
# A procedure not named here shows its own name and no description.
CUSTOMER_TEXT: dict[str, tuple[Promise, Promise]] = {
    "property_repair": (
        gettext_lazy("房屋报修"),
        gettext_lazy("水电、门窗、管道、公共设施坏了？告诉我们，可以附上照片。"),
    ),
    "product_repair": (
        gettext_lazy("产品报修"),
        gettext_lazy("产品出了故障，我们会联系您并安排工程师处理。"),
    ),
    "complaint": (
        gettext_lazy("投诉"),
        gettext_lazy("对我们的服务不满意？告诉我们发生了什么，我们会调查并答复您。"),
    ),
    "service_desk_problem": (
        gettext_lazy("问题反馈"),
        gettext_lazy("遇到问题或有疑问，我们会告诉您原因和预计解决的时间。"),
    ),
    "general_service": (
        gettext_lazy("其他服务需求"),
        gettext_lazy("需要我们提供其他服务？说说您的需求，我们会和您约定内容和时间。"),
    ),
    "service_delivery_kpi": (
        gettext_lazy("定制服务方案"),
        gettext_lazy("需要为您量身制定的服务，我们会先和您确认方案再实施。"),
    ),
    "toyota_seven_step": (
        gettext_lazy("预约保养或维修"),
        gettext_lazy("预约到店保养、维修您的车辆。"),
    ),
    "after_sales_call_center": (
        gettext_lazy("售后咨询与求助"),
        gettext_lazy("技术咨询、故障求助或意见，客服中心会尽快答复。"),
    ),
}


def service_name(procedure: Procedure, language: str) -> str:
    """The procedure's name as a customer reads it."""
    text = CUSTOMER_TEXT.get(procedure.key)
    return str(text[0]) if text else str(procedure.name.get(language))


@dataclass(frozen=True)
class Offer:
    key: str
    name: str
    description: str
    icon: str
    procedure: Procedure


def _owner_department(procedure: Procedure) -> str | None:
    start = procedure.steps[procedure.start]
    owner = (start.owner if start.owner and start.owner.department else None) or procedure.owner
    return owner.department


def offers(site_id: int, language: str) -> list[Offer]:
    """Procedures a customer of this site may ask for: open to customers, taking the web
    channel, and run on this site (the site has the department that receives them)."""
    codes = set(Department.objects.filter(site_id=site_id).values_list("code", flat=True))
    found: list[Offer] = []
    for version in ProcedureVersion.objects.filter(is_current=True).order_by("key"):
        p = definition_of(version)
        if not p.open_to_customers or "web" not in p.channels:
            continue
        if _owner_department(p) not in codes:
            continue
        found.append(
            Offer(
                key=p.key,
                name=service_name(p, language),
                description=str(CUSTOMER_TEXT[p.key][1]) if p.key in CUSTOMER_TEXT else "",
                icon=ICONS.get(p.key, "bi-chat-square-text"),
                procedure=p,
            )
        )
    # Repairs first: what most customers come for.
    found.sort(key=lambda o: (0 if "repair" in o.key else 1, o.key))
    return found


def offer(site_id: int, key: str, language: str) -> Offer | None:
    return next((o for o in offers(site_id, language) if o.key == key), None)


@dataclass(frozen=True)
class Milestone:
    key: str
    label: str
    at: datetime | None
    state: str  # done / current / todo


@dataclass(frozen=True)
class Message:
    at: datetime
    text: str


@dataclass(frozen=True)
class Progress:
    milestones: list[Milestone]
    messages: list[Message]
    step_name: str
    waiting: str  # the step's name when it waits (for the customer, an appointment), else ""
    handler: str
    cancelled: bool
    comebacks: int


def stage(case: Case) -> str:
    """One word for the list: received / assigned / in_progress / done / cancelled."""
    if case.status in {Status.CANCELLED, Status.REJECTED}:
        return "cancelled"
    if case.resolved_at is not None:
        return "done"
    if case.assignee_id is not None:
        return "in_progress" if case.first_response_at else "assigned"
    return "in_progress" if case.first_response_at else "received"


STAGE_CSS = {
    "received": "text-bg-secondary",
    "assigned": "text-bg-info",
    "in_progress": "text-bg-primary",
    "done": "text-bg-success",
    "cancelled": "text-bg-light border",
}


def stage_label(key: str) -> str:
    return {
        "received": _("已受理"),
        "assigned": _("已派单"),
        "in_progress": pgettext("portal", "处理中"),
        "done": _("已完成"),
        "cancelled": _("已取消"),
    }[key]


def stage_hint(key: str, *, rated: bool, reopened: bool) -> str:
    """One sentence under the title: what is happening now and what the customer can do."""
    if key == "done":
        return (
            _("已处理完成，感谢您的评价。")
            if rated
            else _("已处理完成。请确认问题是否已解决，并为本次服务评分。")
        )
    if key == "cancelled":
        return _("这个请求已取消。如有疑问，请联系客服中心。")
    if reopened:
        return _("您反馈了不满意，我们已重新安排处理。")
    return {
        "received": _("我们已收到您的请求，正在安排处理人员。"),
        "assigned": _("已安排处理人员，需要上门时会先与您联系。"),
        "in_progress": _("正在为您处理。"),
    }[key]


def handler_name(case: Case, language: str) -> str:
    assignee = case.assignee if case.assignee_id else None
    if assignee is not None:
        staff = getattr(assignee, "staff", None)
        return staff.display_name if staff else assignee.get_username()
    dept = case.department
    return (dept.name_en or dept.name) if language.startswith("en") else dept.name


def progress(case: Case, language: str) -> Progress:
    events = list(Event.objects.filter(case=case).order_by("seq").only("kind", "at", "data"))
    procedure = definition_of(case.procedure)
    assigned_at: datetime | None = None
    working_at: datetime | None = None
    messages: list[Message] = []
    for e in events:
        data: dict[str, Any] = e.data or {}
        assignee = (data.get("set") or {}).get("assignee")
        if assigned_at is None and (assignee or (e.kind == EventKind.ASSIGNED and data.get("to"))):
            assigned_at = e.at
        if working_at is None and e.kind in {
            EventKind.TRANSITIONED,
            EventKind.WORK_LOGGED,
            EventKind.TASK_COMPLETED,
            EventKind.JOINED,
        }:
            working_at = e.at
        if e.kind == EventKind.COMMENTED and not data.get("internal") and data.get("text"):
            messages.append(Message(e.at, str(data["text"])))
    cancelled = case.status in {Status.CANCELLED, Status.REJECTED}
    done_at = case.resolved_at
    if working_at is None and done_at is not None:
        working_at = done_at
    if assigned_at is None and working_at is not None:
        assigned_at = working_at  # moved on without a named person: the department took it
    steps = [
        ("received", _("已受理"), case.created_at),
        ("assigned", _("已安排处理人员"), assigned_at),
        ("in_progress", pgettext("portal", "处理中"), working_at),
        (
            "done",
            _("已完成") if not cancelled else _("已取消"),
            done_at or (case.closed_at if cancelled else None),
        ),
    ]
    milestones: list[Milestone] = []
    if cancelled:
        # Only what really happened before the cancellation (the cancelling transition itself
        # is not "in progress"), then the cancellation, marked as such rather than as done.
        ended = steps[-1][2]
        for key, text, at in steps[:-1]:
            if at is not None and (ended is None or at < ended):
                milestones.append(Milestone(key, text, at, "done"))
        milestones.append(Milestone("done", steps[-1][1], ended, "cancelled"))
    else:
        current_given = False
        for key, text, at in steps:
            if at is not None:
                state = "done"
            elif not current_given:
                state, current_given = "current", True
            else:
                state = "todo"
            milestones.append(Milestone(key, text, at, state))
    step = procedure.steps.get(case.step)
    waiting = (
        str(step.name.get(language))
        if step is not None and step.pauses_clock and not case.is_closed and done_at is None
        else ""
    )
    return Progress(
        milestones=milestones,
        messages=messages,
        step_name=step.name.get(language) if step else "",
        waiting=waiting,
        handler=handler_name(case, language),
        cancelled=cancelled,
        comebacks=case.comeback_count,
    )
