"""What the case lists of the staff pages share: reading the query string into `CaseFilter`,
the columns of one row (names in the reader's language, the deadline to watch), paging
without counting a whole table, and the "breaches first" order of My work.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.http import QueryDict
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from pydantic import ValidationError

from fuwu.cases.choices import Channel, Priority, Status, TaskState
from fuwu.cases.models import Case, CaseTask
from fuwu.cases.queries import CaseFilter
from fuwu.core.actors import Actor, org_local
from fuwu.core.models import Department, Staff
from fuwu.procedures.engine.definition import Procedure, Step
from fuwu.procedures.models import ProcedureVersion
from fuwu.procedures.registry import definition_of
from fuwu.sla import lateness
from fuwu.sla.lateness import next_due, running_clocks

User = get_user_model()

# Customer and asset are joined to the cases; procedure, department and assignee are few per
# page and read afterwards in one query each. Joining them all made the planners go wrong on
# 100,000 cases (SQLite started from the procedures and sorted the whole site; PostgreSQL
# spent longer planning the eight-table join than running it).
ROW_RELATED = ("customer", "asset")
ROW_DEFER = ("data", "description", "fired_rungs")


FIELD_LABELS: dict[str, Any] = {
    "status": gettext_lazy("状态"),
    "open": gettext_lazy("是否关闭"),
    "step": gettext_lazy("步骤"),
    "procedure": gettext_lazy("服务程序"),
    "department": gettext_lazy("部门"),
    "assignee": gettext_lazy("处理人"),
    "priority": gettext_lazy("优先级"),
    "site": gettext_lazy("项目"),
    "channel": gettext_lazy("渠道"),
    "overdue": gettext_lazy("已超时"),
    "major": gettext_lazy("重大"),
    "at_risk": gettext_lazy("临近超时"),
    "created_from": gettext_lazy("受理日期起"),
    "created_to": gettext_lazy("受理日期止"),
    "resolved_from": gettext_lazy("解决日期起"),
    "resolved_to": gettext_lazy("解决日期止"),
    "q": gettext_lazy("搜索"),
    "ordering": gettext_lazy("排序"),
    "page": gettext_lazy("页码"),
    "page_size": gettext_lazy("每页条数"),
}
LIST_FIELDS = frozenset({"status", "priority"})
CHOICES: dict[str, frozenset[str]] = {
    "status": frozenset(Status.values),
    "priority": frozenset(Priority.values),
    "channel": frozenset(Channel.values),
}


def field_label(name: str) -> str:
    return str(FIELD_LABELS.get(name, name))


def filter_params(params: QueryDict) -> dict[str, Any]:
    """The query string's CaseFilter fields, empty values left out (a form sends them all)."""
    out: dict[str, Any] = {}
    for name in CaseFilter.model_fields:
        values = [v.strip() for v in params.getlist(name) if v.strip()]
        if values:
            out[name] = values if name in LIST_FIELDS else values[-1]
    return out


def parse_filter(params: QueryDict) -> tuple[CaseFilter, list[str]]:
    """Read a query string into the API's `CaseFilter`.

    A bad value never fails the page: it is left out, and a message (in the reader's language)
    names the field, so the rest of the filter still applies.
    """
    data = filter_params(params)
    problems: list[str] = []
    for name, allowed in CHOICES.items():
        if name not in data:
            continue
        values = data[name] if isinstance(data[name], list) else [data[name]]
        if any(v not in allowed for v in values):
            problems.append(name)
            del data[name]
    try:
        filters = CaseFilter.model_validate(data)
    except ValidationError as exc:
        bad = {str(err["loc"][0]) for err in exc.errors() if err["loc"]}
        problems.extend(sorted(bad))
        for name in bad:
            data.pop(name, None)
        try:
            filters = CaseFilter.model_validate(data)
        except ValidationError:
            filters = CaseFilter.model_validate({})
    messages = [
        _("筛选条件“%(field)s”的值无效，已忽略。") % {"field": field_label(name)}
        for name in dict.fromkeys(problems)
    ]
    return filters, messages


def query_string(filters: CaseFilter, *, without: tuple[str, ...] = ("page",)) -> str:
    """The query string that gives these filters back (defaults and `without` left out)."""
    params = QueryDict(mutable=True)
    defaults = CaseFilter.model_validate({})
    for name in CaseFilter.model_fields:
        value = getattr(filters, name)
        if name in without or value is None:
            continue
        # An ordering chosen for the overdue view is kept even when it is the default one,
        # which that view would otherwise replace by "late" (CaseFilter.order).
        chosen = name == "ordering" and filters.overdue and name in filters.model_fields_set
        if value == getattr(defaults, name) and not chosen:
            continue
        if isinstance(value, list):
            params.setlist(name, [str(v) for v in value])
        elif isinstance(value, bool):
            params[name] = "true" if value else "false"
        else:
            params[name] = str(value)
    return params.urlencode()


# -- deadlines -------------------------------------------------------------------------------


def running_deadline(case: Case) -> tuple[datetime | None, datetime | None]:
    """The earliest deadline of a clock still running, and that clock's start (for colouring).

    The response clock runs until the first response; the resolution clock until resolved and
    not while paused; the step clock while the case stands on the step.
    """
    found = running_clocks(case)
    if not found:
        return None, None
    return min(found, key=lambda pair: pair[0])


def breaches_first(qs: QuerySet[Case]) -> QuerySet[Case]:
    return qs.order_by(next_due(), "pk")


# -- rows ------------------------------------------------------------------------------------


_DEFINITIONS: dict[tuple[int, str], Procedure] = {}


def definitions(versions: list[ProcedureVersion]) -> dict[int, Procedure]:
    """The parsed definitions of these versions, read in one query for those not yet cached.

    The versions came with their `definition` deferred: reading it on each would be a query a
    row. Versions never change, so the cache is keyed by (id, checksum) and kept.
    """
    missing = {v.pk for v in versions if (v.pk, v.checksum) not in _DEFINITIONS}
    if missing:
        for full in ProcedureVersion.objects.filter(pk__in=missing):
            _DEFINITIONS[(full.pk, full.checksum)] = definition_of(full)
    return {v.pk: _DEFINITIONS[(v.pk, v.checksum)] for v in versions}


@dataclass(frozen=True)
class Row:
    case: Case
    procedure: str
    step: str
    department: str
    assignee: str
    due: datetime | None
    due_start: datetime | None
    state: str  # ok / risk / late / none: the case's colour (fuwu.sla.lateness.state)
    url: str = ""  # the case page
    # At a parallel step: the branches still open, "name (department)" — the department lists
    # hold a case for its branches too (fuwu.cases.queries.open_branches).
    branches: tuple[str, ...] = ()


def is_english(language: str | None) -> bool:
    return (language or "").lower().startswith("en")


def person_name(user: Any) -> str:
    if user is None:
        return ""
    staff = getattr(user, "staff", None)
    return staff.display_name if staff else user.get_full_name() or user.username


def department_name(department: Any, language: str | None) -> str:
    if is_english(language) and department.name_en:
        return str(department.name_en)
    return str(department.name)


def rows_of(cases: list[Case], language: str | None) -> list[Row]:
    """Cases read with `for_rows` as the rows a list shows: three small queries whatever the
    number of rows (the page's procedure versions, departments and assignees)."""
    if not cases:
        return []
    by_version = _versions({c.procedure_id for c in cases})
    parsed = definitions(list(by_version.values()))
    tasks = _open_tasks(cases, parsed)
    departments = _departments()
    people = _people({c.assignee_id for c in cases if c.assignee_id})
    en = is_english(language)
    now = timezone.now()
    # Reversed once, not once a row: "/cases/0/" → "/cases/" + id + "/".
    case_url = reverse("web:case", args=[0]).removesuffix("0/")
    out = []
    for case in cases:
        procedure = parsed[case.procedure_id]
        version = by_version[case.procedure_id]
        step = procedure.steps.get(case.step)
        due, start = running_deadline(case)
        out.append(
            Row(
                case=case,
                procedure=version.name_en if en else version.name_zh,
                step=step.name.get(language) if step else case.step,
                department=department_name(departments[case.department_id], language),
                assignee=people.get(case.assignee_id, "") if case.assignee_id else "",
                due=due,
                due_start=start,
                state=lateness.state(case, now),  # the case's colour: any clock, one rule
                url=f"{case_url}{case.pk}/",
                branches=tuple(
                    _branch_text(step, t, departments[t.department_id], language)
                    for t in tasks
                    if step and t.case_id == case.pk
                ),
            )
        )
    return out


# A procedure version never changes once written: its row, read once per process.
_VERSIONS: dict[int, ProcedureVersion] = {}


def _versions(ids: set[int]) -> dict[int, ProcedureVersion]:
    missing = ids - _VERSIONS.keys()
    if missing:
        for v in ProcedureVersion.objects.filter(pk__in=missing).only(
            "id", "checksum", "name_zh", "name_en"
        ):
            _VERSIONS[v.pk] = v
    return {pk: _VERSIONS[pk] for pk in ids}


@dataclass(frozen=True)
class _Department:
    name: str
    name_en: str


def _departments() -> dict[int, _Department]:
    """Every department's names, kept per organisation generation (a rename is seen at once)."""
    return org_local(
        lambda: {
            pk: _Department(name, name_en or "")
            for pk, name, name_en in Department.objects.values_list("pk", "name", "name_en")
        },
        "department-names",
    )


def _people(ids: set[int]) -> dict[int, str]:
    """The names lists show for these people (assignees), from every staff member's, kept per
    organisation generation; someone without a staff record is read by id."""
    names: dict[int, str] = org_local(
        lambda: dict(Staff.objects.exclude(display_name="").values_list("user_id", "display_name")),
        "staff-names",
    )
    missing = ids - names.keys()
    found = {pk: names[pk] for pk in ids & names.keys()}
    if missing:
        for user in User.objects.select_related("staff").filter(pk__in=missing):
            found[user.pk] = person_name(user)
    return found


def _open_tasks(cases: list[Case], parsed: dict[int, Procedure]) -> list[CaseTask]:
    """The open branches of the cases standing on a parallel step: no query without one."""
    at_parallel = [
        c
        for c in cases
        if (step := parsed[c.procedure_id].steps.get(c.step)) is not None and step.branches
    ]
    if not at_parallel:
        return []
    here = {(c.pk, c.step, c.step_cycle) for c in at_parallel}
    found = CaseTask.objects.filter(
        case_id__in=[c.pk for c in at_parallel], state=TaskState.OPEN
    ).order_by("pk")
    return [t for t in found if (t.case_id, t.step, t.cycle) in here]


def _branch_text(step: Step, task: CaseTask, department: Any, language: str | None) -> str:
    spec = next((b for b in step.branches if b.key == task.branch), None)
    name = spec.name.get(language) if spec else task.branch
    return _("%(branch)s（%(department)s）") % {
        "branch": name,
        "department": department_name(department, language),
    }


def for_rows(qs: QuerySet[Case]) -> QuerySet[Case]:
    return qs.select_related(*ROW_RELATED).defer(*ROW_DEFER)


@dataclass(frozen=True)
class CasePage:
    rows: list[Row]
    number: int
    size: int
    has_next: bool
    count: int
    capped: bool  # more than COUNT_CAP cases match: `count` says "at least"

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def first(self) -> int:
        return (self.number - 1) * self.size + 1 if self.rows else 0

    @property
    def last(self) -> int:
        return (self.number - 1) * self.size + len(self.rows)

    @property
    def last_page(self) -> int | None:
        """The last page number, when the count is exact."""
        return None if self.capped else max(1, -(-self.count // self.size))


def page_of(
    qs: QuerySet[Case], actor: Actor, filters: CaseFilter, language: str | None
) -> CasePage:
    """One page of rows: read one row more than the page to know if there is a next page, and
    count only up to COUNT_CAP (a count of every match costs a scan of them all).

    The page's ids first, then those rows with what they show: joined before the limit, a
    search's few matches made PostgreSQL hash the whole customer and asset tables to sort them."""
    found = filters.read_page(qs, actor)
    by_id = {c.pk: c for c in for_rows(Case.objects.filter(pk__in=found.ids))}
    cases = [by_id[pk] for pk in found.ids if pk in by_id]
    return CasePage(
        rows=rows_of(cases, language),
        number=filters.page,
        size=filters.page_size,
        has_next=found.has_next,
        count=found.count,
        capped=found.capped,
    )
