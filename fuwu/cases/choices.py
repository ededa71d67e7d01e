from django.db import models
from django.utils.translation import gettext_lazy as _


class Status(models.TextChoices):
    OPEN = "open", _("处理中")
    WAITING = "waiting", _("等待客户")
    RESOLVED = "resolved", _("已解决")
    CLOSED = "closed", _("已关闭")
    CANCELLED = "cancelled", _("已取消")
    REJECTED = "rejected", _("已驳回")


CLOSED_STATUSES = frozenset({Status.CLOSED, Status.CANCELLED, Status.REJECTED})


class Priority(models.TextChoices):
    URGENT = "urgent", _("紧急")
    HIGH = "high", _("高")
    NORMAL = "normal", _("普通")
    LOW = "low", _("低")


class Channel(models.TextChoices):
    PHONE = "phone", _("电话")
    WALK_IN = "walk_in", _("来访")
    EMAIL = "email", _("电子邮件")
    WEB = "web", _("网站")
    WECHAT = "wechat", _("微信")
    SMS = "sms", _("短信")
    LETTER = "letter", _("信件")
    VISIT = "visit", _("上门走访")
    SYSTEM = "system", _("系统")


class EventKind(models.TextChoices):
    OPENED = "opened", _("受理")
    TRANSITIONED = "transitioned", _("流转")
    ASSIGNED = "assigned", _("指派")
    TRANSFERRED = "transferred", _("转部门")
    COMMENTED = "commented", _("备注")
    WORK_LOGGED = "work_logged", _("工作记录")
    WORK_VOIDED = "work_voided", _("作废工作记录")
    PAUSED = "paused", _("暂停计时")
    RESUMED = "resumed", _("恢复计时")
    TASK_COMPLETED = "task_completed", _("并行任务完成")
    JOINED = "joined", _("并行任务汇合")
    ESCALATED = "escalated", _("升级")
    MAJOR_FLAGGED = "major_flagged", _("标记重大")
    RETURN_VISIT_SCHEDULED = "return_visit_scheduled", _("安排回访")
    LINKED_CASE_OPENED = "linked_case_opened", _("开立关联工单")
    TIMED_OUT = "timed_out", _("超时自动流转")
    REGISTERED = "registered", _("登记簿记录")
    APPOINTMENT = "appointment", _("车间预约")
    CUSTOMER_CONFIRMED = "customer_confirmed", _("客户确认完成")
    RATED = "rated", _("客户评价")
    ASSET_UPDATED = "asset_updated", _("更新服务对象")
    CUSTOMER_UPDATED = "customer_updated", _("更新客户档案")
    PRIORITY_CHANGED = "priority_changed", _("调整优先级")
    ATTACHED = "attached", _("上传附件")
    FIELD_VISIT = "field_visit", _("上门服务")
    DOCUMENT_PRINTED = "document_printed", _("打印单据")


class TaskState(models.TextChoices):
    OPEN = "open", _("进行中")
    DONE = "done", _("已完成")


class WorkKind(models.TextChoices):
    LABOUR = "labour", _("工时")
    PART = "part", _("配件")
    TOOL = "tool", _("工具")
