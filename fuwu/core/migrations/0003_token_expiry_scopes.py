"""API tokens gain an expiry, scopes and the address of their last use (issue 9, item 3).

Tokens issued before this migration keep working with both scopes, as they did, and expire
after the default lifetime counted from the upgrade, so no integration stops without warning.
"""

from datetime import timedelta

from django.conf import settings
from django.db import migrations, models
from django.utils import timezone


def give_existing_tokens_a_lifetime(apps, schema_editor):
    ApiToken = apps.get_model("core", "ApiToken")
    days = int(getattr(settings, "FUWU_TOKEN_DAYS", 90))
    ApiToken.objects.filter(expires_at__isnull=True).update(
        expires_at=timezone.now() + timedelta(days=days)
    )


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0002_verbose_names"),
    ]

    operations = [
        migrations.AddField(
            model_name="apitoken",
            name="scopes",
            field=models.CharField(default="read write", max_length=100, verbose_name="权限范围"),
        ),
        migrations.AddField(
            model_name="apitoken",
            name="last_used_from",
            field=models.GenericIPAddressField(blank=True, null=True, verbose_name="最近使用地址"),
        ),
        migrations.AddField(
            model_name="apitoken",
            name="expires_at",
            field=models.DateTimeField(null=True, verbose_name="到期时间"),
        ),
        migrations.RunPython(give_existing_tokens_a_lifetime, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="apitoken",
            name="expires_at",
            field=models.DateTimeField(verbose_name="到期时间"),
        ),
    ]
