from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class Config(AppConfig):
    name = "fuwu.procedures"
    label = "procedures"
    verbose_name = _("服务程序")
    default_auto_field = "django.db.models.BigAutoField"
