"""The text index of cases: one row per case holding its words (`fuwu.search.text`).

SQLite: an FTS5 virtual table `search_case_fts` whose rowid is the case id. PostgreSQL: a table
`search_case_text` with a `tsvector` built with the 'simple' configuration (no stemming, no
stop words: the words are jieba's already) and a GIN index. Both are made by migration 0001.

What is indexed: the case's title, description and the values of its fields, except the fields
marked personal (phones, ID numbers, addresses …): a prefix search on those would tell a
stranger who lives where. Phones are searched on the customer, by the privacy rule.

The index is written in the transaction of the change (`cases.flow.Change.finish`), not after
commit: it is database state that must roll back with the case, and a search after commit
must find what the case now says. `fuwu search reindex` rebuilds it from the cases.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from django.db import connection
from django.db.models import F, Func, Value
from django.db.models.expressions import RawSQL
from django.db.models.functions import Replace, Upper

from fuwu.search import text

if TYPE_CHECKING:
    from fuwu.procedures.engine.definition import Procedure

# The tables (named literally in the SQL below: migration 0001 makes them).
FTS_TABLE = "search_case_fts"
PG_TABLE = "search_case_text"
# The separators `text.compact` drops that SQL drops too (NFKC is not: labels are typed plainly).
# Only those that labels hold (each is a REPLACE on every row scanned); a label typed as it is
# written matches by substring whatever its separators.
_SQL_SEPARATORS = (" ", "·", "-")


def _values(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for v in value.values():
            yield from _values(v)
    elif isinstance(value, list):
        for v in value:
            yield from _values(v)


def case_texts(
    title: str, description: str, data: Mapping[str, Any], procedure: Procedure
) -> list[str]:
    """The texts of a case that the index holds (personal fields left out, see above)."""
    from fuwu.customers.privacy import personal_fields

    personal = personal_fields(procedure)
    texts = [title, description]
    for key, value in data.items():
        if key not in personal:
            texts.extend(_values(value))
    return [t for t in texts if t.strip()]


def put(case_id: int, site_id: int, texts: Iterable[str]) -> None:
    """Write (or rewrite) a case's row."""
    put_many([(case_id, site_id, texts)])


def put_many(cases: Iterable[tuple[int, int, Iterable[str]]]) -> None:
    """Write (or rewrite) the rows of several cases: (case id, its site's id, its texts)."""
    rows = [(case_id, site_id, text.document(texts)) for case_id, site_id, texts in cases]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.executemany(
                "INSERT INTO search_case_text (case_id, site_id, words)"
                " VALUES (%s, %s, to_tsvector('simple', %s))"
                " ON CONFLICT (case_id) DO UPDATE SET words = EXCLUDED.words",
                rows,
            )
        else:
            # Delete first: a row left by a case deleted in a test would otherwise stay.
            cursor.executemany(
                "DELETE FROM search_case_fts WHERE rowid = %s", [(r[0],) for r in rows]
            )
            cursor.executemany(
                "INSERT INTO search_case_fts (rowid, words) VALUES (%s, %s)",
                [(case_id, words) for case_id, _, words in rows],
            )


def clear() -> None:
    with connection.cursor() as cursor:
        table = PG_TABLE if connection.vendor == "postgresql" else FTS_TABLE
        cursor.execute(f"DELETE FROM {table}")  # noqa: S608 (a constant)


def is_empty() -> bool:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT 1 FROM search_case_text LIMIT 1")
        else:
            cursor.execute("SELECT 1 FROM search_case_fts LIMIT 1")
        return cursor.fetchone() is None


def matching(query: text.Query, site_ids: Collection[int] | None = None) -> RawSQL:
    """The ids of the cases whose words match, of these sites if given: for `pk__in=` on a
    case queryset (which then applies who may see what).

    On PostgreSQL the sites are matched in the index table itself (its `site_id`, migration
    0002): a word common on one site but absent from another is then resolved to the few ids
    of the sites asked for. Asked only by the words, PostgreSQL estimated thousands of matches
    and walked the other site's cases newest first looking for them (390 ms at 100,000
    cases; the site and the words are one GIN index). SQLite's planner starts from the FTS5
    match and needs no such help."""
    if connection.vendor == "postgresql":
        sql = "SELECT case_id FROM search_case_text WHERE words @@ to_tsquery('simple', %s)"
        params: list[Any] = [query.tsquery()]
        if site_ids is not None:
            sql += " AND site_id = ANY(%s::bigint[])"  # the index's type (not smallint[])
            params.append(sorted(site_ids))
        return RawSQL(sql, params)  # noqa: S611 (fixed text; the values are parameters)
    return RawSQL(
        "SELECT rowid FROM search_case_fts WHERE search_case_fts MATCH %s",
        [query.fts5()],
    )


def matching_ids(query: text.Query, site_ids: Collection[int] | None, limit: int) -> list[int]:
    """At most `limit` ids of `matching` cases, read from the index alone (in no set order)."""
    raw = matching(query, site_ids)
    with connection.cursor() as cursor:
        cursor.execute(f"{raw.sql} LIMIT %s", [*raw.params, limit])
        return [row[0] for row in cursor.fetchall()]


def compact_label() -> Func:
    """`text.compact` of an asset's label, in SQL (upper case, separators dropped): so that
    粤B·V2EGY, 粤B V2EGY and 粤bv2egy find the same car in the global search and the queue."""
    expr: Func = Upper(F("label"))
    for sep in _SQL_SEPARATORS:
        expr = Replace(expr, Value(sep), Value(""))
    return expr
