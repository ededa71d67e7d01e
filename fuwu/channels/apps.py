from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class Config(AppConfig):
    name = "fuwu.channels"
    label = "channels"
    verbose_name = _("渠道")
    default_auto_field = "django.db.models.BigAutoField"
