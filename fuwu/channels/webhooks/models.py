"""Webhook subscriptions, their deliveries (one per event and subscription: the queue and the log)
and each delivery's attempts. Written only by `fuwu.channels.webhooks.actions`, `outbox` and
`sending`; a save or delete of a subscription forgets the cached list of active ones."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models.signals import post_delete, post_save
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fuwu.channels.webhooks.choices import DeliveryStatus, DisabledReason

__all__ = ["WebhookAttempt", "WebhookDelivery", "WebhookSubscription"]


class WebhookSubscription(models.Model):
    """A receiver's URL and the case events it wants (all kinds when `event_kinds` is empty),
    on one site or on all. The secret signs every request; it is shown once, on creation."""

    name = models.CharField(_("名称"), max_length=100, blank=True)
    url = models.CharField(_("接收地址"), max_length=500)
    secret = models.CharField(_("签名密钥"), max_length=100, editable=False)
    event_kinds = models.JSONField(
        _("事件类型"), default=list, blank=True, help_text=_("留空表示全部事件")
    )
    site = models.ForeignKey(
        "core.Site",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("项目"),
        help_text=_("留空表示所有项目"),
    )
    active = models.BooleanField(_("启用"), default=True)
    consecutive_failures = models.PositiveIntegerField(_("连续失败次数"), default=0)
    disabled_at = models.DateTimeField(_("停用时间"), null=True, blank=True)
    disabled_reason = models.CharField(
        _("停用原因"), max_length=10, choices=DisabledReason.choices, blank=True
    )
    disabled_detail = models.CharField(_("停用说明"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("创建人"),
    )
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    updated_at = models.DateTimeField(_("更新时间"), default=timezone.now)

    class Meta:
        verbose_name = _("Webhook 订阅")
        verbose_name_plural = _("Webhook 订阅")
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.name or self.url

    @property
    def secret_hint(self) -> str:
        """The first characters of the secret, to tell two apart; never the whole of it."""
        return f"{self.secret[:9]}…" if self.secret else ""


class WebhookDelivery(models.Model):
    """One event for one subscription. Its id is the receiver's idempotency key
    (`X-Fuwu-Delivery`); its body is kept as sent, so a retry or a replay sends the same bytes."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    subscription = models.ForeignKey(
        WebhookSubscription,
        on_delete=models.CASCADE,
        related_name="deliveries",
        verbose_name=_("订阅"),
    )
    case = models.ForeignKey(
        "cases.Case", on_delete=models.CASCADE, related_name="+", verbose_name=_("工单")
    )
    event = models.ForeignKey(
        "cases.Event", on_delete=models.CASCADE, related_name="+", verbose_name=_("事件")
    )
    kind = models.CharField(_("事件类型"), max_length=30)
    body = models.TextField(_("请求内容"))
    status = models.CharField(
        _("状态"), max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.QUEUED
    )
    # Attempts since it was last queued by an event or a replay: the back-off counts these.
    attempts = models.PositiveIntegerField(_("本轮尝试次数"), default=0)
    replays = models.PositiveIntegerField(_("手动重发次数"), default=0)
    next_attempt_at = models.DateTimeField(_("下次尝试时间"), null=True, blank=True)
    queued_at = models.DateTimeField(_("排队时间"), null=True, blank=True)
    claimed_at = models.DateTimeField(_("开始发送时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    delivered_at = models.DateTimeField(_("送达时间"), null=True, blank=True)
    last_attempt_at = models.DateTimeField(_("最近尝试时间"), null=True, blank=True)
    last_status_code = models.PositiveIntegerField(_("最近响应码"), null=True, blank=True)
    last_error = models.CharField(_("最近错误"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("Webhook 发送记录")
        verbose_name_plural = _("Webhook 发送记录")
        ordering = ["-created_at"]
        indexes = [
            # The retry sweep: deliveries waiting for their next attempt, earliest first.
            models.Index(
                fields=["next_attempt_at"],
                name="webhook_delivery_due",
                condition=models.Q(status=DeliveryStatus.PENDING),
            ),
            # Claimed rows a dead worker may have left behind.
            models.Index(
                fields=["status", "claimed_at"],
                name="webhook_delivery_claimed",
                condition=models.Q(status__in=[DeliveryStatus.QUEUED, DeliveryStatus.SENDING]),
            ),
            # The delivery log of a subscription, newest first.
            models.Index(fields=["subscription", "-created_at"], name="webhook_delivery_log"),
            # The log pruned by age (fuwu.channels.webhooks.sending.prune_log).
            models.Index(fields=["created_at"], name="webhook_delivery_created"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} → {self.subscription_id} ({self.status})"


class WebhookAttempt(models.Model):
    """One POST of a delivery: what the receiver answered (its first kilobyte) or what failed."""

    delivery = models.ForeignKey(
        WebhookDelivery,
        on_delete=models.CASCADE,
        related_name="attempts_made",
        verbose_name=_("发送记录"),
    )
    at = models.DateTimeField(_("时间"), default=timezone.now)
    duration_ms = models.PositiveIntegerField(_("耗时（毫秒）"), default=0)
    status_code = models.PositiveIntegerField(_("响应码"), null=True, blank=True)
    response = models.TextField(_("响应内容"), blank=True)
    error = models.CharField(_("错误"), max_length=500, blank=True)
    ok = models.BooleanField(_("成功"), default=False)

    class Meta:
        verbose_name = _("Webhook 发送尝试")
        verbose_name_plural = _("Webhook 发送尝试")
        ordering = ["delivery", "at", "pk"]

    def __str__(self) -> str:
        return f"{self.delivery_id} {self.status_code or self.error}"


def _forget(**kwargs: Any) -> None:
    from fuwu.channels.webhooks.outbox import forget_subscriptions

    forget_subscriptions()


# Any save or delete (the API's actions, the admin) forgets the cached list the write path reads.
post_save.connect(_forget, sender=WebhookSubscription, dispatch_uid="fuwu-webhooks-save")
post_delete.connect(_forget, sender=WebhookSubscription, dispatch_uid="fuwu-webhooks-delete")
