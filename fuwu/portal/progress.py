"""What a customer sees of a case: the procedures they may ask for, and a simple progress line.

The progress line is derived from the case's events in a few plain milestones — received,
assigned, in progress, done — never from staff internals: no internal notes, no escalations,
no form values. Public remarks (comments not marked internal) are shown as messages.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from fuwu.cases.choices import EventKind, Status
from fuwu.cases.models import Case, Event
from fuwu.core.models import Department
from fuwu.procedures.engine.definition import Procedure
from fuwu.procedures.models import ProcedureVersion
from fuwu.procedures.registry import definition_of


def service_name(procedure: Procedure, language: str) -> str:
    """The procedure's name as a customer reads it: the definition's `portal.name`, else its
    own name (written for staff: "General service procedure", "Toyota seven-step service")."""
    return (procedure.portal.name or procedure.name).get(language)


def service_blurb(procedure: Procedure, language: str) -> str:
    """A line on what the service is for (`portal.blurb`), or nothing."""
    blurb = procedure.portal.blurb
    return blurb.get(language) if blurb else ""


def step_sentence(procedure: Procedure, case: Case, language: str) -> str:
    """What the definition tells a customer while the case stands on its step, or ""."""
    text = procedure.portal.progress.get(case.step)
    return text.get(language) if text else ""


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
                description=service_blurb(p, language),
                icon=p.portal.icon or "bi-chat-square-text",
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
