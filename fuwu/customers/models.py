"""Customers (客户档案) and what a service is about (服务对象: units, vehicles, equipment …)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fuwu.core.models import Site
from fuwu.customers.choices import AssetKind, RecordAction, RevealReason
from fuwu.customers.masks import mask_phone


class CustomerQuerySet(models.QuerySet["Customer"]):
    def live(self) -> CustomerQuerySet:
        """Records in use: not merged into another (a merged record is kept, hidden, so the
        merge can be undone; see `fuwu.customers.merging`)."""
        return self.filter(merged_into__isnull=True)


class Customer(models.Model):
    site = models.ForeignKey(
        Site, on_delete=models.PROTECT, related_name="customers", verbose_name=_("项目")
    )
    name = models.CharField(_("姓名"), max_length=100)
    phone = models.CharField(_("电话"), max_length=30, blank=True, db_index=True)
    email = models.EmailField(_("电子邮件"), blank=True)
    preferences = models.JSONField(_("偏好"), default=dict, blank=True)
    consent_contact = models.BooleanField(_("同意回访联系"), default=True)
    language = models.CharField(
        _("语言"), max_length=10, choices=settings.LANGUAGES, default="zh-hans"
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="customer",
        verbose_name=_("用户"),
    )
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    # Set while this record is merged into another (hidden from searches and pickers); cleared
    # when the merge is undone. Written only by `fuwu.customers.merging`.
    merged_into = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("已合并至"),
    )

    objects = CustomerQuerySet.as_manager()

    class Meta:
        verbose_name = _("客户")
        verbose_name_plural = _("客户")
        indexes = [models.Index(fields=["site", "name"])]

    def __str__(self) -> str:
        return self.name

    @property
    def masked_phone(self) -> str:
        """138****5678: the form lists show (who sees more: fuwu.customers.privacy)."""
        return mask_phone(self.phone)


class Asset(models.Model):
    """A unit, vehicle, item of equipment …; typed attributes live in `attributes`."""

    site = models.ForeignKey(
        Site, on_delete=models.PROTECT, related_name="assets", verbose_name=_("项目")
    )
    kind = models.CharField(_("类型"), max_length=20, choices=AssetKind.choices)
    label = models.CharField(
        _("标识"), max_length=100, db_index=True, help_text=_("房号、车牌号、设备编号等")
    )
    owner = models.ForeignKey(
        Customer,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assets",
        verbose_name=_("所有人"),
    )
    attributes = models.JSONField(_("属性"), default=dict, blank=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)

    class Meta:
        verbose_name = _("服务对象")
        verbose_name_plural = _("服务对象")
        constraints = [
            models.UniqueConstraint(fields=["site", "kind", "label"], name="asset_label"),
        ]

    def __str__(self) -> str:
        return self.label


class RecordChange(models.Model):
    """Append-only history of customer and asset records: who changed which one, when, old → new.

    Written only by `fuwu.customers.actions`, in the transaction of the change. `changes` holds
    machine values keyed by what changed (`phone`, `preferences.diet`, `attributes.occupied`):
    `{"from": old, "to": new}`; a created record lists its initial values with `from: null`.
    A write-back from a case names the case (`case_id`, kept as a plain id: the cases app
    depends on this one, not the other way round).
    """

    site = models.ForeignKey(
        Site, on_delete=models.PROTECT, related_name="+", verbose_name=_("项目")
    )
    customer = models.ForeignKey(
        Customer,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="changes",
        verbose_name=_("客户"),
    )
    asset = models.ForeignKey(
        Asset,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="changes",
        verbose_name=_("服务对象"),
    )
    action = models.CharField(_("操作"), max_length=10, choices=RecordAction.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("操作人"),
    )
    case_id = models.PositiveBigIntegerField(_("工单"), null=True, blank=True)
    at = models.DateTimeField(_("时间"), default=timezone.now)
    changes = models.JSONField(_("变更"), default=dict, blank=True)

    class Meta:
        verbose_name = _("档案变更")
        verbose_name_plural = _("档案变更")
        ordering = ["at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(customer__isnull=False) | models.Q(asset__isnull=False),
                name="record_change_names_a_record",
            )
        ]

    def __str__(self) -> str:
        record = self.customer or self.asset
        return f"{record} {self.action} {self.at:%Y-%m-%d %H:%M}"


class RevealLog(models.Model):
    """Who saw a masked personal value in full, when, of which record, and why (PIPL).

    Written only by `fuwu.customers.actions.reveal`, in the transaction that returns the value;
    never changed. Managers read it on the case page and in the admin. A case is named by its
    plain id (`case_id`), as in `RecordChange`: the cases app depends on this one.
    `field` names what was revealed: `phone`/`email` of a customer, or on a case
    `customer.phone`, `customer.email` or a field key of the case's data.
    """

    site = models.ForeignKey(
        Site, on_delete=models.PROTECT, related_name="+", verbose_name=_("项目")
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("查看人"),
    )
    at = models.DateTimeField(_("时间"), default=timezone.now)
    customer = models.ForeignKey(
        Customer,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reveals",
        verbose_name=_("客户"),
    )
    case_id = models.PositiveBigIntegerField(_("工单"), null=True, blank=True)
    field = models.CharField(_("字段"), max_length=80)
    reason = models.CharField(_("原因"), max_length=10, choices=RevealReason.choices)
    note = models.CharField(_("说明"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("个人信息查看记录")
        verbose_name_plural = _("个人信息查看记录")
        ordering = ["-at", "-pk"]
        indexes = [
            models.Index(fields=["case_id", "at"], name="reveal_case_at"),
            models.Index(fields=["customer", "at"], name="reveal_customer_at"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(customer__isnull=False) | models.Q(case_id__isnull=False),
                name="reveal_names_a_record",
            )
        ]

    def __str__(self) -> str:
        return f"{self.actor_id} {self.field} {self.at:%Y-%m-%d %H:%M}"


class CustomerMerge(models.Model):
    """One merge of a duplicate customer record into the one kept, and exactly what it moved.

    Written only by `fuwu.customers.merging`. `moved` lists the ids that moved from `merged`
    to `kept` (`cases`, `assets`, `consultations`, `reveals`, `changes`, and `user`, the portal
    account, or null), so `unmerge` moves back exactly those and nothing that was added to the
    kept record since. `undone_at`/`undone_by` are set when it was undone (within
    `UNDO_WINDOW` of `at`).
    """

    site = models.ForeignKey(
        Site, on_delete=models.PROTECT, related_name="+", verbose_name=_("项目")
    )
    kept = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="merges", verbose_name=_("保留的档案")
    )
    merged = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="+", verbose_name=_("被合并的档案")
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("操作人"),
    )
    at = models.DateTimeField(_("时间"), default=timezone.now)
    moved = models.JSONField(_("移动的记录"), default=dict, blank=True)
    undone_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("撤销人"),
    )

    class Meta:
        verbose_name = _("档案合并")
        verbose_name_plural = _("档案合并")
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"{self.merged_id} → {self.kept_id} {self.at:%Y-%m-%d %H:%M}"
