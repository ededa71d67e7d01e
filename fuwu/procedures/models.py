"""Stored procedure versions. A version is immutable: running cases keep the one they started on."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ProcedureVersion(models.Model):
    key = models.SlugField(_("代码"), max_length=64)
    version = models.PositiveIntegerField(_("版本"))
    checksum = models.CharField(_("校验和"), max_length=64)
    name_zh = models.CharField(_("名称"), max_length=200)
    name_en = models.CharField(_("英文名称"), max_length=200)
    definition = models.JSONField(_("定义"))
    source = models.CharField(_("来源文件"), max_length=300, blank=True)
    is_current = models.BooleanField(_("当前版本"), default=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)

    class Meta:
        verbose_name = _("服务程序版本")
        verbose_name_plural = _("服务程序版本")
        ordering = ["key", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["key", "version"], name="procedure_version"),
            models.UniqueConstraint(
                fields=["key"], condition=models.Q(is_current=True), name="procedure_one_current"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name_zh} v{self.version}"
