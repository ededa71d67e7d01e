from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class Config(AppConfig):
    name = "fuwu.scheduling"
    label = "scheduling"
    verbose_name = _("车间排程")
    default_auto_field = "django.db.models.BigAutoField"
