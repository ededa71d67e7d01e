from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class Config(AppConfig):
    name = "fuwu.demo"
    label = "demo"
    verbose_name = _("演示数据")
