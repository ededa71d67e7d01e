"""The case lists as a table: the queue (the whole filtered queue or the ticked rows) and the
API's list export the same columns through this one builder.

Rows are read with a server-side cursor in batches; the few procedure versions, departments
and people of a batch are read once per batch and remembered for the rest of the export, so
100,000 cases cost a few hundred queries and a constant amount of memory. A customer's phone
is always masked: an export leaves the system, so nobody reads a full number through one
(a reveal is logged, one number at a time, on the case page).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from itertools import islice
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from fuwu.cases.models import Case
from fuwu.core.models import Department
from fuwu.customers.masks import mask_phone
from fuwu.procedures.engine.definition import Procedure
from fuwu.procedures.models import ProcedureVersion
from fuwu.procedures.registry import definition_of
from fuwu.sheets.tables import Column, Kind
from fuwu.sla.lateness import running_clocks

User = get_user_model()

BATCH = 2000
DEFER = ("data", "description", "fired_rungs")


def case_columns() -> list[Column]:
    return [
        Column(_("工单号"), width=18),
        Column(_("标题"), width=30),
        Column(_("服务程序"), width=18),
        Column(_("步骤"), width=14),
        Column(_("状态"), width=10),
        Column(_("优先级"), width=8),
        Column(_("客户"), width=12),
        Column(_("电话"), width=14),
        Column(_("服务对象"), width=16),
        Column(_("部门"), width=14),
        Column(_("处理人"), width=10),
        Column(_("受理时间"), Kind.DATETIME, width=17),
        Column(_("时限"), Kind.DATETIME, width=17),
    ]


@dataclass
class _Names:
    """Names read once per export: procedure versions, departments, people."""

    english: bool
    versions: dict[int, tuple[str, Procedure]] = field(default_factory=dict)
    departments: dict[int, str] = field(default_factory=dict)
    people: dict[int, str] = field(default_factory=dict)

    def load(self, cases: list[Case]) -> None:
        missing = {c.procedure_id for c in cases} - self.versions.keys()
        for v in ProcedureVersion.objects.filter(pk__in=missing):
            name = v.name_en if self.english and v.name_en else v.name_zh
            self.versions[v.pk] = (name, definition_of(v))
        missing = {c.department_id for c in cases} - self.departments.keys()
        for d in Department.objects.filter(pk__in=missing).only("name", "name_en"):
            self.departments[d.pk] = d.name_en if self.english and d.name_en else d.name
        missing = {c.assignee_id for c in cases if c.assignee_id} - self.people.keys()
        for u in User.objects.filter(pk__in=missing).select_related("staff"):
            staff = getattr(u, "staff", None)
            self.people[u.pk] = staff.display_name if staff else u.get_full_name() or u.username


def _due(case: Case) -> Any:
    found = running_clocks(case)
    return min(due for due, _start in found) if found else None


def _rows(qs: QuerySet[Case], language: str) -> Iterator[Sequence[Any]]:
    names = _Names(english=language.lower().startswith("en"))
    cases = qs.select_related("customer", "asset").defer(*DEFER).iterator(chunk_size=BATCH)
    while batch := list(islice(cases, BATCH)):
        names.load(batch)
        for case in batch:
            procedure_name, procedure = names.versions[case.procedure_id]
            step = procedure.steps.get(case.step)
            customer = case.customer
            yield (
                case.number,
                case.title,
                procedure_name,
                step.name.get(language) if step else case.step,
                case.get_status_display(),
                case.get_priority_display(),
                customer.name if customer else "",
                mask_phone(customer.phone) if customer and customer.phone else "",
                case.asset.label if case.asset else "",
                names.departments.get(case.department_id, ""),
                names.people.get(case.assignee_id, "") if case.assignee_id else "",
                case.created_at,
                _due(case),
            )


@dataclass(frozen=True)
class CaseTable:
    """The cases of `qs` (already scoped to what the person may see, filtered and ordered)."""

    qs: QuerySet[Case]
    language: str
    name: str = "cases"

    @property
    def columns(self) -> list[Column]:
        return case_columns()

    @property
    def rows(self) -> Iterator[Sequence[Any]]:
        return _rows(self.qs, self.language)
