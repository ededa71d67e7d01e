"""The task queue's table (django_tasks_db) in the admin, in Chinese: its own admin names the
columns and filters by field name, in English."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib import admin
from django.db.models import Field, Model
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django_tasks_db.admin import DBTaskResultAdmin
from django_tasks_db.models import DBTaskResult

LABELS = {
    "id": _("编号"),
    "task_name": _("任务"),
    "status": _("状态"),
    "enqueued_at": _("入队时间"),
    "started_at": _("开始时间"),
    "finished_at": _("完成时间"),
    "priority": _("优先级"),
    "queue_name": _("队列"),
}


def titled(title: Any, base: type[admin.FieldListFilter]) -> type[admin.FieldListFilter]:
    """A field filter under a translated title (the field's own name is English)."""

    class Titled(base):  # type: ignore[valid-type,misc]
        def __init__(
            self,
            field: Field[Any, Any],
            request: HttpRequest,
            params: dict[str, Any],
            model: type[Model],
            model_admin: admin.ModelAdmin[Any],
            field_path: str,
        ) -> None:
            super().__init__(field, request, params, model, model_admin, field_path)
            self.title = str(title)

    return Titled


def _column(name: str) -> Any:
    @admin.display(description=LABELS[name], ordering=name)
    def show(obj: DBTaskResult) -> datetime | str | int:
        return getattr(obj, name)  # type: ignore[no-any-return]

    show.__name__ = f"show_{name}"
    return show


class TaskResultAdmin(DBTaskResultAdmin):
    list_display = tuple(_column(name) for name in LABELS)  # type: ignore[assignment]
    list_filter = (  # type: ignore[assignment]
        ("status", titled(LABELS["status"], admin.ChoicesFieldListFilter)),
        ("priority", titled(LABELS["priority"], admin.AllValuesFieldListFilter)),
        ("queue_name", titled(LABELS["queue_name"], admin.AllValuesFieldListFilter)),
    )


if admin.site.is_registered(DBTaskResult):
    admin.site.unregister(DBTaskResult)
admin.site.register(DBTaskResult, TaskResultAdmin)
