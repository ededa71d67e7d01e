"""The reporting model: what the events say, counted per day × site × department × procedure ×
step × person (`Fact`; the same summed over the detail: `FactTotal`), with one row per counted
occurrence (`FactItem`) so every number drills down to exactly the cases behind it. Written only
by `fuwu.reports.fold`.

The grain's `day` is the local date in the site's time zone; `department` and `step` are where
the case stood when the event happened (for `intake`, where it arrived); `person` is who did it
(the event's actor), except for an escalation, which is counted against the case's assignee at
the time (the person it was late with; NULL when it had none), and a comeback, return visit or
rating, counted against the person whose work it judges (`fold.Position.judged`).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fuwu.reports.choices import Frequency, Measure


class Fact(models.Model):
    day = models.DateField(_("日期"))
    site_id = models.BigIntegerField(_("项目"))
    department_id = models.BigIntegerField(_("部门"), null=True)
    procedure_key = models.CharField(_("服务程序代码"), max_length=64)
    step = models.CharField(_("步骤"), max_length=64)
    person_id = models.BigIntegerField(_("人员"), null=True)
    measure = models.CharField(_("指标"), max_length=24, choices=Measure.choices)
    detail = models.CharField(_("明细"), max_length=64, blank=True, default="")
    count = models.PositiveIntegerField(_("数量"), default=0)

    class Meta:
        verbose_name = _("报表事实")
        verbose_name_plural = _("报表事实")
        # The reports read every count of a period (tens of thousands of rows a month at a
        # million cases): the grain and the count in the index itself, so PostgreSQL answers
        # from the index alone (an index-only scan, 3× faster than visiting each row) — and the
        # complaints' twelve-month trend from its own narrow range (measure, procedure).
        indexes = [
            # The measure before the day: a report reads a few measures of a period, and the
            # intakes (a row per channel and hour, two thirds of the rows) are not read along
            # with every other measure's.
            models.Index(
                fields=["site_id", "measure", "day"],
                include=["procedure_key", "step", "department_id", "person_id", "detail", "count"],
                name="fact_site_measure_day_all",
            ),
            models.Index(
                fields=["site_id", "measure", "procedure_key", "day"],
                include=["department_id", "person_id", "count"],
                name="fact_site_measure_procedure",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.site_id} {self.measure} {self.count}"


class FactTotal(models.Model):
    """`Fact` summed over its detail: what the service levels and each person's work a day
    read, which need no detail. An intake's detail is its channel and hour, so a day's intakes
    are 30 times fewer rows here. Written only by `fuwu.reports.fold`, with `Fact`."""

    day = models.DateField(_("日期"))
    site_id = models.BigIntegerField(_("项目"))
    department_id = models.BigIntegerField(_("部门"), null=True)
    procedure_key = models.CharField(_("服务程序代码"), max_length=64)
    step = models.CharField(_("步骤"), max_length=64)
    person_id = models.BigIntegerField(_("人员"), null=True)
    measure = models.CharField(_("指标"), max_length=24, choices=Measure.choices)
    count = models.PositiveIntegerField(_("数量"), default=0)

    class Meta:
        verbose_name = _("报表合计")
        verbose_name_plural = _("报表合计")
        indexes = [
            models.Index(
                fields=["site_id", "measure", "day"],
                include=["procedure_key", "step", "department_id", "person_id", "count"],
                name="fact_total_site_measure_day",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.site_id} {self.measure} {self.count}"


class FactItem(models.Model):
    """One counted occurrence: the event that caused it and its case (the drill-down)."""

    event_id = models.BigIntegerField(_("事件"))
    case_id = models.BigIntegerField(_("工单"))
    day = models.DateField(_("日期"))
    site_id = models.BigIntegerField(_("项目"))
    department_id = models.BigIntegerField(_("部门"), null=True)
    procedure_key = models.CharField(_("服务程序代码"), max_length=64)
    step = models.CharField(_("步骤"), max_length=64)
    person_id = models.BigIntegerField(_("人员"), null=True)
    measure = models.CharField(_("指标"), max_length=24, choices=Measure.choices)
    detail = models.CharField(_("明细"), max_length=64, blank=True, default="")

    class Meta:
        verbose_name = _("报表明细")
        verbose_name_plural = _("报表明细")
        constraints = [
            models.UniqueConstraint(fields=["event_id", "measure"], name="fact_item_once")
        ]
        indexes = [
            # A drill-down's rows, a page at a time in (day, event) order: for one site and
            # measure an index range already in that order (`drill.window_rows`), no sort of
            # the period's occurrences.
            models.Index(
                fields=["site_id", "measure", "day", "event_id"], name="fact_item_site_measure_day"
            ),
            # The occurrences of one procedure's measure (the quality report reads the Toyota
            # return visits and the opinion surveys' tallies), not every step done of a period.
            models.Index(
                fields=["procedure_key", "measure", "site_id", "day"],
                name="fact_item_procedure",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case_id} {self.measure}"


class FoldState(models.Model):
    """Where each case stood after the last event folded: the next event's dimensions."""

    case_id = models.BigIntegerField(_("工单"), primary_key=True)
    step = models.CharField(_("步骤"), max_length=64, blank=True)
    status = models.CharField(_("状态"), max_length=12, blank=True)
    department_id = models.BigIntegerField(_("部门"), null=True)
    assignee_id = models.BigIntegerField(_("处理人"), null=True)
    resolver_id = models.BigIntegerField(_("最近解决人"), null=True)
    visit_step = models.CharField(_("待回访步骤"), max_length=64, blank=True, default="")
    comebacks = models.PositiveIntegerField(_("返修次数"), default=0)

    class Meta:
        verbose_name = _("报表进度")
        verbose_name_plural = _("报表进度")

    def __str__(self) -> str:
        return str(self.case_id)


class Cursor(models.Model):
    """The high-water mark: every event with id ≤ `high` is folded, except `gaps` (ids not yet
    seen below it, each with when it was first missed); `version` makes a fold claim it."""

    high = models.BigIntegerField(_("已汇总至事件"), default=0)
    gaps = models.JSONField(_("待补事件"), default=list, blank=True)
    version = models.PositiveIntegerField(_("版本"), default=0)
    folded_at = models.DateTimeField(_("汇总时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("报表汇总进度")
        verbose_name_plural = _("报表汇总进度")

    def __str__(self) -> str:
        return f"≤{self.high}"


class Subscription(models.Model):
    """A person's standing order for a report: the worker sends it by e-mail as PDF and xlsx
    once per period (`fuwu.reports.subscriptions`), read with the person's rights at the time."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="report_subscriptions",
        verbose_name=_("订阅人"),
    )
    report = models.CharField(_("报表"), max_length=40)
    params = models.JSONField(_("筛选条件"), default=dict, blank=True)
    frequency = models.CharField(_("频率"), max_length=10, choices=Frequency.choices)
    created_at = models.DateTimeField(_("订阅时间"), default=timezone.now)
    # The end of the last period sent (claimed by a conditional UPDATE before sending).
    sent_through = models.DateField(_("已发送至"))
    # The local date from which the next period is due (the day after it ends): the sweep's
    # index, so it reads only the subscriptions it may send.
    due_on = models.DateField(_("下次发送日期"))
    last_sent_at = models.DateTimeField(_("上次发送时间"), null=True, blank=True)
    last_error = models.CharField(_("上次错误"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("报表订阅")
        verbose_name_plural = _("报表订阅")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "report", "frequency", "params"], name="subscription_once"
            )
        ]
        indexes = [models.Index(fields=["due_on"], name="subscription_due")]

    def __str__(self) -> str:
        return f"{self.report} {self.frequency} → {self.user_id}"
