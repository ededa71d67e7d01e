"""Fill a bench database with many realistic cases, fast: bulk inserts shaped like the actions.

    DJANGO_SETTINGS_MODULE=fuwu.settings FUWU_VAR_DIR=… [DATABASE_URL=…] \
        .venv/bin/python -m bench.fill --cases 100000 --out samples.json

Opening and walking cases through `fuwu.cases.actions` costs ~10 ms a request, hours for 100,000
cases, so this writes the same rows directly, in batches of one transaction each, straight through
the driver (COPY on PostgreSQL, `executemany` on SQLite) with the values `bulk_create` would send
and the ids its inserts would get (`insert_rows`, `new_ids`); `--jobs N` builds and writes the
cases in N processes (PostgreSQL). Each case is walked through its procedure definition in memory the way `open_case`,
`take_transition`, `complete_task`, `assign`, `comment` and `log_work` would: the start step and
automatic steps, owners and department changes (an owner change clears the assignee), clocks
through `fuwu.sla.clocks` (deadlines, pauses on wait steps, resolution and closing times), step
cycles, the `opened` event with seq 1 and one event per change carrying `set` with the tracked
fields it changed (so `fuwu events verify` agrees) and `sla` with the response, resolution and
comebacks it judged (what the reports fold, `fuwu.reports.fold`), parallel-step tasks, return visits, work-log
rows with their `work_logged` events, `version` and `last_seq`. Escalation rungs whose moment has
passed count as fired, so `next_escalation_at` is in the future and the worker's sweep has
nothing to do. What is not written: notifications, queued tasks, register entries, Firing rows.

Needs the test world (`fuwu.testing.factories.build_world`) and the procedure library in the
database. Writes a JSON file of samples for the timing harness (bench.pages): case ids, customer
phones and busy step/procedure pairs per site, and the counts.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from random import Random
from typing import Any

BATCH = 1000
# A busy residential compound, a dealership, a hotel and a restaurant: how often each
# procedure is opened (relative weights; procedures not named here get 1).
WEIGHTS = {
    "property_repair": 30,
    "complaint": 8,
    "general_service": 6,
    "agency_service": 4,
    "key_lending": 3,
    "service_desk_problem": 3,
    "fee_collection": 3,
    "parking_lease": 2,
    "product_repair": 8,
    "car_reception_repair_order": 8,
    "toyota_seven_step": 5,
    "after_sales_call_center": 5,
    "hotpot_table_service": 4,
    "hotel_vip": 2,
    "business_centre": 3,
}
PRIORITIES = [("urgent", 5.0), ("high", 15.0), ("normal", 65.0), ("low", 15.0)]
CHANNEL_WEIGHT = {"phone": 40, "wechat": 20, "walk_in": 15, "web": 10, "sms": 5, "email": 5}
CLOSED_SHARE = 0.70
ASSIGNED_SHARE = 0.20
WORKLOG_SHARE = 0.25
MAJOR_SHARE = 0.005
MAX_EVENTS = 10
DAYS = 180
# What a case is about when not the customer's own unit or vehicle (cf. fuwu/demo/walker.py).
SUBJECTS = {
    "key_lending": "key",
    "parking_lease": "parking",
    "valve_overhaul": "equipment",
    "hotel_vip": "room",
    "business_centre": "room",
    "agent_quality_scorecard": "none",
    "community_event": "none",
    "improvement_plan_item": "none",
    "parking_reconciliation": "none",
    "vacant_unit_inspection": "none",
    "opinion_survey": "none",
}
REPAIRS = [
    "厨房水管漏水",
    "卫生间地漏堵塞",
    "客厅灯不亮",
    "防盗门锁芯损坏",
    "空调外机噪音大",
    "阳台推拉门卡滞",
    "热水器不出热水",
    "墙面渗水发霉",
    "楼道声控灯损坏",
    "电梯按钮失灵",
    "窗户玻璃开裂",
    "马桶水箱漏水",
]
PHRASES = [
    "已与客户当面确认",
    "已按规程办理",
    "情况正常，已记录",
    "已告知相关人员跟进",
    "客户表示满意",
]
WORK = ["更换配件", "现场检修", "管道疏通", "更换灯具", "使用管道疏通机"]
COMMENTS = [
    "已电话联系客户，约定明天上午处理",
    "客户再次来电催办",
    "配件已到，等待上门",
    "已拍照存档",
]
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡"
    "余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯"
    "龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍建国红梅志文斌宇浩凯鹏辉晨欣怡婷雪琳"
PLATE_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"


def weighted(rng: Random, pairs: Sequence[tuple[Any, float]]) -> Any:
    return rng.choices([p for p, _ in pairs], weights=[w for _, w in pairs])[0]


@dataclass
class Plan:
    """One procedure on one site, with what a walk needs precomputed."""

    version: Any  # ProcedureVersion
    procedure: Any  # Procedure
    site: str
    edges: dict[str, list[tuple[Any, list[str]]]]  # step -> [(transition or None, visited)]
    to_done: dict[str, int]  # moves to an end with outcome "done"
    to_stop: dict[str, int]  # moves to any other end
    channels: Sequence[tuple[str, float]]
    dept_fields: dict[str, list[str]]  # department_field -> option values present on the site
    cap: int  # events a case may have: 10, or what the shortest walk to a done end needs
    fields: dict[str, Any]  # procedure.all_fields()


@dataclass
class Staffer:
    user_id: int
    username: str
    department_id: int
    roles: frozenset[str]


@dataclass
class Built:
    """One case before it is written: the row, its events, work log and tasks."""

    case: Any
    events: list[tuple[str, datetime, int | None, dict[str, Any]]] = field(default_factory=list)
    work: list[tuple[Any, int]] = field(default_factory=list)  # (WorkLog, index of its event)
    tasks: list[Any] = field(default_factory=list)
    procedure: Any = None  # its definition (Procedure), for the search index


class Filler:
    def __init__(self, seed: int, now: datetime) -> None:
        from fuwu.core.models import Department, Site, Staff
        from fuwu.procedures.models import ProcedureVersion
        from fuwu.procedures.registry import definition_of

        self.rng = Random(seed)
        self.now = now
        self.sites = {s.code: s for s in Site.objects.all()}
        self.site_code = {s.pk: code for code, s in self.sites.items()}
        self.departments = {
            (self.site_code[d.site_id], d.code): d for d in Department.objects.all()
        }
        self.staff: dict[str, list[Staffer]] = defaultdict(list)
        for member in Staff.objects.select_related("user").prefetch_related("roles", "sites"):
            person = Staffer(
                member.user_id,
                member.user.username,
                member.department_id,
                frozenset(r.code for r in member.roles.all()),
            )
            for site in member.sites.all():
                self.staff[site.code].append(person)
        self.plans: list[tuple[Plan, float]] = []
        for version in ProcedureVersion.objects.filter(is_current=True).order_by("key"):
            plan = self.plan(version, definition_of(version))
            if plan is not None:
                self.plans.append((plan, WEIGHTS.get(version.key, 1)))
        if not self.plans:
            raise SystemExit("no procedure fits the sites in the database: load the library")
        self.customers: dict[
            str, list[tuple[int, int | None]]
        ] = {}  # site -> (customer, own asset)
        self.things: dict[tuple[str, str], list[int]] = {}  # (site, kind) -> asset ids
        self.values: dict[tuple[str, str], list[Any]] = {}  # cached text values per field
        self.index_seconds = 0.0  # of the write, spent on the search index

    # -- the procedures ------------------------------------------------------------------

    def plan(self, version: Any, procedure: Any) -> Plan | None:
        from fuwu.demo.walker import departments_named
        from fuwu.procedures.engine.definition import StepKind
        from fuwu.procedures.engine.machine import follow_automatic

        need = departments_named(procedure)
        site = next(
            (s for s in self.sites if need <= {c for (sc, c) in self.departments if sc == s}),
            None,
        )
        if site is None:
            return None
        edges: dict[str, list[tuple[Any, list[str]]]] = {}
        for key, step in procedure.steps.items():
            if step.kind is StepKind.PARALLEL and step.next:
                edges[key] = [(None, follow_automatic(procedure, step.next)[0])]
            else:
                edges[key] = [(t, follow_automatic(procedure, t.to)[0]) for t in step.transitions]

        def distances(ends: set[str]) -> dict[str, int]:
            dist = {k: 0 for k in ends}
            changed = True
            while changed:
                changed = False
                for key, out in edges.items():
                    best = min((dist[v[-1]] + 1 for _, v in out if v[-1] in dist), default=None)
                    if best is not None and best < dist.get(key, 1 << 30):
                        dist[key] = best
                        changed = True
            return dist

        ends = {k: s for k, s in procedure.steps.items() if s.kind is StepKind.END}
        fields = procedure.all_fields()
        dept_fields = {}
        for step in [*procedure.steps.values(), procedure]:
            owner = step.owner
            if owner and owner.department_field and owner.department_field in fields:
                options = fields[owner.department_field].options or []
                dept_fields[owner.department_field] = [
                    o.value for o in options if (site, o.value) in self.departments
                ]
        channels = [(c, CHANNEL_WEIGHT.get(c, 3)) for c in procedure.channels if c != "system"] or [
            ("system", 1)
        ]
        to_done = distances({k for k, s in ends.items() if s.outcome == "done"})
        return Plan(
            # a move writes one event or more (a pause, a return visit; each parallel branch)
            cap=max(
                MAX_EVENTS,
                to_done.get(procedure.start, 0)
                + 6
                + max((len(s.branches) for s in procedure.steps.values()), default=0),
            ),
            version=version,
            procedure=procedure,
            site=site,
            edges=edges,
            to_done=to_done,
            to_stop=distances({k for k, s in ends.items() if s.outcome != "done"}),
            channels=channels,
            dept_fields=dept_fields,
            fields=fields,
        )

    # -- customers and what cases are about ----------------------------------------------

    def people(self, per_site: dict[str, int]) -> int:
        """Customers with their units or vehicles, and keys, parking spaces, rooms, equipment."""
        from fuwu.customers.models import Asset, Customer

        rng, made = self.rng, 0
        phones: set[str] = set(Customer.objects.values_list("phone", flat=True))
        own_kind = {"lanting": "unit", "dealer": "vehicle"}
        for site_code, count in per_site.items():
            site = self.sites.get(site_code)
            if site is None:
                continue
            rows = []
            for _ in range(count):
                phone = ""
                while not phone or phone in phones:
                    phone = f"1{rng.choice('3456789')}{rng.randrange(10**9):09d}"
                phones.add(phone)
                name = rng.choice(SURNAMES) + "".join(rng.sample(GIVEN, rng.choice((1, 2))))
                rows.append(Customer(site=site, name=name, phone=phone, created_at=self.past()))
            customers = create(Customer, rows)
            made += len(customers)
            kind = own_kind.get(site_code)
            labels = set(Asset.objects.filter(site=site).values_list("label", flat=True))
            buildings = max(40, count // 400)  # 4 entrances × 33 floors × 4 flats each
            assets = []
            for c in customers if kind else []:
                label = ""
                while not label or label in labels:
                    label = (
                        f"{rng.randint(1, buildings)}栋{rng.randint(1, 4)}单元{rng.randint(1, 33)}"
                        f"{rng.randint(1, 4):02d}"
                        if kind == "unit"
                        else f"粤B·{''.join(rng.choices(PLATE_LETTERS + '0123456789', k=5))}"
                    )
                labels.add(label)
                assets.append(Asset(site=site, kind=str(kind), label=label, owner=c))
            owned = {a.owner_id: a.pk for a in create(Asset, assets)}
            self.customers[site_code] = [(c.pk, owned.get(c.pk)) for c in customers]
            for thing, n, fmt in (
                ("key", 300, "K-{:04d}"),
                ("parking", 400, "B1-{:03d}"),
                ("equipment", 80, "V-B1-{:02d}"),
                ("room", 300, "{:04d}"),
            ):
                made_things = create(
                    Asset, [Asset(site=site, kind=thing, label=fmt.format(i + 1)) for i in range(n)]
                )
                self.things[(site_code, thing)] = [a.pk for a in made_things]
        return made

    def subject(self, plan: Plan) -> tuple[int | None, int | None]:
        kind = SUBJECTS.get(plan.procedure.key)
        if kind == "none":
            return None, None
        customer, own = self.rng.choice(self.customers[plan.site])
        if kind:
            things = self.things.get((plan.site, kind))
            return customer, self.rng.choice(things) if things else None
        return customer, own

    # -- values --------------------------------------------------------------------------

    def past(self) -> datetime:
        return self.now - timedelta(seconds=self.rng.uniform(0, DAYS * 86400))

    def value(self, plan: Plan, f: Any, at: datetime) -> Any:
        kind = str(f.type)
        rng = self.rng
        if plan.dept_fields.get(f.key):
            return rng.choice(plan.dept_fields[f.key])
        if kind == "choice":
            return rng.choice(f.options).value
        if kind == "bool":
            return rng.random() < 0.9
        if kind == "number":
            lo = f.min if f.min is not None else 1
            hi = f.max if f.max is not None else max(lo + 10, 100)
            return round(rng.uniform(lo, hi), 1)
        if kind == "money":
            return "120.00"
        if kind == "datetime":
            return (at + timedelta(days=1)).replace(microsecond=0).isoformat()
        if kind == "date":
            return (at + timedelta(days=1)).date().isoformat()
        if kind == "person":
            return rng.choice(self.staff[plan.site]).username
        if f.key == "repair_item":
            return rng.choice(REPAIRS)
        pool = self.values.setdefault(
            (plan.procedure.key, f.key), [f"{f.label.zh}：{p}"[: f.max_length] for p in PHRASES]
        )
        return rng.choice(pool)

    def fill(self, plan: Plan, fields: list[Any], at: datetime, *, all_: bool) -> dict[str, Any]:
        return {
            f.key: self.value(plan, f, at)
            for f in fields
            if f.required or all_ or self.rng.random() < 0.5
        }

    def checks(self, items: list[Any]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for item in items:
            kind = str(item.type)
            if kind == "yes_no":
                out[item.key] = True
            elif kind == "measurement":
                lo = item.min if item.min is not None else (item.max or 0) / 2
                hi = item.max if item.max is not None else lo * 2 + 1
                out[item.key] = round((lo + hi) / 2, 1)
            elif kind == "document":
                out[item.key] = "received"
            elif kind == "text":
                out[item.key] = self.rng.choice(PHRASES)
        return out

    def title(self, plan: Plan, data: dict[str, Any]) -> str:
        """A title as people write it (cf. the demo walker's TITLES), from the intake values."""
        from fuwu.demo.walker import TITLES

        key = plan.procedure.key
        if key == "property_repair" and data.get("repair_item"):
            return str(data["repair_item"])
        templates = TITLES.get(key)
        if not templates:
            return str(plan.procedure.name.zh)
        words: dict[str, Any] = {}
        for f in plan.fields.values():
            value = data.get(f.key, "")
            if f.options:
                value = next((o.label.zh for o in f.options if o.value == value), value)
            words[f.key] = value
        try:
            return self.rng.choice(templates).format(**words)[:200]
        except (KeyError, IndexError):
            return str(plan.procedure.name.zh)

    # -- one case ------------------------------------------------------------------------

    def person(self, site: str, department_id: int | None, roles: set[str] | None = None) -> int:
        staff = self.staff[site]
        fit = [
            s
            for s in staff
            if (department_id is None or s.department_id == department_id)
            and (not roles or s.roles & roles)
        ]
        return self.rng.choice(fit or staff).user_id

    def build(self, plan: Plan) -> Built:
        from fuwu.cases.choices import EventKind
        from fuwu.cases.flow import _judged as judged
        from fuwu.cases.flow import tracked_state
        from fuwu.cases.models import Case, CaseTask, WorkLog
        from fuwu.procedures.engine.definition import StepKind
        from fuwu.procedures.engine.durations import parse_span
        from fuwu.procedures.engine.machine import status_for
        from fuwu.sla import clocks

        rng, procedure = self.rng, plan.procedure
        steps = procedure.steps
        goal = ("done" if rng.random() < 0.9 else "stop") if rng.random() < CLOSED_SHARE else "open"
        # Closed cases were opened any time in the last 180 days; open ones are mostly recent.
        if goal == "open":
            age = min(DAYS * 86400.0, max(3600.0, rng.expovariate(1 / (6 * 86400))))
        else:
            age = rng.uniform(2 * 86400, DAYS * 86400)
        created = self.now - timedelta(seconds=age)
        gap_mean = min(3 * 3600.0, age / 14)
        clock = [created]

        def later() -> datetime:
            gap = min(rng.expovariate(1 / gap_mean), age / (plan.cap + 2))
            clock[0] += timedelta(seconds=max(30.0, gap))
            return clock[0]

        site = self.sites[plan.site]
        customer_id, asset_id = self.subject(plan)
        data = self.fill(plan, procedure.fields, created, all_=False)
        for key, values_ in plan.dept_fields.items():
            if values_ and key not in data:
                data[key] = rng.choice(values_)
        start_owner = steps[procedure.start].owner
        owner = (start_owner if start_owner and start_owner.department else None) or procedure.owner
        department = self.departments[(plan.site, owner.department)]
        priority = weighted(rng, PRIORITIES)
        opener = self.person(plan.site, department.pk)
        case = Case(
            procedure=plan.version,
            procedure_key=procedure.key,
            site=site,
            title=self.title(plan, data),
            description=f"客户反映：{self.title(plan, data)}，请尽快处理。",
            step="",
            priority=priority,
            channel=weighted(rng, plan.channels),
            customer_id=customer_id,
            asset_id=asset_id,
            department=department,
            data=data,
            created_by_id=opener,
            created_at=created,
            updated_at=created,
        )
        if procedure.response_on_open:
            case.first_response_at = created
        built = Built(case, procedure=procedure)
        state: dict[str, Any] = {}
        opened = [False]
        pending: list[tuple[str, dict[str, Any]]] = []

        def event(kind: str, /, **payload: Any) -> None:
            pending.append((kind, payload))

        sla_before: list[Any] = [None, None, 0]  # Change._sla_before: as the change began

        def commit(at: datetime, actor: int | None) -> None:
            """Like Change.finish: the first event of a change carries what it changed, and
            what it did to the service levels (`Change._sla_outcome`, read by the reports)."""
            after = tracked_state(case)
            changed = {k: v for k, v in after.items() if state.get(k, object()) != v}
            outcome: dict[str, Any] = {}
            if sla_before[0] is None and case.first_response_at is not None:
                outcome["response"] = judged(case.first_response_at, case.response_due)
            if sla_before[1] is None and case.resolved_at is not None:
                outcome["resolution"] = judged(case.resolved_at, case.resolution_due)
            if case.comeback_count > sla_before[2]:
                outcome["comebacks"] = case.comeback_count - sla_before[2]
            for i, (kind, payload) in enumerate(pending):
                if i == 0 and changed:
                    payload = {**payload, "set": changed}
                if i == 0 and outcome:
                    payload = {**payload, "sla": outcome}
                built.events.append((kind, at, actor, payload))
            sla_before[:] = [case.first_response_at, case.resolved_at, case.comeback_count]
            state.clear()
            state.update(after)
            pending.clear()
            case.updated_at = at
            if opened[0]:
                case.version += 1  # every change after the opening bumps it (Change.finish)
            opened[0] = True

        def responded(at: datetime) -> None:
            if case.first_response_at is None:
                case.first_response_at = at

        def arrive(visited: list[str], at: datetime) -> None:
            leaving = steps.get(case.step) if case.step else None
            target = steps[visited[-1]]
            case.step = visited[-1]
            checks = case.records.get("checks") or {}
            if case.step in checks:
                case.records = {
                    **case.records,
                    "checks": {k: v for k, v in checks.items() if k != case.step},
                }
            o = target.owner
            code = None
            if o and not o.keep:
                code = o.department or (
                    case.data.get(o.department_field) if o.department_field else None
                )
            if code and (plan.site, code) in self.departments:
                dept = self.departments[(plan.site, code)]
                if dept.pk != case.department_id:
                    case.department = dept
                    case.assignee = None
            if (target.resolves or (target.kind is StepKind.END and target.outcome == "done")) and (
                case.resolved_at is None
            ):
                case.resolved_at = at
            if target.pauses_clock and case.paused_at is None:
                clocks.pause(case, at)
                event(EventKind.PAUSED, reason="wait_step", step=case.step)
            elif (
                not target.pauses_clock
                and case.paused_at is not None
                and leaving
                and (leaving.pauses_clock)
            ):
                clocks.resume(case, procedure, at)
                event(EventKind.RESUMED, reason="wait_step")
            clocks.enter_step(case, procedure, at)
            if target.kind is StepKind.END:
                case.closed_at = at
            case.status = status_for(target, resolved=case.resolved_at is not None)
            for effect in [e for s in visited for e in steps[s].effects]:
                apply(effect, at)
            if target.kind is StepKind.PARALLEL:
                for branch in target.branches:
                    bdept = (
                        case.department
                        if not branch.owner.department
                        else self.departments[(plan.site, branch.owner.department)]
                    )
                    built.tasks.append(
                        CaseTask(
                            step=case.step,
                            branch=branch.key,
                            cycle=case.step_cycle,
                            department=bdept,
                        )
                    )

        def apply(effect: Any, at: datetime) -> None:
            if effect.schedule_return_visit:
                due = parse_span(effect.schedule_return_visit).after(
                    at, clocks.calendar_for(case, procedure)
                )
                case.return_visit_due = due
                event(EventKind.RETURN_VISIT_SCHEDULED, due=due.isoformat())
            elif effect.mark_comeback:
                case.comeback_count += 1
            elif effect.set is not None:
                case.data = {**case.data, **effect.set}

        # open_case
        clocks.start_clocks(case, procedure, created)
        from fuwu.procedures.engine.machine import follow_automatic

        visited, _ = follow_automatic(procedure, procedure.start)
        event(
            EventKind.OPENED,
            procedure=procedure.key,
            version=plan.version.version,
            channel=case.channel,
            priority=case.priority,
            visited=visited,
        )
        arrive(visited, created)
        if rng.random() < MAJOR_SHARE:
            case.is_major = True
            event(EventKind.MAJOR_FLAGGED)
        commit(created, opener)

        # The moves: towards a done end, a cancelling end, or a few steps and no end.
        target_moves = (
            rng.randint(0, max(0, plan.to_done.get(case.step, 3) - 1)) if goal == "open" else 99
        )
        stop_after = rng.randint(0, 2)
        moves = 0
        wants = {
            "assign": rng.random() < ASSIGNED_SHARE,
            "work": rng.random() < WORKLOG_SHARE,
        }

        def extras() -> None:
            """Assignment and work log, while the case is open (the actions refuse them after)."""
            room = plan.cap - len(built.events)
            if wants.pop("assign", False) and room > 0:
                # The department's dispatcher gives the case to someone of the department.
                at = later()
                person = self.person(plan.site, case.department_id)
                previous = case.assignee_id
                case.assignee_id = person
                responded(at)
                event(EventKind.ASSIGNED, **{"from": previous}, to=person)
                commit(at, self.person(plan.site, case.department_id, {"dispatcher", "manager"}))
            if wants.pop("work", False) and room > 1:
                at = later()
                by = self.person(plan.site, case.department_id, {"technician", "engineer"})
                kind = rng.choice(["labour", "labour", "part", "tool"])
                row = WorkLog(
                    kind=kind,
                    description=rng.choice(WORK),
                    hours=Decimal(rng.choice(["0.50", "1.00", "1.50"]))
                    if kind == "labour"
                    else None,
                    quantity=Decimal("1.00") if kind == "part" else None,
                    unit_price=Decimal("35.00") if kind == "part" else None,
                    by_id=by,
                    at=at,
                )
                responded(at)
                event(
                    EventKind.WORK_LOGGED,
                    kind=kind,
                    description=row.description,
                    hours=None if row.hours is None else str(row.hours),
                    quantity=None if row.quantity is None else str(row.quantity),
                    unit_price=None if row.unit_price is None else str(row.unit_price),
                )
                built.work.append((row, len(built.events)))  # the index its event will have
                commit(at, by)

        budget = plan.cap - 1
        while moves < target_moves and len(built.events) < budget:
            step = steps[case.step]
            if step.kind is StepKind.END:
                break
            out = plan.edges.get(case.step, [])
            if not out:
                break
            here_done = plan.to_done.get(case.step)
            if goal == "stop" and moves >= stop_after and case.step in plan.to_stop:
                best = min(plan.to_stop.get(v[-1], 1 << 30) for _, v in out)
                options = [e for e in out if plan.to_stop.get(e[1][-1], 1 << 30) == best]
            else:
                options = [
                    e
                    for e in out
                    if here_done is not None and plan.to_done.get(e[1][-1], 1 << 30) < here_done
                ]
                detours = [
                    e
                    for e in out
                    if e not in options
                    and e[1][-1] in plan.to_done
                    and steps[e[1][-1]].kind is not StepKind.END
                ]
                if detours and (not options or rng.random() < 0.05):
                    options = detours
            if goal == "open":
                options = [e for e in options if steps[e[1][-1]].kind is not StepKind.END]
            if not options:
                break
            transition, visited = rng.choice(options)
            if steps[visited[-1]].kind is StepKind.END:
                extras()  # neither assigning nor logging work is allowed on a closed case
            at = later()
            from_step = case.step
            actor = self.person(
                plan.site,
                case.department_id,
                set(transition.roles) if transition is not None else None,
            )
            if transition is None:  # a parallel step: each branch done, then the join
                for task in built.tasks:
                    if task.step == from_step and task.cycle == case.step_cycle:
                        values = self.fill(plan, [], at, all_=True)
                        task.state, task.done_at, task.done_by_id = "done", at, actor
                        event(
                            EventKind.TASK_COMPLETED, branch=task.branch, values=values, checks={}
                        )
                responded(at)
                arrive(visited, at)
                event(EventKind.JOINED, **{"from": from_step, "to": case.step, "visited": visited})
            else:
                values = self.fill(
                    plan,
                    [*([] if transition.skip_form else step.form), *transition.fields],
                    at,
                    all_=False,
                )
                checks = {} if transition.skip_form else self.checks(step.checklist)
                case.data = {**case.data, **values}
                if checks:
                    records_checks = {**(case.records.get("checks") or {}), from_step: checks}
                    case.records = {**case.records, "checks": records_checks}
                responded(at)
                if transition.reopens:
                    case.resolved_at = None
                    case.comeback_count += 1
                    case.clock_cycle += 1
                    case.return_visit_due = None
                    clocks.start_clocks(case, procedure, at)
                event(
                    EventKind.TRANSITIONED,
                    transition=transition.key,
                    **{"from": from_step},
                    to=visited[-1],
                    visited=visited,
                    values=values,
                    checks=checks,
                )
                arrive(visited, at)
            commit(at, actor)
            moves += 1
        # The tasks of a parallel step the case still stands on: some branches done.
        for task in built.tasks:
            if task.state != "done" and rng.random() < 0.3:
                task.state, task.done_at = "done", case.updated_at
                task.done_by_id = self.person(plan.site, task.department.pk)
        if case.closed_at is None:
            extras()
        while len(built.events) < 3 or (len(built.events) < MAX_EVENTS and rng.random() < 0.15):
            at = case.updated_at + timedelta(minutes=rng.randint(1, 90))
            if at > self.now:
                at = self.now
            event(EventKind.COMMENTED, text=rng.choice(COMMENTS), internal=rng.random() < 0.3)
            responded(at)
            commit(at, self.person(plan.site, case.department_id))
        case.last_seq = len(built.events)
        # Rungs whose moment has passed have fired (as the worker would have done by now).
        due = clocks.candidates(case, procedure)
        case.fired_rungs = sorted(d.key for d in due if d.at <= self.now)
        future = [d.at for d in due if d.at > self.now]
        case.next_escalation_at = min(future) if future else None
        return built

    # -- writing -------------------------------------------------------------------------

    def write(self, batch: list[Built]) -> tuple[int, int]:
        """Write a batch in one transaction: the cases, work logs and tasks straight through the
        driver (`insert_rows`: COPY on PostgreSQL), with ids taken from their sequences first, so
        the events can name them; then the events and the cases' search-index rows."""
        from django.db import transaction

        from fuwu.cases.models import Case, CaseTask, WorkLog
        from fuwu.search import index

        with transaction.atomic():
            for b, pk in zip(batch, new_ids(Case, len(batch)), strict=True):
                b.case.pk = pk
            insert_rows(Case, [b.case for b in batch])
            work = []
            for b in batch:
                for row, _ in b.work:
                    row.case_id = b.case.pk
                    work.append(row)
            for row, pk in zip(work, new_ids(WorkLog, len(work)), strict=True):
                row.pk = pk
            insert_rows(WorkLog, work)
            events: list[tuple[Any, ...]] = []
            tasks = []
            for b in batch:
                logged = {index: row.pk for row, index in b.work}
                for i, (kind, at, actor, payload) in enumerate(b.events):
                    if i in logged:
                        payload = {"id": logged[i], **payload}
                    events.append((b.case.pk, i + 1, kind, actor, at, payload))
                for task in b.tasks:
                    task.case_id = b.case.pk
                    tasks.append(task)
            insert_events(events)
            for task, pk in zip(tasks, new_ids(CaseTask, len(tasks)), strict=True):
                task.pk = pk
            insert_rows(CaseTask, tasks)
            # The search index, as every case change through the actions keeps it (Change.finish
            # puts the same texts), rather than `fuwu search reindex` reading them all back.
            i0 = time.perf_counter()
            index.put_many(
                (
                    b.case.pk,
                    b.case.site_id,
                    b.case.created_at,
                    index.case_texts(b.case.title, b.case.description, b.case.data, b.procedure),
                )
                for b in batch
            )
            self.index_seconds += time.perf_counter() - i0
        return len(events), len(work)


def create(model: Any, objs: list[Any]) -> list[Any]:
    """What `bulk_create` does for these new instances, through `insert_rows`: ids, then rows."""
    from django.db import transaction

    with transaction.atomic():
        for obj, pk in zip(objs, new_ids(model, len(objs)), strict=True):
            obj.pk = pk
        insert_rows(model, objs)
    return objs


def new_ids(model: Any, n: int) -> list[int]:
    """`n` new primary keys for `model`, as its inserts would have been given them: from the
    id sequence on PostgreSQL; on SQLite (one writer, and the write lock held since BEGIN
    IMMEDIATE) the next ones after the highest id or AUTOINCREMENT's last."""
    from django.db import connection

    if n == 0:
        return []
    table = model._meta.db_table
    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            cur.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                [table, n],
            )
            return sorted(row[0] for row in cur.fetchall())
        cur.execute(
            f"SELECT max(id) FROM {table}"
            " UNION ALL SELECT seq FROM sqlite_sequence WHERE name = %s",
            [table],
        )
        last = max((row[0] or 0 for row in cur.fetchall()), default=0)
        return list(range(last + 1, last + 1 + n))


def insert_rows(model: Any, objs: Sequence[Any]) -> None:
    """Insert model instances (their primary keys set) with the values `bulk_create` would send
    (each field's `pre_save` and `get_db_prep_save`), but straight through the driver: COPY on
    PostgreSQL, `executemany` on SQLite; bulk_create's SQL building is most of its cost."""
    from django.db import DEFAULT_DB_ALIAS, connections

    # The connection itself, not the `connection` proxy: it is asked for every value.
    connection = connections[DEFAULT_DB_ALIAS]

    if not objs:
        return
    fields = [f for f in model._meta.concrete_fields if not f.generated]  # as bulk_create
    table = model._meta.db_table
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    rows = [
        tuple(f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields) for obj in objs
    ]
    with connection.cursor() as cur:
        raw = cur.cursor  # the driver's cursor, inside Django's transaction
        if connection.vendor == "postgresql":
            with raw.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join("?" for _ in fields)
            raw.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", rows)


EVENT_COLUMNS = "case_id, seq, kind, actor_id, at, data"


def insert_events(rows: list[tuple[Any, ...]]) -> None:
    """Events are most of the rows: straight through the driver (COPY on PostgreSQL), several
    times faster than building an Event per row for bulk_create. Values as Django stores them."""
    from django.db import connection
    from psycopg.types.json import Jsonb

    with connection.cursor() as cur:
        raw = cur.cursor  # the driver's cursor, inside Django's transaction
        if connection.vendor == "postgresql":
            with raw.copy(f"COPY cases_event ({EVENT_COLUMNS}) FROM STDIN") as copy:
                for case_id, seq, kind, actor, at, data in rows:
                    copy.write_row((case_id, seq, kind, actor, at, Jsonb(data)))
        else:
            raw.executemany(
                f"INSERT INTO cases_event ({EVENT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)",
                [
                    (
                        case_id,
                        seq,
                        kind,
                        actor,
                        at.astimezone(UTC).replace(tzinfo=None).isoformat(" "),
                        json.dumps(data),
                    )
                    for case_id, seq, kind, actor, at, data in rows
                ],
            )


def analyse() -> None:
    """Fresh planner statistics: PostgreSQL VACUUM ANALYZE (what autovacuum does after so many
    inserts: statistics, the visibility map, and GIN pending lists merged into their indexes);
    SQLite ANALYZE and PRAGMA optimize."""
    from django.db import connection

    with connection.cursor() as cur:
        if connection.vendor == "postgresql":
            # VACUUM cannot run in a transaction (a test's): statistics alone there.
            cur.execute("ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE")
        else:
            cur.execute("ANALYZE")
            cur.execute("PRAGMA optimize")


def samples(rng: Random) -> dict[str, Any]:
    """What the timing harness picks requests from: per site, cases, phones and busy steps."""
    from django.db.models import Count

    from fuwu.cases.choices import CLOSED_STATUSES
    from fuwu.cases.models import Case
    from fuwu.core.models import Site
    from fuwu.customers.models import Asset, Customer

    out: dict[str, Any] = {}
    for site in Site.objects.all():
        ids = list(Case.objects.filter(site=site).values_list("pk", flat=True))
        phones = list(
            Case.objects.filter(site=site, customer__isnull=False)
            .order_by("?" if len(ids) < 5000 else "pk")
            .values_list("customer__phone", flat=True)[:20000]
        )
        steps = list(
            Case.objects.filter(site=site)
            .exclude(status__in=CLOSED_STATUSES)
            .values("procedure_key", "step")
            .annotate(n=Count("id"))
            .order_by("-n")[:10]
        )
        names = sorted(
            set(Customer.objects.filter(site=site).values_list("name", flat=True)[:20000])
        )
        labels = sorted(
            set(
                Asset.objects.filter(site=site, kind__in=("vehicle", "unit"))
                .order_by("pk")
                .values_list("label", flat=True)[:20000]
            )
        )
        out[site.code] = {
            "cases": len(ids),
            "case_ids": rng.sample(ids, min(len(ids), 5000)),
            "phones": rng.sample(sorted(set(phones)), min(len(set(phones)), 1000)),
            "names": rng.sample(names, min(len(names), 1000)),
            "labels": rng.sample(labels, min(len(labels), 1000)),
            "open_steps": steps,
        }
    return out


@dataclass
class Part:
    """What one process wrote (`write_cases`): counts, and where its time and CPU went."""

    cases: int = 0
    events: int = 0
    work: int = 0
    assigned: int = 0
    status: Counter[str] = field(default_factory=Counter)
    build: float = 0.0  # seconds building the cases in Python
    write: float = 0.0  # seconds writing them (with the search index)
    index: float = 0.0  # of which the search index
    cpu: float = 0.0  # this process's CPU seconds (user + system)
    db_cpu: float | None = None  # its PostgreSQL backend's, when /proc shows it


def write_cases(filler: Filler, cases: int, say: Any, label: str = "") -> Part:
    """Build and write `cases` cases, BATCH a transaction."""
    from django.db import connection

    part = Part()
    cpu0 = time.process_time()
    t0 = time.perf_counter()
    while part.cases < cases:
        b0 = time.perf_counter()
        n = min(BATCH, cases - part.cases)
        batch = [filler.build(weighted(filler.rng, filler.plans)) for _ in range(n)]
        b1 = time.perf_counter()
        e, w = filler.write(batch)
        part.build += b1 - b0
        part.write += time.perf_counter() - b1
        part.events += e
        part.work += w
        for b in batch:
            part.status[b.case.status] += 1
            part.assigned += b.case.assignee_id is not None
        part.cases += n
        if part.cases % 20000 < BATCH or part.cases == cases:
            say(
                f"{label}{part.cases} cases, {part.events} events ({time.perf_counter() - t0:.0f} s)"
            )
    part.index = filler.index_seconds
    part.cpu = time.process_time() - cpu0
    part.db_cpu = backend_cpu(connection)
    return part


def backend_cpu(connection: Any) -> float | None:
    """CPU seconds the PostgreSQL backend of this connection has used, if it runs here."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cur:
        cur.execute("SELECT pg_backend_pid()")
        pid = cur.fetchone()[0]
    try:
        stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(stat[11]) + int(stat[12])) / os.sysconf("SC_CLK_TCK")


_FORKED: Filler | None = None  # the filler the forked processes inherit (`_job`)


def _job(args: tuple[int, int, int, bool]) -> Part:
    """One process of `fill(jobs=N)`: its own random stream and database connection."""
    job, seed, cases, log = args
    from django.db import connections

    assert _FORKED is not None
    filler = _FORKED
    filler.rng = Random(f"{seed}/{job}")

    def say(msg: str) -> None:
        if log:
            print(f"[fill {time.strftime('%H:%M:%S')}] {msg}", flush=True)

    try:
        return write_cases(filler, cases, say, f"job {job}: ")
    finally:
        connections.close_all()


def fill(
    cases: int,
    seed: int = 4,
    out: Path | None = None,
    *,
    log: bool = True,
    now: datetime | None = None,
    jobs: int = 1,
) -> dict[str, Any]:
    """Fill the database; `jobs` > 1 (PostgreSQL only) builds and writes the cases in that many
    processes, each its own share, random stream and connection (so the rows are not those of
    one process with the same seed, but drawn the same way)."""
    global _FORKED
    import multiprocessing

    from django.db import connection, connections
    from django.utils import timezone

    from fuwu.cases.models import Case

    def say(msg: str) -> None:
        if log:
            print(f"[fill {time.strftime('%H:%M:%S')}] {msg}", flush=True)

    if jobs > 1 and connection.vendor != "postgresql":
        say("SQLite has one writer at a time: one process")
        jobs = 1
    if jobs > 1 and connection.settings_dict["OPTIONS"].get("pool"):
        raise SystemExit("fill --jobs N needs FUWU_DB_POOL_MAX=0 (a pool does not survive a fork)")
    t0 = time.perf_counter()
    cpu0 = time.process_time()
    filler = Filler(seed, now or timezone.now())
    per_site = {
        "lanting": max(50, cases // 8),
        "dealer": max(30, cases // 14),
        "hotel": max(20, cases // 60),
        "hotpot": max(20, cases // 60),
    }
    n_customers = filler.people(per_site)
    t_people = time.perf_counter() - t0
    say(f"{n_customers} customers with their assets in {t_people:.1f} s")
    db_people = 0.0
    if jobs > 1:
        db_people = backend_cpu(connection) or 0.0
        connections.close_all()  # each process opens its own
        _FORKED = filler
        shares = [cases // jobs + (j < cases % jobs) for j in range(jobs)]
        try:
            with multiprocessing.get_context("fork").Pool(jobs) as pool:
                parts = pool.map(_job, [(j, seed, n, log) for j, n in enumerate(shares)])
        finally:
            _FORKED = None
    else:
        parts = [write_cases(filler, cases, say)]
    done = sum(p.cases for p in parts)
    n_events = sum(p.events for p in parts)
    n_work = sum(p.work for p in parts)
    assigned = sum(p.assigned for p in parts)
    status: Counter[str] = sum((p.status for p in parts), Counter())
    # per process, summed: with jobs > 1 they overlap in wall time
    t_build = sum(p.build for p in parts)
    t_write = sum(p.write for p in parts)
    t_cases = time.perf_counter() - t0 - t_people
    t_index = sum(p.index for p in parts)
    say(f"search index of {done} cases written in {t_index:.1f} s (part of the write)")
    a0 = time.perf_counter()
    analyse()
    t_analyse = time.perf_counter() - a0
    total = time.perf_counter() - t0
    cpu = time.process_time() - cpu0 + (sum(p.cpu for p in parts) if jobs > 1 else 0.0)
    db_cpu = backend_cpu(connection)  # this process's backend (with jobs=1, all of it)
    if jobs > 1 and db_cpu is not None:
        db_cpus = [p.db_cpu for p in parts]
        db_cpu = (
            None
            if any(c is None for c in db_cpus)
            else db_cpu + db_people + sum(c for c in db_cpus if c is not None)
        )
    closed = sum(status[s] for s in ("closed", "cancelled", "rejected"))
    summary = {
        "cases": done,
        "cases_in_db": Case.objects.count(),
        "events": n_events,
        "work_log": n_work,
        "customers": n_customers,
        "status": dict(status),
        "closed_share": round(closed / max(1, done), 3),
        "assigned_share": round(assigned / max(1, done), 3),
        "seconds": {
            "total": round(total, 1),
            "customers": round(t_people, 1),
            "cases": round(t_cases, 1),
            "build": round(t_build, 1),
            "write": round(t_write, 1),
            "index": round(t_index, 1),
            "analyse": round(t_analyse, 1),
        },
        "jobs": jobs,
        # CPU seconds: the fill's processes, and their PostgreSQL backends (None: not seen)
        "cpu_seconds": {
            "fill": round(cpu, 1),
            "postgres": None if db_cpu is None else round(db_cpu, 1),
        },
    }
    say(
        f"{done} cases, {n_events} events, {n_work} work-log rows in {total:.0f} s "
        f"(build {t_build:.0f} s, write {t_write:.0f} s, analyse {t_analyse:.1f} s"
        + (" summed over the processes" if jobs > 1 else "")
        + f"; CPU: fill {cpu:.0f} s, PostgreSQL "
        + ("?" if db_cpu is None else f"{db_cpu:.0f} s")
        + ")"
    )
    result = {"summary": summary, "sites": samples(filler.rng)}
    if out is not None:
        out.write_text(json.dumps(result, ensure_ascii=False, default=str))
    return result


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.fill", description=__doc__.split("\n")[0])
    p.add_argument("--cases", type=int, default=100_000)
    p.add_argument("--seed", type=int, default=4)
    p.add_argument(
        "--jobs", type=int, default=1, help="processes building and writing cases (PostgreSQL)"
    )
    p.add_argument("--out", type=Path, help="JSON file for the samples and counts")
    p.add_argument(
        "--now",
        type=datetime.fromisoformat,
        help="the moment the cases are filled up to (default: now); with --seed, the same rows",
    )
    p.add_argument(
        "--samples-only",
        action="store_true",
        help="write nothing: only the samples (and counts) of a database filled before to --out",
    )
    args = p.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fuwu.settings")
    # One connection per process, opened after the fork: no pool (its threads do not survive one).
    os.environ.setdefault("FUWU_DB_POOL_MAX", "0")
    import django

    django.setup()
    if args.samples_only:
        from fuwu.cases.models import Case

        summary = {"cases_in_db": Case.objects.count(), "reused": True}
        result = {"summary": summary, "sites": samples(Random(args.seed))}
        if args.out is not None:
            args.out.write_text(json.dumps(result, ensure_ascii=False, default=str))
        return 0
    fill(args.cases, args.seed, args.out, now=args.now, jobs=args.jobs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
