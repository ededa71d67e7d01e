"""Registers (登记簿): who holds what since when and when it is due back — keys, parking permits;
and the fees ledger's opening balances (期初余额).

Entries are written only by the `register_out` / `register_in` effects of a case's procedure, so
every line of a register points at the case (and its events) that made it. Opening balances are
written only by `fuwu.registers.actions.add_opening_balances` (the spreadsheet import).
"""

from __future__ import annotations

from django.conf import settings
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


class OpeningBalance(models.Model):
    """What a unit owed (and had paid) for one fee item on the day Fuwu took over its accounts:
    the old books' balance, so that the arrears list and the payment statistics count it from the
    first day (`fuwu.reports.lists.fees`: a household line of the period holding `as_of`, in
    arrears while `outstanding` is above zero). One per unit and fee item.

    `fee_type` is an option value of the fee collection procedure's `fee_type` field; amounts in
    yuan. The amount due is `outstanding + paid`.
    """

    site = models.ForeignKey(
        Site, on_delete=models.PROTECT, related_name="+", verbose_name=_("项目")
    )
    asset = models.ForeignKey(
        "customers.Asset",
        on_delete=models.PROTECT,
        related_name="opening_balances",
        verbose_name=_("房屋"),
    )
    fee_type = models.CharField(_("收费项目"), max_length=40)
    as_of = models.DateField(_("截至日期"))
    billing_period = models.CharField(_("收费期间"), max_length=40, blank=True)
    outstanding = models.DecimalField(_("欠费金额（元）"), max_digits=12, decimal_places=2)
    paid = models.DecimalField(_("已缴金额（元）"), max_digits=12, decimal_places=2, default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("导入人"),
    )
    created_at = models.DateTimeField(_("导入时间"), default=timezone.now)

    class Meta:
        verbose_name = _("期初余额")
        verbose_name_plural = _("期初余额")
        indexes = [models.Index(fields=["site", "as_of"], name="opening_balance_day")]
        constraints = [
            models.UniqueConstraint(fields=["asset", "fee_type"], name="opening_balance_once")
        ]

    def __str__(self) -> str:
        return f"{self.asset_id} {self.fee_type} {self.outstanding}"
