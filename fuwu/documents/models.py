"""Printed documents: a number per site and kind, issued once per case, and their signatures.

`Counter` is the last number issued for a site and kind; it is locked (`select_for_update`)
while the next number is taken, in the transaction that writes the `Document`, so numbers
have no gaps (a rolled-back print takes its number back with it) and no two documents share
one, however many people print at once (the seed's "控制: 数字顺序").
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fuwu.documents.kinds import KINDS

KIND_CHOICES = [(k.key, k.name.zh) for k in KINDS.values()]


class Counter(models.Model):
    site = models.ForeignKey("core.Site", on_delete=models.CASCADE, verbose_name=_("项目"))
    kind = models.CharField(_("单据类型"), max_length=30, choices=KIND_CHOICES)
    last = models.PositiveIntegerField(_("最后编号"), default=0)

    class Meta:
        verbose_name = _("单据编号计数器")
        verbose_name_plural = _("单据编号计数器")
        constraints = [
            models.UniqueConstraint(fields=["site", "kind"], name="document_counter_site_kind")
        ]

    def __str__(self) -> str:
        return f"{self.site_id} {self.kind} {self.last}"


class Document(models.Model):
    """One numbered document of a case. Printing it again prints a copy (副本), same number."""

    case = models.ForeignKey(
        "cases.Case", on_delete=models.CASCADE, related_name="documents", verbose_name=_("工单")
    )
    site = models.ForeignKey("core.Site", on_delete=models.PROTECT, verbose_name=_("项目"))
    kind = models.CharField(_("单据类型"), max_length=30, choices=KIND_CHOICES)
    seq = models.PositiveIntegerField(_("顺序号"))
    number = models.CharField(_("单据编号"), max_length=40)
    issued_at = models.DateTimeField(_("编号时间"), default=timezone.now)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("编号人"),
    )
    prints = models.PositiveIntegerField(_("打印次数"), default=0)

    class Meta:
        verbose_name = _("打印单据")
        verbose_name_plural = _("打印单据")
        ordering = ["site", "kind", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["site", "kind", "seq"], name="document_site_kind_seq"),
            models.UniqueConstraint(fields=["case", "kind"], name="document_case_kind"),
        ]

    def __str__(self) -> str:
        return self.number


class Signature(models.Model):
    """A drawn signature on a document: the picture is an attachment of the case."""

    document = models.ForeignKey(
        Document, on_delete=models.CASCADE, related_name="signatures", verbose_name=_("单据")
    )
    attachment = models.OneToOneField(
        "cases.Attachment", on_delete=models.PROTECT, related_name="+", verbose_name=_("签名图片")
    )
    signer_name = models.CharField(_("签名人"), max_length=100)
    signed_at = models.DateTimeField(_("签名时间"), default=timezone.now)
    taken_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("经办人"),
    )

    class Meta:
        verbose_name = _("签名")
        verbose_name_plural = _("签名")
        ordering = ["document", "signed_at"]

    def __str__(self) -> str:
        return f"{self.document.number} {self.signer_name}"
