from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class Config(AppConfig):
    name = "fuwu.reports"
    label = "reports"
    verbose_name = _("报表")
    default_auto_field = "django.db.models.BigAutoField"
