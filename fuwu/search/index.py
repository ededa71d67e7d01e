"""The text index of cases: one row per case holding its words (`fuwu.search.text`).

SQLite: an FTS5 virtual table `search_case_fts` whose rowid is the case id. PostgreSQL: a table
`search_case_text` with a `tsvector` built with the 'simple' configuration (no stemming, no
stop words: the words are jieba's already) and a GIN index (migration 0001). Each word is
stored with the case's site (`3#漏水`, migration 0004): a site's matches of a word are one
entry of the index, with statistics of their own. Beside them the case's site and creation
time, with a btree index on the time (0004): a list newest first looks for a common word's
matches among the newest cases only (`cases.queries.Match.within`).

What is indexed: the case's title, description and the values of its fields, except the fields
marked personal (phones, ID numbers, addresses …): a prefix search on those would tell a
stranger who lives where. Phones are searched on the customer, by the privacy rule.

The index is written in the transaction of the change (`cases.flow.Change.finish`), not after
commit: it is database state that must roll back with the case, and a search after commit
must find what the case now says. `fuwu search reindex` rebuilds it from the cases.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Mapping
from datetime import datetime
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


# A document's words, each prefixed with the case's site (parameters: the site, the text).
_SITE_WORDS = (
    "array_to_tsvector(ARRAY(SELECT %s::text || '#' || w"
    " FROM unnest(tsvector_to_array(to_tsvector('simple', %s))) AS w))"
)


def tsquery(query: text.Query, site_ids: Collection[int]) -> str:
    """The words of `query` on these sites, for PostgreSQL's `::tsquery` (not `to_tsquery`,
    which would cut `3#漏水` at the `#`). Each word of any of the sites: a case has one site,
    so all its words carry the same one. Words hold letters and digits only."""
    sites = sorted(site_ids)
    last = len(query.words) - 1
    return " & ".join(
        "("
        + " | ".join(f"'{s}#{w}'{':*' if query.prefix and i == last else ''}" for s in sites)
        + ")"
        for i, w in enumerate(query.words)
    )


def _all_sites() -> list[int]:
    from fuwu.core.models import Site

    return list(Site.objects.values_list("pk", flat=True))


def put(case_id: int, site_id: int, created_at: datetime, texts: Iterable[str]) -> None:
    """Write (or rewrite) a case's row."""
    put_many([(case_id, site_id, created_at, texts)])


def put_many(cases: Iterable[tuple[int, int, datetime, Iterable[str]]]) -> None:
    """Write (or rewrite) the rows of several cases: (case id, its site's id, when it was
    created, its texts). The site and the time are the case's: a rewrite copies them too."""
    rows = [
        (case_id, site_id, created_at, text.document(texts))
        for case_id, site_id, created_at, texts in cases
    ]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            insert = (
                "INSERT INTO search_case_text (case_id, site_id, created_at, words)"  # noqa: S608
                f" VALUES (%s, %s, %s, {_SITE_WORDS})"  # a constant
                " ON CONFLICT (case_id) DO UPDATE SET words = EXCLUDED.words,"
                " site_id = EXCLUDED.site_id, created_at = EXCLUDED.created_at"
            )
            cursor.executemany(
                insert, [(case_id, site, at, site, words) for case_id, site, at, words in rows]
            )
        else:
            # Delete first: a row left by a case deleted in a test would otherwise stay.
            cursor.executemany(
                "DELETE FROM search_case_fts WHERE rowid = %s", [(r[0],) for r in rows]
            )
            cursor.executemany(
                "INSERT INTO search_case_fts (rowid, words) VALUES (%s, %s)",
                [(case_id, words) for case_id, _, _, words in rows],
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


def matching(
    query: text.Query,
    site_ids: Collection[int] | None = None,
    *,
    since: datetime | None = None,
) -> RawSQL:
    """The ids of the cases whose words match, of these sites if given, created at or after
    `since` if given (PostgreSQL only): for `pk__in=` on a case queryset (which then applies
    who may see what).

    On PostgreSQL the sites are matched in the index itself, each word stored with its case's
    site (migration 0004; all sites when none are given): a word common on one site but absent
    from another is then resolved to the few ids of the sites asked for. Asked only by the
    words, PostgreSQL estimated thousands of matches and walked the other site's cases newest
    first looking for them (390 ms at 100,000 cases). SQLite's planner starts from the FTS5
    match and needs no such help."""
    if connection.vendor == "postgresql":
        sites = _all_sites() if site_ids is None else sorted(site_ids)
        if not sites:
            return RawSQL("SELECT case_id FROM search_case_text WHERE false", [])
        sql = "SELECT case_id FROM search_case_text WHERE words @@ %s::tsquery"
        params: list[Any] = [tsquery(query, sites)]
        if since is not None:
            # With the words' GIN bitmap PostgreSQL ANDs the btree's on the time (0004).
            sql += " AND created_at >= %s"
            params.append(since)
        return RawSQL(sql, params)  # noqa: S611 (fixed text; the values are parameters)
    return RawSQL(
        "SELECT rowid FROM search_case_fts WHERE search_case_fts MATCH %s",
        [query.fts5()],
    )


def matching_ids(
    query: text.Query,
    site_ids: Collection[int] | None,
    limit: int,
    *,
    since: datetime | None = None,
) -> list[int]:
    """At most `limit` ids of `matching` cases, read from the index alone (in no set order)."""
    raw = matching(query, site_ids, since=since)
    with connection.cursor() as cursor:
        cursor.execute(f"{raw.sql} LIMIT %s", [*raw.params, limit])
        return [row[0] for row in cursor.fetchall()]


def newest_at() -> datetime | None:
    """When the newest indexed case was created (PostgreSQL; None when there is none): where
    a list newest first starts looking (`cases.queries.Match.within`)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT max(created_at) FROM search_case_text")
        row = cursor.fetchone()
        return row[0] if row else None


def compact_label() -> Func:
    """`text.compact` of an asset's label, in SQL (upper case, separators dropped): so that
    粤B·V2EGY, 粤B V2EGY and 粤bv2egy find the same car in the global search and the queue."""
    expr: Func = Upper(F("label"))
    for sep in _SQL_SEPARATORS:
        expr = Replace(expr, Value(sep), Value(""))
    return expr
