from django.db import models
from django.utils.translation import gettext_lazy as _


class DeliveryStatus(models.TextChoices):
    """Where a delivery stands. `queued` and `sending` are claimed states: a task is queued for
    it, or a worker holds it; only the worker moves it on (`fuwu.channels.webhooks.sending`)."""

    PENDING = "pending", _("等待重试")
    QUEUED = "queued", _("排队中")
    SENDING = "sending", _("发送中")
    DELIVERED = "delivered", _("已送达")
    FAILED = "failed", _("失败")


class DisabledReason(models.TextChoices):
    FAILURES = "failures", _("连续发送失败")
    MANUAL = "manual", _("手动停用")
