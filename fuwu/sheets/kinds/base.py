"""What every import kind shares: its columns (a Chinese and an English header, whether
required, how a cell is read), matching the file's header row to them, reading every cell, and
the outcome of a check (every problem at once, or a plan to write); and, for the kinds whose
rows name a unit by building, unit and room, reading those cells and finding the unit on file.

A kind reads the whole file first; a file with any problem writes nothing. `check` is read-only
(a few queries whatever the number of rows); `write` writes the plan in one transaction
through the entity's bulk action.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import get_language

from fuwu.core.actors import Actor
from fuwu.core.models import Site
from fuwu.customers.choices import AssetKind
from fuwu.customers.models import Asset
from fuwu.sheets.problems import Invalid, Problem
from fuwu.sheets.reader import Sheet
from fuwu.sheets.tables import Column, Kind, SimpleTable

PREVIEW_ROWS = 20
YES = frozenset({"是", "有", "已入住", "入住", "y", "yes", "true", "1", "✓"})
NO = frozenset({"否", "无", "空置", "未入住", "n", "no", "false", "0"})


def text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a room number typed into a number cell: 1201.0 → "1201"
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value).strip()


def decimal(value: Any) -> Decimal | None:
    raw = text(value).replace(",", "")
    if not raw:
        return None
    try:
        number = Decimal(raw)
    except InvalidOperation:
        raise Invalid("bad_number", value=raw) from None
    if not number.is_finite():
        raise Invalid("bad_number", value=raw)
    return number


def yes_no(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    raw = text(value).lower()
    if not raw:
        return None
    if raw in YES:
        return True
    if raw in NO:
        return False
    raise Invalid("bad_yes_no", value=text(value))


DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日", "%Y%m%d")


def day(value: Any) -> date | None:
    """A date: a date cell of the xlsx, or text as people type it (2026-11-30, 2026/11/30,
    2026.11.30, 2026年11月30日, 20261130)."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    raw = text(value)
    if not raw:
        return None
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(raw, fmt).date()
        except ValueError:
            continue
    raise Invalid("bad_date", value=raw)


PHONE_RE = re.compile(r"^\+?[0-9][0-9 \-]{5,28}$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def phone(value: Any) -> str:
    raw = text(value)
    if raw and not PHONE_RE.match(raw):
        raise Invalid("bad_phone", value=raw)
    return raw


def email(value: Any) -> str:
    raw = text(value).lower()
    if raw and (len(raw) > 254 or not EMAIL_RE.match(raw)):
        raise Invalid("bad_email", value=raw)
    return raw


def limited(most: int) -> Callable[[Any], str]:
    def read(value: Any) -> str:
        raw = text(value)
        if len(raw) > most:
            raise Invalid("too_long", max=most)
        return raw

    return read


def _trim(value: Any, *suffixes: str) -> str:
    raw = limited(20)(value)
    for suffix in suffixes:
        raw = raw.removesuffix(suffix)
    return raw.strip()


def building(value: Any) -> str:
    return _trim(value, "栋", "幢", "号楼", "座")


def unit(value: Any) -> str:
    return _trim(value, "单元")


def room(value: Any) -> str:
    return _trim(value, "室", "号")


def unit_label(b: str, u: str, r: str) -> str:
    return f"{b}栋{u}单元{r}"


@dataclass(frozen=True)
class Field:
    key: str
    zh: str
    en: str
    read: Callable[[Any], Any] = text
    required: bool = False
    kind: Kind = Kind.TEXT  # the template's column type
    example: Any = ""

    def header(self, language: str | None) -> str:
        return self.en if (language or "").lower().startswith("en") else self.zh


@dataclass
class Outcome:
    """A check's result: problems (nothing may be written) or the rows to write."""

    total: int = 0
    problems: list[Problem] = field(default_factory=list)
    plan: Any = None  # the kind's own plan when there are no problems

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class Record:
    row: int
    values: dict[str, Any]


class ImportKind:
    key: str = ""
    title: Any = ""
    fields: Sequence[Field] = ()

    def headers(self, language: str | None) -> list[str]:
        return [f.header(language) for f in self.fields]

    def template(self, language: str | None) -> SimpleTable:
        columns = [Column(f.header(language), f.kind, width=16) for f in self.fields]
        return SimpleTable(f"template-{self.key}", columns, [[f.example for f in self.fields]])

    def match(self, sheet: Sheet, language: str | None) -> tuple[dict[str, int], list[Problem]]:
        """The position of each field's column; every missing, unknown or repeated column."""
        by_header: dict[str, Field] = {}
        for f in self.fields:
            by_header[f.zh.lower()] = f
            by_header[f.en.lower()] = f
        found: dict[str, int] = {}
        problems: list[Problem] = []
        for i, header in enumerate(sheet.headers):
            match = by_header.get(header.lower())
            if match is None:
                if header:
                    problems.append(Problem("unknown_column", 1, header, {"column": header}))
            elif match.key in found:
                problems.append(Problem("repeated_column", 1, header, {"column": header}))
            else:
                found[match.key] = i
        for f in self.fields:
            if f.required and f.key not in found:
                name = f.header(language)
                problems.append(Problem("missing_column", 1, name, {"column": name}))
        return found, problems

    def records(self, sheet: Sheet, language: str | None) -> tuple[list[Record], list[Problem]]:
        """Every row read cell by cell; every cell's problem with its row and column. The rows
        whose cells all read are returned, to be checked against each other and the records."""
        positions, problems = self.match(sheet, language)
        if problems:
            return [], problems
        out: list[Record] = []
        for number, cells in sheet.rows:
            values: dict[str, Any] = {}
            before = len(problems)
            for f in self.fields:
                raw = cells[positions[f.key]] if f.key in positions else None
                try:
                    value = f.read(raw)
                except Invalid as exc:
                    problems.append(Problem(exc.code, number, f.header(language), exc.params))
                    continue
                if f.required and value in ("", None):
                    problems.append(Problem("required", number, f.header(language)))
                    continue
                values[f.key] = value
            if len(problems) == before:  # a row with a bad cell is not checked further
                out.append(Record(number, values))
        return out, problems

    def check(self, actor: Actor, site: Site, sheet: Sheet) -> Outcome:
        language = get_language()
        records, problems = self.records(sheet, language)
        outcome = Outcome(total=len(sheet.rows), problems=problems)
        if records:
            self.validate(actor, site, records, outcome, language)
        outcome.problems.sort(key=lambda p: (p.row or 0, self._position(p.column, language)))
        return outcome

    def _position(self, column: str, language: str | None) -> int:
        headers = self.headers(language)
        return headers.index(column) if column in headers else len(headers)

    def allowed(self, actor: Actor, site: Site) -> bool:
        """Whether this person may import this kind into the site (beyond managing it)."""
        return True

    def validate(
        self,
        actor: Actor,
        site: Site,
        records: list[Record],
        outcome: Outcome,
        language: str | None,
    ) -> None:
        """Check the rows against each other and the site's records; set `outcome.plan`."""
        raise NotImplementedError

    def write(self, actor: Actor, site: Site, plan: Any) -> int:
        """Write the plan (one transaction, in bulk); the number of records created."""
        raise NotImplementedError

    def problem(self, code: str, at: int, key: str, language: str | None, **params: Any) -> Problem:
        f = next(f for f in self.fields if f.key == key)
        return Problem(code, at, f.header(language), params)


class UnitsOnFile:
    """A site's units (assets of kind `unit`) by label, and the buildings they name: one query,
    then the unit each row names by building, unit and room."""

    def __init__(self, site: Site) -> None:
        self.by_label = {
            a.label: a
            for a in Asset.objects.filter(site_id=site.pk, kind=AssetKind.UNIT).only(
                "pk", "label", "attributes"
            )
        }
        # A unit names its building in its attributes or, registered by hand, its label.
        self.buildings = {
            str(a.attributes.get("building") or a.label.partition("栋")[0])
            for a in self.by_label.values()
        }

    def find(
        self,
        kind: ImportKind,
        row: int,
        where: tuple[str, str, str],
        outcome: Outcome,
        language: str | None,
    ) -> Asset | None:
        """The unit at `where` (building, unit, room). None when it is not on file, and the row's
        problem added to the outcome: an unknown building said so, else an unknown unit."""
        label = unit_label(*where)
        asset = self.by_label.get(label)
        if asset is None:
            if where[0] not in self.buildings:
                outcome.problems.append(
                    kind.problem("unknown_building", row, "building", language, value=where[0])
                )
            else:
                outcome.problems.append(
                    kind.problem("unknown_unit", row, "room", language, label=label)
                )
        return asset
