"""Cases, their parallel tasks, their append-only events and their work log.

Only `fuwu.cases.actions` writes these rows (STYLE.md §3): nothing else assigns `step`,
`status`, `department` or `assignee`, and every change appends an `Event`.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from fuwu.cases.choices import (
    CLOSED_STATUSES,
    Channel,
    EventKind,
    Priority,
    Status,
    TaskState,
    WorkKind,
)
from fuwu.core.models import Department, Site
from fuwu.customers.models import Asset, Customer
from fuwu.procedures.models import ProcedureVersion
from fuwu.sla.lateness import next_due_expression

# Keys of `Case.records` (the engine's RESERVED_KEYS keep field keys off these names):
# "checks": {step: {item: {"value": ..., "passed": bool}}} — each step's latest checklist answers;
# "confirmation": {"cycle": int, "at": iso} — the customer confirmed the service done (portal);
# "rating": {"score": 1-5, "comment": str, "cycle": int, "at": iso} — the customer's rating.


# A procedure version's definition is parsed once per process (`registry.definition_of`, by id
# and checksum): a case read with its version for a write or the API need not decode the
# version's JSON (8–40 kB) again. `.defer(*UNPARSED)` beside `select_related("procedure")`.
UNPARSED = ("procedure__definition",)


def case_number(pk: int, created_at: datetime) -> str:
    """`Case.number` from the two columns it is made of (for rows read as tuples)."""
    return f"{timezone.localtime(created_at):%Y%m%d}-{pk:06d}"


class Case(models.Model):
    procedure = models.ForeignKey(
        ProcedureVersion,
        on_delete=models.PROTECT,
        related_name="cases",
        verbose_name=_("服务程序版本"),
    )
    procedure_key = models.SlugField(_("服务程序代码"), max_length=64, db_index=True)
    site = models.ForeignKey(
        Site, on_delete=models.PROTECT, related_name="cases", verbose_name=_("项目")
    )
    title = models.CharField(_("标题"), max_length=200)
    description = models.TextField(_("描述"), blank=True)
    step = models.CharField(_("当前步骤"), max_length=64)
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices, default=Status.OPEN)
    priority = models.CharField(
        _("优先级"), max_length=8, choices=Priority.choices, default=Priority.NORMAL
    )
    channel = models.CharField(_("渠道"), max_length=10, choices=Channel.choices)
    category = models.CharField(_("类别"), max_length=64, blank=True)
    customer = models.ForeignKey(
        Customer,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cases",
        verbose_name=_("客户"),
    )
    asset = models.ForeignKey(
        Asset,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cases",
        verbose_name=_("服务对象"),
    )
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, related_name="cases", verbose_name=_("部门")
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="assigned_cases",
        verbose_name=_("处理人"),
    )
    data = models.JSONField(_("数据"), default=dict, blank=True)  # the definition's fields only
    # What the system records about the case, apart from the definition's fields (whose keys
    # are the procedure author's): see the keys above the class.
    records = models.JSONField(_("系统记录"), default=dict, blank=True)
    is_major = models.BooleanField(_("重大"), default=False)
    comeback_count = models.PositiveIntegerField(_("返修次数"), default=0)
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="linked",
        verbose_name=_("原工单"),
    )
    campaign = models.ForeignKey(
        "campaigns.Campaign",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="cases",
        verbose_name=_("批量任务"),
    )
    version = models.PositiveIntegerField(_("版本"), default=1)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("创建人"),
    )
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    updated_at = models.DateTimeField(_("更新时间"), default=timezone.now)
    first_response_at = models.DateTimeField(_("首次响应时间"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("解决时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("关闭时间"), null=True, blank=True)
    # Clocks (STYLE.md §6): stored, never recomputed in queries. A clock's "start" is its
    # effective start, moved forward by time spent paused, so percentages stay true.
    response_due = models.DateTimeField(_("响应时限"), null=True, blank=True)
    resolution_start = models.DateTimeField(_("解决计时开始"), null=True, blank=True)
    resolution_due = models.DateTimeField(_("解决时限"), null=True, blank=True)
    step_start = models.DateTimeField(_("步骤计时开始"), null=True, blank=True)
    step_due = models.DateTimeField(_("步骤时限"), null=True, blank=True)
    paused_at = models.DateTimeField(_("暂停时间"), null=True, blank=True)
    paused_seconds = models.FloatField(
        _("已暂停时长（秒）"), default=0
    )  # business time paused in this resolution cycle
    clock_cycle = models.PositiveIntegerField(
        _("解决计时轮次"), default=0
    )  # bumps when the resolution clock restarts
    step_cycle = models.PositiveIntegerField(_("步骤轮次"), default=0)  # bumps on every step entry
    next_escalation_at = models.DateTimeField(_("下次升级时间"), null=True, blank=True)
    fired_rungs = models.JSONField(
        _("已触发升级"), default=list, blank=True
    )  # keys already fired; see sla.clocks
    last_seq = models.PositiveIntegerField(_("最新事件序号"), default=0)  # seq of the newest event
    return_visit_due = models.DateTimeField(_("回访时限"), null=True, blank=True)
    # The earliest deadline of a running clock (NULL: closed, or no clock running), kept by the
    # database itself from the columns above: the overdue list reads it along an index.
    next_due = models.GeneratedField(
        expression=next_due_expression(),
        output_field=models.DateTimeField(),
        db_persist=True,
        null=True,
        verbose_name=_("最近时限"),
    )

    class Meta:
        verbose_name = _("工单")
        verbose_name_plural = _("工单")
        indexes = [
            models.Index(
                fields=["next_escalation_at"],
                name="case_next_escalation",
                condition=models.Q(next_escalation_at__isnull=False),
            ),
            models.Index(fields=["site", "status", "-created_at"], name="case_site_status"),
            models.Index(fields=["department", "status"], name="case_department_status"),
            models.Index(fields=["assignee", "status"], name="case_assignee_status"),
            # The list orderings (CaseFilter): each index, read forwards or backwards, serves
            # one ordering with its tie-break on id, so a page is read without sorting.
            models.Index(fields=["created_at", "id"], name="case_created_id"),
            models.Index(fields=["updated_at", "id"], name="case_updated_id"),
            models.Index(fields=["resolution_due", "id"], name="case_due_id"),
            # The overdue view: a site's late cases, the latest first, read in index order.
            models.Index(fields=["site", "next_due", "id"], name="case_site_next_due"),
            # … and across all sites (a VP's), read in order and filtered by site.
            models.Index(
                fields=["next_due", "id"],
                name="case_next_due",
                condition=models.Q(next_due__isnull=False),
            ),
            # The queue filtered by procedure and step, newest first, read in index order.
            models.Index(fields=["procedure_key", "step", "created_at"], name="case_step_created"),
            # The seeds' lists (fuwu.reports.lists): one procedure's cases of a site opened in a
            # period — the month's payment notices, the survey round, the vacant-unit rounds.
            models.Index(
                fields=["site", "procedure_key", "created_at"], name="case_site_procedure_created"
            ),
            # The dashboard's "resolved this week / per day" counts, per site.
            models.Index(
                fields=["site", "resolved_at"],
                name="case_site_resolved",
                condition=models.Q(resolved_at__isnull=False),
            ),
            # The service-levels report's "overdue now": the late cases counted per procedure
            # step from the index alone (PostgreSQL; 258 → 52 ms for every site at 1,000,000).
            models.Index(
                fields=["site", "next_due"],
                include=["procedure_key", "step", "department", "assignee", "id"],
                name="case_late_step",
                condition=models.Q(next_due__isnull=False),
            ),
            # The workload report's backlog: a site's open cases counted per procedure step and
            # department, from the index alone (PostgreSQL; 108 ms → 3 ms at 50,000 cases).
            models.Index(
                fields=["site", "procedure_key", "step", "department"],
                include=["id"],
                name="case_open_site_step",
                condition=~models.Q(status__in=sorted(CLOSED_STATUSES)),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    @property
    def number(self) -> str:
        """The case number people quote: opening date and id, derived so it costs no write."""
        return case_number(self.pk, self.created_at)

    @staticmethod
    def pk_from_number(text: str) -> int | None:
        text = text.strip()
        digits = text.split("-", 1)[1] if "-" in text else text
        return int(digits) if digits.isdigit() and len(digits) <= 12 else None

    @property
    def is_closed(self) -> bool:
        return self.status in {Status.CLOSED, Status.CANCELLED, Status.REJECTED}


class CaseTask(models.Model):
    """One branch of a parallel step: a department's share of the work, joined when all are done."""

    case = models.ForeignKey(
        Case, on_delete=models.CASCADE, related_name="tasks", verbose_name=_("工单")
    )
    step = models.CharField(_("步骤"), max_length=64)
    branch = models.CharField(_("分支"), max_length=64)
    cycle = models.PositiveIntegerField(_("轮次"), default=0)
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, related_name="+", verbose_name=_("部门")
    )
    state = models.CharField(
        _("状态"), max_length=8, choices=TaskState.choices, default=TaskState.OPEN
    )
    data = models.JSONField(_("数据"), default=dict, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("完成人"),
    )
    done_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("并行任务")
        verbose_name_plural = _("并行任务")
        constraints = [
            models.UniqueConstraint(
                fields=["case", "step", "branch", "cycle"], name="case_task_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case_id}/{self.step}/{self.branch}"


class Event(models.Model):
    """Append-only history of a case. Machine values only; labels are translated when shown.

    `data["set"]` holds the new values of the case's tracked fields (step, status, department,
    assignee) so the current state can be rebuilt from the events alone (`fuwu events verify`).
    On PostgreSQL a trigger refuses UPDATE and DELETE on this table.
    """

    case = models.ForeignKey(
        Case, on_delete=models.PROTECT, related_name="events", verbose_name=_("工单")
    )
    seq = models.PositiveIntegerField(_("序号"))
    kind = models.CharField(_("类型"), max_length=30, choices=EventKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("操作人"),
    )
    at = models.DateTimeField(_("时间"), default=timezone.now)
    data = models.JSONField(_("数据"), default=dict, blank=True)

    class Meta:
        verbose_name = _("事件")
        verbose_name_plural = _("事件")
        ordering = ["case_id", "seq"]
        constraints = [models.UniqueConstraint(fields=["case", "seq"], name="event_case_seq")]
        indexes = [
            models.Index(fields=["kind", "at"], name="event_kind_at"),
            # The fee reports read a period's payments (a notice's `paid`/`part_paid`, a parking
            # lease's `paid`/`paid_renewal`: `fuwu.reports.lists.fees.PAYING`), a few thousand
            # among hundreds of thousands of transitions a quarter at a million cases: their
            # own small partial index, by time, with everything a report reads of them (the
            # case, the amount in `data`), so a quarter's 38,000 are read from the index alone
            # instead of 12,000 pages of the event table (PostgreSQL; at 1 M: 505 -> 23 ms).
            models.Index(
                fields=["at"],
                include=["case_id", "id", "data"],
                condition=models.Q(
                    kind="transitioned", data__transition__in=["paid", "paid_renewal", "part_paid"]
                ),
                name="event_payment_at",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.case_id}#{self.seq} {self.kind}"


class WorkLog(models.Model):
    case = models.ForeignKey(
        Case, on_delete=models.PROTECT, related_name="work_log", verbose_name=_("工单")
    )
    kind = models.CharField(_("类型"), max_length=8, choices=WorkKind.choices)
    description = models.CharField(_("内容"), max_length=200)
    hours = models.DecimalField(
        pgettext_lazy("work log", "工时"), max_digits=6, decimal_places=2, null=True, blank=True
    )
    quantity = models.DecimalField(
        _("数量"), max_digits=10, decimal_places=2, null=True, blank=True
    )
    unit_price = models.DecimalField(
        _("单价"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("记录人"),
    )
    at = models.DateTimeField(_("时间"), default=timezone.now)
    # A wrong row is voided (with a reason, event `work_voided`), never deleted: it stays on the
    # page struck through and leaves the totals.
    voided_at = models.DateTimeField(_("作废时间"), null=True, blank=True)
    void_reason = models.CharField(_("作废原因"), max_length=200, blank=True)

    class Meta:
        verbose_name = pgettext_lazy("work log", "工作记录")
        verbose_name_plural = pgettext_lazy("work log", "工作记录")

    def __str__(self) -> str:
        return f"{self.kind}: {self.description}"


class Consultation(models.Model):
    """A question answered on the spot at intake: recorded and counted, no case opened."""

    site = models.ForeignKey(
        Site, on_delete=models.PROTECT, related_name="consultations", verbose_name=_("项目")
    )
    customer = models.ForeignKey(
        Customer,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="consultations",
        verbose_name=_("客户"),
    )
    channel = models.CharField(_("渠道"), max_length=10, choices=Channel.choices)
    topic = models.CharField(_("主题"), max_length=200)
    answer = models.TextField(_("答复"), blank=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("受理人"),
    )
    at = models.DateTimeField(_("时间"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("咨询")
        verbose_name_plural = _("咨询")
        indexes = [models.Index(fields=["site", "at"], name="consultation_site_at")]

    def __str__(self) -> str:
        return self.topic


class Attachment(models.Model):
    """A file attached to a case: a customer's photo from the portal, or a photo or document a
    member of staff attached (`fuwu.cases.attachments.attach`), to the case or to one checklist
    item of a step (`step` and `item`: before/after photos, a walk-around's damage points).
    Served only through an access-checked view; a picture also has a small `thumbnail`."""

    case = models.ForeignKey(
        Case, on_delete=models.PROTECT, related_name="attachments", verbose_name=_("工单")
    )
    file = models.FileField(_("文件"), upload_to="attachments/%Y/%m/")
    name = models.CharField(_("文件名"), max_length=200)
    content_type = models.CharField(_("类型"), max_length=100)
    size = models.PositiveIntegerField(_("大小"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("上传人"),
    )
    at = models.DateTimeField(_("时间"), default=timezone.now)
    # Where it belongs: blank for the case as a whole, else a step key and one of its items.
    step = models.CharField(_("步骤"), max_length=100, blank=True, default="")
    item = models.CharField(_("检查项"), max_length=100, blank=True, default="")
    thumbnail = models.FileField(_("缩略图"), upload_to="thumbnails/%Y/%m/", blank=True)

    class Meta:
        verbose_name = _("附件")
        verbose_name_plural = _("附件")

    def __str__(self) -> str:
        return self.name

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")


class PendingUpload(models.Model):
    """A photo a customer chose in the portal's request form while the form came back with an
    error: kept (checked and cleaned) for that person's session, so they need not choose it
    again, and moved onto the case when the request is sent. Rows older than a day are removed
    whenever new ones are kept (`fuwu.cases.attachments.keep_pending`)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("用户")
    )
    file = models.FileField(_("文件"), upload_to="pending/%Y/%m/")
    name = models.CharField(_("文件名"), max_length=200)
    content_type = models.CharField(_("类型"), max_length=100)
    size = models.PositiveIntegerField(_("大小"))
    at = models.DateTimeField(_("时间"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("待提交的照片")
        verbose_name_plural = _("待提交的照片")

    def __str__(self) -> str:
        return self.name


class IdempotencyKey(models.Model):
    """The first answer to an API request that created something, kept under the client's
    `Idempotency-Key` for 24 hours: a retry (the connection dropped after the commit) gets
    the same answer instead of a second record. Written in the transaction of the write itself,
    so an answer is kept exactly when its write committed (see `fuwu/api/idempotency.py`)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, verbose_name=_("用户")
    )
    key = models.CharField(_("幂等键"), max_length=255)
    method = models.CharField(_("请求方法"), max_length=8)
    path = models.CharField(_("请求路径"), max_length=500)
    fingerprint = models.CharField(_("请求摘要"), max_length=64)
    status = models.PositiveSmallIntegerField(_("响应状态"), default=0)
    body = models.TextField(_("响应内容"), blank=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("幂等请求")
        verbose_name_plural = _("幂等请求")
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_once")]

    def __str__(self) -> str:
        return self.key
