from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class Config(AppConfig):
    name = "fuwu.sla"
    label = "sla"
    verbose_name = _("时限与升级")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # A holiday or a site's hours changed: cached calendars and stored deadlines follow.
        from fuwu.sla.recompute import connect

        connect()
