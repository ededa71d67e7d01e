from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class Config(AppConfig):
    name = "fuwu.core"
    label = "core"
    verbose_name = _("组织与人员")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Any change to who works where, in which role, under whom, starts a new generation of
        # the cached actors and site organisations (fuwu.core.actors), in every process.
        from django.contrib.auth import get_user_model
        from django.db.models.signals import m2m_changed, post_delete, post_save

        from fuwu.core.actors import _forget_on_change
        from fuwu.core.models import Department, Site, Staff

        for model in (Staff, Department, Site, get_user_model()):
            for signal in (post_save, post_delete):
                signal.connect(
                    _forget_on_change, sender=model, dispatch_uid=f"fuwu-org-{model.__name__}"
                )
        for through in (Staff.roles.through, Staff.sites.through):
            m2m_changed.connect(
                _forget_on_change, sender=through, dispatch_uid=f"fuwu-org-{through.__name__}"
            )

        # A person's API tokens are revoked when their password changes or they are deactivated.
        from fuwu.core.tokens import connect_signals

        connect_signals()
