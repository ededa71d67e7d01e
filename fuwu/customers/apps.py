from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class Config(AppConfig):
    name = "fuwu.customers"
    label = "customers"
    verbose_name = _("客户与服务对象")
    default_auto_field = "django.db.models.BigAutoField"
