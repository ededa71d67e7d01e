"""The cases behind a number of the reports: the counted occurrences of a measure (`FactItem`)
under the same `Filters` as the figure, or cases as they stand now; the rows are
`service_levels.Occurrence`, named for a reader by `service_levels.named`.

How many: the sum of the counts (`Fact`) under the same conditions, not a count of the
occurrences. Every count is the number of its grain's occurrences by construction (`fold`:
`_store` adds what it inserts, `rebuild` sums them), and a month's counts are a few thousand
index entries where its occurrences are hundreds of thousands of rows (a cold COUNT of them
took a second at a million cases). Which ones: the window's rows in (day, event) order, read
per site along the `fact_item_site_measure_day` index (which gives that order within a site)
and merged, so no request sorts the period's occurrences to show a hundred of them."""

from __future__ import annotations

import heapq
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeVar

from django.db.models import Q, QuerySet, Sum

from fuwu.cases.models import Case
from fuwu.reports.models import Fact, FactItem, FactTotal
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


M = TypeVar("M", Fact, FactTotal, FactItem)


@dataclass(frozen=True)
class Selection:
    """The conditions on the model's grain behind one number, applied alike to the counts
    (`Fact`, or `FactTotal`) and to the occurrences (`FactItem`): all carry the grain's
    columns."""

    filters: Filters
    measures: tuple[str, ...]
    detail: str | None = None
    detail_prefix: str | None = None
    detail_suffix: str | None = None
    procedures: tuple[str, ...] | None = None
    step: str | None = None
    day: date | None = None

    def of(self, qs: QuerySet[M]) -> QuerySet[M]:
        """The conditions on `qs` (of `FactTotal` only with none on the detail)."""
        qs = self.filters.facts(qs.filter(measure__in=list(self.measures)))
        on_detail = {
            "detail": self.detail,
            "detail__startswith": self.detail_prefix,
            "detail__endswith": self.detail_suffix,
        }
        qs = qs.filter(**{k: v for k, v in on_detail.items() if v is not None})
        if self.procedures is not None:
            qs = qs.filter(procedure_key__in=list(self.procedures))
        if self.step is not None:
            qs = qs.filter(step=self.step)
        if self.day is not None:
            qs = qs.filter(day=self.day)
        return qs

    def count(self) -> int:
        """How many occurrences: the sum of their counts (see the module's docstring), from
        the totals over the detail when no condition is on the detail."""
        on_detail = (self.detail, self.detail_prefix, self.detail_suffix) != (None, None, None)
        counts = self.of(Fact.objects.all()) if on_detail else self.of(FactTotal.objects.all())
        return counts.aggregate(n=Sum("count"))["n"] or 0


def selection(
    filters: Filters,
    measures: Iterable[str],
    *,
    detail: str | None = None,
    detail_prefix: str | None = None,
    detail_suffix: str | None = None,
    procedures: Iterable[str] | None = None,
    step: str | None = None,
    day: date | None = None,
) -> Selection:
    return Selection(
        filters,
        tuple(str(m) for m in measures),
        detail=detail,
        detail_prefix=detail_prefix,
        detail_suffix=detail_suffix,
        procedures=tuple(procedures) if procedures is not None else None,
        step=step,
        day=day,
    )


def items(filters: Filters, measures: Iterable[str], **narrower: Any) -> QuerySet[FactItem]:
    """The occurrences of `measures` the filters (and the narrower conditions of `selection`)
    select."""
    return selection(filters, measures, **narrower).of(FactItem.objects.all())


ROW = ("case_id", "day", "detail", "step", "department_id", "person_id")


def window_rows(chosen: Selection, window: Window) -> list[tuple[Any, ...]]:
    """The window's occurrences in (day, event) order as `ROW` tuples: for each site the first
    `window.stop` in that order (an index range, no sort), merged."""
    per_site = [
        chosen.of(FactItem.objects.filter(site_id=site))
        .order_by("day", "event_id")
        .values_list("day", "event_id", *ROW)[: window.stop]
        for site in chosen.filters.site_ids
    ]
    merged = heapq.merge(*(list(rows) for rows in per_site), key=lambda row: (row[0], row[1]))
    return [row[2:] for row in list(merged)[window.offset : window.stop]]


def occurrences(chosen: Selection, *, window: Window = FIRST) -> tuple[int, list[Occurrence]]:
    """(how many, the window's) occurrences, their cases read in one query."""
    picked = window_rows(chosen, window)
    by_id = _cases().in_bulk({p[0] for p in picked})
    return chosen.count(), [Occurrence(by_id[p[0]], *p[1:]) for p in picked if p[0] in by_id]


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
