"""Who may do what to a case: the one place the rules live (STYLE.md, lessons §2).

The actions in `cases/actions.py` enforce these rules under the case's lock; the API, the staff
pages and the portal only *ask* (`may_*`) to decide what to offer, so a page never shows a
button that then fails. A refusal is `Forbidden` (403) naming why, in both languages.

Who owns a step: the case's department while the case stands there (`Case.department`, set on
arrival from the step's owner); a parallel branch is owned by its task's department.

A person's standing towards a department (`standing`):
- *member*: their home department is it (`Staff.department`) and they work on its site;
- *overseer*: they manage it (`Department.manager`, or a member holding the `manager` role) or
  stand above one of its managers in the reporting line (`Staff.reports_to`, any depth; for a
  department without a manager, above one of its members); superusers (and the system)
  oversee everything.

The rules (issue 9, item 1):
- open a procedure: staff on the site whose roles own the start step or take its transitions
  (or `manager`, `vp`, `admin`; a start step naming no role: the members of its department),
  where the start department exists on the site — the intake desk's list (`may_open`), its
  POST and the API's create all end here; a customer
  opens procedures `open_to_customers` on their own site; the system (linked cases,
  campaigns, schedules) opens anything. The channel must be one the procedure takes (the
  intake page offers those a person uses; the API also takes `system` for procedures that a
  schedule normally opens, e.g. a month's billing run started by hand);
- take a step's transition: one who holds one of the transition's roles *and* has standing
  (member or overseer) in the step's department. The role still counts for overseers: an
  escalation ladder's rungs (`manager`, then `vp`) stay with their roles, and a manager who
  should act on a step is named in its transitions (most name `manager`). Superusers take any.
  Customers take only transitions whose roles name `customer`, on their own case, through the
  portal's actions;
- assign: a member with the `dispatcher` or `manager` role, or an overseer, to an *eligible*
  person (`eligible_assignees`: active staff of the site who are members holding a role of the
  step's transitions or of the steps they lead to — a dispatcher assigns the technician who
  repairs next — or the department's managers); anyone eligible may take for themselves a case
  that is unassigned, or whose assignee holds none of the current step's roles (the work moved
  on to another role, e.g. an escalation to the specialist); the assignee may give it back;
- transfer to another department: members of the owning department, or overseers;
- pause / resume the clock: the assignee, members of the owning department, or overseers;
- log work (billable hours, parts): the assignee, the owning department's technicians
  (`technician`, `engineer`, `specialist`), or overseers;
- flag major: members of the owning department, overseers, and the site's agents (the front
  line hears of a major incident first, and a missed one costs more than a false alarm);
- complete a parallel branch: members of the branch's department (holding the branch owner's
  role when it names one), or its overseers;
- comment: any staff member who may see the case (its site);
- read an internal note: its author, staff of the author's department, managers.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db.models import Q, QuerySet

from fuwu.core.actors import ORG_SECONDS, Actor, org_key
from fuwu.core.models import Department, Staff
from fuwu.procedures.engine.definition import FieldType, Procedure, Step, Transition
from fuwu.procedures.engine.errors import EngineError, FieldError, Forbidden

if TYPE_CHECKING:
    from fuwu.cases.models import Case, CaseTask, Event

User = get_user_model()

ASSIGNING_ROLES = frozenset({"dispatcher", "manager"})
WORKING_ROLES = frozenset({"technician", "engineer", "specialist"})
# Roles that may open any procedure their site runs, whoever owns the first step.
OPENING_ROLES = frozenset({"manager", "vp", "admin"})
CUSTOMER = "customer"


class Standing(Enum):
    NONE = "none"
    MEMBER = "member"
    OVERSEER = "overseer"


# -- the organisation of a site, cached (see core/actors.py for the invalidation) -------------


@dataclass(frozen=True)
class DepartmentInfo:
    department: Department
    managers: frozenset[int]  # user ids: Department.manager and members with the manager role
    overseers: frozenset[int]  # the managers and everyone above them in the reporting line


@dataclass(frozen=True)
class SiteOrg:
    site_id: int
    by_id: dict[int, DepartmentInfo]
    by_code: dict[str, int]

    def get(self, department_id: int | None) -> DepartmentInfo | None:
        return self.by_id.get(department_id) if department_id is not None else None

    def code(self, code: str) -> DepartmentInfo | None:
        pk = self.by_code.get(code)
        return self.by_id[pk] if pk is not None else None


def site_org(site_id: int) -> SiteOrg:
    """The site's departments, their managers and overseers: three queries, then cached."""
    key = org_key("site", site_id)
    hit = cache.get(key)
    if hit is not None:
        return hit
    departments = list(Department.objects.filter(site_id=site_id).order_by("code"))
    managers: dict[int, set[int]] = {
        d.pk: {d.manager_id} if d.manager_id else set() for d in departments
    }
    for user_id, department_id in Staff.objects.filter(
        department__site_id=site_id, roles__code="manager", user__is_active=True
    ).values_list("user_id", "department_id"):
        managers[department_id].add(user_id)
    # The whole reporting line, one row a person: organisations have hundreds, not millions.
    boss_of: dict[int, int | None] = {}
    staff_user: dict[int, int] = {}
    members: dict[int, set[int]] = {}
    for pk, user_id, reports_to, department_id in Staff.objects.values_list(
        "pk", "user_id", "reports_to_id", "department_id"
    ):
        boss_of[user_id] = reports_to
        staff_user[pk] = user_id
        members.setdefault(department_id, set()).add(user_id)
    by_id = {}
    for d in departments:
        overseers = set(managers[d.pk])
        # Those above the managers; with no manager, those above the members.
        for user_id in managers[d.pk] or members.get(d.pk, set()):
            seen: set[int] = set()
            boss: int | None = boss_of.get(user_id)
            while boss is not None and boss not in seen:  # a loop in the admin must not hang
                seen.add(boss)
                above: int | None = staff_user.get(boss)
                if above is None:
                    break
                overseers.add(above)
                boss = boss_of.get(above)
        by_id[d.pk] = DepartmentInfo(d, frozenset(managers[d.pk]), frozenset(overseers))
    org = SiteOrg(site_id, by_id, {d.code: d.pk for d in departments})
    cache.set(key, org, ORG_SECONDS)
    return org


def resolve(site_id: int, code: str, procedure: Procedure | None = None) -> DepartmentInfo | None:
    """The site's department a definition means by `code`: the one with that code, else the
    first of the procedure's stand-ins for it (`departments:`) that the site has."""
    org = site_org(site_id)
    found = org.code(code)
    if found is None and procedure is not None:
        for other in procedure.departments.get(code, []):
            found = org.code(other)
            if found is not None:
                break
    return found


def department_choices(procedure: Procedure, site_id: int) -> dict[str, set[str]]:
    """For each choice field that names a department (`owner.department_field`), the option
    values that resolve on this site: the others are not offered there."""
    keys = {
        owner.department_field
        for step in procedure.steps.values()
        for owner in [step.owner, *(b.owner for b in step.branches)]
        if owner is not None and owner.department_field
    }
    fields = procedure.all_fields()
    return {
        key: {o.value for o in fields[key].options or [] if resolve(site_id, o.value, procedure)}
        for key in keys
        if key in fields
    }


def department_names(department: Department | None) -> dict[str, Any]:
    """Message parameters naming a department in both languages."""
    if department is None:
        return {"department_zh": "—", "department_en": "—"}
    return {
        "department_zh": department.name,
        "department_en": department.name_en or department.name,
    }


# -- standing ---------------------------------------------------------------------------------


def standing(actor: Actor, site_id: int, department_id: int | None) -> Standing:
    if actor.superuser:
        return Standing.OVERSEER
    if actor.user_id is None or actor.is_customer:
        return Standing.NONE
    info = site_org(site_id).get(department_id)
    if info is None:
        return Standing.NONE
    if actor.user_id in info.overseers:
        return Standing.OVERSEER
    if actor.department_id == department_id and site_id in actor.site_ids:
        return Standing.MEMBER
    return Standing.NONE


def _owner(case: Case) -> Department | None:
    info = site_org(case.site_id).get(case.department_id)
    return info.department if info else None


def _refuse(code: str, department: Department | None) -> Forbidden:
    return Forbidden(code, **department_names(department))


# -- opening ----------------------------------------------------------------------------------


def _no_opening(procedure: Procedure) -> Forbidden:
    return Forbidden(
        "open_not_allowed", procedure_zh=procedure.name.zh, procedure_en=procedure.name.en
    )


def open_refusal(
    actor: Actor, procedure: Procedure, site_id: int, channel: str
) -> EngineError | None:
    """Why this person may not open `procedure` on the site and channel (None: they may)."""
    if actor.is_system:
        return None
    if not actor.may_see_site(site_id):
        return _no_opening(procedure)
    if actor.is_customer:
        if procedure.open_to_customers:
            return None
        return _no_opening(procedure)
    start = procedure.steps[procedure.start]
    owner = start.owner if start.owner and start.owner.department else procedure.owner
    info = resolve(site_id, owner.department, procedure) if owner.department else None
    if owner.department and info is None:
        return EngineError("no_such_department", department=owner.department)
    if actor.superuser or actor.roles & OPENING_ROLES:
        return None
    roles = {start.owner.role} if start.owner and start.owner.role else set()
    roles |= _step_roles(start)
    if roles & actor.roles:
        return None
    # A first step that names no role (the parallel checks of a monthly reconciliation) is
    # opened by hand by the department that owns it, not by everyone on the site.
    if not roles and info is not None and actor.department_id == info.department.pk:
        return None
    return _no_opening(procedure)


def may_open(actor: Actor, procedure: Procedure, site_id: int) -> bool:
    """For the intake page: may this person open the procedure from a channel a person uses?"""
    if not [c for c in procedure.channels if c != "system"]:
        return False
    channel = next(c for c in procedure.channels if c != "system")
    return open_refusal(actor, procedure, site_id, channel) is None


# -- the current step's transitions -------------------------------------------------------------


def step_roles(actor: Actor, case: Case) -> tuple[frozenset[str], bool]:
    """The roles this person acts with on the case's current step (none without standing in
    its department), and whether they may take any transition (a superuser): what the engine's
    `options`/`plan_transition` get."""
    if actor.superuser:
        return actor.roles, True
    if actor.is_customer:
        return actor.roles, False
    if standing(actor, case.site_id, case.department_id) is Standing.NONE:
        return frozenset(), False
    return actor.roles, False


def check_transition(
    actor: Actor, case: Case, transition: Transition | None
) -> tuple[frozenset[str], bool]:
    """`step_roles`, refusing one who holds the transition's role but not in the step's
    department (`step_owned_elsewhere`). One without the role gets no roles at all, so the
    engine refuses with `role_not_allowed` (or `unknown_transition`) as for anyone."""
    roles, everything = step_roles(actor, case)
    if everything or roles or actor.is_customer:
        return roles, everything
    if transition is not None and set(transition.roles) & actor.roles:
        raise _refuse("step_owned_elsewhere", _owner(case))
    return frozenset(), False


# -- assignment ----------------------------------------------------------------------------------


def _step_roles(step: Step | None) -> set[str]:
    if step is None:
        return set()
    return {r for t in step.transitions for r in t.roles if r != CUSTOMER}


def _work_roles(case: Case, step: Step | None) -> set[str]:
    """The roles that work the step or the steps its transitions lead to."""
    if step is None:
        return set()
    from fuwu.procedures.registry import definition_of

    steps = definition_of(case.procedure).steps
    roles = _step_roles(step)
    for t in step.transitions:
        roles |= _step_roles(steps.get(t.to))
    return roles


def eligible_assignees(case: Case, step: Step | None) -> QuerySet[Any]:
    """People who may work the step: active staff of the case's site who are members of the
    owning department holding a role of the step (or of the next steps), or its managers."""
    info = site_org(case.site_id).get(case.department_id)
    if info is None:
        return User.objects.none()
    roles = _work_roles(case, step)
    members = Q(staff__department_id=info.department.pk)
    if roles:
        members &= Q(staff__roles__code__in=roles)
    return (
        User.objects.filter(members | Q(pk__in=info.managers), is_active=True)
        .filter(staff__sites=case.site_id)
        .distinct()
    )


def assigning_fields(step: Step) -> set[str]:
    """Person fields whose pick also assigns the case: those of a dispatch step (owned by the
    dispatcher role), in its form or its moves' own fields. Others (who handled a complaint,
    whom the advisor consulted) only record a name."""
    if step.owner is None or step.owner.role != "dispatcher":
        return set()
    fields = [*step.form, *(f for t in step.transitions for f in t.fields)]
    return {f.key for f in fields if f.type is FieldType.PERSON}


def _carrying(step: Step, key: str) -> list[Transition]:
    """The moves that post `key`: those naming it among their own fields, or, for a field of
    the step's form, every move that does not leave the form aside."""
    in_form = any(f.key == key for f in step.form)
    return [
        t
        for t in step.transitions
        if any(f.key == key for f in t.fields) or (in_form and not t.skip_form)
    ]


def site_people(site_id: int) -> QuerySet[Any]:
    """Whom a person field that assigns nothing offers (a complaint's handler, the agent a
    scorecard reviews, any person field at intake): the site's active staff."""
    return User.objects.filter(is_active=True, staff__sites=site_id).distinct()


def pick_candidates(case: Case, step: Step, key: str) -> QuerySet[Any]:
    """Whom a person field offers. A dispatch field (`assigning_fields`) offers the people who
    may take the step it leads to: active staff of the site who are members of that step's
    department holding a role of its moves, or that department's managers. Any other person
    field offers the site's active staff."""
    site_staff = User.objects.filter(is_active=True, staff__sites=case.site_id)
    if key not in assigning_fields(step):
        return site_people(case.site_id)
    from fuwu.procedures.registry import definition_of

    procedure = definition_of(case.procedure)
    who = Q(pk__in=[])
    for t in _carrying(step, key):
        target = procedure.steps.get(t.to)
        if target is None:
            continue
        owner = target.owner
        code = (owner.department or case.data.get(owner.department_field or "")) if owner else None
        info = (
            resolve(case.site_id, code, procedure)
            if code and not (owner and owner.keep)
            else site_org(case.site_id).get(case.department_id)
        )
        if info is None:
            continue
        members = Q(staff__department_id=info.department.pk)
        roles = _step_roles(target)
        if roles:
            members &= Q(staff__roles__code__in=roles)
        who |= members | Q(pk__in=info.managers)
    return site_staff.filter(who).distinct()


def check_pick(case: Case, step: Step, key: str, username: str) -> Any:
    """The user a dispatch field names, refused (as the field's error) unless the field offers
    them: the pick is also an assignment, so it obeys the same rule as the assign panel."""
    user = pick_candidates(case, step, key).filter(username=username).first()
    if user is None:
        raise EngineError("invalid_form", fields={key: FieldError("not_eligible_person")})
    return user


def may_assign_others(actor: Actor, case: Case) -> bool:
    match standing(actor, case.site_id, case.department_id):
        case Standing.OVERSEER:
            return True
        case Standing.MEMBER:
            return bool(actor.roles & ASSIGNING_ROLES)
        case _:
            return False


def may_take_myself(actor: Actor, case: Case, step: Step | None) -> bool:
    """May this person take the case for themselves (offered as "I'll handle it")?"""
    if actor.user_id is None or case.assignee_id == actor.user_id:
        return False
    if _held_by_other(case, step) and not may_assign_others(actor, case):
        return False  # someone else's: only a dispatcher or manager reassigns
    return is_eligible(case, step, actor)


def _held_by_other(case: Case, step: Step | None) -> bool:
    """Assigned to someone who still works the current step (holds one of its roles)."""
    if case.assignee_id is None:
        return False
    from fuwu.core.actors import actor_for

    roles = _step_roles(step)
    return not roles or bool(roles & actor_for(case.assignee).roles)


def is_eligible(case: Case, step: Step | None, actor: Actor) -> bool:
    info = site_org(case.site_id).get(case.department_id)
    if info is None or actor.user_id is None or case.site_id not in actor.site_ids:
        return False
    if actor.user_id in info.managers:
        return True
    roles = _work_roles(case, step)
    return actor.department_id == case.department_id and (not roles or bool(roles & actor.roles))


def check_assign(actor: Actor, case: Case, step: Step | None, assignee_id: int | None) -> Any:
    """Refuse an assignment this person may not make; return the new assignee (a User) or None.

    Preconditions: `case` is locked. Raises `Forbidden` or `assignee_not_in_department`."""
    owner = _owner(case)
    if assignee_id is None:
        if case.assignee_id == actor.user_id or may_assign_others(actor, case):
            return None
        raise _refuse("assign_not_allowed", owner)
    if assignee_id == actor.user_id and not actor.superuser:
        taken = case.assignee_id != actor.user_id and _held_by_other(case, step)
        if taken and not may_assign_others(actor, case):
            raise _refuse("already_assigned", owner)
        if standing(actor, case.site_id, case.department_id) is Standing.NONE:
            raise _refuse("step_owned_elsewhere", owner)
    elif not may_assign_others(actor, case):
        raise _refuse("assign_not_allowed", owner)
    user = eligible_assignees(case, step).filter(pk=assignee_id).first()
    if user is None:
        person = User.objects.filter(pk=assignee_id).values_list("username", flat=True).first()
        raise EngineError(
            "assignee_not_in_department",
            person=person or str(assignee_id),
            **department_names(owner),
        )
    return user


# -- the other writes -------------------------------------------------------------------------


def may_transfer(actor: Actor, case: Case) -> bool:
    return standing(actor, case.site_id, case.department_id) is not Standing.NONE


def may_pause(actor: Actor, case: Case) -> bool:
    """Pause and resume the clock alike."""
    if actor.user_id is not None and case.assignee_id == actor.user_id:
        return True
    return standing(actor, case.site_id, case.department_id) is not Standing.NONE


def may_log_work(actor: Actor, case: Case) -> bool:
    if actor.user_id is not None and case.assignee_id == actor.user_id:
        return True
    match standing(actor, case.site_id, case.department_id):
        case Standing.OVERSEER:
            return True
        case Standing.MEMBER:
            return bool(actor.roles & WORKING_ROLES)
        case _:
            return False


def may_attach(actor: Actor, case: Case) -> bool:
    """Attach photos and files: the people who work the case — its assignee (a technician on
    his case), the owning department's staff and those above them. Not the customer (the
    portal's request form is their way), not staff of other departments."""
    if actor.is_customer:
        return False
    if actor.user_id is not None and case.assignee_id == actor.user_id:
        return True
    return standing(actor, case.site_id, case.department_id) is not Standing.NONE


def may_set_priority(actor: Actor, case: Case) -> bool:
    """The priority sets the deadlines: a dispatching decision, like assigning someone else."""
    return may_assign_others(actor, case)


def check_set_priority(actor: Actor, case: Case) -> None:
    if not may_set_priority(actor, case):
        raise _refuse("priority_not_allowed", _owner(case))


def may_flag_major(actor: Actor, case: Case) -> bool:
    if standing(actor, case.site_id, case.department_id) is not Standing.NONE:
        return True
    return "agent" in actor.roles and case.site_id in actor.site_ids


def may_comment(actor: Actor, case: Case) -> bool:
    if actor.superuser:
        return True
    return (
        not actor.is_customer and actor.department_id is not None and case.site_id in actor.site_ids
    )


def may_complete_branch(actor: Actor, case: Case, task: CaseTask, role: str | None) -> bool:
    match standing(actor, case.site_id, task.department_id):
        case Standing.OVERSEER:
            return True
        case Standing.MEMBER:
            return role is None or role in actor.roles
        case _:
            return False


def check(allowed: bool, code: str, case: Case, department_id: int | None = None) -> None:
    """Raise the refusal `code` (naming the owning department) unless `allowed`."""
    if allowed:
        return
    info = site_org(case.site_id).get(
        department_id if department_id is not None else case.department_id
    )
    raise _refuse(code, info.department if info else None)


def transition_allowed(t: Transition, roles: frozenset[str], everything: bool) -> bool:
    return everything or bool(set(t.roles) & roles)


# -- reading ------------------------------------------------------------------------------------


def may_read_note(actor: Actor, event: Event) -> bool:
    """Who reads an internal note: its author, staff of the author's department, managers.

    Public events are for everyone who may see the case. `event.actor.staff` should be
    selected with the events (select_related("actor__staff")).
    """
    if not (event.data or {}).get("internal"):
        return True
    if actor.is_manager or event.actor_id == actor.user_id:
        return True
    staff = getattr(event.actor, "staff", None) if event.actor_id else None
    return staff is not None and staff.department_id == actor.department_id
