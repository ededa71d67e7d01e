"""IMAP mailboxes configured in the admin: the worker's sweep reads every active one, besides
the mailboxes of the settings (`FUWU_IMAP_*`). The password is a secret: the admin never shows
it back (a blank field keeps the stored value)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from fuwu.core.models import Site


class Mailbox(models.Model):
    site = models.ForeignKey(
        Site, on_delete=models.PROTECT, related_name="mailboxes", verbose_name=_("项目")
    )
    name = models.CharField(_("名称"), max_length=100)
    host = models.CharField(_("收信服务器"), max_length=200)
    port = models.PositiveIntegerField(_("端口"), default=993)
    ssl = models.BooleanField(_("加密连接"), default=True)
    starttls = models.BooleanField(
        _("升级加密"), default=False, help_text=_("不用加密连接时，连接后升级为加密连接")
    )
    username = models.CharField(_("用户名"), max_length=200)
    password = models.CharField(_("密码"), max_length=200)
    folder = models.CharField(_("文件夹"), max_length=200, default="INBOX")
    address = models.EmailField(
        _("收件地址"), blank=True, help_text=_("发到此邮箱的地址，用于匹配接入规则；默认为用户名")
    )
    active = models.BooleanField(_("启用"), default=True)
    last_polled_at = models.DateTimeField(_("上次收取"), null=True, blank=True, editable=False)
    last_error = models.CharField(_("上次错误"), max_length=300, blank=True, editable=False)

    class Meta:
        verbose_name = _("收件邮箱")
        verbose_name_plural = _("收件邮箱")

    def __str__(self) -> str:
        return self.name
