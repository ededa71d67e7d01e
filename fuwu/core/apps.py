from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class Config(AppConfig):
    name = "fuwu.core"
    label = "core"
    verbose_name = _("组织与人员")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # A staff change is seen at once in this process (others within ACTOR_SECONDS).
        from django.db.models.signals import m2m_changed, post_save

        from fuwu.core.actors import _forget_on_change
        from fuwu.core.models import Staff

        post_save.connect(_forget_on_change, sender=Staff, dispatch_uid="fuwu-actor-staff")
        for through in (Staff.roles.through, Staff.sites.through):
            m2m_changed.connect(
                _forget_on_change, sender=through, dispatch_uid=f"fuwu-actor-{through.__name__}"
            )
