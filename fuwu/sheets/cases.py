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

from fuwu.cases.choices import Priority, Status
from fuwu.cases.models import Case, case_number
from fuwu.core.models import Department
from fuwu.customers.masks import mask_phone
from fuwu.procedures.engine.definition import Procedure
from fuwu.procedures.models import ProcedureVersion
from fuwu.procedures.registry import definition_of
from fuwu.sheets.tables import Column, Kind

User = get_user_model()

BATCH = 2000


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

    def load(self, rows: list[tuple[Any, ...]]) -> None:
        """Read what the batch's rows (`FIELDS`) name and was not read before."""
        missing = {r[_PROCEDURE] for r in rows} - self.versions.keys()
        for v in ProcedureVersion.objects.filter(pk__in=missing):
            name = v.name_en if self.english and v.name_en else v.name_zh
            self.versions[v.pk] = (name, definition_of(v))
        missing = {r[_DEPARTMENT] for r in rows} - self.departments.keys()
        for d in Department.objects.filter(pk__in=missing).only("name", "name_en"):
            self.departments[d.pk] = d.name_en if self.english and d.name_en else d.name
        missing = {r[_ASSIGNEE] for r in rows if r[_ASSIGNEE]} - self.people.keys()
        for u in User.objects.filter(pk__in=missing).select_related("staff"):
            staff = getattr(u, "staff", None)
            self.people[u.pk] = staff.display_name if staff else u.get_full_name() or u.username


# The columns read for each row: a tuple, not a model instance (a third of the cost per row).
# `next_due` is the case's stored earliest running deadline (fuwu.sla.lateness).
FIELDS = (
    "pk",
    "created_at",
    "title",
    "procedure_id",
    "step",
    "status",
    "priority",
    "customer__name",
    "customer__phone",
    "asset__label",
    "department_id",
    "assignee_id",
    "next_due",
)
_PROCEDURE, _DEPARTMENT, _ASSIGNEE = (
    FIELDS.index(f) for f in ("procedure_id", "department_id", "assignee_id")
)


def _rows(qs: QuerySet[Case], language: str) -> Iterator[Sequence[Any]]:
    names = _Names(english=language.lower().startswith("en"))
    statuses = {k: str(v) for k, v in Status.choices}
    priorities = {k: str(v) for k, v in Priority.choices}
    steps: dict[tuple[int, str], str] = {}
    rows = qs.values_list(*FIELDS).iterator(chunk_size=BATCH)
    while batch := list(islice(rows, BATCH)):
        names.load(batch)
        for (
            pk,
            created_at,
            title,
            procedure_id,
            step_key,
            status,
            priority,
            customer_name,
            phone,
            asset_label,
            department_id,
            assignee_id,
            due,
        ) in batch:
            procedure_name, procedure = names.versions[procedure_id]
            step_name = steps.get((procedure_id, step_key))
            if step_name is None:
                step = procedure.steps.get(step_key)
                step_name = steps[procedure_id, step_key] = (
                    step.name.get(language) if step else step_key
                )
            yield (
                case_number(pk, created_at),
                title,
                procedure_name,
                step_name,
                statuses.get(status, status),
                priorities.get(priority, priority),
                customer_name or "",
                mask_phone(phone) if phone else "",
                asset_label or "",
                names.departments.get(department_id, ""),
                names.people.get(assignee_id, "") if assignee_id else "",
                created_at,
                due,
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
