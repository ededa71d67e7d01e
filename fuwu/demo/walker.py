"""A generic walk through any procedure, so that every loaded procedure has cases in use.

For each procedure the walker picks the site whose departments cover every department the
definition names, opens 2–4 cases there and moves each one a random number of steps: from the
current step it tries the transitions (in a weighted random order) whose roles someone on the site
holds, fills what the move needs by type, and lets the engine judge the form with
`plan_transition` before taking it — another option or another transition when it is refused.
Parallel steps are worked branch by branch with `complete_task`. Everything goes through
`fuwu.cases.actions`, so the events replay like those of real use.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta
from random import Random
from typing import Any

from django.db import transaction

from fuwu.cases import actions
from fuwu.cases.flow import open_tasks
from fuwu.cases.models import Case
from fuwu.core import clock
from fuwu.core.actors import Actor
from fuwu.customers.choices import AssetKind
from fuwu.customers.models import Asset, Customer
from fuwu.demo.people import DEPARTMENTS
from fuwu.demo.stories import guard_values
from fuwu.demo.values import Context, Values
from fuwu.demo.world import OCCUPIED, WORKERS, World
from fuwu.procedures.engine.definition import (
    ChecklistItem,
    FieldDef,
    Owner,
    Procedure,
    Step,
    StepKind,
    Transition,
)
from fuwu.procedures.engine.errors import EngineError
from fuwu.procedures.engine.machine import (
    applicable,
    follow_automatic,
    guard_context,
    is_blank,
    plan_transition,
)
from fuwu.procedures.models import ProcedureVersion
from fuwu.procedures.registry import definition_of

ATTEMPTS = 16  # forms tried per transition before trying the next one
FULL_WALK = 30  # moves allowed to the first case of a procedure, which should reach an end
# Steps where a case stays for months (a lease in force): one more case of the procedure is walked
# until it stands there, so the lists that follow such cases (the guards' leases ending) show one.
HOLD_AT = {"parking_lease": "in_force"}
BRANCH_ROLES = [
    "agent",
    "technician",
    "finance",
    "security",
    "engineer",
    "dispatcher",
    "qc",
    "specialist",
    "manager",
]
DATA_REF = re.compile(r"\bdata\.(\w+)")
NEGATIVE = re.compile(r"!\s*checklist\.passed|checklist\.failed")  # a guard wanting a failed item
FAILED_ITEM = re.compile(r"[\"'](\w+)[\"']\s+in\s+checklist\.failed")  # … that very item
# What a case is about, for the procedures that are about something other than the customer's
# own unit or vehicle; "none" means an internal case with no customer.
SUBJECTS = {
    "key_lending": AssetKind.KEY,
    "parking_lease": AssetKind.PARKING,
    "valve_overhaul": AssetKind.EQUIPMENT,
    "hotel_vip": AssetKind.ROOM,
    "vacant_unit_inspection": "vacant",
    "house_handover": "owned_vacant",
    "gas_activation": "owned_vacant",
    "agent_quality_scorecard": "none",
    "community_event": "none",
    "improvement_plan_item": "none",
    "parking_reconciliation": "none",
}
# Titles of the walked cases; {field} is the intake value (a choice's label). The text field
# that says what the case is about (SUBJECT_FIELDS) repeats the title.
TITLES = {
    "agency_service": ["代办：{service_type}"],
    "agent_quality_scorecard": ["客服通话质检抽查", "月度服务质量抽检"],
    "business_centre": ["商务中心：{request_type}"],
    "car_reception_repair_order": ["常规保养接车", "空调异味接车检查", "事故车钣喷接车"],
    "community_event": ["中秋游园会", "业主羽毛球比赛", "消防安全知识讲座"],
    "fee_collection": ["{billing_period}{fee_type}缴费通知"],
    "gas_activation": ["新入住开通煤气", "煤气开通登记"],
    "general_service": ["家政保洁预约", "搬家协助", "代收快递咨询"],
    "hotel_vip": ["贵宾接待：集团董事长", "贵宾接待：外商考察团", "贵宾接待：签约客户"],
    "hotpot_table_service": ["{table_no} 桌"],
    "house_handover": ["业主收房", "收房验房"],
    "improvement_plan_item": ["{item_type}"],
    "key_lending": ["装修进场借钥匙", "查看漏水借钥匙", "带客户看房借钥匙"],
    "opinion_survey": ["{survey_round}意见征询（{survey_method}）"],
    "parking_lease": ["车位{lease_type}（{space_kind}）"],
    "parking_reconciliation": ["{month}车位月度核对"],
    "product_repair": ["行车记录仪不录像", "车载导航黑屏", "座椅加热不工作"],
    "service_delivery_kpi": ["外墙清洗项目", "绿化改造项目", "地下车库照明改造"],
    "service_desk_problem": ["门禁卡刷不开单元门", "物业 App 无法缴费", "会所 Wi-Fi 信号差"],
    "toyota_seven_step": ["预约 1 万公里保养", "预约更换轮胎", "预约刹车检查"],
    "vacant_unit_inspection": ["空房巡视"],
    "valve_overhaul": ["阀门检修", "阀门解体检查与修理"],
}
SUBJECT_FIELDS = {
    "request",
    "complaint_content",
    "event_name",
    "objective",
    "purpose",
    "fault_description",
    "service_request",
    "customer_request",
    "problem_description",
    "service_subject",
    "repair_item",
}


def departments_named(procedure: Procedure) -> set[str]:
    """Every department code the definition names: owners, branch owners, department fields' options
    and the departments its notifications and escalations go to."""
    codes: set[str] = set()
    fields = procedure.all_fields()

    def owner(o: Owner | None) -> None:
        if o and o.department:
            codes.add(o.department)
        if o and o.department_field and o.department_field in fields:
            codes.update(opt.value for opt in fields[o.department_field].options or [])

    owner(procedure.owner)
    effects = []
    for step in procedure.steps.values():
        owner(step.owner)
        for branch in step.branches:
            owner(branch.owner)
        effects += step.effects
        for t in step.transitions:
            effects += t.effects
    codes.update(e.notify.department for e in effects if e.notify and e.notify.department)
    codes.update(r.department for r in procedure.escalation if r.department)
    if procedure.major_notify and procedure.major_notify.department:
        codes.add(procedure.major_notify.department)
    return codes


def site_for(procedure: Procedure) -> str | None:
    """The first demo site whose departments include every one the procedure names."""
    need = departments_named(procedure)
    return next(
        (site for site, rows in DEPARTMENTS.items() if need <= {code for code, _, _ in rows}), None
    )


def describe(error: EngineError) -> str:
    fields = ", ".join(f"{k}: {e.code}" for k, e in error.fields.items())
    return f"{error.code}" + (f" ({fields})" if fields else "")


class Walker:
    def __init__(self, world: World, seed: int) -> None:
        self.world, self.seed = world, seed
        self.problems: list[str] = []  # a case that failed in a way the walker did not expect
        self.stopped: list[str] = []  # a case no transition could move, and why each was refused
        self.usernames = {a.user.username for a in world.actors.values()}
        self.values = Values(world.rng, world.now)
        self.ctx = Context("", None, None, [])
        self.pools: dict[tuple[str, tuple[int, ...]], list[Any]] = {}
        self.guard_literals: dict[str, dict[str, list[Any]]] = {}

    @property
    def rng(self) -> Random:
        return self.world.rng

    def reseed(self, label: str) -> None:
        """Each procedure its own random stream: adding a procedure changes no other's cases."""
        self.world.rng = self.values.rng = Random(f"{self.seed}:{label}")

    # -- whole procedures -----------------------------------------------------------------------

    def walk_library(self, skip: set[str]) -> None:
        for version in ProcedureVersion.objects.filter(is_current=True).order_by("key"):
            if version.key not in skip:
                self.walk_procedure(version)

    def walk_procedure(self, version: ProcedureVersion) -> None:
        procedure = definition_of(version)
        self.reseed(procedure.key)
        site = site_for(procedure)
        if site is None:
            need = ", ".join(sorted(departments_named(procedure)))
            self.stopped.append(f"{procedure.key}: not walked, no demo site has {need}")
            return
        working = sum(
            s.kind not in (StepKind.END, StepKind.AUTOMATIC) for s in procedure.steps.values()
        )
        for i in range(self.rng.randint(2, 4)):
            limit = FULL_WALK if i == 0 else self.rng.randint(0, max(2, working // 2 + 1))
            self.guarded(procedure.key, self.open_and_advance, procedure, site, limit)
        if hold := HOLD_AT.get(procedure.key):
            self.guarded(procedure.key, self.open_and_advance, procedure, site, FULL_WALK, hold)

    def open_and_advance(
        self, procedure: Procedure, site: str, limit: int, until: str | None = None
    ) -> Case:
        return self.advance(self.open(procedure, site), limit, until)

    def guarded(self, label: str, work: Callable[..., object], *args: Any) -> None:
        """Run one case's work in a savepoint: an unexpected failure costs that case only."""
        try:
            with transaction.atomic():
                work(*args)
        except EngineError as error:
            self.problems.append(f"{label}: {describe(error)}")
        except Exception as error:  # a bug shows in the summary instead of losing the whole demo
            self.problems.append(f"{label}: {type(error).__name__}: {error}")

    # -- opening --------------------------------------------------------------------------------

    def subject(self, key: str, site: str) -> tuple[Customer | None, Asset | None]:
        """Who and what a new case is about; each procedure's cases take different ones."""
        world, kind = self.world, SUBJECTS.get(key)
        if kind == "none":
            return None, None
        if kind is None:
            customer = self.draw(key, world.customers_of.get(site, [])[:OCCUPIED])
            return customer, world.asset_of.get(customer.pk) if customer else None
        if kind in ("vacant", "owned_vacant"):
            assets = [
                u
                for u in world.assets.get((site, AssetKind.UNIT), [])
                if not u.attributes.get("occupied", True) and (u.owner or kind == "vacant")
            ]
        else:
            assets = world.assets.get((site, kind), [])
        asset = self.draw(key, assets)
        owner = asset.owner if asset else None
        if owner is None and kind in (AssetKind.KEY, AssetKind.PARKING, AssetKind.ROOM):
            owner = self.draw(key, world.customers_of.get(site, [])[:OCCUPIED])
        return owner, asset

    def draw(self, key: str, pool: list[Any]) -> Any:
        """The next of a shuffled pool, so that a procedure's cases seldom share a subject."""
        if not pool:
            return None
        ids = tuple(id(x) for x in pool)
        left = self.pools.get((key, ids))
        if not left:
            left = self.pools[(key, ids)] = self.rng.sample(pool, len(pool))
        return left.pop()

    def staff(self, site_id: int) -> list[tuple[str, str]]:
        """The site's own people, (username, name), for a person field."""
        return [
            (a.user.username, a.user.last_name + a.user.first_name)
            for a in self.world.actors.values()
            if site_id in a.site_ids and not a.superuser and "vp" not in a.roles
        ]

    def context(self, case: Case) -> Context:
        code = self.world.site_code(case.site_id)
        return Context(code, case.customer, case.asset, self.staff(case.site_id))

    def opened_at(self, procedure: Procedure, priority: str) -> datetime:
        limit = procedure.limits.resolution
        span = limit.span_for(priority) if limit else None
        seconds = span.business_seconds if span else None
        if seconds and seconds < 86400:  # a table's sitting: opened minutes ago
            return self.world.now - timedelta(seconds=seconds * self.rng.uniform(0.2, 0.9))
        return self.world.opened_at(self.rng.uniform(0.1, 20))

    def title(self, procedure: Procedure, data: dict[str, Any]) -> str:
        shown = {k: v for k, v in data.items() if isinstance(v, str)}
        for f in procedure.fields:
            chosen = next((o for o in f.options or [] if o.value == data.get(f.key)), None)
            if chosen:
                shown[f.key] = chosen.label.zh
        try:
            return self.rng.choice(TITLES.get(procedure.key, [])).format_map(shown)
        except (IndexError, KeyError, ValueError):  # no title known, or one naming another field
            return procedure.name.zh

    def open(self, procedure: Procedure, site: str) -> Case:
        world, rng = self.world, self.rng
        customer, asset = self.subject(procedure.key, site)
        start = procedure.steps[procedure.start]
        owner = (start.owner.department if start.owner else None) or procedure.owner.department
        department = world.departments.get(f"{site}/{owner}")
        role = start.owner.role if start.owner and start.owner.role else "agent"
        # Who may open it (fuwu.cases.policy): a role of the start step, or a manager.
        movers = [r for t in start.transitions for r in t.roles if r != "customer"]
        opener = world.pick(
            world.sites[site].pk,
            department.pk if department else None,
            list(dict.fromkeys([role, *movers, "manager"])),
        )
        self.ctx = Context(site, customer, asset, self.staff(world.sites[site].pk))
        data = {f.key: self.fill(procedure, f) for f in procedure.fields if f.required}
        about = self.title(procedure, data)
        data.update({k: about for k in SUBJECT_FIELDS if k in data})
        title = f"{about} · {asset.label}" if asset else about
        channels = [c for c in procedure.channels if c != "system"] or ["system"]
        priority = (
            procedure.default_priority
            if rng.random() < 0.7
            else rng.choice(["urgent", "high", "normal", "low"])
        )
        case = actions.open_case(
            opener,
            procedure_key=procedure.key,
            site_id=world.sites[site].pk,
            channel=rng.choice(channels),
            title=title,
            description=f"{customer.name}：{title}" if customer else title,
            priority=priority,
            customer_id=customer.pk if customer else None,
            asset_id=asset.pk if asset else None,
            data=data,
            now=self.opened_at(procedure, priority),
        )
        with clock.at(case.created_at):  # given out when it came in
            return world.staff_step(case, prefer=opener.user_id)

    # -- moving ---------------------------------------------------------------------------------

    def advance(self, case: Case, limit: int, until: str | None = None) -> Case:
        """Up to `limit` moves (a branch of a parallel step counts as one); stops at an end, or
        at the step `until`."""
        procedure = definition_of(case.procedure)
        seen = {case.step}  # steps this walk has stood on: going back there is less likely
        for _ in range(limit):
            if case.is_closed or case.step == until:
                break
            self.ctx = self.context(case)
            step = procedure.steps[case.step]
            # Each move a while after the last, all in the past: the events, the service-level
            # judgements and the reports fall on the days the work happened (fuwu.core.clock).
            with clock.at(self.world.later(case.updated_at)):
                moved = (
                    self.branch(case, procedure, step)
                    if step.kind is StepKind.PARALLEL
                    else self.step(case, procedure, step, seen, full=limit >= FULL_WALK)
                )
                if moved is None:
                    break
                case = self.world.staff_step(moved)
            seen.add(case.step)
        return case

    def order(
        self, procedure: Procedure, step: Step, seen: set[str], *, full: bool
    ) -> list[Transition]:
        """The step's transitions in a random order that favours going on over going back or
        giving up (and nearly always so on a case that is meant to go all the way)."""

        def weight(t: Transition) -> float:
            to = follow_automatic(procedure, t.to)[0][-1]
            end = procedure.steps[to]
            if end.kind is StepKind.END and end.outcome != "done":
                return 0.02 if full else 0.15
            if t.reopens or to in seen:
                return 0.1 if full else 0.3
            return 1.0

        return sorted(step.transitions, key=lambda t: -(self.rng.random() ** (1 / weight(t))))

    def step(
        self, case: Case, procedure: Procedure, step: Step, seen: set[str], *, full: bool
    ) -> Case | None:
        refused: dict[str, str] = {}
        for t in self.order(procedure, step, seen, full=full):
            actor = self.world.find(
                case.site_id, case.department_id, t.roles, prefer=case.assignee_id, acting=True
            )
            if actor is None:
                refused[t.key] = f"no one on the site holds {', '.join(t.roles)}"
                continue
            found = self.plan(case, procedure, step, t, actor)
            if isinstance(found, EngineError):
                refused[t.key] = describe(found)
                continue
            form, checklist = found
            try:
                with transaction.atomic():  # the work log and the move stand or fall together
                    if step.owner and step.owner.role in WORKERS and actor.roles & set(WORKERS):
                        self.world.log_work(actor, case)
                    moved = actions.take_transition(
                        actor,
                        case.pk,
                        t.key,
                        version=None,
                        form=form,
                        checklist=checklist,
                        confirm=True,
                    )
            except EngineError as error:
                refused[t.key] = describe(error)
                continue
            if self.rng.random() < 0.12:
                actions.comment(actor, case.pk, text=f"已完成“{step.name.zh}”", internal=True)
            return moved
        if step.transitions:
            reasons = "; ".join(f"{k}: {v}" for k, v in refused.items())
            self.stopped.append(f"{procedure.key} «{case.title}» at {case.step}: {reasons}")
        return None

    def plan(
        self, case: Case, procedure: Procedure, step: Step, t: Transition, actor: Actor
    ) -> tuple[dict[str, Any], dict[str, Any]] | EngineError:
        """A form and checklist the engine accepts for this move, or the last refusal."""
        view = actions.view_of(case)
        defs = {f.key: f for f in [*procedure.fields, *step.form, *t.fields]}
        editable = {f.key for f in [*step.form, *t.fields]}
        fresh = {f.key for f in t.fields}  # this move's own fields: always given anew
        guarded = list(dict.fromkeys(DATA_REF.findall(t.guard or "")))  # in order: determinism
        hints = guard_values(t.guard)
        keys = [
            *([] if t.skip_form else [f.key for f in step.form if f.required]),
            *(f.key for f in t.fields if f.required),
            *t.require,
            *guarded,
        ]
        wants_failure = bool(NEGATIVE.search(t.guard or "")) and not t.skip_form
        which = FAILED_ITEM.findall(t.guard or "")
        error = EngineError("invalid_form")
        for attempt in range(ATTEMPTS):
            form: dict[str, Any] = {}
            for key in dict.fromkeys(keys):
                f, current = defs.get(key), case.data.get(key)
                # Keep what the case already says, unless the guard wants this field another way.
                other = key in guarded and key in editable and (attempt > 0 or key in hints)
                computed = f is not None and f.compute is not None  # never submitted
                if f and not computed and (key in fresh or is_blank(current) or other):
                    form[key] = self.fill(procedure, f, attempt, hints.get(key))
            fail = wants_failure and attempt % 2 == 1
            checklist = (
                {}
                if t.skip_form
                else self.checklist(procedure, case, step, form, fail=fail, which=which)
            )
            try:
                plan_transition(
                    procedure,
                    view,
                    t.key,
                    actor.roles,
                    form,
                    checklist,
                    superuser=actor.superuser,
                    is_person=self.usernames.__contains__,
                    confirmed=True,
                )
            except EngineError as refused:
                error = refused
                if refused.code in ("role_not_allowed", "unknown_transition"):
                    break
                continue
            return form, checklist
        return error

    def fill(self, procedure: Procedure, f: FieldDef, attempt: int = 0, hint: Any = None) -> Any:
        """A value for the field; on a first try, often one some guard further on looks for (a
        field filled now may decide a move two steps later)."""
        if hint is None and attempt == 0 and self.rng.random() < 0.6:
            wanted = self.literals(procedure).get(f.key)
            hint = self.rng.choice(wanted) if wanted else None
        return self.values.field(f, self.ctx, attempt=attempt, hint=hint)

    def literals(self, procedure: Procedure) -> dict[str, list[Any]]:
        """Every `data.x == literal` of the procedure's guards, by field."""
        found = self.guard_literals.get(procedure.key)
        if found is None:
            found = self.guard_literals[procedure.key] = {}
            for step in procedure.steps.values():
                for t in step.transitions:
                    for key, value in guard_values(t.guard).items():
                        if value not in found.setdefault(key, []):
                            found[key].append(value)
        return found

    def checklist(
        self,
        procedure: Procedure,
        case: Case,
        step: Step,
        form: dict[str, Any],
        *,
        fail: bool,
        which: list[str],
    ) -> dict[str, Any]:
        """Every applicable item answered; with `fail`, one of them (or the one named) fails."""
        items = self.items(procedure, case, step.checklist, form)
        failable = [i for i in items if self.values.can_fail(i) and (i.key in which or not which)]
        failing = self.rng.choice(failable).key if fail and failable else None
        return {i.key: self.values.check(i, fail=i.key == failing) for i in items}

    def items(
        self, procedure: Procedure, case: Case, items: list[ChecklistItem], form: dict[str, Any]
    ) -> list[ChecklistItem]:
        merged = {**case.data, **form}
        return applicable(items, guard_context(procedure, actions.view_of(case), merged))

    def branch(self, case: Case, procedure: Procedure, step: Step) -> Case | None:
        """Finish one open branch of a parallel step, as someone of the branch's department."""
        tasks = open_tasks(case)
        if not tasks:
            self.stopped.append(f"{procedure.key} «{case.title}» at {case.step}: no open branch")
            return None
        task = self.rng.choice(sorted(tasks, key=lambda t: t.branch))
        spec = next(b for b in step.branches if b.key == task.branch)
        actor = self.world.find(
            case.site_id, task.department_id, BRANCH_ROLES, same_department=True
        ) or self.world.find(case.site_id, task.department_id, ["manager"], acting=True)
        if actor is None:
            self.stopped.append(f"{procedure.key} at {case.step}/{task.branch}: no one to do it")
            return None
        form = {f.key: self.fill(procedure, f) for f in spec.form if self.wanted(f)}
        checks = self.items(procedure, case, spec.checklist, form)
        try:
            return actions.complete_task(
                actor,
                case.pk,
                branch=task.branch,
                version=None,
                form=form,
                checklist={i.key: self.values.check(i) for i in checks},
            )
        except EngineError as error:
            self.stopped.append(
                f"{procedure.key} «{case.title}» at {case.step}/{task.branch}: {describe(error)}"
            )
            return None

    def wanted(self, f: FieldDef) -> bool:
        return f.required or self.rng.random() < 0.5
