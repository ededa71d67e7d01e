from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class Config(AppConfig):
    name = "fuwu.campaigns"
    label = "campaigns"
    verbose_name = _("批量与周期任务")
    default_auto_field = "django.db.models.BigAutoField"
