"""Reads whose SQL is compiled once per process, for the hottest queries of the write path.

Django compiles a queryset to SQL on every evaluation. For a read by primary key with half a
dozen `select_related` joins, the compilation costs more CPU than the database spends answering
(about a millisecond a request; `lock_case` runs it on every case write). A `Prepared` read
builds its queryset once with a stand-in value, compiles it once per database connection alias,
remembers where the stand-in sits among the parameters, and from then on only binds the value:
the rows still become model instances through Django's own iterable (`select_related` objects,
deferred fields, converters), from a compiler that is handed the remembered SQL instead of
building it.

Only for querysets whose SQL does not depend on anything but the bound value: no filters read
from the request, no `IN` lists whose length varies (their SQL differs with the length).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import connections
from django.db.models import QuerySet

# Values no real key has, to find the parameter's slot in the compiled SQL.
_STAND_IN = -7_317_000_001
_STAND_IN_TEXT = "\x00fuwu:prepared:stand-in"


@dataclass(frozen=True)
class _Compiled:
    query: Any
    sql: str
    params: tuple[Any, ...]
    slot: int
    select: Any
    klass_info: Any
    annotation_col_map: Any
    col_count: int
    has_extra_select: bool
    iterable: Any  # the queryset's rows: models, or tuples (values_list)
    fields: Any


class Prepared:
    """`Prepared(lambda key: Case.objects.select_related(…).filter(pk=key)).get(pk)`."""

    def __init__(self, build: Callable[[Any], QuerySet[Any, Any]], *, text: bool = False) -> None:
        """`text`: the key is a string (a digest), not an integer id."""
        self._build = build
        self._stand_in: int | str = _STAND_IN_TEXT if text else _STAND_IN
        self._compiled: dict[tuple[str, str], _Compiled] = {}
        self._lock = threading.Lock()

    def _compile(self, alias: str) -> _Compiled:
        connection = connections[alias]
        key = (alias, connection.vendor)
        found = self._compiled.get(key)
        if found is not None:
            return found
        built = self._build(self._stand_in)[:1]
        query = built.query
        compiler = query.get_compiler(using=alias)
        sql, params = compiler.as_sql()
        slots = [i for i, p in enumerate(params) if p == self._stand_in]
        if len(slots) != 1:
            raise ValueError(f"a prepared read needs its key once among the parameters: {sql}")
        compiled = _Compiled(
            query=query,
            sql=sql,
            params=tuple(params),
            slot=slots[0],
            select=compiler.select,
            klass_info=compiler.klass_info,
            annotation_col_map=compiler.annotation_col_map,
            col_count=compiler.col_count,
            has_extra_select=compiler.has_extra_select,
            iterable=built._iterable_class,
            fields=getattr(built, "_fields", None),
        )
        with self._lock:
            self._compiled.setdefault(key, compiled)
        return compiled

    def get(self, value: int | str, *, using: str = "default") -> Any:
        """The row the queryset finds for this value (the first, if several), or None: a model
        instance, or what `values_list` gives if the queryset was built with it."""
        c = self._compile(using)
        params = list(c.params)
        params[c.slot] = value
        bound = (c.sql, tuple(params))
        query = c.query.clone()
        connection = connections[using]
        compiler = connection.ops.compiler(query.compiler)(query, connection, using)
        compiler.select = c.select
        compiler.klass_info = c.klass_info
        compiler.annotation_col_map = c.annotation_col_map
        compiler.col_count = c.col_count
        compiler.has_extra_select = c.has_extra_select
        compiler.as_sql = lambda *args, **kwargs: bound  # type: ignore[method-assign]
        query.get_compiler = lambda *args, **kwargs: compiler
        qs: QuerySet[Any, Any] = QuerySet(model=query.model, query=query, using=using)
        qs._iterable_class = c.iterable
        qs._fields = c.fields  # type: ignore[attr-defined]
        rows = list(qs)
        return rows[0] if rows else None
