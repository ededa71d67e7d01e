"""A small pending list for the words' GIN index on PostgreSQL.

GIN indexes take new entries into an unsorted pending list (fast inserts) that every search
reads in full until it is merged into the index, by VACUUM or once it passes
`gin_pending_list_limit` (4 MB by default). At 100,000 cases a full list cost a search about
8 ms, and the planner, counting it, chose to read the whole table instead of the index (38 ms
for a common word; 4 ms with the list merged). At 128 kB the list is merged every few hundred
new cases, a few milliseconds paid by one write instead of by every search."""

from django.db import migrations

POSTGRES = ["ALTER INDEX search_case_text_site_words SET (gin_pending_list_limit = 128)"]
POSTGRES_UNDO = ["ALTER INDEX search_case_text_site_words RESET (gin_pending_list_limit)"]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for sql in statements:
                schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("search", "0002_site")]

    operations = [migrations.RunPython(_run(POSTGRES), _run(POSTGRES_UNDO), elidable=False)]
