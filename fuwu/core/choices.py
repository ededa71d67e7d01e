from django.db import models
from django.utils.translation import gettext_lazy as _


class RoleCode(models.TextChoices):
    """Roles a procedure's transitions name. Stable strings: definitions refer to them."""

    AGENT = "agent", _("客服")
    # A dealership's 业务接待 (服务顾问): books and receives the customer's car, writes the
    # repair order, hands the car back.
    SERVICE_ADVISOR = "service_advisor", _("服务顾问")
    DISPATCHER = "dispatcher", _("调度")
    TECHNICIAN = "technician", _("技术员")
    ENGINEER = "engineer", _("工程师")
    SPECIALIST = "specialist", _("技术专员")
    MANAGER = "manager", _("部门经理")
    VP = "vp", _("主管副总")
    QC = "qc", _("质检")
    FINANCE = "finance", _("财务")
    SECURITY = "security", _("秩序维护员")
    ADMIN = "admin", _("管理员")


class CalendarKind(models.TextChoices):
    ALWAYS = "24x7", _("全天候 (24×7)")
    WORKING = "working", _("工作时间")


class DayKind(models.TextChoices):
    HOLIDAY = "holiday", _("休息日")
    WORKDAY = "workday", _("调休上班日")


class TokenScope(models.TextChoices):
    """What an API token may do. The API's auth class enforces them by HTTP method."""

    READ = "read", _("读取")
    WRITE = "write", _("写入")
