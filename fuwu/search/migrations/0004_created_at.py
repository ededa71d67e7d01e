"""The case's creation time beside its words on PostgreSQL, with a btree index on it
(see fuwu.search.index.matching and fuwu.cases.queries.newest_first).

A common word matches 2-7 % of all cases (维修 74,000 of a million). A GIN index cannot order,
so the newest matches were found by walking the cases newest first and probing each one's
words: 16,859 probes for the newest 50 of 投诉 (290 ms, more when the rows were not cached).
With the time in the index table, a list newest first asks for the matches of the last days
only: PostgreSQL ANDs the GIN's bitmap with the btree's on `created_at` and reads just the
rows of that window, widening it only while it holds too few (exact: every match inside a
window is newer than every match outside it).

`search_case_ids` reads the ids with bitmap scans only (its own settings, for its own queries):
asked for the first 1,001 of a word on one site, PostgreSQL, which takes the site and the
words to be independent, expected thousands of matches and read the whole table for the first
ones (330 ms for a word that site never uses, 17-87 ms through the GIN index); asked for the
matches of a window, it walked the window's rows on the btree (240-290 ms for 40 days, 13 ms
with the bitmaps ANDed).

The table is rebuilt rather than updated in place: an UPDATE of every row would insert every
row again into the GIN index through its small pending list (migration 0003). The copy is
written oldest first, so a window's rows share few pages; new cases are appended in that
order anyway.
"""

from django.db import migrations

FUNCTION = """
CREATE FUNCTION search_case_ids(q tsquery, sites bigint[], since timestamptz, lim integer)
RETURNS SETOF bigint LANGUAGE plpgsql STABLE
SET enable_seqscan = off SET enable_indexscan = off SET enable_indexonlyscan = off
AS $$
BEGIN
    -- Planned on each call with its values (EXECUTE), each condition only when it is given.
    RETURN QUERY EXECUTE
        'SELECT case_id FROM search_case_text WHERE words @@ $1'
        || CASE WHEN sites IS NULL THEN '' ELSE ' AND site_id = ANY($2)' END
        || CASE WHEN since IS NULL THEN '' ELSE ' AND created_at >= $3' END
        || ' LIMIT $4'
        USING q, sites, since, lim;
END
$$
"""
POSTGRES = [
    "CREATE TABLE search_case_text_new ("
    " case_id bigint NOT NULL, site_id bigint NOT NULL, created_at timestamptz NOT NULL,"
    " words tsvector NOT NULL)",
    "INSERT INTO search_case_text_new (case_id, site_id, created_at, words)"
    " SELECT t.case_id, t.site_id, c.created_at, t.words"
    " FROM search_case_text t JOIN cases_case c ON c.id = t.case_id"
    " ORDER BY c.created_at, t.case_id",
    "DROP TABLE search_case_text",
    "ALTER TABLE search_case_text_new RENAME TO search_case_text",
    "ALTER TABLE search_case_text ADD CONSTRAINT search_case_text_pkey PRIMARY KEY (case_id)",
    "CREATE INDEX search_case_text_site_words ON search_case_text USING gin (site_id, words)"
    " WITH (gin_pending_list_limit = 128)",
    "CREATE INDEX search_case_text_created ON search_case_text (created_at)",
    "ANALYZE search_case_text",
    FUNCTION,
]
POSTGRES_UNDO = [
    "DROP FUNCTION search_case_ids(tsquery, bigint[], timestamptz, integer)",
    "DROP INDEX search_case_text_created",
    "ALTER TABLE search_case_text DROP COLUMN created_at",
]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for sql in statements:
                schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("search", "0003_pending_list"), ("cases", "0011_case_records")]

    operations = [migrations.RunPython(_run(POSTGRES), _run(POSTGRES_UNDO), elidable=False)]
