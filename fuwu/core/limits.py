"""How deep and how large a JSON value Fuwu accepts, and that no text holds a NUL character.

Why these limits exist: one customer record whose preferences were nested 1,000 deep made
`dumpdata` (Python's JSON encoder recurses once per level) fail for the whole database, and a
NUL character (`\\x00`) is refused by PostgreSQL in text and jsonb alike: a 500 on the request,
and a SQLite → PostgreSQL move that loaded 0 rows. Refusing both on input keeps every stored
value something every engine, serializer and backup can carry.

The one rule, plain Python (no Django) so every entrance shares it: the API's JSON parser
(`fuwu.api.root`), the middleware that reads paths, query strings, headers and form bodies
(`fuwu.core.middleware`), and the actions that store JSON (customers, assets, case data,
campaigns and schedules), which the pages, the portal and the CLI call too. A problem is a
code with parameters; the caller renders it in the person's language
(`fuwu.procedures.engine.errors`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from fuwu.procedures.engine.errors import EngineError, FieldError

# Containers inside containers: a procedure's lines field, the deepest value Fuwu itself
# stores, is 3 levels inside an API body ({"data": {"parts": [{...}]}}).
MAX_DEPTH = 20
# Values (containers, keys' values and scalars) in one JSON document: a lines field at its
# 500-row cap with a dozen columns is about 6,500.
MAX_NODES = 20_000
# Characters in all the strings and keys of one value; an API body is also capped in bytes
# (DATA_UPLOAD_MAX_MEMORY_SIZE) before it is parsed.
MAX_CHARS = 1_000_000

NUL = "\x00"


@dataclass(frozen=True)
class Problem:
    """What is wrong with a value: `code` is a key of the engine's message tables
    (`too_deep`, `too_complex`, `nul_character`, `bad_character`); `where` a dotted path to it
    ('' is the whole)."""

    code: str
    where: str = ""
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def shown_where(self) -> str:
        """`where` safe to put in an answer (it may hold the very character refused)."""
        return self.where.replace(NUL, "\\0").encode("utf-8", "replace").decode()


class LimitExceeded(ValueError):
    """Raised by `loads` for a document Fuwu will not take; nothing has been stored."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.code)
        self.problem = problem


def _bad_text(text: str) -> str | None:
    """Why a piece of text cannot be stored everywhere: a NUL, or a lone surrogate (JSON's
    "\\ud800" decodes to one; PostgreSQL's jsonb refuses it and it is not UTF-8)."""
    if NUL in text:
        return "nul_character"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "bad_character"
    return None


def text_problem(text: str, where: str = "") -> Problem | None:
    """A NUL (or a lone surrogate) in one piece of text: a form field, a query value, a
    header, a name."""
    code = _bad_text(text)
    return Problem(code, where) if code else None


def texts_problem(pairs: Iterable[tuple[str, str]]) -> Problem | None:
    """The first bad text in (name, value) pairs: the keys of a form or query count as much as
    its values."""
    for name, value in pairs:
        code = _bad_text(name) or _bad_text(value)
        if code:
            return Problem(code, name)
    return None


def json_problem(
    value: Any,
    *,
    max_depth: int = MAX_DEPTH,
    max_nodes: int = MAX_NODES,
    max_chars: int = MAX_CHARS,
) -> Problem | None:
    """The first problem of a decoded JSON value: too deep, too large, or a NUL in a key or a
    string. Walks with its own stack, never recursion, so any depth is measured safely and a
    value is refused as soon as a limit is passed."""
    nodes = chars = 0
    stack: list[tuple[Any, int, str]] = [(value, 0, "")]
    while stack:
        item, depth, where = stack.pop()
        nodes += 1
        if nodes > max_nodes:
            return Problem("too_complex", where, {"max_nodes": max_nodes})
        if isinstance(item, str):
            chars += len(item)
            if code := _bad_text(item):
                return Problem(code, where)
        elif isinstance(item, dict | list | tuple):
            if depth >= max_depth:
                return Problem("too_deep", where, {"max": max_depth})
            if isinstance(item, dict):
                for key, child in item.items():
                    key = str(key)
                    chars += len(key)
                    if code := _bad_text(key):
                        return Problem(code, where)
                    stack.append((child, depth + 1, f"{where}.{key}" if where else key))
            else:
                for index, child in enumerate(item):
                    stack.append((child, depth + 1, f"{where}.{index}" if where else str(index)))
        if chars > max_chars:
            return Problem("too_complex", where, {"max_chars": max_chars})
    return None


def loads(document: str | bytes) -> Any:
    """`json.loads` that refuses what `json_problem` refuses (raising `LimitExceeded`).

    The C decoder gives up with RecursionError on a document nested past Python's recursion
    limit; that is the same refusal, too deep."""
    try:
        value = json.loads(document)
    except RecursionError:
        raise LimitExceeded(Problem("too_deep", "", {"max": MAX_DEPTH})) from None
    problem = json_problem(value)
    if problem is not None:
        raise LimitExceeded(problem)
    return value


def field_errors(values: dict[str, Any]) -> dict[str, FieldError]:
    """A field error for each named value past a limit: text with a NUL, JSON too deep or too
    large (or holding a NUL). What the actions merge into their `invalid_form` errors."""
    errors: dict[str, FieldError] = {}
    for name, value in values.items():
        problem = text_problem(value) if isinstance(value, str) else json_problem(value)
        if problem is not None:
            errors[name] = FieldError(problem.code, **problem.params)
    return errors


def check_fields(**values: Any) -> None:
    """Refuse (`EngineError("invalid_form")`, nothing changed) when any value is past a limit."""
    errors = field_errors(values)
    if errors:
        raise EngineError("invalid_form", fields=errors)


def refusal(problem: Problem) -> EngineError:
    """The whole request refused (400) for one problem, where it is in the details."""
    return EngineError(problem.code, where=problem.shown_where, **problem.params)
