from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class Config(AppConfig):
    name = "fuwu.cases"
    label = "cases"
    verbose_name = _("工单")
    default_auto_field = "django.db.models.BigAutoField"
