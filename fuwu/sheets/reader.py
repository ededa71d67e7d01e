"""Reading an uploaded spreadsheet: xlsx (the first sheet) or CSV in UTF-8, UTF-8 with a BOM or
GBK (read as GB18030, its superset: what Excel and WPS save as "CSV" on a Chinese Windows).

Returns the header row and the data rows with their row numbers as the spreadsheet shows them
(the header is row 1); blank rows are skipped but keep their numbers, so an error's row is the
row the user sees.
"""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass
from typing import Any

MAX_BYTES = 10 * 1024 * 1024
MAX_ROWS = 20_000
ZIP_MAGIC = b"PK\x03\x04"


class Unreadable(Exception):
    """The file cannot be read as a spreadsheet; `code` names why (fuwu.sheets.problems)."""

    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(code)
        self.code = code
        self.params = params


@dataclass(frozen=True)
class Sheet:
    headers: list[str]
    rows: list[tuple[int, list[Any]]]  # (row number, cells)


def _blank(cells: list[Any]) -> bool:
    return all(c is None or (isinstance(c, str) and not c.strip()) for c in cells)


def _decode(content: bytes) -> str:
    if content.startswith(b"\xef\xbb\xbf"):
        return content[3:].decode("utf-8")
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return content.decode("gb18030")
    except UnicodeDecodeError:
        raise Unreadable("bad_encoding") from None


def _xlsx_rows(content: bytes) -> list[list[Any]]:
    from openpyxl import load_workbook  # imported when a workbook is read (33 MB resident)

    try:
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError):
        raise Unreadable("unreadable") from None
    try:
        sheet = book.worksheets[0]
        out: list[list[Any]] = []
        for values in sheet.iter_rows(values_only=True):
            out.append(list(values))
            if len(out) > MAX_ROWS + 1:
                raise Unreadable("too_many_rows", max=MAX_ROWS)
        return out
    finally:
        book.close()


def _csv_rows(content: bytes) -> list[list[Any]]:
    text = _decode(content)
    if "\x00" in text:
        raise Unreadable("unreadable")
    out: list[list[Any]] = []
    try:
        for values in csv.reader(io.StringIO(text, newline="")):
            out.append(list(values))
            if len(out) > MAX_ROWS + 1:
                raise Unreadable("too_many_rows", max=MAX_ROWS)
    except csv.Error:
        raise Unreadable("unreadable") from None
    return out


def read(content: bytes) -> Sheet:
    if not content:
        raise Unreadable("empty")
    if len(content) > MAX_BYTES:
        raise Unreadable("too_big", max=MAX_BYTES // (1024 * 1024))
    raw = _xlsx_rows(content) if content.startswith(ZIP_MAGIC) else _csv_rows(content)
    if not raw or _blank(raw[0]):
        raise Unreadable("empty")
    headers = [str(h).strip() if h is not None else "" for h in raw[0]]
    while headers and not headers[-1]:
        headers.pop()
    rows = []
    for number, cells in enumerate(raw[1:], start=2):
        cells = (list(cells) + [None] * len(headers))[: len(headers)]
        if not _blank(cells):
            rows.append((number, cells))
    if not rows:
        raise Unreadable("no_rows")
    return Sheet(headers, rows)
