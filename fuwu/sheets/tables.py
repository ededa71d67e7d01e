"""What the exporter consumes: a table is its columns and an iterable of rows.

Any list, queue or report that wants a spreadsheet gives a `Table`: `columns` (a header in the
reader's language and a kind that decides the cell's type and format) and `rows` (an iterable
of sequences, one value per column, read once and lazily: a 100,000-row export never holds its
rows in memory). Report modules build one from their figures (`fuwu.reports.service_levels.
sheet`); the case lists from a queryset (`fuwu.sheets.cases.case_table`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol


class Kind(StrEnum):
    TEXT = "text"
    INT = "int"
    DECIMAL = "decimal"  # two decimal places
    PERCENT = "percent"  # a number of per cent (97.5 reads "97.5%")
    DATE = "date"
    DATETIME = "datetime"  # shown in local time, to the minute


# Excel number formats: the same ones WPS reads.
NUMBER_FORMATS: dict[Kind, str] = {
    Kind.INT: "0",
    Kind.DECIMAL: "#,##0.00",
    Kind.PERCENT: '0.0"%"',
    Kind.DATE: "yyyy-mm-dd",
    Kind.DATETIME: "yyyy-mm-dd hh:mm",
}


@dataclass(frozen=True)
class Column:
    header: str
    kind: Kind = Kind.TEXT
    width: int = 14  # characters (xlsx only)


class Table(Protocol):
    """The rows + columns protocol. `name` is the file name's stem (ASCII)."""

    @property
    def name(self) -> str: ...

    @property
    def columns(self) -> Sequence[Column]: ...

    @property
    def rows(self) -> Iterable[Sequence[Any]]: ...


@dataclass(frozen=True)
class SimpleTable:
    """A table from columns and rows already at hand (a report's few dozen lines).

    `title` names its sheet in a workbook (in the reader's language; the file's `name` when
    empty). `more` are the report page's secondary tables: the xlsx holds one more sheet for
    each, after this one; a CSV holds this table only (one table per file).
    """

    name: str
    columns: Sequence[Column]
    rows: Iterable[Sequence[Any]]
    title: str = ""
    more: Sequence[SimpleTable] = ()
