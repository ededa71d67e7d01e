"""What the reporting fold counts (`Measure`), each read from named event kinds (`fold.py`)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Measure(models.TextChoices):
    # `opened`: a case taken in.
    INTAKE = "intake", _("受理")
    # `sla.response` stamped on the first event of the change that gave the first response.
    RESPONDED_ON_TIME = "responded_on_time", _("按时响应")
    RESPONDED_LATE = "responded_late", _("超时响应")
    # `sla.resolution` stamped on the first event of the change that resolved the case (each
    # resolution counts: a reopened case resolved again counts again).
    RESOLVED_ON_TIME = "resolved_on_time", _("按时解决")
    RESOLVED_LATE = "resolved_late", _("超时解决")
    RESOLVED_NO_LIMIT = "resolved_no_limit", _("解决（无时限）")
    # `set.status` becomes `closed`.
    CLOSED = "closed", _("已关闭")
    # `set.status` goes from resolved/closed back to open/waiting.
    REOPENED = "reopened", _("重新处理")
    # `sla.comebacks`: the comeback count rose (a reopening, or a failed QC marked as one).
    COMEBACK = "comeback", _("返修")
    # `escalated`: one rung fired; `detail` is "clock:percent:level".
    ESCALATED = "escalated", _("升级")


class Frequency(models.TextChoices):
    """How often a subscribed report is sent: each covers the last whole period before it."""

    DAILY = "daily", _("每日")
    WEEKLY = "weekly", _("每周")
    MONTHLY = "monthly", _("每月")
