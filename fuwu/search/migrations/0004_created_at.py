"""On PostgreSQL: the case's creation time beside its words, with a btree index on it, and each
word stored with the case's site (`3#漏水`), in a GIN index of the words alone (see
fuwu.search.index and fuwu.cases.queries.by_windows).

The time. A common word matches 2-7 % of all cases (维修 74,000 of a million). A GIN index
cannot order, so the newest matches were found by walking the cases newest first and probing
each one's words: 16,859 probes for the newest 50 of 投诉 (290 ms, more when the rows were not
cached). With the time in the index table, a list newest first asks for the matches of the
last hours or days only, widening the window only while it holds too few (exact: every match
inside a window is newer than every match outside it).

The site in the word. With the site as a column of the GIN index (0002), a word was looked up
as the intersection of its matches with all the site's cases (624,000 for the largest), and
PostgreSQL, which takes the site and the word to be independent, expected thousands of
matches of a word that a site never uses: asked for the first 1,001 it read the whole table
(330 ms), asked for a window's it walked the window's rows (240-290 ms). A word of a site is
now one GIN entry, with the planner's statistics of its own: a site's matches are read
directly, and a word absent from a site is known to be rare there.

The table is rebuilt rather than updated in place: an UPDATE of every row would insert every
row again into the GIN index through its small pending list (migration 0003). The copy is
written oldest first, so a window's rows share few pages; new cases are appended in that
order anyway. No phrase search is made, so the words' positions are not kept.
"""

from django.db import migrations

POSTGRES = [
    "CREATE TABLE search_case_text_new ("
    " case_id bigint NOT NULL, site_id bigint NOT NULL, created_at timestamptz NOT NULL,"
    " words tsvector NOT NULL)",
    "INSERT INTO search_case_text_new (case_id, site_id, created_at, words)"
    " SELECT t.case_id, t.site_id, c.created_at,"
    " array_to_tsvector(ARRAY("
    "   SELECT t.site_id::text || '#' || w FROM unnest(tsvector_to_array(t.words)) AS w))"
    " FROM search_case_text t JOIN cases_case c ON c.id = t.case_id"
    " ORDER BY c.created_at, t.case_id",
    "DROP TABLE search_case_text",
    "ALTER TABLE search_case_text_new RENAME TO search_case_text",
    "ALTER TABLE search_case_text ADD CONSTRAINT search_case_text_pkey PRIMARY KEY (case_id)",
    "CREATE INDEX search_case_text_words ON search_case_text USING gin (words)"
    " WITH (gin_pending_list_limit = 128)",
    "CREATE INDEX search_case_text_created ON search_case_text (created_at)",
    "ANALYZE search_case_text",
]
POSTGRES_UNDO = [
    "DROP INDEX search_case_text_created",
    "ALTER TABLE search_case_text DROP COLUMN created_at",
    "UPDATE search_case_text SET words = array_to_tsvector(ARRAY("
    " SELECT split_part(w, '#', 2) FROM unnest(tsvector_to_array(words)) AS w))",
    "DROP INDEX search_case_text_words",
    "CREATE INDEX search_case_text_site_words ON search_case_text USING gin (site_id, words)"
    " WITH (gin_pending_list_limit = 128)",
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
