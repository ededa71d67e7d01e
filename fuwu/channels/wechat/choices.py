from django.db import models
from django.utils.translation import gettext_lazy as _


class Mode(models.TextChoices):
    """The account's message encryption mode, as set in the WeChat admin console."""

    PLAIN = "plain", _("明文模式")
    COMPATIBLE = "compatible", _("兼容模式")
    SAFE = "safe", _("安全模式")


class ReceiptStatus(models.TextChoices):
    QUEUED = "queued", _("待处理")
    DONE = "done", _("已处理")
    BOUND = "bound", _("已绑定")
    IGNORED = "ignored", _("已忽略")
    FAILED = "failed", _("处理失败")
