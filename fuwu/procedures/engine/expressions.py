"""Guard conditions in CEL (Common Expression Language), compiled once and evaluated sandboxed.

CEL has no I/O, no attribute access on Python objects and guaranteed termination, which is
why procedure authors' conditions use it and never Python `eval`.
"""

from __future__ import annotations

import sys
import types
from functools import lru_cache
from typing import Any

# The `cel` package imports its interactive command line (typer, rich, prompt_toolkit) from its
# `__init__`: 22 MB in every web and worker process, and 70 ms at start, for a REPL a server
# never opens. An empty module stands in for it, unless the real one was imported first.
sys.modules.setdefault("cel.cli", types.ModuleType("cel.cli"))

import cel  # noqa: E402 — after the stand-in above

GUARD_VARIABLES = frozenset({"data", "case", "checklist", "checks"})


class CompiledGuard:
    __slots__ = ("program", "source", "variables")

    def __init__(self, source: str) -> None:
        self.source = source
        try:
            self.program = cel.compile(source)
        except ValueError as exc:
            # The library's message holds the position marker; keep its first line.
            raise ValueError(str(exc).splitlines()[0]) from None
        self.variables: list[str] = list(self.program.variables())

    def evaluate(self, context: dict[str, Any]) -> bool:
        """True only when the expression evaluates to boolean true.

        A missing field or a type mismatch (e.g. comparing an empty number field) means the
        condition is not met, not a crash: guards are about data a person may not have filled yet.
        """
        try:
            result = self.program.execute(context)
        except (KeyError, TypeError, RuntimeError, ValueError):
            return False
        return result is True


@lru_cache(maxsize=2048)
def compile_guard(source: str) -> CompiledGuard:
    return CompiledGuard(source)
