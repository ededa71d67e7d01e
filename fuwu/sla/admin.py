"""Escalation firings, read-only: each row is written once by the escalation job."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from fuwu.cases.admin import CaseColumn
from fuwu.core.admin import ReadOnlyAdmin, shown, titled
from fuwu.sla.models import Firing, Heartbeat


@admin.register(Firing)
class FiringAdmin(CaseColumn, ReadOnlyAdmin[Firing]):
    list_display = ["fired_at", "case_label", "rung", "worker_name"]
    list_filter = [("at", titled(_("时间"), admin.DateFieldListFilter))]
    list_select_related = ["case"]
    search_fields = ["key", "case__title"]
    readonly_fields = ("case_label", "rung", "fired_at", "worker_name")
    fields = readonly_fields
    date_hierarchy = "at"
    ordering = ["-at"]
    show_full_result_count = False

    @admin.display(description=_("时间"), ordering="at")
    def fired_at(self, obj: Firing) -> str:
        return shown(obj.at)

    @admin.display(description=_("升级级别"), ordering="key")
    def rung(self, obj: Firing) -> str:
        return obj.key

    @admin.display(description=_("执行进程"), ordering="worker")
    def worker_name(self, obj: Firing) -> str:
        return obj.worker


@admin.register(Heartbeat)
class HeartbeatAdmin(ReadOnlyAdmin[Heartbeat]):
    """Which workers checked in lately (also on /healthz)."""

    list_display = ["worker_id", "host", "pid", "version", "started", "seen"]
    readonly_fields = ("worker_id", "host", "pid", "version", "started", "seen")
    fields = readonly_fields
    ordering = ["-last_seen"]

    @admin.display(description=_("启动时间"), ordering="started_at")
    def started(self, obj: Heartbeat) -> str:
        return shown(obj.started_at)

    @admin.display(description=_("最近心跳"), ordering="last_seen")
    def seen(self, obj: Heartbeat) -> str:
        return shown(obj.last_seen)
