from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class Config(AppConfig):
    name = "fuwu.registers"
    label = "registers"
    verbose_name = _("登记簿")
    default_auto_field = "django.db.models.BigAutoField"
