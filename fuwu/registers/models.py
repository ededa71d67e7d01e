"""Registers (登记簿): who holds what since when and when it is due back — keys, parking permits.

Entries are written only by the `register_out` / `register_in` effects of a case's procedure, so
every line of a register points at the case (and its events) that made it.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fuwu.core.models import Site


class Register(models.TextChoices):
    KEY = "key", _("钥匙借用表")
    PARKING_PERMIT = "parking_permit", _("停车证")
    MATERIAL = "material", _("代办材料")


class Entry(models.Model):
    site = models.ForeignKey(
        Site, on_delete=models.PROTECT, related_name="+", verbose_name=_("项目")
    )
    register = models.CharField(_("登记簿"), max_length=20, choices=Register.choices)
    item = models.CharField(_("物品"), max_length=200)
    holder = models.CharField(_("持有人"), max_length=200)
    case = models.ForeignKey(
        "cases.Case",
        on_delete=models.PROTECT,
        related_name="register_entries",
        verbose_name=_("工单"),
    )
    out_at = models.DateTimeField(_("借出/发放时间"), default=timezone.now)
    due_back = models.DateTimeField(_("应归还/到期时间"), null=True, blank=True)
    returned_at = models.DateTimeField(_("归还时间"), null=True, blank=True)
    reminded_at = models.DateTimeField(_("提醒时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("登记记录")
        verbose_name_plural = _("登记记录")
        indexes = [models.Index(fields=["site", "register", "returned_at"], name="register_open")]

    def __str__(self) -> str:
        return f"{self.get_register_display()}: {self.item} → {self.holder}"
