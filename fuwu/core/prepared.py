"""Reads whose SQL is compiled once per process, for the hottest queries of the write path.

Django compiles a queryset to SQL on every evaluation. For a read by primary key with half a
dozen `select_related` joins, the compilation costs more CPU than the database spends answering
(about a millisecond a request; `lock_case` runs it on every case write). A `Prepared` read
builds its queryset once with a stand-in value, compiles it once per database connection alias,
remembers where the stand-in sits among the parameters, and from then on only binds the value:
the rows still become model instances through Django's own iterable (`select_related` objects,
deferred fields, converters), from a compiler that is handed the remembered SQL and the
columns' converters (worked out once per connection) instead of building them.

Only for querysets whose SQL does not depend on anything but the bound value: no filters read
from the request, no `IN` lists whose length varies (their SQL differs with the length).
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import DatabaseError, connections
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
        # The converters of the selected columns, per connection: working them out for six
        # joined tables' 130 columns cost as much as compiling the SQL had.
        self._converters: weakref.WeakKeyDictionary[Any, Any] = weakref.WeakKeyDictionary()
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
        converters = self._converters.get(connection)
        if converters is None:
            converters = compiler.get_converters([s[0] for s in c.select[: c.col_count]])
            self._converters[connection] = converters
        compiler.get_converters = lambda expressions: converters  # type: ignore[method-assign]
        query.get_compiler = lambda *args, **kwargs: compiler
        qs: QuerySet[Any, Any] = QuerySet(model=query.model, query=query, using=using)
        qs._iterable_class = c.iterable
        qs._fields = c.fields  # type: ignore[attr-defined]
        rows = list(qs)
        return rows[0] if rows else None


# -- writes ------------------------------------------------------------------------------------
# `save(update_fields=…)` and `bulk_create` build an UpdateQuery / InsertQuery and compile it on
# every call; on the write path that cost more than the statements themselves. These send the
# same statements with the values Django would send (each field's `get_db_prep_save`), from SQL
# made once per table, column list and database.

_SQL: dict[tuple[Any, ...], str] = {}


def _fields(model: Any, names: Sequence[str]) -> list[Any]:
    meta = model._meta
    return [meta.get_field(n) for n in names]


def update_row(instance: Any, names: Sequence[str], *, using: str = "default") -> None:
    """`instance.save(update_fields=names)` for a model without save signals or `pre_save`
    work on these fields (auto_now …): one UPDATE of these columns by primary key."""
    model = type(instance)
    connection = connections[using]
    fields = _fields(model, names)
    key = ("update", model, tuple(names), connection.vendor)
    sql = _SQL.get(key)
    if sql is None:
        qn = connection.ops.quote_name
        sets = ", ".join(f"{qn(f.column)} = %s" for f in fields)
        meta = model._meta
        table, pk = qn(meta.db_table), qn(meta.pk.column)  # names from the model; values bound
        sql = _SQL[key] = f"UPDATE {table} SET {sets} WHERE {pk} = %s"  # noqa: S608
    params = [f.get_db_prep_save(getattr(instance, f.attname), connection) for f in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, instance.pk])
        if cursor.rowcount != 1:
            raise DatabaseError("Save with update_fields did not affect any rows.")


def insert_rows(
    model: Any,
    objs: Sequence[Any],
    names: Sequence[str],
    *,
    key: str | None = None,
    using: str = "default",
) -> None:
    """`bulk_create(objs)` for new rows whose columns are `names` (the rest take the table's
    defaults: none here) and whose field `key` is unique among them: one INSERT … RETURNING,
    and each object gets its primary key, matched by `key` (the database may return the
    rows in any order). One object needs no key. For models without save signals."""
    if not objs:
        return
    if key is None and len(objs) != 1:
        raise ValueError("several rows need a key to match their primary keys")
    connection = connections[using]
    fields = _fields(model, names)
    sql_key = ("insert", model, tuple(names), key, len(objs), connection.vendor)
    sql = _SQL.get(sql_key)
    meta = model._meta
    key_field = meta.get_field(key) if key is not None else meta.pk
    if sql is None:
        qn = connection.ops.quote_name
        row = "(" + ", ".join("%s" for _ in fields) + ")"
        # Names from the model; the values are bound.
        table, columns = qn(meta.db_table), ", ".join(qn(f.column) for f in fields)
        values, back = ", ".join(row for _ in objs), f"{qn(meta.pk.column)}, {qn(key_field.column)}"
        sql = f"INSERT INTO {table} ({columns}) VALUES {values} RETURNING {back}"  # noqa: S608
        _SQL[sql_key] = sql
    params = [f.get_db_prep_save(f.pre_save(obj, True), connection) for obj in objs for f in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        returned = cursor.fetchall()
    ids = {k: pk for pk, k in returned}
    for obj in objs:
        if obj.pk is None:  # a key the database gave (not one made here, like a UUID)
            obj.pk = returned[0][0] if key is None else ids[getattr(obj, key_field.attname)]
        obj._state.adding = False
        obj._state.db = using
