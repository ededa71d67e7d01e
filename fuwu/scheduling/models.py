"""Workshop scheduling (Toyota seven steps, step 1 and 4): the labour hours a workshop can sell.

A workshop is a department (the 4S 店's 车间) with its booking rules; its technicians are staff
with a productivity and skill levels; appointments take labour hours from a day's bookable
hours. The maths is in `fuwu.scheduling.capacity`, the writes in `fuwu.scheduling.booking`.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fuwu.core.models import Department, Site, Skill, Staff
from fuwu.customers.models import Asset, Customer


class WorkType(models.TextChoices):
    MAINTENANCE = "maintenance", _("保养")
    REPAIR = "repair", _("维修")
    ELECTRICAL = "electrical", _("电器")
    BODY = "body", _("钣金")
    PAINT = "paint", _("喷漆")


class Workshop(models.Model):
    """A department that sells labour hours, with the rules its bookings keep."""

    department = models.OneToOneField(
        Department, on_delete=models.CASCADE, related_name="workshop", verbose_name=_("部门")
    )
    appointment_share = models.DecimalField(
        _("预约比例"),
        max_digits=3,
        decimal_places=2,
        default=Decimal("0.80"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("1"))],
        help_text=_("可供预约的工时占可用工时的比例；其余留给滞留车、非预约客户和增项"),
    )
    slot_minutes = models.PositiveSmallIntegerField(
        _("接待时段（分钟）"), default=15, validators=[MinValueValidator(5)]
    )
    arrivals_per_slot = models.PositiveSmallIntegerField(
        _("每位服务顾问每时段接待客户数"), default=2, validators=[MinValueValidator(1)]
    )
    settlement_hours = models.DecimalField(
        _("结算时间（小时）"), max_digits=4, decimal_places=2, default=Decimal("0.20")
    )
    work_type_shares = models.JSONField(
        _("作业类型比例"),
        default=dict,
        blank=True,
        help_text=_("各作业类型占工时的百分比，例如保养 70、维修 30"),
    )

    class Meta:
        verbose_name = _("车间")
        verbose_name_plural = _("车间")

    def __str__(self) -> str:
        return str(self.department)

    @property
    def site(self) -> Site:
        return self.department.site


class Technician(models.Model):
    """A staff member who does the workshop's jobs: how productive, at which skill levels."""

    staff = models.OneToOneField(
        Staff, on_delete=models.CASCADE, related_name="technician", verbose_name=_("员工")
    )
    workshop = models.ForeignKey(
        Workshop, on_delete=models.CASCADE, related_name="technicians", verbose_name=_("车间")
    )
    productivity = models.DecimalField(
        _("生产率"),
        max_digits=3,
        decimal_places=2,
        default=Decimal("1.00"),
        validators=[MinValueValidator(Decimal("0.10")), MaxValueValidator(Decimal("1.50"))],
        help_text=_("例如 0.95 即 95％"),
    )
    levels = models.JSONField(
        _("技能等级"),
        default=dict,
        blank=True,
        help_text=_("技能代码 → 等级（1 初级、2 中级、3 高级）；员工的技能未列出时为 1"),
    )
    active = models.BooleanField(_("在岗"), default=True)

    class Meta:
        verbose_name = _("技术员")
        verbose_name_plural = _("技术员")

    def __str__(self) -> str:
        return self.staff.display_name


class AbsenceKind(models.TextChoices):
    LEAVE = "leave", _("请假")
    DAY_OFF = "day_off", _("调休")
    TRAINING = "training", _("培训")


class Absence(models.Model):
    """A day a technician is not in the workshop although it is open."""

    technician = models.ForeignKey(
        Technician, on_delete=models.CASCADE, related_name="absences", verbose_name=_("技术员")
    )
    date = models.DateField(_("日期"))
    kind = models.CharField(_("类型"), max_length=20, choices=AbsenceKind.choices)
    note = models.CharField(_("备注"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("缺勤")
        verbose_name_plural = _("缺勤")
        constraints = [
            models.UniqueConstraint(fields=["technician", "date"], name="one_absence_a_day")
        ]

    def __str__(self) -> str:
        return f"{self.technician} {self.date} {self.get_kind_display()}"


class LabourOperation(models.Model):
    """The labour-time catalogue: an operation and its standard hours."""

    site = models.ForeignKey(
        Site, on_delete=models.PROTECT, related_name="+", verbose_name=_("项目")
    )
    code = models.CharField(_("作业代码"), max_length=40)
    name = models.CharField(_("名称"), max_length=200)
    name_en = models.CharField(_("英文名称"), max_length=200, blank=True)
    standard_hours = models.DecimalField(
        _("标准工时"),
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.1"))],
    )
    work_type = models.CharField(_("作业类型"), max_length=20, choices=WorkType.choices)
    skill = models.ForeignKey(
        Skill, on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("所需技能")
    )

    class Meta:
        verbose_name = _("工时项目")
        verbose_name_plural = _("工时目录")
        constraints = [
            models.UniqueConstraint(fields=["site", "code"], name="one_operation_code_a_site")
        ]
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class AppointmentStatus(models.TextChoices):
    BOOKED = "booked", _("已预约")
    ARRIVED = "arrived", _("已到店")
    NO_SHOW = "no_show", _("失约")
    CANCELLED = "cancelled", _("已取消")


# The statuses whose hours count against the day's capacity.
HOLDING = (AppointmentStatus.BOOKED, AppointmentStatus.ARRIVED)


class Appointment(models.Model):
    """A customer's car booked into the workshop for a time, holding its jobs' labour hours."""

    workshop = models.ForeignKey(
        Workshop, on_delete=models.PROTECT, related_name="appointments", verbose_name=_("车间")
    )
    customer = models.ForeignKey(
        Customer, on_delete=models.PROTECT, related_name="appointments", verbose_name=_("客户")
    )
    asset = models.ForeignKey(
        Asset,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="appointments",
        verbose_name=_("车辆"),
    )
    advisor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="appointments_received",
        verbose_name=_("服务顾问"),
    )
    starts_at = models.DateTimeField(_("预约时间"))
    hours = models.DecimalField(_("预约工时"), max_digits=6, decimal_places=2)
    status = models.CharField(
        _("状态"), max_length=20, choices=AppointmentStatus.choices, default="booked"
    )
    walk_in = models.BooleanField(_("非预约到店"), default=False)
    case = models.ForeignKey(
        "cases.Case",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="appointments",
        verbose_name=_("工单"),
    )
    override_reason = models.CharField(_("超额预约原因"), max_length=300, blank=True)
    overridden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("超额批准人"),
    )
    note = models.CharField(_("备注"), max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("登记人"),
    )
    created_at = models.DateTimeField(_("登记时间"), default=timezone.now)
    changed_at = models.DateTimeField(_("修改时间"), default=timezone.now)

    class Meta:
        verbose_name = _("预约")
        verbose_name_plural = _("预约")
        indexes = [
            models.Index(fields=["workshop", "starts_at"], name="appointment_day"),
            models.Index(fields=["advisor", "starts_at"], name="appointment_advisor"),
        ]

    def __str__(self) -> str:
        return f"{self.customer} {self.starts_at:%Y-%m-%d %H:%M}"


class AppointmentLine(models.Model):
    """One job of an appointment: an operation from the catalogue, or a described job."""

    appointment = models.ForeignKey(
        Appointment, on_delete=models.CASCADE, related_name="lines", verbose_name=_("预约")
    )
    operation = models.ForeignKey(
        LabourOperation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("工时项目"),
    )
    name = models.CharField(_("作业内容"), max_length=200)
    hours = models.DecimalField(_("工时"), max_digits=5, decimal_places=2)
    work_type = models.CharField(_("作业类型"), max_length=20, choices=WorkType.choices)

    class Meta:
        verbose_name = _("预约作业")
        verbose_name_plural = _("预约作业")

    def __str__(self) -> str:
        return f"{self.name} {self.hours} h"


class BookingDay(models.Model):
    """The row a booking locks: bookings of one workshop day are checked one after another,
    so two advisors booking the last hours at once cannot both win."""

    workshop = models.ForeignKey(
        Workshop, on_delete=models.CASCADE, related_name="+", verbose_name=_("车间")
    )
    date = models.DateField(_("日期"))

    class Meta:
        verbose_name = _("预约日")
        verbose_name_plural = _("预约日")
        constraints = [models.UniqueConstraint(fields=["workshop", "date"], name="one_booking_day")]

    def __str__(self) -> str:
        return f"{self.workshop} {self.date}"


# -- Production (Toyota seven steps, step 4: 调度 & 生产) ------------------------------------
# The writes are in `fuwu.scheduling.production`.


class JobStatus(models.TextChoices):
    PLANNED = "planned", _("待开工")
    RUNNING = "running", _("进行中")
    STOPPED = "stopped", _("已中断")
    DONE = "done", _("已完工")


class StopReason(models.TextChoices):
    WAITING_PARTS = "waiting_parts", _("等待零件")
    OUTSIDE_WORK = "outside_work", _("外发加工")
    END_OF_SHIFT = "end_of_shift", _("下班")
    OTHER = "other", _("其他")


class RepairJob(models.Model):
    """One job of a repair order (a case): from the appointment's lines or added at reception,
    planned on a technician at a time, clocked on and off until done."""

    case = models.ForeignKey(
        "cases.Case", on_delete=models.CASCADE, related_name="repair_jobs", verbose_name=_("工单")
    )
    workshop = models.ForeignKey(
        Workshop, on_delete=models.PROTECT, related_name="jobs", verbose_name=_("车间")
    )
    line = models.ForeignKey(
        AppointmentLine,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("预约作业"),
    )
    operation = models.ForeignKey(
        LabourOperation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("工时项目"),
    )
    name = models.CharField(_("作业内容"), max_length=200)
    standard_hours = models.DecimalField(
        _("标准工时"),
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.1"))],
    )
    work_type = models.CharField(_("作业类型"), max_length=20, choices=WorkType.choices)
    skill = models.ForeignKey(
        Skill, on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("所需技能")
    )
    level = models.PositiveSmallIntegerField(_("所需等级"), default=1)
    technician = models.ForeignKey(
        Technician,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="jobs",
        verbose_name=_("技术员"),
    )
    planned_start = models.DateTimeField(_("计划开工"), null=True, blank=True)
    status = models.CharField(
        _("状态"), max_length=10, choices=JobStatus.choices, default=JobStatus.PLANNED
    )
    promised_at = models.DateTimeField(_("许诺的交车时间"), null=True, blank=True)
    advisor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("服务顾问"),
    )
    actual_hours = models.DecimalField(
        _("实际工时"), max_digits=6, decimal_places=2, default=Decimal("0")
    )
    started_at = models.DateTimeField(_("开工时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("完工时间"), null=True, blank=True)
    risk_told_at = models.DateTimeField(_("延误提醒时间"), null=True, blank=True)
    created_at = models.DateTimeField(_("登记时间"), default=timezone.now)

    class Meta:
        verbose_name = _("维修作业")
        verbose_name_plural = _("维修作业")
        indexes = [
            models.Index(fields=["workshop", "planned_start"], name="repair_job_day"),
            models.Index(fields=["status", "promised_at"], name="repair_job_open"),
        ]

    def __str__(self) -> str:
        return f"{self.name} {self.standard_hours} h"


class JobClock(models.Model):
    """A technician's time on a job: clocked on, then off (done, or stopped with a reason).
    At most one open clock per technician, kept by a partial unique index as well as checked,
    so two clock-ons at once cannot both win."""

    job = models.ForeignKey(
        RepairJob, on_delete=models.CASCADE, related_name="clocks", verbose_name=_("维修作业")
    )
    technician = models.ForeignKey(
        Technician, on_delete=models.PROTECT, related_name="clocks", verbose_name=_("技术员")
    )
    started_at = models.DateTimeField(_("开始"))
    ended_at = models.DateTimeField(_("结束"), null=True, blank=True)
    hours = models.DecimalField(_("工时"), max_digits=6, decimal_places=2, default=Decimal("0"))
    done = models.BooleanField(_("完工"), default=False)
    reason = models.CharField(_("中断原因"), max_length=20, choices=StopReason.choices, blank=True)
    note = models.CharField(_("备注"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("作业打卡")
        verbose_name_plural = _("作业打卡")
        constraints = [
            models.UniqueConstraint(
                fields=["technician"],
                condition=models.Q(ended_at__isnull=True),
                name="one_running_clock_a_technician",
            )
        ]
        indexes = [models.Index(fields=["technician", "started_at"], name="job_clock_day")]

    def __str__(self) -> str:
        return f"{self.technician} {self.started_at:%Y-%m-%d %H:%M}"


class CarryOver(models.Model):
    """A car not delivered on its promised day (滞留车): its remaining hours come out of the next
    working day's reserve."""

    case = models.ForeignKey(
        "cases.Case", on_delete=models.CASCADE, related_name="carry_overs", verbose_name=_("工单")
    )
    workshop = models.ForeignKey(
        Workshop, on_delete=models.CASCADE, related_name="carry_overs", verbose_name=_("车间")
    )
    from_date = models.DateField(_("原交车日"))
    to_date = models.DateField(_("顺延至"))
    hours = models.DecimalField(_("剩余工时"), max_digits=6, decimal_places=2)
    reason = models.CharField(_("原因"), max_length=300)
    planned = models.BooleanField(_("计划内"), default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("登记人"),
    )
    created_at = models.DateTimeField(_("登记时间"), default=timezone.now)

    class Meta:
        verbose_name = _("滞留车")
        verbose_name_plural = _("滞留车")
        constraints = [
            models.UniqueConstraint(fields=["case", "from_date"], name="one_carry_over_a_day")
        ]
        indexes = [models.Index(fields=["workshop", "to_date"], name="carry_over_into")]

    def __str__(self) -> str:
        return f"{self.case_id} {self.from_date} → {self.to_date}"


class PromiseChange(models.Model):
    """A new promised delivery time told to the customer, with who, when and why."""

    case = models.ForeignKey(
        "cases.Case",
        on_delete=models.CASCADE,
        related_name="promise_changes",
        verbose_name=_("工单"),
    )
    old = models.DateTimeField(_("原许诺时间"), null=True, blank=True)
    new = models.DateTimeField(_("新许诺时间"))
    reason = models.CharField(_("原因"), max_length=300)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("修改人"),
    )
    changed_at = models.DateTimeField(_("修改时间"), default=timezone.now)

    class Meta:
        verbose_name = _("交车时间变更")
        verbose_name_plural = _("交车时间变更")

    def __str__(self) -> str:
        return f"{self.case_id} → {self.new:%Y-%m-%d %H:%M}"
