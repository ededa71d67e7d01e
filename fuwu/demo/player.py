"""Playing the hand-written stories: each case's moves, in order, as the right staff member."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from random import Random
from typing import Any

from django.db import transaction

from fuwu.cases import actions
from fuwu.cases.models import Case
from fuwu.core import clock
from fuwu.core.actors import Actor
from fuwu.customers.models import Asset, Customer
from fuwu.demo.stories import OPTIONAL, STORIES, TEXTS, UNHAPPY, Story, guard_values
from fuwu.demo.world import OCCUPIED, TZ, WORKERS, World
from fuwu.procedures.engine.definition import ChecklistItem, ChecklistKind, FieldDef, FieldType
from fuwu.procedures.engine.errors import EngineError
from fuwu.procedures.models import ProcedureVersion
from fuwu.procedures.registry import definition_of


class StoryPlayer:
    def __init__(self, world: World) -> None:
        self.world = world
        self.turn: dict[str, int] = {}
        self.problems: list[str] = []
        self.story: Story = STORIES[0]
        self.customer: Customer | None = None
        self.asset: Asset | None = None

    @property
    def rng(self) -> Random:
        return self.world.rng

    def play_all(self) -> None:
        for story in STORIES:
            self.play(story)

    def play(self, story: Story) -> None:
        version = ProcedureVersion.objects.filter(key=story.procedure, is_current=True).first()
        if version is None:
            return  # that procedure is not in the library (yet)
        procedure = definition_of(version)
        site = self.world.sites[story.site]
        n = self.turn[story.site] = self.turn.get(story.site, -1) + 1
        people = self.world.customers_of[story.site][:OCCUPIED]  # residents, not new owners
        self.story, self.customer = story, people[n % len(people)]
        self.asset = None if story.common_area else self.world.asset_of.get(self.customer.pk)
        start = procedure.steps[procedure.start]
        owner = (start.owner.department if start.owner else None) or procedure.owner.department
        department = self.world.departments.get(f"{story.site}/{owner}")
        role = start.owner.role if start.owner and start.owner.role else "agent"
        opener = self.world.pick(site.pk, department.pk if department else None, [role, "manager"])
        fields = [*procedure.fields, *start.form]
        data = self.fill(fields, [f.key for f in fields if f.required], {}, {})
        channel = story.channel if story.channel in procedure.channels else procedure.channels[0]
        step = ""
        try:
            case = actions.open_case(
                opener,
                procedure_key=version.key,
                site_id=site.pk,
                channel=channel,
                title=story.title,
                description=story.description,
                priority=story.priority,
                category=story.category,
                customer_id=self.customer.pk,
                asset_id=self.asset.pk if self.asset else None,
                data=data,
                now=self.world.opened_at(story.days),
            )
            # Each action a while after the last, all in the past (fuwu.core.clock): the
            # story's events fall on the days since it was opened, not on the day of loading.
            with clock.at(case.created_at):
                case = self.world.staff_step(case, prefer=opener.user_id)
                actor = opener
                if story.opening_note:
                    actions.comment(opener, case.pk, text=story.opening_note)
            for key in story.moves:
                step = case.step
                with clock.at(self.world.later(case.updated_at)):
                    case, actor = self.move(case, key)
                    case = self.world.staff_step(case)
            step = case.step
            with clock.at(self.world.later(case.updated_at)):
                self.finish(case, actor)
        except EngineError as error:
            fields_text = ", ".join(f"{k}: {e.code}" for k, e in error.fields.items())
            self.problems.append(
                f"{story.procedure} «{story.title}» at {step or 'open'}: "
                f"{error} {fields_text}".strip()
            )

    def finish(self, case: Case, actor: Actor) -> None:
        story = self.story
        for text in story.notes:
            actions.comment(actor, case.pk, text=text, internal=True)
        if story.pause:
            by = self.world.pick(
                case.site_id,
                case.department_id,
                ["dispatcher", "manager", "agent"],
                prefer=case.assignee_id,
                acting=True,
            )
            actions.pause_clock(by, case.pk, version=None, reason=story.pause)
        if story.transfer:
            code, note = story.transfer
            by = self.world.pick(
                case.site_id, case.department_id, ["dispatcher", "manager"], acting=True
            )
            actions.transfer(by, case.pk, department_code=code, version=None, note=note)
        if story.major:
            by = self.world.pick(
                case.site_id, case.department_id, ["manager"], same_department=True
            )
            actions.flag_major(by, case.pk, version=None)

    def move(self, case: Case, key: str) -> tuple[Case, Actor]:
        procedure = definition_of(case.procedure)
        step = procedure.steps[case.step]
        transition = next((t for t in step.transitions if t.key == key), None)
        if transition is None:
            raise EngineError("unknown_transition", step=case.step, transition=key)
        actor = self.world.pick(
            case.site_id,
            case.department_id,
            transition.roles,
            prefer=case.assignee_id,
            skill=case.category,
            acting=True,
        )
        defs = {f.key: f for f in [*procedure.fields, *step.form, *transition.fields]}
        editable = {f.key for f in [*step.form, *transition.fields]}
        guard = {
            k: v
            for k, v in guard_values(transition.guard).items()
            if k in editable or (k in defs and case.data.get(k) in (None, ""))
        }
        keys = dict.fromkeys(
            [
                *(f.key for f in step.form),
                *(f.key for f in transition.fields),
                *transition.require,
                *guard,
            ]
        )
        fresh = {f.key for f in transition.fields}  # this move's own fields: always given anew
        current = {k: v for k, v in case.data.items() if k not in fresh}
        form = self.fill([defs[k] for k in keys if k in defs], transition.require, guard, current)
        checklist = {item.key: self.check(item) for item in step.checklist}
        with transaction.atomic():  # the work log and the move stand or fall together
            if step.owner and step.owner.role in WORKERS and actor.roles & set(WORKERS):
                self.world.log_work(actor, case)
            moved = actions.take_transition(
                actor, case.pk, key, version=None, form=form, checklist=checklist
            )
        return moved, actor

    def fill(
        self,
        fields: list[FieldDef],
        required: Iterable[str],
        fixed: dict[str, Any],
        current: dict[str, Any],
    ) -> dict[str, Any]:
        """Form values: what the guard needs, then the story's own, then plausible ones."""
        need = set(required)
        out: dict[str, Any] = {}
        for f in fields:
            if f.compute is not None:
                continue  # the engine computes it (from the lines filled below)
            if f.key in fixed:
                out[f.key] = fixed[f.key]
            elif f.key in self.story.hints:
                out[f.key] = self.story.hints[f.key]
            elif current.get(f.key) not in (None, ""):
                continue
            elif f.required or f.key in need or f.key in (*TEXTS, *OPTIONAL) or lines(f):
                out[f.key] = self.value(f, out)
        return out

    def value(self, f: FieldDef, so_far: dict[str, Any]) -> Any:
        rng = self.rng
        match f.type:
            case FieldType.BOOL:
                return True
            case FieldType.CHOICE:
                return rng.choice([o.value for o in f.options or []])
            case FieldType.NUMBER:
                return min(max(1, f.min or 0), f.max if f.max is not None else 1)
            case FieldType.MONEY:
                return f"{rng.choice([50, 80, 120, 150, 200, 260]):.2f}"
            case FieldType.DATETIME:
                day = (self.world.now + timedelta(days=rng.randint(1, 3))).astimezone(TZ)
                return day.replace(
                    hour=rng.choice([9, 10, 14, 15]), minute=0, second=0, microsecond=0
                ).isoformat()
            case FieldType.DATE:
                return (self.world.now + timedelta(days=2)).astimezone(TZ).date().isoformat()
            case FieldType.CASE:
                return None  # a link to another case is left to people who know which one
            case FieldType.PERSON:
                site = self.world.sites[self.story.site]
                worker = self.world.find(site.pk, None, WORKERS)
                return worker.user.username if worker else None
            case FieldType.MULTI_CHOICE:
                return [o.value for o in (f.options or [])[:1]]
            case FieldType.LINES:
                inputs = [c for c in f.columns or [] if c.compute is None]
                return [{c.key: self.value(c, so_far) for c in inputs}]
        return self.text(f, so_far)

    def text(self, f: FieldDef, so_far: dict[str, Any]) -> str:
        key, story, customer = f.key, self.story, self.customer
        unhappy = False in (so_far.get("satisfied"), so_far.get("fully_solved"))
        if unhappy and key in ("feedback", "customer_opinion", "user_feedback"):
            return self.rng.choice(UNHAPPY)
        if key in TEXTS:
            return self.rng.choice(TEXTS[key])
        if key == "result":
            return f"已{story.hints.get('solution', '处理')}，试用正常"
        if key.endswith("_no"):
            return f"SJ{self.world.now.astimezone(TZ):%Y%m}{self.rng.randint(1000, 9999)}"
        if customer and "name" in key:
            return customer.name
        if customer and "phone" in key:
            return customer.phone
        if key == "product" and self.asset:
            return str(self.asset.attributes.get("model", ""))
        return story.title if "summary" in key else story.description

    def check(self, item: ChecklistItem) -> Any:
        if item.type is ChecklistKind.MEASUREMENT:  # a bound is inside the accepted range
            return item.min if item.min is not None else item.max
        return True if item.type is ChecklistKind.YES_NO else "正常"


def lines(f: FieldDef) -> bool:
    """Line items are always filled: they make the computed amounts (a repair's charge)."""
    return f.type is FieldType.LINES
