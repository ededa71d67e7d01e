"""On PostgreSQL the database itself refuses UPDATE and DELETE on the event table."""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION fuwu_event_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'cases_event is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER cases_event_append_only BEFORE UPDATE OR DELETE ON cases_event
    FOR EACH ROW EXECUTE FUNCTION fuwu_event_append_only();
"""
DROP = """
DROP TRIGGER IF EXISTS cases_event_append_only ON cases_event;
DROP FUNCTION IF EXISTS fuwu_event_append_only();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("cases", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
