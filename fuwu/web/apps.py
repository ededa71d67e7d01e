from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebConfig(AppConfig):
    name = "fuwu.web"
    verbose_name = _("员工界面")

    def ready(self) -> None:
        from django.contrib import admin

        from fuwu.web.ratelimit import AdminLoginForm

        # The admin's sign-in says "too many attempts" when the shared limit refused it.
        admin.site.login_form = AdminLoginForm
