"""Many cases from one definition: campaigns (a case per unit of a set) and recurring schedules."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fuwu.core.models import Site
from fuwu.customers.choices import AssetKind


class Campaign(models.Model):
    """One action that opens a case per asset of a chosen set (every household, every vacant unit)."""

    site = models.ForeignKey(
        Site, on_delete=models.PROTECT, related_name="campaigns", verbose_name=_("项目")
    )
    procedure_key = models.SlugField(_("服务程序代码"), max_length=64)
    title = models.CharField(_("标题"), max_length=200)
    asset_kind = models.CharField(_("服务对象类型"), max_length=20, choices=AssetKind.choices)
    asset_filter = models.JSONField(_("服务对象属性条件"), default=dict, blank=True)
    data = models.JSONField(_("工单数据"), default=dict, blank=True)
    schedule = models.ForeignKey(
        "Schedule",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="campaigns",
        verbose_name=_("周期计划"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("创建人"),
    )
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)

    class Meta:
        verbose_name = _("批量任务")
        verbose_name_plural = _("批量任务")

    def __str__(self) -> str:
        return self.title


class Schedule(models.Model):
    """Opens a case (or a campaign over a set of assets) at every occurrence of an iCalendar RRULE."""

    site = models.ForeignKey(
        Site, on_delete=models.PROTECT, related_name="schedules", verbose_name=_("项目")
    )
    procedure_key = models.SlugField(_("服务程序代码"), max_length=64)
    title = models.CharField(_("标题"), max_length=200, help_text=_("可用 {date} 表示发生日期"))
    rrule = models.CharField(
        _("重复规则 (RRULE)"),
        max_length=500,
        help_text=_("例如 FREQ=MONTHLY;BYMONTHDAY=28;BYHOUR=9;BYMINUTE=0"),
    )
    dtstart = models.DateTimeField(_("开始时间"))
    asset_kind = models.CharField(
        _("服务对象类型"),
        max_length=20,
        choices=AssetKind.choices,
        blank=True,
        help_text=_("留空则每次开一张工单；填写则每次对所有符合条件的服务对象开展批量任务"),
    )
    asset_filter = models.JSONField(_("服务对象属性条件"), default=dict, blank=True)
    data = models.JSONField(_("工单数据"), default=dict, blank=True)
    active = models.BooleanField(_("启用"), default=True)
    last_occurrence_at = models.DateTimeField(_("最近一次发生"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)

    class Meta:
        verbose_name = _("周期计划")
        verbose_name_plural = _("周期计划")

    def __str__(self) -> str:
        return self.title


class Occurrence(models.Model):
    """One occurrence of a schedule, claimed once: the unique row makes two workers open one case."""

    schedule = models.ForeignKey(
        Schedule, on_delete=models.CASCADE, related_name="occurrences", verbose_name=_("周期计划")
    )
    at = models.DateTimeField(_("发生时间"))
    case = models.ForeignKey(
        "cases.Case",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("工单"),
    )
    campaign = models.ForeignKey(
        Campaign,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("批量任务"),
    )
    error = models.CharField(_("错误"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)

    class Meta:
        verbose_name = _("周期发生")
        verbose_name_plural = _("周期发生")
        constraints = [models.UniqueConstraint(fields=["schedule", "at"], name="occurrence_once")]

    def __str__(self) -> str:
        return f"{self.schedule_id}@{self.at:%Y-%m-%d %H:%M}"
