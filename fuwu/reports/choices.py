"""What the reporting fold counts (`Measure`), each read from named event kinds (`fold.py`)."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Measure(models.TextChoices):
    # `opened`: a case taken in.
    # `detail` is "channel:hour" (the case's channel, the local hour it arrived: `phone:09`).
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
    # `sla.comebacks`: the comeback count rose; `detail` "returned" (a reopening after the
    # resolution: the customer brought it back) or "qc" (marked before it: a failed check).
    COMEBACK = "comeback", _("返修")
    # `escalated`: one rung fired; `detail` is "clock:percent:level".
    ESCALATED = "escalated", _("升级")
    # A resolution of a case with no comeback before it (first-time fix), or with one.
    FIXED_FIRST_TIME = "fixed_first_time", _("一次修复")
    FIXED_AFTER_COMEBACK = "fixed_after_comeback", _("返修后修复")
    # The transition out of the step where a return visit was scheduled: its result,
    # `detail` "satisfied" or "dissatisfied".
    RETURN_VISIT = "return_visit", _("回访")
    # `rated`: the customer's rating; `detail` the score, 1–5.
    RATED = "rated", _("客户评价")
    # A transition whose form says a complaint's nature (`detail`: responsible, not_responsible)
    # or the department responsible (`detail`: the department's code).
    COMPLAINT_NATURE = "complaint_nature", _("投诉性质")
    COMPLAINT_DEPARTMENT = "complaint_department", _("投诉责任部门")
    # Every transition: a step done by its actor (workload), `step` the step it left.
    STEP_DONE = "step_done", _("完成步骤")
    # A transition whose form writes a repair order number (`order_no`).
    REPAIR_ORDER = "repair_order", _("修理单")


class Frequency(models.TextChoices):
    """How often a subscribed report is sent: each covers the last whole period before it."""

    DAILY = "daily", _("每日")
    WEEKLY = "weekly", _("每周")
    MONTHLY = "monthly", _("每月")
