"""A case's events as plain-language lines in the reader's language (the case page's timeline).

Events hold machine values only (step keys, ids, field values: STYLE.md §4); here they become
sentences. Step, transition, field and branch labels come from the case's procedure version, in
the reader's language; people and departments named by id are read in one query each, so the
timeline costs the same few queries however long the history is.

Nothing here is staff-only: the customer portal may show the same lines with
`show_internal=False`, which leaves out internal notes, escalations and the form values.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.utils import timezone, translation
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from fuwu.cases.choices import Channel, EventKind, Priority, WorkKind
from fuwu.cases.models import Case, Event
from fuwu.channels.choices import DeliveryStatus, Medium, NoticeKind
from fuwu.channels.models import Delivery
from fuwu.core.models import Department
from fuwu.customers.models import Customer
from fuwu.customers.privacy import mask_event
from fuwu.documents.actions import DOCUMENT_PRINTED
from fuwu.documents.kinds import KINDS
from fuwu.procedures.engine.definition import FieldDef, FieldType, Procedure
from fuwu.procedures.models import ProcedureVersion
from fuwu.procedures.registry import definition_of
from fuwu.registers.models import Register
from fuwu.web.details import person_names
from fuwu.web.values import display, lines_changes

User = get_user_model()


@dataclass(frozen=True)
class TimelineEntry:
    seq: int
    at: datetime
    actor: str  # who did it ("系统"/"System" for the clock jobs)
    kind: str  # an EventKind value
    icon: str  # a Bootstrap icon name
    text: str  # the sentence, without its subject: "{actor} {text}"
    details: list[str] = field(default_factory=list)
    internal: bool = False  # an internal note: staff only, styled apart
    linked_case_id: int | None = None


@dataclass
class _Context:
    """What a sentence may need: the definition, the reader's language, names read in bulk."""

    procedure: Procedure
    language: str
    show_internal: bool
    people: dict[int, str]
    departments: dict[int, str]
    procedures: dict[str, str]
    actor_id: int | None = None
    at: datetime = field(default_factory=timezone.now)
    # The last value each field was given by an earlier event, so that a line-item field's
    # entry can say which rows were added, removed or changed (events store new values only).
    known: dict[str, Any] = field(default_factory=dict)
    staff: dict[str, str] = field(default_factory=dict)  # person fields: username → name

    def step(self, key: str | None) -> str:
        if not key:
            return "—"
        step = self.procedure.steps.get(key)
        return step.name.get(self.language) if step else key

    def transition(self, step_key: str | None, key: str | None) -> str:
        step = self.procedure.steps.get(step_key or "")
        for t in step.transitions if step else []:
            if t.key == key:
                return t.label.get(self.language)
        for s in self.procedure.steps.values():  # a transition key is unique enough to find
            for t in s.transitions:
                if t.key == key:
                    return t.label.get(self.language)
        return key or "—"

    def person(self, user_id: Any) -> str:
        return self.people.get(user_id, _("（已删除的用户）")) if user_id else "—"

    def department(self, dept_id: Any) -> str:
        return self.departments.get(dept_id, "—") if dept_id else "—"

    def value(self, f: FieldDef | None, raw: Any) -> str:
        if f is not None and f.type is FieldType.PERSON and isinstance(raw, str):
            return self.staff.get(raw, raw)  # a person by name, as on the details card
        return display(f, raw, self.language)


def _when(moment: datetime) -> str:
    if timezone.is_aware(moment):
        moment = timezone.localtime(moment)
    return f"{moment:%Y-%m-%d %H:%M}"


def _name(user: Any) -> str:
    staff = getattr(user, "staff", None)
    if staff is not None and staff.display_name:
        return str(staff.display_name)
    customer = getattr(user, "customer", None)
    if customer is not None and customer.name:
        return str(customer.name)
    return str(user.get_full_name() or user.username)


Sentence = tuple[str, list[str]]


# -- one function per event kind -------------------------------------------------------------

OPENED_BY = {
    Channel.PHONE: lambda: _("通过电话受理了工单"),
    Channel.WALK_IN: lambda: _("在前台接待受理了工单"),
    Channel.EMAIL: lambda: _("根据电子邮件受理了工单"),
    Channel.WEB: lambda: _("在网上提交了工单"),
    Channel.WECHAT: lambda: _("根据微信消息受理了工单"),
    Channel.SMS: lambda: _("根据短信受理了工单"),
    Channel.LETTER: lambda: _("根据来信受理了工单"),
    Channel.VISIT: lambda: _("在上门走访时受理了工单"),
    Channel.SYSTEM: lambda: _("自动开立了工单"),
}


def _set_details(c: _Context, data: dict[str, Any], *, opened: bool = False) -> list[str]:
    """What else moved with this event (its `set`): the owning department, the step."""
    out: list[str] = []
    changed = data.get("set") or {}
    if opened and changed.get("step"):
        out.append(_("当前步骤：%(step)s") % {"step": c.step(changed["step"])})
    if opened and changed.get("department"):
        out.append(
            _("负责部门：%(department)s") % {"department": c.department(changed["department"])}
        )
    elif changed.get("department"):
        out.append(
            _("转交%(department)s处理") % {"department": c.department(changed["department"])}
        )
    return out


def _values(c: _Context, data: dict[str, Any]) -> list[str]:
    if not c.show_internal:
        return []
    fields = c.procedure.all_fields()
    out: list[str] = []
    for k, v in (data.get("values") or {}).items():
        f = fields.get(k)
        label = f.label.get(c.language) if f else k
        if f is not None and f.type is FieldType.LINES:
            changes = lines_changes(f, c.known.get(k), v, c.language)
            if changes:
                out.append(_("%(label)s：%(value)s") % {"label": label, "value": c.value(f, v)})
                out.extend(f"· {line}" for line in changes)
            continue
        out.append(_("%(label)s：%(value)s") % {"label": label, "value": c.value(f, v)})
    items = {
        i.key: i
        for s in c.procedure.steps.values()
        for i in [*s.checklist, *(i for b in s.branches for i in b.checklist)]
    }
    for key, result in (data.get("checks") or {}).items():
        item = items.get(key)
        label = item.label.get(c.language) if item else key
        value = result.get("value") if isinstance(result, dict) else result
        passed = result.get("passed", True) if isinstance(result, dict) else bool(result)
        mark = "✓" if passed else "✗"
        if isinstance(value, bool):
            out.append(f"{mark} {label}")
        else:
            shown = f"{value}{(item.unit or '') if item else ''}"
            out.append(f"{mark} " + _("%(label)s：%(value)s") % {"label": label, "value": shown})
    return out


def _computed(c: _Context, computed: dict[str, Any]) -> list[str]:
    """The computed fields this change recalculated (the first event of a change names them)."""
    fields = c.procedure.all_fields()
    return [
        _("%(label)s（自动计算）：%(value)s")
        % {
            "label": fields[k].label.get(c.language) if k in fields else k,
            "value": c.value(fields.get(k), v),
        }
        for k, v in computed.items()
    ]


def _opened(c: _Context, data: dict[str, Any]) -> Sentence:
    phrase = OPENED_BY.get(data.get("channel", ""), lambda: _("受理了工单"))()
    details = [
        _("服务程序：%(procedure)s") % {"procedure": c.procedure.name.get(c.language)},
        _("优先级：%(priority)s") % {"priority": _label(Priority, data.get("priority"))},
        *_set_details(c, data, opened=True),
    ]
    return phrase, details


def _transitioned(c: _Context, data: dict[str, Any]) -> Sentence:
    label = c.transition(data.get("from"), data.get("transition"))
    text = _("将工单从“%(from)s”转到“%(to)s”（%(label)s）") % {
        "from": c.step(data.get("from")),
        "to": c.step(data.get("to")),
        "label": label,
    }
    details = _values(c, data)
    if c.show_internal:
        details += [
            _("已确认提示：%(warning)s") % {"warning": _warning(c, w)}
            for w in data.get("confirmed_warnings") or []
        ]
    return text, details + _set_details(c, data)


def _warning(c: _Context, zh: str) -> str:
    for s in c.procedure.steps.values():
        for t in s.transitions:
            for w in t.warnings:
                if w.message.zh == zh:
                    return w.message.get(c.language)
    return zh


def _assigned(c: _Context, data: dict[str, Any]) -> Sentence:
    to = data.get("to")
    if to is None:
        text = _("收回了指派")
    elif to == c.actor_id:
        text = _("接手了工单")
    else:
        text = _("将工单指派给 %(person)s") % {"person": c.person(to)}
    details = []
    if data.get("from") and c.show_internal:
        details.append(_("原处理人：%(person)s") % {"person": c.person(data["from"])})
    return text, details


def _transferred(c: _Context, data: dict[str, Any]) -> Sentence:
    text = _("将工单转给%(department)s") % {"department": c.department(data.get("to"))}
    details = []
    if data.get("from"):
        details.append(_("原部门：%(department)s") % {"department": c.department(data["from"])})
    if data.get("note") and c.show_internal:
        details.append(_("说明：%(note)s") % {"note": data["note"]})
    return text, details


def _commented(c: _Context, data: dict[str, Any]) -> Sentence:
    via = data.get("via")
    if isinstance(via, dict):  # the customer wrote on a channel (fuwu.channels.inbound)
        channel = _label(Channel, via.get("channel"))
        return _("通过%(channel)s回复") % {"channel": channel}, [str(data.get("text", ""))]
    text = _("添加了内部备注") if data.get("internal") else _("添加了备注")
    return text, [str(data.get("text", ""))]


def _work_logged(c: _Context, data: dict[str, Any]) -> Sentence:
    kind = data.get("kind")
    description = str(data.get("description", ""))
    if kind == WorkKind.LABOUR:
        return _("记录了工时 %(hours)s 小时") % {"hours": _number(data.get("hours"))}, [description]
    if kind == WorkKind.PART:
        text = _("记录了配件：%(part)s × %(quantity)s") % {
            "part": description,
            "quantity": _number(data.get("quantity")),
        }
        details = []
        if data.get("unit_price") is not None and c.show_internal:
            details.append(_("单价：%(price)s") % {"price": data["unit_price"]})
        return text, details
    return _("记录了使用的工具：%(tool)s") % {"tool": description}, []


def _work_voided(c: _Context, data: dict[str, Any]) -> Sentence:
    text = _("作废了工作记录：%(what)s") % {"what": str(data.get("description", ""))}
    return text, [_("原因：%(reason)s") % {"reason": str(data.get("reason", ""))}]


def _number(value: Any) -> str:
    text = str(value if value is not None else "—")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _paused(c: _Context, data: dict[str, Any]) -> Sentence:
    reason = data.get("reason") or "manual"
    if reason == "wait_step":
        return _("计时暂停：工单在“%(step)s”等待") % {"step": c.step(data.get("step"))}, []
    details = [] if reason == "manual" else [_("原因：%(reason)s") % {"reason": reason}]
    return _("暂停了计时（等待客户）"), details


def _resumed(c: _Context, data: dict[str, Any]) -> Sentence:
    if data.get("reason") == "wait_step":
        return _("等待结束，恢复计时"), []
    return _("恢复了计时"), []


def _branch(c: _Context, key: str | None) -> str:
    for s in c.procedure.steps.values():
        for b in s.branches:
            if b.key == key:
                return b.name.get(c.language)
    return key or "—"


def _task_completed(c: _Context, data: dict[str, Any]) -> Sentence:
    text = _("完成了并行任务“%(branch)s”") % {"branch": _branch(c, data.get("branch"))}
    return text, _values(c, data)


def _joined(c: _Context, data: dict[str, Any]) -> Sentence:
    text = _("并行任务全部完成，工单从“%(from)s”转到“%(to)s”") % {
        "from": c.step(data.get("from")),
        "to": c.step(data.get("to")),
    }
    return text, _set_details(c, data)


CLOCKS = {
    "response": lambda: pgettext("escalation", "响应时限"),
    "resolution": lambda: pgettext("escalation", "解决时限"),
    "step": lambda: pgettext("escalation", "步骤时限"),
}

TARGETS = {
    "assignee": lambda level: pgettext("escalation", "处理人"),
    "department_manager": lambda level: pgettext("escalation", "部门经理"),
    "reporting_line": lambda level: (
        pgettext("escalation", "第 %(level)s 级上级") % {"level": level}
    ),
    "top": lambda level: pgettext("escalation", "主管副总"),
    "customer": lambda level: pgettext("escalation", "客户"),
    "department": lambda level: pgettext("escalation", "部门"),
    "role": lambda level: pgettext("escalation", "相关岗位"),
}


def _escalated(c: _Context, data: dict[str, Any]) -> Sentence:
    recipients = [c.person(u) for u in data.get("recipients") or []]
    details = [_("已通知：%(people)s") % {"people": "、".join(recipients)}] if recipients else []
    if data.get("clock") == "return_visit":
        return _("回访时间已到，已提醒回访人员"), details
    if data.get("clock") == "timer":
        return _("预定时间已到，已执行定时操作"), details
    clock = CLOCKS.get(data.get("clock", ""), CLOCKS["resolution"])()
    percent = str(data.get("percent") or "100%")
    number = int(percent.rstrip("%")) if percent.rstrip("%").isdigit() else 100
    target = TARGETS.get(data.get("target", ""), TARGETS["department_manager"])(
        data.get("level", 1)
    )
    params = {"clock": clock, "percent": percent, "target": target}
    if number < 100:
        text = _("提醒%(target)s：%(clock)s已用去 %(percent)s") % params
    elif number == 100:
        text = _("升级至%(target)s：已超过%(clock)s") % params
    else:
        text = _("升级至%(target)s：已超过%(clock)s（达到 %(percent)s）") % params
    return text, details


def _major_flagged(c: _Context, data: dict[str, Any]) -> Sentence:
    return _("将工单标记为重大工单，已通知负责人"), []


def _priority_changed(c: _Context, data: dict[str, Any]) -> Sentence:
    text = _("将优先级调整为%(priority)s") % {"priority": _label(Priority, data.get("to"))}
    return text, [_("原优先级：%(priority)s") % {"priority": _label(Priority, data.get("from"))}]


def _document_name(c: _Context, key: Any) -> str:
    kind = KINDS.get(str(key or ""))
    return kind.name.get(c.language) if kind else str(key or "—")


def _document_printed(c: _Context, data: dict[str, Any]) -> Sentence:
    values = {"document": _document_name(c, data.get("document")), "number": data.get("number")}
    if data.get("copy"):
        text = _("打印了%(document)s %(number)s 的副本（第 %(print)s 次）")
        return text % {**values, "print": data.get("print")}, []
    return _("打印了%(document)s %(number)s") % values, []


def _attached(c: _Context, data: dict[str, Any]) -> Sentence:
    if data.get("document"):  # a customer's signature on a document (fuwu.documents)
        text = _("请 %(signer)s 在%(document)s %(number)s 上签名")
        return text % {
            "signer": data.get("signer") or "—",
            "document": _document_name(c, data.get("document")),
            "number": data.get("number"),
        }, []
    names = [str(n) for n in data.get("names") or []]
    count = len(names) or len(data.get("ids") or [])
    item = str(data.get("item") or "")
    if not item:
        text = ngettext("上传了 %(count)s 个附件", "上传了 %(count)s 个附件", count)
        return text % {"count": count}, names
    step = c.procedure.steps.get(str(data.get("step") or ""))
    checklist = [
        *(step.checklist if step else []),
        *(i for b in (step.branches if step else []) for i in b.checklist),
    ]
    label = next((i.label.get(c.language) for i in checklist if i.key == item), item)
    text = ngettext(
        "为检查项“%(item)s”上传了 %(count)s 张照片",
        "为检查项“%(item)s”上传了 %(count)s 张照片",
        count,
    )
    return text % {"item": label, "count": count}, names


def _return_visit_scheduled(c: _Context, data: dict[str, Any]) -> Sentence:
    due = parse_datetime(str(data.get("due") or ""))
    return _("安排了回访，应在 %(due)s 前完成") % {"due": _when(due) if due else "—"}, []


def _linked_case_opened(c: _Context, data: dict[str, Any]) -> Sentence:
    procedure = str(data.get("procedure", ""))
    child = data.get("case")
    # The linked case is opened in the same transaction, so it carries this event's date.
    number = f"{timezone.localtime(c.at):%Y%m%d}-{child:06d}" if isinstance(child, int) else "—"
    return _("开立了关联工单 %(number)s（%(procedure)s）") % {
        "number": number,
        "procedure": c.procedures.get(procedure, procedure),
    }, []


def _timed_out(c: _Context, data: dict[str, Any]) -> Sentence:
    if data.get("refused"):
        label = c.transition(None, data.get("transition"))
        return _("时限已到，自动操作“%(label)s”未能执行") % {"label": label}, []
    return _("时限已到，工单自动从“%(from)s”转到“%(to)s”") % {
        "from": c.step(data.get("from")),
        "to": c.step(data.get("to")),
    }, _set_details(c, data)


def _registered(c: _Context, data: dict[str, Any]) -> Sentence:
    book = _label(Register, data.get("register"))
    if "returned" in data:
        return _("在“%(register)s”登记归还") % {"register": book}, []
    details = []
    if data.get("due_back"):
        due = parse_datetime(str(data["due_back"]))
        details.append(_("应归还：%(due)s") % {"due": _when(due) if due else data["due_back"]})
    return _("在“%(register)s”登记：%(item)s 交给 %(holder)s") % {
        "register": book,
        "item": data.get("item", "—"),
        "holder": data.get("holder", "—"),
    }, details


def _appointment(c: _Context, data: dict[str, Any]) -> Sentence:
    if data.get("skipped") == "no_workshop":
        return _("本项目未设置车间产能，预约未占用工时"), []
    if data.get("skipped"):
        return _("未填写预约时间或工时，未占用车间工时"), []
    at = parse_datetime(str(data.get("at", "")))
    return _("已占用车间工时：%(at)s，%(hours)s 小时") % {
        "at": _when(at) if at else "—",
        "hours": data.get("hours", "—"),
    }, []


VISIT_SKIPPED = {
    "no_workshop": lambda: _("未安排上门服务：本项目该部门未设置车间"),
    "no_field_base": lambda: _("未安排上门服务：该车间未设置外勤基地"),
    "no_time": lambda: _("未安排上门服务：未填写上门日期或作业时长"),
}


def _field_visit(c: _Context, data: dict[str, Any]) -> Sentence:
    skipped = VISIT_SKIPPED.get(str(data.get("skipped", "")))
    if skipped is not None:
        return skipped(), []
    if data.get("status") == "done":
        return _("将上门服务记为已完成"), []
    if data.get("status") == "cancelled":
        return _("将上门服务记为已取消"), []
    window = data.get("window") or ["—", "—"]
    details = [_("原约上门已取消")] if data.get("replaced") else []
    return _("已安排上门服务：%(day)s %(start)s–%(end)s 之间开始，约 %(minutes)s 分钟") % {
        "day": data.get("day", "—"),
        "start": window[0],
        "end": window[-1],
        "minutes": data.get("minutes", "—"),
    }, details


def _customer_confirmed(c: _Context, data: dict[str, Any]) -> Sentence:
    return _("确认服务已完成"), []


RATING_OUTCOMES = {
    "reopened": lambda: _("评分偏低，工单已重新打开"),
    "escalated": lambda: _("评分偏低，已通知负责人跟进"),
}


def _rated(c: _Context, data: dict[str, Any]) -> Sentence:
    text = _("评价了服务：%(score)s 分（满分 5 分）") % {"score": data.get("score", "—")}
    details = [str(data["comment"])] if data.get("comment") else []
    outcome = RATING_OUTCOMES.get(str(data.get("outcome", "")))
    if outcome is not None:
        details.append(outcome())
    return text, details


def _record_value(c: _Context, value: Any) -> str:
    if isinstance(value, list):
        return ngettext("%(count)s 行", "%(count)s 行", len(value)) % {"count": len(value)}
    return c.value(None, value) if value is not None else "—"


def _record_changes(c: _Context, data: dict[str, Any]) -> list[str]:
    details = [
        f"{key}: {_record_value(c, change.get('from'))} → {_record_value(c, change.get('to'))}"
        for key, change in (data.get("changes") or {}).items()
    ]
    if data.get("blank"):
        details.append(_("未填写，未更新：%(keys)s") % {"keys": ", ".join(data["blank"])})
    return details


def _asset_updated(c: _Context, data: dict[str, Any]) -> Sentence:
    """A write-back to the case's asset: attribute keys and old → new values as stored."""
    if data.get("skipped"):
        return _("未更新服务对象：工单没有关联服务对象"), []
    return _("更新了服务对象的属性"), _record_changes(c, data)


def _customer_updated(c: _Context, data: dict[str, Any]) -> Sentence:
    """A write-back to the case's customer (preference keys, old → new values as stored), or
    the case moved with its customer record when two were merged."""
    if data.get("skipped"):
        return _("未更新客户档案：工单没有关联客户"), []
    if "merge" in data:  # two records of one person merged (fuwu.customers.merging)
        moved = data.get("customer") or {}
        ids = {"from": moved.get("from", "—"), "to": moved.get("to", "—")}
        if data.get("undo"):
            return _("撤销了客户档案合并：工单回到档案 #%(to)s") % ids, []
        return _("客户档案 #%(from)s 已合并到 #%(to)s，工单随之转移") % ids, []
    return _("更新了客户偏好"), _record_changes(c, data)


def _label(choices: Any, value: Any) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return str(value or "—")


SENTENCES: dict[str, tuple[str, Callable[[_Context, dict[str, Any]], Sentence]]] = {
    EventKind.OPENED: ("telephone-inbound", _opened),
    EventKind.TRANSITIONED: ("arrow-right-circle", _transitioned),
    EventKind.ASSIGNED: ("person-check", _assigned),
    EventKind.TRANSFERRED: ("building", _transferred),
    EventKind.COMMENTED: ("chat-left-text", _commented),
    EventKind.WORK_LOGGED: ("tools", _work_logged),
    EventKind.WORK_VOIDED: ("x-octagon", _work_voided),
    EventKind.PAUSED: ("pause-circle", _paused),
    EventKind.RESUMED: ("play-circle", _resumed),
    EventKind.TASK_COMPLETED: ("check2-square", _task_completed),
    EventKind.JOINED: ("diagram-2", _joined),
    EventKind.ESCALATED: ("exclamation-triangle", _escalated),
    EventKind.MAJOR_FLAGGED: ("flag", _major_flagged),
    EventKind.RETURN_VISIT_SCHEDULED: ("calendar-check", _return_visit_scheduled),
    EventKind.LINKED_CASE_OPENED: ("link-45deg", _linked_case_opened),
    EventKind.TIMED_OUT: ("hourglass-bottom", _timed_out),
    EventKind.REGISTERED: ("journal-text", _registered),
    EventKind.APPOINTMENT: ("calendar-event", _appointment),
    EventKind.ASSET_UPDATED: ("house-gear", _asset_updated),
    EventKind.CUSTOMER_UPDATED: ("person-lines-fill", _customer_updated),
    EventKind.PRIORITY_CHANGED: ("sort-up", _priority_changed),
    EventKind.ATTACHED: ("paperclip", _attached),
    EventKind.FIELD_VISIT: ("geo-alt", _field_visit),
    # The customer's own moves in the portal.
    "customer_confirmed": ("hand-thumbs-up", _customer_confirmed),
    "rated": ("star", _rated),
    # Printed documents (fuwu.documents): not a choice of Event.kind, so no migration of cases.
    DOCUMENT_PRINTED: ("printer", _document_printed),
}

# Left out of the customer's view: how the organisation chases itself is not the customer's news.
STAFF_ONLY_KINDS = frozenset({EventKind.ESCALATED})


def _ids(events: list[Event]) -> tuple[set[int], set[int], set[str]]:
    """The users, departments and linked procedures the events name, read in one query each."""
    users: set[int] = set()
    departments: set[int] = set()
    procedures: set[str] = set()
    for e in events:
        data = e.data or {}
        changed = data.get("set") or {}
        if changed.get("department"):
            departments.add(changed["department"])
        if e.kind == EventKind.ASSIGNED:
            users.update(v for v in (data.get("from"), data.get("to")) if isinstance(v, int))
        elif e.kind == EventKind.TRANSFERRED:
            departments.update(v for v in (data.get("from"), data.get("to")) if isinstance(v, int))
        elif e.kind == EventKind.ESCALATED:
            users.update(v for v in data.get("recipients") or [] if isinstance(v, int))
        elif e.kind == EventKind.LINKED_CASE_OPENED and data.get("procedure"):
            procedures.add(str(data["procedure"]))
    return users, departments, procedures


def _staff_named(procedure: Procedure, rows: list[Event]) -> dict[str, str]:
    """The names of the staff the events' person values name (one query, none if none)."""
    keys = {k for k, f in procedure.all_fields().items() if f.type is FieldType.PERSON}
    usernames = {
        v
        for e in rows
        for part in ("values", "computed")
        for k, v in ((e.data or {}).get(part) or {}).items()
        if k in keys and isinstance(v, str)
    }
    return person_names(usernames)


def timeline(
    case: Case,
    events: Iterable[Event],
    language: str,
    *,
    show_internal: bool,
    mask_personal: bool = False,
) -> list[TimelineEntry]:
    """The events as sentences, oldest first. Pass a queryset (the actor is joined here) or a
    list read with `select_related("actor__staff", "actor__customer")`.

    Queries: the events, the people named by id, the departments named by id — whatever the
    number of events (plus the procedure version if `case` was read without it).
    `mask_personal`: the reader sees the values of fields marked `personal:` masked
    (fuwu.customers.privacy decides who).
    """
    if isinstance(events, QuerySet):
        events = events.select_related("actor__staff", "actor__customer").order_by("seq")
    rows = list(events)
    if not show_internal:
        rows = [
            e
            for e in rows
            if e.kind not in STAFF_ONLY_KINDS
            and not (e.kind == EventKind.COMMENTED and (e.data or {}).get("internal"))
        ]
    user_ids, dept_ids, procedure_keys = _ids(rows)
    en = language.lower().startswith("en")
    people: dict[int, str] = {}
    if user_ids:
        people = {
            u.pk: _name(u)
            for u in User.objects.filter(pk__in=user_ids).select_related("staff", "customer")
        }
    departments: dict[int, str] = {}
    if dept_ids:
        departments = {
            d.pk: (d.name_en if en and d.name_en else d.name)
            for d in Department.objects.filter(pk__in=dept_ids).only("name", "name_en")
        }
    procedures: dict[str, str] = {}
    if procedure_keys:
        procedures = {
            key: (name_en if en else name_zh)
            for key, name_zh, name_en in ProcedureVersion.objects.filter(
                key__in=procedure_keys, is_current=True
            ).values_list("key", "name_zh", "name_en")
        }
    writers = {
        int(via["customer"])
        for e in rows
        if e.kind == EventKind.COMMENTED
        and isinstance(via := (e.data or {}).get("via"), dict)
        and isinstance(via.get("customer"), int)
    }
    customers = (
        dict(Customer.objects.filter(pk__in=writers).values_list("pk", "name")) if writers else {}
    )
    procedure = definition_of(case.procedure)
    with translation.override(language):
        context = _Context(
            procedure=procedure,
            language=language,
            show_internal=show_internal,
            people=people,
            departments=departments,
            procedures=procedures,
            staff=_staff_named(procedure, rows) if show_internal else {},
        )
        system = _("系统")
        out = []
        for e in rows:
            icon, sentence = SENTENCES.get(e.kind, ("dot", _unknown))
            context.actor_id, context.at = e.actor_id, e.at
            data = e.data or {}
            if mask_personal:
                data = mask_event(context.procedure, data)
            text, details = sentence(context, data)
            if show_internal and data.get("computed"):
                details = [*details, *_computed(context, data["computed"])]
            context.known.update(data.get("values") or {})
            context.known.update(data.get("computed") or {})
            out.append(
                TimelineEntry(
                    seq=e.seq,
                    at=e.at,
                    actor=_name(e.actor)
                    if e.actor is not None
                    else _writer(customers, data) or system,
                    kind=e.kind,
                    icon=icon,
                    text=text,
                    details=[d for d in details if d],
                    internal=e.kind == EventKind.COMMENTED and bool(data.get("internal")),
                    linked_case_id=data.get("case")
                    if e.kind == EventKind.LINKED_CASE_OPENED
                    else None,
                )
            )
    return out


def _writer(customers: dict[int, str], data: dict[str, Any]) -> str:
    """The customer who wrote a message the system put on the case, by name."""
    via = data.get("via")
    if not isinstance(via, dict) or not isinstance(via.get("customer"), int):
        return ""
    return customers.get(via["customer"], "")


NOTICE_ICONS = {"email": "envelope", "wechat": "wechat", "sms": "chat-dots", "phone": "telephone"}


def with_notices(entries: list[TimelineEntry], case: Case, language: str) -> list[TimelineEntry]:
    """The case's timeline with the notices sent to its customer (`fuwu.channels`), each where
    it was written, saying on which channel and how its sending went (one query)."""
    if case.customer_id is None:
        return entries  # only a customer is sent notices
    rows = list(Delivery.objects.filter(case=case).order_by("created_at", "pk"))
    if not rows:
        return entries
    notices = []
    with translation.override(language):
        system = _("系统")
        for d in rows:
            if d.status == DeliveryStatus.SUPPRESSED:
                text = _("未能通知客户（%(kind)s）：没有可用的联系方式") % {
                    "kind": _label(NoticeKind, d.kind)
                }
                details: list[str] = []
            else:
                text = _("通过%(channel)s通知客户（%(kind)s）：%(status)s") % {
                    "channel": _label(Medium, d.channel),
                    "kind": _label(NoticeKind, d.kind),
                    "status": _label(DeliveryStatus, d.status),
                }
                details = [d.subject]
                if d.status in (DeliveryStatus.RETRYING, DeliveryStatus.QUEUED) and (
                    d.next_attempt_at and d.next_attempt_at > timezone.now()
                ):
                    details.append(_("下次尝试：%(at)s") % {"at": _when(d.next_attempt_at)})
                if d.error and d.status != DeliveryStatus.SENT:
                    details.append(
                        _("第 %(n)s 次尝试失败：%(error)s") % {"n": d.attempts, "error": d.error}
                    )
            notices.append(
                TimelineEntry(
                    seq=0,
                    at=d.created_at,
                    actor=system,
                    kind="notice",
                    icon=NOTICE_ICONS.get(d.channel, "bell"),
                    text=text,
                    details=details,
                )
            )
    return sorted([*entries, *notices], key=lambda e: e.at)


def _unknown(c: _Context, data: dict[str, Any]) -> Sentence:  # pragma: no cover - guarded by a test
    return _("记录了一项变更"), []
