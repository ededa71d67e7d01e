from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0004_fact_covering_indexes"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="factitem",
            name="fact_item_site_measure",
        ),
        migrations.AddIndex(
            model_name="factitem",
            index=models.Index(
                fields=["site_id", "measure", "day", "event_id"],
                name="fact_item_site_measure_day",
            ),
        ),
    ]
