"""The app config of django_tasks_db, named in Chinese (its own says “Tasks Database Backend”)."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TasksConfig(AppConfig):
    """django_tasks_db (the task queue's table) under a Chinese name in the admin."""

    name = "django_tasks_db"
    label = "django_tasks_database"
    verbose_name = _("后台任务")

    def ready(self) -> None:
        from django_tasks_db import signal_handlers  # noqa: F401
