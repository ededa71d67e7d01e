from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class Config(AppConfig):
    name = "fuwu.surveys"
    label = "surveys"
    verbose_name = _("问卷调查")
    default_auto_field = "django.db.models.BigAutoField"
