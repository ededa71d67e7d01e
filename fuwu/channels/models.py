"""The channels' tables: messages that came in, notices that went out, how an address is routed
to a procedure, who a channel identity belongs to, and the notices' wording.

Other channel families (webhooks …) keep their tables in their own modules, imported at the end.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fuwu.channels.choices import DeliveryStatus, InboundStatus, Medium, NoticeKind
from fuwu.core.models import Site


class Route(models.Model):
    """Which procedure a new conversation on a channel opens, by the address or account it came
    to (a shell pattern: `repair@*`, `*`). The first active route by `order` that matches wins."""

    channel = models.CharField(_("渠道"), max_length=20, choices=Medium.choices)
    address = models.CharField(
        _("接入地址"),
        max_length=200,
        default="*",
        help_text=_(
            "邮箱地址、公众号或号码；可用通配符（星号代表任意多个字符，问号代表一个字符）；单独一个星号表示全部"
        ),
    )
    site = models.ForeignKey(
        Site, on_delete=models.CASCADE, related_name="+", verbose_name=_("项目/门店")
    )
    procedure_key = models.CharField(_("服务程序"), max_length=100)
    order = models.PositiveIntegerField(_("顺序"), default=100)
    active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("渠道路由")
        verbose_name_plural = _("渠道路由")
        ordering = ["channel", "order", "pk"]

    def __str__(self) -> str:
        return f"{self.channel}:{self.address} → {self.procedure_key}"


class Identity(models.Model):
    """A channel identity bound to a customer (a WeChat openid, another e-mail address).
    A customer's own `email` and `phone` are found without a row here."""

    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.CASCADE,
        related_name="channel_identities",
        verbose_name=_("客户"),
    )
    channel = models.CharField(_("渠道"), max_length=20, choices=Medium.choices)
    account = models.CharField(_("账号"), max_length=200, blank=True, default="")
    value = models.CharField(_("标识"), max_length=200)
    created_at = models.DateTimeField(_("绑定时间"), default=timezone.now)

    class Meta:
        verbose_name = _("渠道身份")
        verbose_name_plural = _("渠道身份")
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "account", "value"], name="channels_identity_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.channel}:{self.value}"


class InboundMessage(models.Model):
    """One message that came in on a channel, whatever became of it (`status`, `reason`).

    `(channel, external_id)` is unique: a message delivered twice is stored and acted on once."""

    channel = models.CharField(_("渠道"), max_length=20, choices=Medium.choices)
    account = models.CharField(_("接入地址"), max_length=200, blank=True, default="")
    external_id = models.CharField(_("外部编号"), max_length=255, blank=True, default="")
    sender = models.CharField(_("发送方"), max_length=255, blank=True, default="")
    sender_name = models.CharField(_("发送方名称"), max_length=200, blank=True, default="")
    subject = models.CharField(_("主题"), max_length=300, blank=True, default="")
    body = models.TextField(_("正文"), blank=True, default="")
    headers = models.JSONField(_("头信息"), default=dict, blank=True)
    site = models.ForeignKey(
        Site,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("项目/门店"),
    )
    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("客户"),
    )
    case = models.ForeignKey(
        "cases.Case",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="inbound_messages",
        verbose_name=_("工单"),
    )
    received_at = models.DateTimeField(_("接收时间"), default=timezone.now)
    status = models.CharField(_("状态"), max_length=20, choices=InboundStatus.choices)
    reason = models.CharField(_("原因"), max_length=50, blank=True, default="")
    detail = models.CharField(_("说明"), max_length=500, blank=True, default="")

    class Meta:
        verbose_name = _("收到的消息")
        verbose_name_plural = _("收到的消息")
        ordering = ["-received_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["channel", "external_id"],
                condition=~models.Q(external_id=""),
                name="channels_inbound_once",
            )
        ]
        indexes = [models.Index(fields=["case", "received_at"], name="channels_inbound_case")]

    def __str__(self) -> str:
        return f"{self.channel}:{self.external_id or self.pk}"


class InboundAttachment(models.Model):
    """A file that came with a message, kept as sent under a name we choose (the case gets a
    cleaned copy of the pictures and documents it accepts: `fuwu.cases.attachments`)."""

    message = models.ForeignKey(
        InboundMessage,
        on_delete=models.CASCADE,
        related_name="attachments",
        verbose_name=_("消息"),
    )
    file = models.FileField(_("文件"), upload_to="inbound/%Y/%m/")
    name = models.CharField(_("文件名"), max_length=200)
    content_type = models.CharField(_("类型"), max_length=100)
    size = models.PositiveIntegerField(_("大小"))
    case_attachment = models.ForeignKey(
        "cases.Attachment",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("工单附件"),
    )

    class Meta:
        verbose_name = _("消息附件")
        verbose_name_plural = _("消息附件")

    def __str__(self) -> str:
        return self.name


class Delivery(models.Model):
    """One notice to a customer on one channel, and how its sending went (`fuwu.channels.outbound`)."""

    case = models.ForeignKey(
        "cases.Case",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="deliveries",
        verbose_name=_("工单"),
    )
    customer = models.ForeignKey(
        "customers.Customer",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("客户"),
    )
    channel = models.CharField(_("渠道"), max_length=20, choices=Medium.choices, blank=True)
    address = models.CharField(_("地址"), max_length=255, blank=True, default="")
    kind = models.CharField(_("通知类型"), max_length=30, choices=NoticeKind.choices)
    language = models.CharField(_("语言"), max_length=10, default="zh-hans")
    subject = models.CharField(_("主题"), max_length=300, blank=True, default="")
    body = models.TextField(_("正文"), blank=True, default="")
    data = models.JSONField(_("数据"), default=dict, blank=True)
    urgent = models.BooleanField(_("紧急"), default=False)
    status = models.CharField(
        _("状态"), max_length=20, choices=DeliveryStatus.choices, default=DeliveryStatus.QUEUED
    )
    attempts = models.PositiveSmallIntegerField(_("尝试次数"), default=0)
    next_attempt_at = models.DateTimeField(_("下次尝试"), null=True, blank=True)
    locked_until = models.DateTimeField(_("锁定至"), null=True, blank=True)
    provider_id = models.CharField(_("服务商消息编号"), max_length=255, blank=True, default="")
    error = models.CharField(_("错误"), max_length=500, blank=True, default="")
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("送达时间"), null=True, blank=True)
    updated_at = models.DateTimeField(_("更新时间"), default=timezone.now)

    class Meta:
        verbose_name = _("客户通知")
        verbose_name_plural = _("客户通知")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="channels_delivery_due"),
            models.Index(fields=["provider_id"], name="channels_delivery_provider"),
            models.Index(fields=["case", "created_at"], name="channels_delivery_case"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} → {self.channel}:{self.address}"


class NoticeTemplate(models.Model):
    """The wording of a notice: per kind, optionally per procedure and channel, per language.
    `{number}`, `{title}`, `{step}`, `{progress}`, `{text}`, `{customer}`, `{procedure}` and
    `{site}` are filled in; the most specific template wins, else the built-in one."""

    kind = models.CharField(_("通知类型"), max_length=30, choices=NoticeKind.choices)
    procedure_key = models.CharField(_("服务程序"), max_length=100, blank=True, default="")
    channel = models.CharField(_("渠道"), max_length=20, choices=Medium.choices, blank=True)
    language = models.CharField(_("语言"), max_length=10, choices=settings.LANGUAGES)
    subject = models.CharField(_("主题"), max_length=300)
    body = models.TextField(_("正文"))

    class Meta:
        verbose_name = _("通知模板")
        verbose_name_plural = _("通知模板")
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "procedure_key", "channel", "language"],
                name="channels_template_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.procedure_key or '*'} {self.language}"


from fuwu.channels.email.models import Mailbox  # noqa: E402, F401  (IMAP mailboxes)
from fuwu.channels.sms.models import SmsSettings  # noqa: E402, F401  (the SMS provider)
from fuwu.channels.webhooks.models import *  # noqa: E402, F403
from fuwu.channels.wechat.models import (  # noqa: E402, F401  (WeChat's own tables)
    BindingCode,
    WechatAccount,
    WechatFollower,
    WechatReceipt,
)
