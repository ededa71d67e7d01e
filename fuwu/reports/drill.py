"""The cases behind a number of the quality and workload reports: the counted occurrences of a
measure (`FactItem`) under the same `Filters` as the figure, or cases as they stand now; the
rows are `service_levels.Occurrence`, named for a reader by `service_levels.named`."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from django.db.models import Q, QuerySet

from fuwu.cases.models import Case
from fuwu.reports.models import FactItem
from fuwu.reports.service_levels import Filters, Occurrence

LIMIT = 500
RELATED = ("site", "department", "assignee__staff")


@dataclass(frozen=True)
class Window:
    """Which of the rows behind a number to read: `limit` of them from `offset` (a page on
    screen; the API's first 500). The count is always of them all."""

    offset: int = 0
    limit: int = LIMIT

    @property
    def stop(self) -> int:
        return self.offset + self.limit


FIRST = Window()


# What a drill-down row never shows: the case's procedure data (JSON, often kilobytes).
HEAVY = ("data",)


def _cases() -> QuerySet[Case]:
    return Case.objects.select_related(*RELATED).defer(*HEAVY)


def items(
    filters: Filters,
    measures: Iterable[str],
    *,
    detail: str | None = None,
    detail_prefix: str | None = None,
    procedures: Iterable[str] | None = None,
    step: str | None = None,
    day: date | None = None,
) -> QuerySet[FactItem]:
    """The occurrences of `measures` the filters (and the narrower conditions) select."""
    qs = filters.facts(FactItem.objects.filter(measure__in=list(measures)))
    if detail is not None:
        qs = qs.filter(detail=detail)
    if detail_prefix is not None:
        qs = qs.filter(detail__startswith=detail_prefix)
    if procedures is not None:
        qs = qs.filter(procedure_key__in=list(procedures))
    if step is not None:
        qs = qs.filter(step=step)
    if day is not None:
        qs = qs.filter(day=day)
    return qs


def occurrences(qs: QuerySet[FactItem], *, window: Window = FIRST) -> tuple[int, list[Occurrence]]:
    """(how many, the window's) occurrences, their cases read in one query."""
    count = qs.count()
    picked = list(
        qs.order_by("day", "event_id").values_list(
            "case_id", "day", "detail", "step", "department_id", "person_id"
        )[window.offset : window.stop]
    )
    by_id = _cases().in_bulk({p[0] for p in picked})
    return count, [Occurrence(by_id[p[0]], *p[1:]) for p in picked if p[0] in by_id]


def picked(
    rows: list[tuple[int, date | None, str, str, int | None, int | None]],
    *,
    window: Window = FIRST,
) -> tuple[int, list[Occurrence]]:
    """Occurrences chosen in Python (case id, day, detail, step, department, person)."""
    shown = rows[window.offset : window.stop]
    by_id = _cases().in_bulk({r[0] for r in shown})
    return len(rows), [Occurrence(by_id[r[0]], *r[1:]) for r in shown if r[0] in by_id]


def now(cases: QuerySet[Case], *, window: Window = FIRST) -> tuple[int, list[Occurrence]]:
    """Cases as they stand now (their own step, department and assignee)."""
    count = cases.count()
    rows = (
        cases.select_related(*RELATED)
        .defer(*HEAVY)
        .order_by("created_at", "id")[window.offset : window.stop]
    )
    return count, [Occurrence(c, None, "", c.step, c.department_id, c.assignee_id) for c in rows]


def where(procedure: str | None, step: str | None) -> Q:
    q = Q()
    if procedure is not None:
        q &= Q(procedure_key=procedure)
    if step is not None:
        q &= Q(step=step)
    return q
