"""The record that makes each escalation rung fire exactly once per case."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Firing(models.Model):
    """One rung fired for one case. The unique constraint is what two racing workers meet:
    whichever inserts second fails and rolls back its whole attempt, so nothing is sent twice."""

    case = models.ForeignKey(
        "cases.Case", on_delete=models.PROTECT, related_name="firings", verbose_name=_("工单")
    )
    key = models.CharField(_("升级级别"), max_length=80)
    at = models.DateTimeField(_("时间"), default=timezone.now)
    worker = models.CharField(_("执行进程"), max_length=80, blank=True)

    class Meta:
        verbose_name = _("升级记录")
        verbose_name_plural = _("升级记录")
        constraints = [models.UniqueConstraint(fields=["case", "key"], name="firing_once")]

    def __str__(self) -> str:
        return f"{self.case_id}:{self.key}"


class Heartbeat(models.Model):
    """A worker process checking in, once per sweep. `/healthz` and the staff dashboard read the
    newest row: background work (escalations, notices, schedules) stops silently when no worker
    runs, while the site keeps answering, so its absence has to be visible somewhere."""

    worker_id = models.CharField(_("执行进程"), max_length=64, primary_key=True)
    host = models.CharField(_("主机"), max_length=255)
    pid = models.PositiveIntegerField(_("进程号"))
    version = models.CharField(_("版本"), max_length=40)
    started_at = models.DateTimeField(_("启动时间"))
    last_seen = models.DateTimeField(_("最近心跳"), db_index=True)

    class Meta:
        verbose_name = _("后台进程心跳")
        verbose_name_plural = _("后台进程心跳")

    def __str__(self) -> str:
        return self.worker_id
