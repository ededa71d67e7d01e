from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class Config(AppConfig):
    name = "fuwu.notifications"
    label = "notifications"
    verbose_name = _("通知")
    default_auto_field = "django.db.models.BigAutoField"
