"""The channels' vocabularies (stored keys; the labels are translated)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Medium(models.TextChoices):
    """A channel a message comes in by or a notice goes out by (a subset of `cases.Channel`,
    with the same keys, so a case opened from a message carries its channel)."""

    EMAIL = "email", _("电子邮件")
    WECHAT = "wechat", _("微信")
    SMS = "sms", _("短信")
    PHONE = "phone", _("电话")


class InboundStatus(models.TextChoices):
    ACCEPTED = "accepted", _("已受理")  # opened a case
    THREADED = "threaded", _("已归入工单")  # added to the case it answers
    IGNORED = "ignored", _("已忽略")  # an auto-reply, a bounce or our own mail come back
    REFUSED = "refused", _("已拒收")  # malformed, too large, no route: logged, nothing written


class DeliveryStatus(models.TextChoices):
    QUEUED = "queued", _("待发送")
    SENDING = "sending", _("发送中")
    SENT = "sent", _("已发送")
    DELIVERED = "delivered", _("已送达")
    RETRYING = "retrying", _("等待重试")
    FAILED = "failed", _("发送失败")
    SUPPRESSED = "suppressed", _("未发送")  # nothing reaches the customer


class NoticeKind(models.TextChoices):
    """What a notice to the customer is about (one template each)."""

    OPENED = "opened", _("已受理")
    PROGRESS = "progress", _("处理进展")
    REPLY = "reply", _("工作人员回复")
    RESOLVED = "resolved", _("已处理完毕")
