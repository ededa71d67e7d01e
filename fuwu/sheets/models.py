"""An uploaded import kept between its preview and its confirmation."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fuwu.core.models import Site


class BatchStatus(models.TextChoices):
    PENDING = "pending", _("待确认")
    REFUSED = "refused", _("有错误")
    DONE = "done", _("已导入")


class ImportBatch(models.Model):
    """One uploaded file: what it is for, its bytes, and what checking it found.

    Written only by `fuwu.sheets.actions`. `problems` holds machine values (code, row, column,
    params), rendered in the reader's language when shown. Nothing of the file is written to
    the records until the batch is confirmed, and then only if a fresh check finds no problem.
    """

    site = models.ForeignKey(
        Site, on_delete=models.PROTECT, related_name="+", verbose_name=_("项目")
    )
    kind = models.CharField(_("导入类型"), max_length=20)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("上传人"),
    )
    created_at = models.DateTimeField(_("上传时间"), default=timezone.now)
    filename = models.CharField(_("文件名"), max_length=200)
    content = models.BinaryField(_("文件内容"))
    rows = models.PositiveIntegerField(_("数据行数"), default=0)
    problems = models.JSONField(_("发现的问题"), default=list, blank=True)
    status = models.CharField(
        _("状态"), max_length=10, choices=BatchStatus.choices, default=BatchStatus.PENDING
    )
    written = models.PositiveIntegerField(_("已导入条数"), default=0)
    done_at = models.DateTimeField(_("导入时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("导入批次")
        verbose_name_plural = _("导入批次")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.kind} {self.filename}"
