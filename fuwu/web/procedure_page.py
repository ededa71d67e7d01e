"""A procedure definition described for people, in their language: the read-only procedure page.

It shows what docs/procedures.md shows (`fuwu.procedures.engine.docs`: owners, limits, moves,
clock pauses, time-outs, branches, measured ranges, guards) plus the forms, warnings and effects,
with every label translated; ranges come from the engine's own `range_text`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext, pgettext_lazy

from fuwu.cases.choices import Channel, Priority
from fuwu.core.choices import RoleCode
from fuwu.procedures.engine.definition import (
    PRIORITIES,
    BookVisit,
    ChecklistItem,
    CopyField,
    Effect,
    FieldDef,
    Limit,
    Notify,
    Owner,
    Procedure,
    SetExpr,
    Step,
    Timer,
    Transition,
)
from fuwu.procedures.engine.durations import parse_from_field
from fuwu.procedures.engine.machine import range_text
from fuwu.web.expression_words import Wording

KINDS = {
    "task": gettext_lazy("任务"),
    "approval": gettext_lazy("审批"),
    "wait": gettext_lazy("等待"),
    "automatic": gettext_lazy("自动"),
    "parallel": gettext_lazy("并行"),
    "end": gettext_lazy("结束"),
}
FIELD_TYPES = {
    "text": gettext_lazy("文本"),
    "number": gettext_lazy("数字"),
    "choice": gettext_lazy("选项"),
    "datetime": gettext_lazy("日期时间"),
    "date": gettext_lazy("日期"),
    "bool": gettext_lazy("是/否"),
    "person": gettext_lazy("人员"),
    "money": gettext_lazy("金额"),
    "lines": gettext_lazy("明细行"),
    "multi_choice": gettext_lazy("多选"),
}
CHECK_TYPES = {
    "yes_no": gettext_lazy("是/否"),
    "text": gettext_lazy("文本"),
    "photo": gettext_lazy("照片"),
    "measurement": gettext_lazy("测量"),
    "document": gettext_lazy("材料审核"),
}
CLOCKS = {
    "response": pgettext_lazy("procedure limit", "响应时限"),
    "resolution": pgettext_lazy("procedure limit", "解决时限"),
    "step": pgettext_lazy("procedure limit", "步骤时限"),
}
OUTCOMES = {
    "done": gettext_lazy("正常结束"),
    "cancelled": gettext_lazy("以取消结束"),
    "rejected": gettext_lazy("以驳回结束"),
}
REGISTERS = {
    "key": gettext_lazy("钥匙登记簿"),
    "parking_permit": gettext_lazy("停车证登记簿"),
    "material": gettext_lazy("物品登记簿"),
}
UNITS = {
    "s": gettext_lazy("%(n)s秒"),
    "m": gettext_lazy("%(n)s分钟"),
    "h": gettext_lazy("%(n)s小时"),
    "d": gettext_lazy("%(n)s天"),
    "w": gettext_lazy("%(n)s周"),
    "mo": gettext_lazy("%(n)s个月"),
    "wd": gettext_lazy("%(n)s个工作日"),
}


def duration(text: str) -> str:
    """ "15m" → "15分钟" / "15 min": the author's own unit, translated."""
    number = text.strip().rstrip("smhdwo")
    unit = text.strip()[len(number) :]
    return str(UNITS[unit]) % {"n": number} if unit in UNITS else text


def role(code: str) -> str:
    if code == "customer":
        return _("客户")
    try:
        return str(RoleCode(code).label)
    except ValueError:
        return code


@dataclass(frozen=True)
class LimitRow:
    label: str
    value: str


def moment(limit: Limit, label: Callable[[str], str] = str) -> str:
    """A limit that is not a duration: a moment from a field, or a window of days each month."""
    if limit.window is not None:
        return _("每月%(from)s日至%(to)s日") % {
            "from": limit.window.from_day,
            "to": limit.window.to_day,
        }
    assert limit.until is not None
    return field_moment_text(limit.until, label)


def field_moment_text(text: str, label: Callable[[str], str] = str) -> str:
    """`appointment_at - 1d` → “预约时间”之前1天 / 1 d before “Appointment time”."""
    found = parse_from_field(text)
    if found.span is None:
        return _("截至“%(field)s”") % {"field": label(found.field)}
    offset = duration(text.split("+" if found.sign > 0 else "-", 1)[1])
    said = _("“%(field)s”之后%(offset)s") if found.sign > 0 else _("“%(field)s”之前%(offset)s")
    return said % {"field": label(found.field), "offset": offset}


def limit_rows(limit: Limit | None, label: Callable[[str], str] = str) -> list[LimitRow]:
    """One row per priority that has its own limit, then "other"/"all" for the default."""
    if limit is None:
        return []
    if limit.until is not None or limit.window is not None:
        return [LimitRow(_("全部"), moment(limit, label))]
    rows = [
        LimitRow(str(Priority(p).label), duration(getattr(limit, p)))
        for p in PRIORITIES
        if getattr(limit, p)
    ]
    if limit.default:
        rows.append(LimitRow(_("其他") if rows else _("全部"), duration(limit.default)))
    return rows


def _effective(limit: Limit | None, priority: str, label: Callable[[str], str] = str) -> str:
    if limit is not None and (limit.until is not None or limit.window is not None):
        return moment(limit, label)
    value = (getattr(limit, priority) or limit.default) if limit is not None else None
    return duration(value) if value else ""


def limit_table(
    response: Limit | None, resolution: Limit | None, label: Callable[[str], str] = str
) -> list[tuple[str, str, str]]:
    """(priority, response limit, resolution limit) for each priority, as the clocks use them."""
    return [
        (str(Priority(p).label), _effective(response, p, label), _effective(resolution, p, label))
        for p in PRIORITIES
    ]


def limit_text(limit: Limit | None, label: Callable[[str], str] = str) -> str:
    rows = limit_rows(limit, label)
    return "; ".join(f"{r.label} {r.value}" if len(rows) > 1 else r.value for r in rows)


@dataclass
class Names:
    """How to name the things a definition refers to by key, in one language."""

    language: str
    procedure: Procedure
    departments: dict[str, str] = field(default_factory=dict)  # code → name
    procedures: dict[str, str] = field(default_factory=dict)  # key → name
    wording: Wording = field(init=False)

    def __post_init__(self) -> None:
        self.wording = Wording(self.procedure, self.language)

    def words(self, expression: str, row: FieldDef | None = None) -> str:
        """A condition or formula as a sentence (fuwu.web.expression_words)."""
        return self.wording.describe(expression, row)

    def value(self, value: Any) -> str:
        """A fixed value an effect writes: 是/否 for booleans, — for none."""
        if value is True:
            return _("是")
        if value is False:
            return _("否")
        if value is None:
            return "—"
        return str(value)

    def text(self, value: Any) -> str:
        return value.get(self.language) if value is not None else ""

    def step(self, key: str | None) -> str:
        step = self.procedure.steps.get(key or "")
        return step.name.get(self.language) if step else (key or "")

    def department(self, code: str) -> str:
        return self.departments.get(code, code)

    def field_label(self, key: str) -> str:
        found = self.procedure.all_fields().get(key)
        return found.label.get(self.language) if found else key

    def owner(self, owner: Owner | None) -> str:
        if owner is None:
            return "—"
        if owner.keep and not (owner.department or owner.role):
            return _("保持原处理部门")
        parts = []
        if owner.department:
            parts.append(self.department(owner.department))
        elif owner.department_field:
            parts.append(
                _("由“%(field)s”选定的部门") % {"field": self.field_label(owner.department_field)}
            )
        if owner.role:
            parts.append(role(owner.role))
        return " · ".join(parts)

    def whom(
        self,
        target: str,
        level: int = 1,
        department: str | None = None,
        role_code: str | None = None,
    ) -> str:
        return {
            "assignee": pgettext("notify whom", "处理人"),
            "department_manager": pgettext("notify whom", "部门经理"),
            "reporting_line": pgettext("notify whom", "汇报线上第 %(n)d 级") % {"n": level},
            "top": pgettext("notify whom", "汇报线最高主管"),
            "customer": pgettext("notify whom", "客户"),
            "department": _("部门：%(name)s") % {"name": self.department(department or "")},
            "role": _("角色：%(name)s") % {"name": role(role_code or "")},
        }.get(target, target)

    def notify(self, notify: Notify) -> str:
        whom = self.whom(notify.to.value, notify.level, notify.department, notify.role)
        if notify.message is not None:
            return _("通知%(whom)s：“%(message)s”") % {
                "whom": whom,
                "message": self.text(notify.message),
            }
        return _("通知%(whom)s") % {"whom": whom}

    def timer(self, timer: Timer, step: Step) -> str:
        if timer.take is not None:
            move = next((t for t in step.transitions if t.key == timer.take), None)
            label = self.text(move.label) if move else timer.take
            what = _("自动操作“%(label)s”") % {"label": label}
        else:
            what = "；".join(self.effect(e) for e in timer.effects)
        at = timer.moment
        when = (
            field_moment_text(timer.at, self.field_label)
            if at.span is not None
            else f"“{self.field_label(at.field)}”"
        )
        return _("定时（%(when)s）：%(what)s") % {"when": when, "what": what}

    def effect(self, effect: Effect) -> str:
        if effect.notify is not None:
            return self.notify(effect.notify)
        if effect.schedule_return_visit is not None:
            return _("安排回访（%(within)s内）") % {
                "within": duration(effect.schedule_return_visit)
            }
        if effect.open_linked_case is not None:
            key = effect.open_linked_case.procedure
            return _("开立关联工单：%(name)s") % {"name": self.procedures.get(key, key)}
        if effect.mark_comeback:
            return _("计为返修")
        if effect.flag_major:
            return _("标记为重大工单")
        if effect.set is not None:
            pairs = pgettext("list separator", "、").join(
                _("“%(field)s”设为%(value)s")
                % {
                    "field": self.field_label(k),
                    "value": self.words(v.expr) if isinstance(v, SetExpr) else self.value(v),
                }
                for k, v in effect.set.items()
            )
            return _("设置：%(pairs)s") % {"pairs": pairs}
        if effect.register_out is not None:
            return _("登记借出：%(book)s") % {"book": REGISTERS.get(effect.register_out.book, "")}
        if effect.register_in is not None:
            return _("登记归还：%(book)s") % {"book": REGISTERS.get(effect.register_in.book, "")}
        if effect.book_appointment is not None:
            return _("按“%(at)s”和“%(hours)s”占用车间工时（超出可预约工时则不能预约）") % {
                "at": self.field_label(effect.book_appointment.at_field),
                "hours": self.field_label(effect.book_appointment.hours_field),
            }
        if effect.appointment_status is not None:
            return _("车间预约记为：%(status)s") % {
                "status": {
                    "arrived": _("已到店"),
                    "no_show": _("失约"),
                    "cancelled": _("已取消"),
                }[effect.appointment_status]
            }
        if effect.open_repair_jobs:
            return _("按预约的作业项目生成维修作业，交车间派工")
        if effect.book_visit is not None:
            return self.visit(effect.book_visit)
        if effect.visit_status is not None:
            return _("上门服务记为：%(status)s") % {
                "status": {"done": _("已完成"), "cancelled": _("已取消")}[effect.visit_status]
            }
        if effect.update_asset is not None:
            return _("记入房屋或车辆资料：%(values)s") % {
                "values": self.record(effect.update_asset.attributes)
            }
        if effect.update_customer is not None:
            return _("记入客户偏好：%(values)s") % {
                "values": self.record(effect.update_customer.preferences)
            }
        return ""

    def visit(self, spec: BookVisit) -> str:
        """`book_visit` in words: the department, the fields the day and window come from."""
        where = (
            self.department(spec.department)
            if spec.department
            else f"“{self.field_label(spec.department_field or '')}”"
        )
        window = pgettext("list separator", "、").join(
            f"“{self.field_label(k)}”" for k in (spec.window_from_field, spec.window_to_field) if k
        )
        text = _("安排%(where)s上门服务：日期取“%(day)s”") % {
            "where": where,
            "day": self.field_label(spec.day_field),
        }
        if window:
            text += _("，时间窗取%(window)s") % {"window": window}
        if spec.minutes is not None:
            text += _("，作业 %(n)d 分钟") % {"n": spec.minutes}
        else:
            text += _("，作业时长取“%(field)s”") % {
                "field": self.field_label(spec.minutes_field or "")
            }
        return text + _("（地点为服务对象登记的坐标；未设置外勤基地则不安排）")

    def record(self, values: dict[str, Any]) -> str:
        """What an update of the asset or customer writes: the fields it copies, or its values."""
        said = [
            f"“{self.field_label(v.field)}”" if isinstance(v, CopyField) else self.value(v)
            for v in values.values()
        ]
        return pgettext("list separator", "、").join(said)


@dataclass(frozen=True)
class FieldRow:
    key: str
    label: str
    type: str
    required: bool
    rule: str  # range, length or options
    help: str


def field_rows(fields: list[FieldDef], names: Names) -> list[FieldRow]:
    rows = []
    for f in fields:
        if f.options:
            rule = " / ".join(names.text(o.label) for o in f.options)
        elif f.min is not None and f.max is not None:
            rule = f"{f.min:g} – {f.max:g}"
        elif f.min is not None:
            rule = f"≥ {f.min:g}"
        elif f.max is not None:
            rule = f"≤ {f.max:g}"
        else:
            rule = ""
        if f.columns:
            rule = " / ".join(
                names.text(c.label)
                + (
                    _("（自动计算：%(expr)s）") % {"expr": names.words(c.compute, f)}
                    if c.compute
                    else ""
                )
                for c in f.columns
            )
        if f.compute:
            rule = _("自动计算：%(expr)s") % {"expr": names.words(f.compute)}
        elif f.default:
            default = _("默认：%(expr)s") % {"expr": names.words(f.default)}
            rule = pgettext("separator between clauses", "；").join(r for r in (rule, default) if r)
        rows.append(
            FieldRow(
                f.key,
                names.text(f.label),
                str(FIELD_TYPES.get(f.type.value, f.type.value)),
                f.required,
                rule,
                names.text(f.help),
            )
        )
    return rows


@dataclass(frozen=True)
class CheckRow:
    key: str
    label: str
    type: str
    required: bool
    range: str
    when: str


def check_rows(items: list[ChecklistItem], names: Names) -> list[CheckRow]:
    return [
        CheckRow(
            i.key,
            names.text(i.label),
            str(CHECK_TYPES.get(i.type.value, i.type.value)),
            i.required,
            range_text(i) if i.type.value == "measurement" else "",
            names.words(i.when) if i.when else "",
        )
        for i in items
    ]


@dataclass(frozen=True)
class MoveView:
    key: str
    label: str
    to: str
    to_name: str
    roles: list[str]
    guard: str
    require: list[str]
    fields: list[FieldRow]
    warnings: list[str]
    effects: list[str]
    reopens: bool
    skip_form: bool


def move_view(t: Transition, names: Names) -> MoveView:
    return MoveView(
        key=t.key,
        label=names.text(t.label),
        to=t.to,
        to_name=names.step(t.to),
        roles=[role(r) for r in t.roles],
        guard=names.words(t.guard) if t.guard else "",
        require=[names.field_label(k) for k in t.require],
        fields=field_rows(t.fields, names),
        warnings=[
            _("%(message)s（当%(when)s时）")
            % {"message": names.text(w.message), "when": names.words(w.when)}
            for w in t.warnings
        ],
        effects=[names.effect(e) for e in t.effects],
        reopens=t.reopens,
        skip_form=t.skip_form,
    )


@dataclass(frozen=True)
class BranchView:
    key: str
    name: str
    owner: str
    form: list[FieldRow]
    checklist: list[CheckRow]


@dataclass(frozen=True)
class StepView:
    key: str
    name: str
    kind: str
    kind_code: str
    owner: str
    limit: str
    pauses_clock: bool
    resolves: bool
    is_start: bool
    on_timeout: str
    outcome: str
    next: str
    form: list[FieldRow]
    checklist: list[CheckRow]
    branches: list[BranchView]
    moves: list[MoveView]
    effects: list[str]


def step_view(key: str, step: Step, names: Names) -> StepView:
    return StepView(
        key=key,
        name=names.text(step.name),
        kind=str(KINDS.get(step.kind.value, step.kind.value)),
        kind_code=step.kind.value,
        owner=names.owner(step.owner),
        limit=limit_text(step.limit, names.field_label),
        pauses_clock=step.pauses_clock,
        resolves=step.resolves,
        is_start=key == names.procedure.start,
        on_timeout=names.step(step.on_timeout) if step.on_timeout else "",
        outcome=str(OUTCOMES[step.outcome]) if step.kind.value == "end" else "",
        next=names.step(step.next) if step.next else "",
        form=field_rows(step.form, names),
        checklist=check_rows(step.checklist, names),
        branches=[
            BranchView(
                b.key,
                names.text(b.name),
                names.owner(b.owner),
                field_rows(b.form, names),
                check_rows(b.checklist, names),
            )
            for b in step.branches
        ],
        moves=[move_view(t, names) for t in step.transitions],
        effects=[names.effect(e) for e in step.effects]
        + [names.timer(t, step) for t in step.timers],
    )


@dataclass(frozen=True)
class RungView:
    at: str
    clock: str
    notify: str


@dataclass(frozen=True)
class ProcedureView:
    key: str
    name: str
    description: str
    open_to_customers: bool
    channels: list[str]
    calendar: str
    response_on_open: bool
    default_priority: str
    owner: str
    limits: list[tuple[str, str, str]]  # priority, response, resolution
    escalation: list[RungView]
    major_notify: str
    fields: list[FieldRow]
    steps: list[StepView]


def describe(procedure: Procedure, names: Names) -> ProcedureView:
    p = procedure
    return ProcedureView(
        key=p.key,
        name=names.text(p.name),
        description=names.text(p.description),
        open_to_customers=p.open_to_customers,
        channels=[str(Channel(c).label) for c in p.channels],
        calendar=_("全天候 (24×7)") if p.calendar == "24x7" else _("按项目工作时间"),
        response_on_open=p.response_on_open,
        default_priority=str(Priority(p.default_priority).label),
        owner=names.owner(p.owner),
        limits=limit_table(p.limits.response, p.limits.resolution, names.field_label)
        if p.limits.response or p.limits.resolution
        else [],
        escalation=[
            RungView(
                r.at,
                str(CLOCKS[r.clock.value]),
                _("通知%(whom)s")
                % {"whom": names.whom(r.notify.value, r.level, r.department, r.role)},
            )
            for r in p.escalation
        ],
        major_notify=names.notify(p.major_notify) if p.major_notify else "",
        fields=field_rows(p.fields, names),
        steps=[step_view(k, s, names) for k, s in p.steps.items()],
    )
