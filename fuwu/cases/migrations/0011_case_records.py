"""System records (checklist answers, the customer's confirmation and rating) leave `Case.data`.

`Case.data` held them next to the definition's fields, so a field named `customer_confirmed`
collided with the portal's record. Existing rows are moved both ways; a procedure field of the
same name (a bool, not the record's mapping) stays where it is.
"""

from django.db import migrations, models

# Case.data key -> (Case.records key, a key only the system's record has)
MOVED = {"checks": ("checks", None), "customer_confirmed": ("confirmation", "cycle"), "rating": ("rating", "score")}


def _is_record(value, marker):
    return isinstance(value, dict) and (marker is None or marker in value)


def forwards(apps, schema_editor):
    Case = apps.get_model("cases", "Case")
    batch = []
    for case in Case.objects.only("pk", "data", "records").iterator(chunk_size=2000):
        data, records = dict(case.data or {}), dict(case.records or {})
        for old, (new, marker) in MOVED.items():
            if old in data and _is_record(data[old], marker):
                records[new] = data.pop(old)
        if records != (case.records or {}):
            case.data, case.records = data, records
            batch.append(case)
        if len(batch) >= 500:
            Case.objects.bulk_update(batch, ["data", "records"])
            batch = []
    Case.objects.bulk_update(batch, ["data", "records"])


def backwards(apps, schema_editor):
    Case = apps.get_model("cases", "Case")
    batch = []
    for case in Case.objects.only("pk", "data", "records").iterator(chunk_size=2000):
        data, records = dict(case.data or {}), dict(case.records or {})
        for old, (new, _marker) in MOVED.items():
            if new in records and old not in data:
                data[old] = records.pop(new)
        if data != (case.data or {}):
            case.data, case.records = data, records
            batch.append(case)
        if len(batch) >= 500:
            Case.objects.bulk_update(batch, ["data", "records"])
            batch = []
    Case.objects.bulk_update(batch, ["data", "records"])


class Migration(migrations.Migration):
    dependencies = [("cases", "0010_step_index")]

    operations = [
        migrations.AddField(
            model_name="case",
            name="records",
            field=models.JSONField(blank=True, default=dict, verbose_name="系统记录"),
        ),
        migrations.RunPython(forwards, backwards),
    ]
