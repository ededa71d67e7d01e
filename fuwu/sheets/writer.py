"""Tables to CSV and xlsx, streamed.

CSV: UTF-8 with a byte-order mark (Excel and WPS then read the Chinese), written a few hundred
rows at a time into the response. xlsx: openpyxl's write-only mode into a temporary file (a zip
cannot be streamed to a socket as it is written), then the file is streamed in blocks and
deleted when the response is closed. Cells are typed: numbers are numbers and dates are dates
with a format, so sums and filters work in the spreadsheet.
"""

from __future__ import annotations

import csv
import io
import os
import re
import tempfile
from collections.abc import Iterator, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import IO, TYPE_CHECKING, Any

from django.http import StreamingHttpResponse
from django.utils import timezone

from fuwu.sheets.tables import NUMBER_FORMATS, Column, Kind, Table

if TYPE_CHECKING:
    from openpyxl import Workbook

# openpyxl (33 MB resident once imported) is imported by the functions that write a workbook,
# so that a web or worker process that never exports does not carry it.

FORMATS = ("xlsx", "csv")
CSV_BATCH = 500  # rows per chunk of the CSV stream
FILE_BLOCK = 64 * 1024
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
BOM = "\ufeff"


def local_minute(value: datetime) -> datetime:
    """A naive local datetime (spreadsheets have no time zones), to the minute."""
    if timezone.is_aware(value):
        value = timezone.localtime(value)
    return value.replace(tzinfo=None, second=0, microsecond=0)


def cell_value(column: Column, value: Any) -> Any:
    """The value as the xlsx cell holds it: a number, a date or text."""
    if value is None or value == "":
        return None
    if column.kind == Kind.DATETIME and isinstance(value, datetime):
        return local_minute(value)
    if column.kind == Kind.DATE and isinstance(value, datetime):
        return local_minute(value).date()
    if column.kind in (Kind.INT, Kind.DECIMAL, Kind.PERCENT) and isinstance(value, Decimal):
        return float(value)
    return value


def text_value(column: Column, value: Any) -> str:
    """The value as a CSV cell reads it: dates as 2026-12-04 09:30, numbers plain."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        local = local_minute(value)
        return f"{local:%Y-%m-%d}" if column.kind == Kind.DATE else f"{local:%Y-%m-%d %H:%M}"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return "1" if value else "0"
    if column.kind == Kind.DECIMAL and isinstance(value, int | float | Decimal):
        return f"{value:.2f}"
    return str(value)


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_chunks(table: Table) -> Iterator[bytes]:
    """The table as UTF-8 CSV with a BOM, a batch of rows at a time."""
    writer = csv.writer(_Echo())
    columns = list(table.columns)
    yield (BOM + writer.writerow([c.header for c in columns])).encode()
    batch: list[str] = []
    for row in table.rows:
        batch.append(writer.writerow([text_value(c, v) for c, v in zip(columns, row, strict=True)]))
        if len(batch) >= CSV_BATCH:
            yield "".join(batch).encode()
            batch = []
    if batch:
        yield "".join(batch).encode()


SHEET_TITLE_BAD = re.compile(r"[\\/*?:\[\]]")  # what Excel refuses in a sheet's name
SHEET_TITLE_MAX = 31


def sheet_titles(wanted: Sequence[str]) -> list[str]:
    """The sheets' names as Excel takes them: without []:*?/\\, at most 31 characters, and
    each once (a repeated name gets " (2)", " (3)" …; Excel compares them ignoring case)."""
    out: list[str] = []
    taken: set[str] = set()
    for raw in wanted:
        base = SHEET_TITLE_BAD.sub(" ", raw).strip()[:SHEET_TITLE_MAX] or "Sheet"
        title, n = base, 1
        while title.lower() in taken:
            n += 1
            suffix = f" ({n})"
            title = base[: SHEET_TITLE_MAX - len(suffix)] + suffix
        taken.add(title.lower())
        out.append(title)
    return out


def _write_sheet(book: Workbook, table: Table, title: str) -> None:
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet._write_only import WriteOnlyWorksheet

    sheet: WriteOnlyWorksheet = book.create_sheet(title=title)
    columns: Sequence[Column] = list(table.columns)
    for i, column in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(i)].width = column.width
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    header = []
    for column in columns:
        cell = WriteOnlyCell(sheet, value=column.header)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    formats = [NUMBER_FORMATS.get(c.kind) for c in columns]
    for row in table.rows:
        cells: list[Any] = []
        for column, fmt, value in zip(columns, formats, row, strict=True):
            typed = cell_value(column, value)
            if fmt is None or typed is None:
                cells.append(typed)
            else:
                cell = WriteOnlyCell(sheet, value=typed)
                cell.number_format = fmt
                cells.append(cell)
        sheet.append(cells)


def write_xlsx(table: Table, out: IO[bytes], *, title: str = "") -> None:
    """The table as an xlsx workbook (write-only mode: rows are not kept in memory), and a sheet
    for each of its secondary tables (`SimpleTable.more`), after it."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    # Only a report's `SimpleTable` carries secondary tables; a case list is one table.
    more: Sequence[Table] = getattr(table, "more", ())
    titles = sheet_titles(
        [title or getattr(table, "title", "") or table.name]
        + [getattr(t, "title", "") or t.name for t in more]
    )
    for each, name in zip([table, *more], titles, strict=True):
        _write_sheet(book, each, name)
    book.save(out)


def _file_blocks(handle: IO[bytes], path: str) -> Iterator[bytes]:
    try:
        while block := handle.read(FILE_BLOCK):
            yield block
    finally:
        handle.close()
        os.unlink(path)


def _filename(table: Table, ext: str) -> str:
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return f"{table.name}-{stamp}.{ext}"


def response(table: Table, fmt: str) -> StreamingHttpResponse:
    """A download of the table: `fmt` is "xlsx" or "csv" (anything else: csv)."""
    if fmt == "xlsx":
        fd, path = tempfile.mkstemp(prefix="fuwu-export-", suffix=".xlsx")
        try:
            with os.fdopen(fd, "wb") as out:
                write_xlsx(table, out)
        except BaseException:
            os.unlink(path)
            raise
        size = os.path.getsize(path)
        out_response = StreamingHttpResponse(
            _file_blocks(open(path, "rb"), path),  # noqa: SIM115 — closed by the generator
            content_type=XLSX_TYPE,
        )
        out_response["Content-Length"] = str(size)
        ext = "xlsx"
    else:
        out_response = StreamingHttpResponse(
            csv_chunks(table), content_type="text/csv; charset=utf-8"
        )
        ext = "csv"
    out_response["Content-Disposition"] = f'attachment; filename="{_filename(table, ext)}"'
    out_response["Cache-Control"] = "no-store"
    return out_response


def xlsx_bytes(table: Table) -> bytes:
    """The workbook in memory: for small tables (the import templates)."""
    out = io.BytesIO()
    write_xlsx(table, out)
    return out.getvalue()
