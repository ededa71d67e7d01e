"""The inside of the action layer: a unit of work on one locked case.

`Change` is opened by an action in `actions.py` inside `transaction.atomic()` on a locked row.
It moves the case between steps, applies effects, collects events and, in `finish()`, writes
the case, appends the events with the new values of the tracked fields (so the state can be
rebuilt from events alone), rewrites the case's row of the search index when its texts changed
(`fuwu.search.index`), writes the webhook deliveries of its events
(`fuwu.channels.webhooks.outbox`) and schedules the next clock check — all in that one transaction.

`Case.version` is what an open form was read at: an action given the version the person saw
refuses with `Stale` (409) when it moved. It moves only when the case's *state* changed —
what a form, a guard or a choice on the page depends on (`VERSIONED`): the step, the status,
the department, the assignee, the priority, the major flag, the fields (`data`), the
checklist answers (`records["checks"]`) and whether the clocks are paused. A change that adds
to the case without changing that state does not conflict with anyone: a comment, a work-log
entry, an escalation notice or a return-visit reminder (fired rungs and the next clock check),
the customer's confirmation or a rating that takes no transition. Those write their event and
`updated_at` and leave the version alone, so a colleague's open form still submits.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from django.db import connection
from django.utils import timezone

from fuwu.cases.choices import EventKind, TaskState
from fuwu.cases.models import UNPARSED, Case, CaseTask, Event
from fuwu.core import clock
from fuwu.core.actors import SYSTEM, Actor
from fuwu.core.models import Department
from fuwu.core.prepared import Prepared, insert_rows, update_row
from fuwu.procedures.engine.computed import recompute, set_values
from fuwu.procedures.engine.definition import (
    Effect,
    NotifyTarget,
    Procedure,
    Step,
    StepKind,
    Text,
)
from fuwu.procedures.engine.errors import EngineError, FieldError, NotFound, Stale, Unprocessable
from fuwu.procedures.engine.machine import CHECKS_KEY, follow_automatic, status_for
from fuwu.procedures.registry import definition_of
from fuwu.search import index as search_index
from fuwu.sla import clocks

TRACKED = ("step", "status", "department_id", "assignee_id")
# What the version guards (see the module docstring): a change to any of these bumps it.
VERSIONED = (*TRACKED, "priority", "is_major", "data")


_EVENT_COLUMNS = ("case_id", "seq", "kind", "actor_id", "at", "data")


def tracked_state(case: Case) -> dict[str, Any]:
    return {name.removesuffix("_id"): getattr(case, name) for name in TRACKED}


# The columns a save of a case writes (not its id, not the generated `next_due`).
_SAVED = tuple(
    f.attname
    for f in Case._meta.concrete_fields
    if not f.primary_key and not getattr(f, "generated", False)
)


def row_state(case: Case) -> dict[str, Any]:
    """Every column of the case as read (JSON values copied: they may change in place), so a
    write sends only the columns that changed: an UPDATE of all forty columns cost more to
    build than the database spends on it."""
    deferred = case.get_deferred_fields()
    out = {}
    for name in _SAVED:
        if name not in deferred:
            value = getattr(case, name)
            out[name] = copy.deepcopy(value) if isinstance(value, dict | list) else value
    return out


def versioned_state(case: Case | dict[str, Any]) -> tuple[Any, ...]:
    """The state an open form was read at: equal before and after means no conflict. Of the
    case as it stands, or of its `row_state` (whose JSON values are copies already, so a change
    made in place to `data` after the snapshot still counts)."""
    row = case if isinstance(case, dict) else None
    value = row.__getitem__ if row is not None else partial(getattr, case)
    return (
        *(value(name) for name in VERSIONED),
        value("records").get(CHECKS_KEY) or {},
        value("paused_at") is not None,
    )


_LOCK_ROW = Prepared(
    lambda pk: Case.objects.select_for_update().filter(pk=pk).values_list("site_id", flat=True)
)
_LOCKED_READ = Prepared(
    lambda pk: (
        Case.objects.select_related(
            "procedure", "site", "department", "assignee__staff", "customer", "asset"
        )
        .defer(*UNPARSED)
        .filter(pk=pk)
    )
)


def lock_case(case_id: int, actor: Actor, *, version: int | None, write: bool = True) -> Case:
    """Fetch and lock a case the actor may see. A case they may not see does not exist (404).

    On PostgreSQL the bare row is locked first and read with its joins afterwards. One
    `SELECT … JOIN … FOR UPDATE` loses the row under contention: when the row it waited for was
    changed by the transaction holding the lock, PostgreSQL re-checks the new row version against
    the joined rows it had already read — the old department, the old assignee — and drops it,
    so a request racing a transfer or a transition answered 404 "case not found" instead of
    going on (or 409 when the version moved). The second statement runs after the lock is ours
    and, under READ COMMITTED, sees the committed change.
    """
    if connection.features.has_select_for_update:
        locked = _LOCK_ROW.get(case_id)
        if locked is None or not actor.may_see_site(locked):
            raise NotFound("not_found", what="case")
    # Read with everything the API's response shows, so a write needs no second read. The SQL
    # is compiled once per process (fuwu.core.prepared): compiling these joins cost more CPU
    # than the database spends answering. Who may see the case is the actor's sites, as
    # `Actor.scope` would filter them.
    case = _LOCKED_READ.get(case_id)
    if case is None or not actor.may_see_site(case.site_id):
        raise NotFound("not_found", what="case")
    if version is not None and case.version != version:
        raise Stale("stale", seen=version, current=case.version)
    if write and case.is_closed:
        raise EngineError("case_closed")
    return case


def department_by_code(site_id: int, code: str, procedure: Procedure | None = None) -> Department:
    """The site's department a definition means by this code (or the procedure's stand-in for
    it), from the cached site organisation (`policy.site_org`, invalidated on change)."""
    from fuwu.cases.policy import resolve

    info = resolve(site_id, code, procedure)
    if info is None:
        raise EngineError("no_such_department", department=code)
    return info.department


@dataclass
class Change:
    case: Case
    actor: Actor
    now: datetime = field(default_factory=clock.now)
    events: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    before: dict[str, Any] = field(default_factory=dict)
    versioned_before: tuple[Any, ...] = ()
    next_before: datetime | None = None
    reschedule: bool = False  # set by the clock job: the pending check is the one running now
    # Work that needs the case's id (notifications, linked cases): run in finish(), same transaction.
    after_save: list[Any] = field(default_factory=list)
    # What the procedure tells the customer in this change (`notify: {to: customer}` effects),
    # sent on their channel as well as to their portal inbox (fuwu.channels.outbound).
    customer_messages: list[Text] = field(default_factory=list)
    _pending_tasks: list[CaseTask] = field(default_factory=list)
    _texts_before: list[str] = field(default_factory=list)
    _sla_before: tuple[datetime | None, datetime | None, int] = (None, None, 0)
    _row_before: dict[str, Any] = field(default_factory=dict)
    procedure: Procedure = field(init=False)

    def __post_init__(self) -> None:
        self.procedure = definition_of(self.case.procedure)
        self.before = tracked_state(self.case) if self.case.pk else {}
        self.next_before = self.case.next_escalation_at
        self._texts_before = self._texts() if self.case.pk else []
        if self.case.pk:
            c = self.case
            self._sla_before = (c.first_response_at, c.resolved_at, c.comeback_count)
            # One copy of the row as read serves the changed columns and the version's check.
            self._row_before = row_state(c)
            row = self._row_before
            read = all(n in row for n in (*VERSIONED, "records", "paused_at"))  # none deferred
            self.versioned_before = (
                versioned_state(row) if read else copy.deepcopy(versioned_state(c))
            )

    @property
    def step(self) -> Step:
        return self.procedure.steps[self.case.step]

    @property
    def resolves(self) -> bool:
        """This change resolved the case (it was not resolved before)."""
        return self._sla_before[1] is None and self.case.resolved_at is not None

    def event(self, kind: EventKind | str, /, **data: Any) -> None:
        self.events.append((str(kind), data))

    def responded(self) -> None:
        """A person acted on the case: the response clock stops at the first such action."""
        if not self.actor.is_system and self.case.first_response_at is None:
            self.case.first_response_at = self.now

    # -- moving between steps -------------------------------------------------------------

    def arrive(self, visited: list[str], effects: list[Effect]) -> None:
        """Put the case on the last of `visited` (automatic steps already passed through)."""
        case, procedure = self.case, self.procedure
        leaving = procedure.steps.get(case.step) if case.step else None
        target = procedure.steps[visited[-1]]
        case.step = visited[-1]
        checks = case.records.get(CHECKS_KEY) or {}
        if case.step in checks:
            # Each visit to a step fills its checklist anew (the earlier answers stay in the events).
            case.records = {
                **case.records,
                CHECKS_KEY: {k: v for k, v in checks.items() if k != case.step},
            }
        owner = target.owner
        code = None
        if owner and not owner.keep:
            code = owner.department or (
                case.data.get(owner.department_field) if owner.department_field else None
            )
        if code:
            try:
                department = department_by_code(case.site_id, code, procedure)
            except EngineError:
                if not owner or not owner.department_field:
                    raise
                # A department choice this site does not have: the chooser's field is wrong.
                raise EngineError(
                    "invalid_form",
                    fields={owner.department_field: FieldError("department_not_on_site")},
                ) from None
            if case.department_id != department.pk:
                case.department = department
                case.assignee = None  # the new department's dispatcher decides who does it
        finished = target.kind is StepKind.END and target.outcome == "done"
        if (target.resolves or finished) and case.resolved_at is None:
            case.resolved_at = self.now
        if target.pauses_clock and case.paused_at is None:
            clocks.pause(case, self.now)
            self.event(EventKind.PAUSED, reason="wait_step", step=case.step)
        elif (
            not target.pauses_clock
            and case.paused_at is not None
            and leaving
            and leaving.pauses_clock
        ):
            clocks.resume(case, procedure, self.now)
            self.event(EventKind.RESUMED, reason="wait_step")
        clocks.enter_step(case, procedure, self.now)
        if target.kind is StepKind.END:
            case.closed_at = self.now
            case.return_visit_due = (
                None
                if case.return_visit_due and case.return_visit_due > self.now
                else case.return_visit_due
            )
        case.status = status_for(target, resolved=case.resolved_at is not None)
        self.apply(effects)
        if target.kind is StepKind.PARALLEL:
            self._open_branches(target)

    def _open_branches(self, step: Step) -> None:
        tasks = []
        for branch in step.branches:
            dept = (
                self.case.department
                if not branch.owner.department
                else department_by_code(self.case.site_id, branch.owner.department, self.procedure)
            )
            tasks.append(
                CaseTask(
                    case=self.case,
                    step=self.case.step,
                    branch=branch.key,
                    cycle=self.case.step_cycle,
                    department=dept,
                )
            )
        self._pending_tasks = tasks

    def join(self) -> None:
        """All branches of the parallel step are done: move on to its `next`."""
        step = self.step
        assert step.next is not None
        visited, effects = follow_automatic(self.procedure, step.next)
        from_step = self.case.step
        self.arrive(visited, effects)
        self.event(
            EventKind.JOINED, **{"from": from_step, "to": self.case.step, "visited": visited}
        )

    def reopen(self) -> None:
        """Back into work after resolution: a new resolution clock, counted as a comeback."""
        case = self.case
        case.resolved_at = None
        case.comeback_count += 1
        case.clock_cycle += 1
        case.return_visit_due = None
        clocks.start_clocks(case, self.procedure, self.now)

    # -- effects ---------------------------------------------------------------------------

    def apply(self, effects: list[Effect]) -> None:
        from fuwu.notifications.services import notify, recipients

        case = self.case
        for effect in effects:
            if effect.notify:
                n = effect.notify
                users = recipients(case, n.to, level=n.level, role=n.role, department=n.department)
                msg = {"message_zh": n.message.zh, "message_en": n.message.en} if n.message else {}
                if n.to == NotifyTarget.CUSTOMER and n.message is not None:
                    self.customer_messages.append(n.message)
                self.after_save.append(
                    lambda users=users, msg=msg: notify(
                        users, case=case, kind="notify", data={**self.note_data(), **msg}
                    )
                )
            elif effect.schedule_return_visit:
                from fuwu.procedures.engine.durations import parse_span

                due = parse_span(effect.schedule_return_visit).after(
                    self.now, clocks.calendar_for(case, self.procedure)
                )
                case.return_visit_due = due
                self.event(EventKind.RETURN_VISIT_SCHEDULED, due=due.isoformat())
            elif effect.mark_comeback:
                case.comeback_count += 1
            elif effect.flag_major:
                self.flag_major()
            elif effect.set is not None:
                values = set_values(self.procedure, effect.set, case.data, self.now)
                case.data = {**case.data, **values}
            elif effect.register_out or effect.register_in:
                self.after_save.append(lambda effect=effect: self._register(effect))
            elif effect.open_linked_case:
                link = effect.open_linked_case
                self.after_save.append(
                    lambda link=link: self._open_linked(link.procedure, link.copy_fields)
                )
            elif effect.book_appointment or effect.appointment_status:
                # After the case row is written: the appointment names the case. A refused
                # booking raises, and the whole move is rolled back with it.
                self.after_save.append(lambda effect=effect: self._appointment(effect))
            elif effect.open_repair_jobs:
                # After the case row is written: the jobs name the case and its promised time.
                self.after_save.append(self._repair_jobs)
            elif effect.book_visit or effect.visit_status:
                # After the case row is written, like an appointment; a refused visit raises
                # and the whole move is rolled back with it.
                self.after_save.append(lambda effect=effect: self._visit(effect))
            elif effect.update_asset or effect.update_customer:
                # After the case row is written: the record history names the case, and the
                # values are the case's data as this change leaves it.
                self.after_save.append(lambda effect=effect: self._write_back(effect))

    def _open_linked(self, procedure_key: str, copy_fields: list[str]) -> None:
        from fuwu.cases.actions import open_case

        case = self.case
        child = open_case(
            self.actor,
            procedure_key=procedure_key,
            site_id=case.site_id,
            channel="system",
            title=case.title,
            description=case.description,
            priority=case.priority,
            customer_id=case.customer_id,
            asset_id=case.asset_id,
            parent_id=case.pk,
            data={k: case.data[k] for k in copy_fields if k in case.data},
        )
        self.event(EventKind.LINKED_CASE_OPENED, case=child.pk, procedure=procedure_key)

    def _write_back(self, effect: Effect) -> None:
        """`update_asset` / `update_customer`: write case values to the case's record.

        Through the customer actions (lock, merge, RecordChange), in this transaction. A case
        without the asset / customer skips the write: the event says so (`skipped`), the case
        moves on; so do keys whose source field has no value (`blank`).
        """
        from fuwu.customers import actions as records
        from fuwu.procedures.engine.machine import record_values

        case = self.case
        if effect.update_asset:
            kind, record_id, spec = (
                EventKind.ASSET_UPDATED,
                case.asset_id,
                effect.update_asset.attributes,
            )
        else:
            assert effect.update_customer is not None
            kind, record_id, spec = (
                EventKind.CUSTOMER_UPDATED,
                case.customer_id,
                effect.update_customer.preferences,
            )
        values, blank = record_values(spec, case.data)
        extra: dict[str, Any] = {"blank": blank} if blank else {}
        if record_id is None:
            self.event(kind, skipped="no_asset" if effect.update_asset else "no_customer", **extra)
            return
        # The procedure writes, whoever took the step: the record is the case's own, on its site.
        writer = SYSTEM if self.actor.is_system else replace(SYSTEM, user=self.actor.user)
        if effect.update_asset:
            done = records.update_asset(writer, record_id, attributes=values, case_id=case.pk)
        else:
            done = records.update_customer(writer, record_id, preferences=values, case_id=case.pk)
        if not done.changes and not blank:
            return  # the record already held these values: nothing to tell
        self.event(
            kind,
            record=record_id,
            changes={k.partition(".")[2]: v for k, v in done.changes.items()},
            **extra,
        )

    def _appointment(self, effect: Effect) -> None:
        """Book the case's appointment into its workshop's hours (`book_appointment`; a booked
        one is moved instead), or mark it arrived, no-show or cancelled (`appointment_status`).
        The procedure's transition roles have decided who may; the booking rules still hold."""
        from fuwu.scheduling import booking
        from fuwu.scheduling.models import Appointment, AppointmentStatus, Workshop

        case = self.case
        booked = Appointment.objects.filter(case=case, status=AppointmentStatus.BOOKED)
        if effect.appointment_status:
            for appointment_id in booked.values_list("pk", flat=True):
                booking.set_status(SYSTEM, appointment_id, effect.appointment_status, now=self.now)
            return
        spec = effect.book_appointment
        assert spec is not None
        workshop = (
            Workshop.objects.select_related("department__site")
            .filter(department__site_id=case.site_id, department__code=spec.department)
            .first()
        )
        at, hours = case.data.get(spec.at_field), case.data.get(spec.hours_field)
        codes = booking.operation_codes(
            case.data.get(spec.operations_field) if spec.operations_field else None
        )
        if workshop is not None and at and hours in (None, "") and not codes:
            raise Unprocessable("no_hours")  # neither hours typed nor an operation named
        if workshop is None or not at:
            self.event(
                EventKind.APPOINTMENT, skipped="no_workshop" if workshop is None else "no_time"
            )
            return
        starts_at = datetime.fromisoformat(str(at))
        if starts_at.tzinfo is None:
            starts_at = starts_at.replace(tzinfo=ZoneInfo(workshop.site.timezone))
        current = booked.first()
        if current is not None:
            done = booking.rebook(
                self.actor, current.pk, starts_at=starts_at, authorised=True, now=self.now
            )
        else:
            if case.customer is None:
                raise Unprocessable("appointment_needs_customer")
            done = booking.book(
                self.actor,
                workshop,
                customer=case.customer,
                asset=case.asset,
                starts_at=starts_at,
                jobs=booking.case_jobs(case.title, hours, codes),
                case_id=case.pk,
                authorised=True,
                now=self.now,
            )
        self.event(
            EventKind.APPOINTMENT,
            appointment=done.pk,
            at=done.starts_at.isoformat(),
            hours=str(done.hours),
        )

    def _repair_jobs(self) -> None:
        """`open_repair_jobs`: the repair order's jobs from its appointment's lines, promised
        for the case's `promised_at`, for the workshop to dispatch (fuwu.scheduling.production).
        Lines already made into jobs are skipped; a case without an appointment gets none (jobs
        are then added at reception)."""
        from fuwu.scheduling.production import jobs_for_case

        jobs_for_case(self.case)

    def _visit(self, effect: Effect) -> None:
        """`book_visit`: put the case's job on the field team's list (fuwu.scheduling.routes)
        at its asset's place, on the day and in the window of the case's fields; a live visit
        of the case is cancelled first (it leaves its route), so a rescheduled case has one.
        `visit_status`: mark the case's live visit done or cancelled. The procedure's
        transition roles have decided who may; the visit's rules (a working day, a window
        within the site's hours, a place) still hold, and a refusal refuses the move."""
        from fuwu.scheduling import routes
        from fuwu.scheduling.case_visits import live_visits, visit_request

        case = self.case
        # The procedure acts, whoever took the step: the visit is the case's own, on its site.
        writer = SYSTEM if self.actor.is_system else replace(SYSTEM, user=self.actor.user)
        live = live_visits(case)
        if effect.visit_status:
            for visit_id in live:
                routes.set_visit_status(writer, visit_id, effect.visit_status, now=self.now)
                self.event(EventKind.FIELD_VISIT, visit=visit_id, status=effect.visit_status)
            return
        spec = effect.book_visit
        assert spec is not None
        request = visit_request(case, spec)
        if request.skipped:
            self.event(EventKind.FIELD_VISIT, skipped=request.skipped)
            return
        for visit_id in live:
            routes.set_visit_status(writer, visit_id, "cancelled", now=self.now)
        visit = routes.add_visit(writer, **request.arguments(), case_id=case.pk)
        self.event(
            EventKind.FIELD_VISIT,
            visit=visit.pk,
            day=visit.day.isoformat(),
            window=[f"{visit.window_start:%H:%M}", f"{visit.window_end:%H:%M}"],
            minutes=visit.service_minutes,
            **({"replaced": live} if live else {}),
        )

    def _register(self, effect: Effect) -> None:
        """Hand something out (`register_out`) or take it back (`register_in`), by this case."""
        from fuwu.registers.models import Entry

        case = self.case
        if effect.register_in:
            n = Entry.objects.filter(
                case=case, register=effect.register_in.book, returned_at__isnull=True
            ).update(returned_at=self.now)
            self.event(EventKind.REGISTERED, register=effect.register_in.book, returned=n)
            return
        spec = effect.register_out
        assert spec is not None
        item = (
            case.data.get(spec.item_field)
            if spec.item_field
            else (case.asset.label if case.asset else "")
        )
        holder = (
            case.data.get(spec.holder_field)
            if spec.holder_field
            else (case.customer.name if case.customer else "")
        )
        due = case.data.get(spec.due_field) if spec.due_field else None
        due_at = None
        if due:
            due_at = datetime.fromisoformat(str(due))
            if due_at.tzinfo is None:  # a date: due by the end of that day, site time
                due_at = timezone.make_aware(due_at.replace(hour=23, minute=59))
        entry = Entry.objects.create(
            site_id=case.site_id,
            register=spec.book,
            item=str(item or "—")[:200],
            holder=str(holder or "—")[:200],
            case=case,
            out_at=self.now,
            due_back=due_at,
        )
        self.event(
            EventKind.REGISTERED,
            register=spec.book,
            entry=entry.pk,
            item=entry.item,
            holder=entry.holder,
            due_back=due_at.isoformat() if due_at else None,
        )

    def flag_major(self) -> None:
        from fuwu.notifications.services import notify, recipients

        if self.case.is_major:
            return
        self.case.is_major = True
        self.event(EventKind.MAJOR_FLAGGED)
        spec = self.procedure.major_notify
        case = self.case

        def tell() -> None:
            users = (
                recipients(
                    case, spec.to, level=spec.level, role=spec.role, department=spec.department
                )
                if spec
                else recipients(case, "top")
            )
            notify(users, case=case, kind="major", data=self.note_data())

        self.after_save.append(tell)

    def note_data(self) -> dict[str, Any]:
        return {"number": self.case.number, "title": self.case.title, "step": self.case.step}

    # -- writing ---------------------------------------------------------------------------

    def _texts(self) -> list[str]:
        case = self.case
        return search_index.case_texts(case.title, case.description, case.data, self.procedure)

    def finish(self) -> Case:
        """Write the case, its events and tasks; reschedule its clock check. Same transaction."""
        case = self.case
        # The one place computed fields follow the data, whatever changed it (a form, a branch,
        # a `set` effect, the portal); the first event says what they became.
        computed = recompute(self.procedure, case.data, self.now)
        if computed:
            case.data = {**case.data, **computed}
        # An `until:` or timer field may have changed (computed ones too, hence after them).
        clocks.recompute(case, self.procedure, only_from_data=True)
        case.next_escalation_at = clocks.next_moment(case, self.procedure)
        case.updated_at = self.now
        created = case.pk is None
        base = case.last_seq
        planned = len(self.events)
        if created:
            case.last_seq = base + planned  # known before the INSERT, which saves an UPDATE
            insert_rows(Case, [case], _SAVED)  # as case.save() (Case has no save signals)
        elif versioned_state(case) != self.versioned_before:
            case.version += 1  # only a change of state conflicts with an open form
        for callback in self.after_save:
            callback()  # may add events (a linked case), never changes the tracked fields
        texts = self._texts()
        if created or texts != self._texts_before:
            # The search index follows the case in this transaction (fuwu.search.index).
            search_index.put(case.pk, case.site_id, case.created_at, texts)
        after = tracked_state(case)
        changed = {k: v for k, v in after.items() if self.before.get(k, object()) != v}
        outcome = self._sla_outcome()
        rows = []
        for i, (kind, data) in enumerate(self.events):
            if i == 0 and changed:
                data = {**data, "set": changed}
            if i == 0 and computed:
                data = {**data, "computed": computed}
            if i == 0 and outcome:
                data = {**data, "sla": outcome}
            rows.append(
                Event(
                    case=case,
                    seq=base + i + 1,
                    kind=kind,
                    actor=self.actor.user,
                    at=self.now,
                    data=data,
                )
            )
        case.last_seq = base + len(self.events)
        if not created:
            # Only what changed (the version, last_seq and updated_at always do), by a
            # statement made once per column list (Case has no save signals).
            before = self._row_before
            update_row(case, [n for n, was in before.items() if getattr(case, n) != was])
        elif len(self.events) != planned:
            case.save()
        insert_rows(Event, rows, _EVENT_COLUMNS, key="seq")
        # Webhook deliveries of these events, written and queued in this transaction: a
        # rolled-back change sends nothing. No query when nobody subscribes (a cached list).
        from fuwu.channels.webhooks.outbox import record as record_webhooks

        record_webhooks(case, rows)
        if case.customer_id is not None:
            from fuwu.channels.outbound import notices_for

            # The customer hears of it (a Delivery and its task, same transaction).
            notices_for(self)
        if self._pending_tasks:
            CaseTask.objects.bulk_create(self._pending_tasks)
        moment = case.next_escalation_at
        # A check is pending at or before `next_before` (the invariant). Only an earlier moment
        # needs a new one: a later one is picked up when that check runs and finds nothing due.
        if moment and (self.reschedule or self.next_before is None or moment < self.next_before):
            from fuwu.sla.tasks import check_clocks

            # Enqueued in this transaction (database task backend): it exists iff the change does.
            check_clocks.using(run_after=moment).enqueue(case.pk)
        return case

    def _sla_outcome(self) -> dict[str, Any]:
        """What this change did to the service levels, stamped on its first event with the
        deadline it was judged against, so reports read it from the events alone and a rebuild
        from them gives the same answer however the case moves later (`fuwu.reports.fold`).
        Columns already in memory: no query on the write path."""
        case = self.case
        responded, resolved, comebacks = self._sla_before
        out: dict[str, Any] = {}
        if responded is None and case.first_response_at is not None:
            out["response"] = _judged(case.first_response_at, case.response_due)
        if resolved is None and case.resolved_at is not None:
            out["resolution"] = _judged(case.resolved_at, case.resolution_due)
        if case.comeback_count > comebacks:
            out["comebacks"] = case.comeback_count - comebacks
        return out


def _judged(at: datetime, due: datetime | None) -> dict[str, Any]:
    return {"due": due.isoformat() if due else None, "late": due is not None and at > due}


def open_tasks(case: Case) -> list[CaseTask]:
    return list(
        CaseTask.objects.filter(
            case=case, step=case.step, cycle=case.step_cycle, state=TaskState.OPEN
        )
    )
