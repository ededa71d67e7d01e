"""The case text index (see fuwu.search.index): an FTS5 table on SQLite, a tsvector table with
a GIN index on PostgreSQL. No foreign key on PostgreSQL: Django's flush truncates the cases
table, which a reference from a table it does not manage would forbid."""

from django.db import migrations

SQLITE = [
    "CREATE VIRTUAL TABLE search_case_fts USING fts5(words, tokenize = 'unicode61')",
]
SQLITE_DROP = ["DROP TABLE IF EXISTS search_case_fts"]
POSTGRES = [
    "CREATE TABLE search_case_text (case_id bigint PRIMARY KEY, words tsvector NOT NULL)",
    "CREATE INDEX search_case_text_words ON search_case_text USING gin (words)",
]
POSTGRES_DROP = ["DROP TABLE IF EXISTS search_case_text"]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for sql in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    initial = True

    dependencies = [("cases", "0011_case_records")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE, "postgresql": POSTGRES}),
            _run({"sqlite": SQLITE_DROP, "postgresql": POSTGRES_DROP}),
            elidable=False,
        ),
    ]
