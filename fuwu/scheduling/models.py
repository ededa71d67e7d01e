"""Workshop scheduling (Toyota seven steps, step 1 and 4): the labour hours a workshop can sell.

A workshop is a department (the 4S 店's 车间) with its booking rules; its technicians are staff
with a productivity and skill levels; appointments take labour hours from a day's bookable
hours. The maths is in `fuwu.scheduling.capacity`, the writes in `fuwu.scheduling.booking`.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

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
    # The calendar's "by technician": the technician the job is planned for, if chosen at booking.
    technician = models.ForeignKey(
        Technician,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="appointments",
        verbose_name=_("指定技师"),
    )
    # The reminder the day before (`fuwu.scheduling.reminders`): when it is due, stored at booking
    # and rebooking so that the sweep selects due rows by an index; null when none is to be sent.
    remind_at = models.DateTimeField(_("提醒时间"), null=True, blank=True)
    reminded_at = models.DateTimeField(_("已提醒时间"), null=True, blank=True)
    reminder_channel = models.CharField(_("提醒渠道"), max_length=20, blank=True)

    class Meta:
        verbose_name = _("预约")
        verbose_name_plural = _("预约")
        indexes = [
            models.Index(fields=["workshop", "starts_at"], name="appointment_day"),
            models.Index(fields=["advisor", "starts_at"], name="appointment_advisor"),
            models.Index(fields=["reminded_at", "remind_at"], name="appointment_reminder"),
        ]

    def __str__(self) -> str:
        return f"{self.customer} {self.starts_at:%Y-%m-%d %H:%M}"


def name_in(name: str, operation: LabourOperation | None, language: str) -> str:
    """A job's name for a reader of `language`: the catalogue's English name in English, where it
    has one (a described job keeps the words it was booked with)."""
    if language.startswith("en") and operation is not None and operation.name_en:
        return operation.name_en
    return name


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

    def name_in(self, language: str) -> str:
        return name_in(self.name, self.operation, language)


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


class FollowUp(models.Model):
    """The task a no-show leaves the advisor: call the customer and book again ("跟进所有失约客户
    并重新安排预约"). Opened by `booking.mark_no_shows`, closed by `followups.rebook_missed` (a new
    appointment) or `followups.close` (the customer declines)."""

    class Outcome(models.TextChoices):
        REBOOKED = "rebooked", _("已改约")
        DECLINED = "declined", _("客户不再预约")

    appointment = models.OneToOneField(
        Appointment, on_delete=models.CASCADE, related_name="follow_up", verbose_name=_("失约预约")
    )
    advisor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("服务顾问"),
    )
    created_at = models.DateTimeField(_("创建时间"), default=timezone.now)
    done_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    done_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("完成人"),
    )
    outcome = models.CharField(_("结果"), max_length=20, choices=Outcome.choices, blank=True)
    rebooked = models.ForeignKey(
        Appointment,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("新预约"),
    )

    class Meta:
        verbose_name = _("失约跟进")
        verbose_name_plural = _("失约跟进")
        indexes = [models.Index(fields=["advisor", "done_at"], name="follow_up_open")]

    def __str__(self) -> str:
        return f"{self.appointment} → {self.get_outcome_display() or '…'}"


# --- Parts (issue 11 "Parts"): a small catalogue and stock per site; no purchasing. ---------
# Every change to the figures goes through `fuwu.scheduling.parts`, which locks the part's
# `Stock` row and writes a `PartMovement` with the same deltas; the CHECK constraints below are
# the last line: no figure goes below zero and nothing is reserved that is not on hand.


class Part(models.Model):
    """A part of the site's catalogue (配件目录), stocked at that site."""

    site = models.ForeignKey(
        Site, on_delete=models.PROTECT, related_name="+", verbose_name=_("项目")
    )
    number = models.CharField(_("配件号"), max_length=40)
    name = models.CharField(_("名称"), max_length=200)
    name_en = models.CharField(_("英文名称"), max_length=200, blank=True)
    unit = models.CharField(_("单位"), max_length=20, default="个")
    price = models.DecimalField(_("单价"), max_digits=10, decimal_places=2, null=True, blank=True)
    reorder_level = models.DecimalField(
        _("补货点"),
        default=Decimal("0"),
        validators=[MinValueValidator(Decimal("0"))],
        help_text=_("可用数量（在库 − 预留）不高于此数时列入低库存清单"),
        max_digits=10,
        decimal_places=2,
    )
    active = models.BooleanField(_("在用"), default=True)

    class Meta:
        verbose_name = _("配件")
        verbose_name_plural = _("配件目录")
        constraints = [
            models.UniqueConstraint(fields=["site", "number"], name="one_part_number_a_site")
        ]
        ordering = ["number"]

    def __str__(self) -> str:
        return f"{self.number} {self.name}"


class Stock(models.Model):
    """A part's figures at its site: on hand (in the store, reserved ones included), reserved
    (held for booked jobs) and issued (out on repair orders, not returned)."""

    part = models.OneToOneField(
        Part,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="stock",
        verbose_name=_("配件"),
    )
    on_hand = models.DecimalField(_("在库"), default=Decimal("0"), max_digits=10, decimal_places=2)
    reserved = models.DecimalField(
        pgettext_lazy("parts", "预留"), default=Decimal("0"), max_digits=10, decimal_places=2
    )
    issued = models.DecimalField(_("已领用"), default=Decimal("0"), max_digits=10, decimal_places=2)

    class Meta:
        verbose_name = _("库存")
        verbose_name_plural = _("库存")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(on_hand__gte=0, reserved__gte=0, issued__gte=0),
                name="stock_not_negative",
            ),
            models.CheckConstraint(
                condition=models.Q(reserved__lte=models.F("on_hand")),
                name="stock_reserved_on_hand",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.part} {self.on_hand}"

    @property
    def available(self) -> Decimal:
        return self.on_hand - self.reserved


class OperationPart(models.Model):
    """A part an operation usually takes (an oil change: an oil filter ×1, oil 4 L)."""

    operation = models.ForeignKey(
        LabourOperation, on_delete=models.CASCADE, related_name="parts", verbose_name=_("工时项目")
    )
    part = models.ForeignKey(
        Part, on_delete=models.PROTECT, related_name="+", verbose_name=_("配件")
    )
    quantity = models.DecimalField(
        _("数量"), validators=[MinValueValidator(Decimal("0.01"))], max_digits=10, decimal_places=2
    )

    class Meta:
        verbose_name = _("项目用料")
        verbose_name_plural = _("项目用料")
        constraints = [
            models.UniqueConstraint(fields=["operation", "part"], name="one_part_an_operation")
        ]

    def __str__(self) -> str:
        return f"{self.operation.code} {self.part.number} ×{self.quantity}"

    def clean(self) -> None:
        if self.operation_id and self.part_id and self.part.site_id != self.operation.site_id:
            raise ValidationError({"part": _("配件须属于工时项目所在的项目。")})


class ReservationStatus(models.TextChoices):
    RESERVED = "reserved", _("已预留")
    ISSUED = "issued", _("已领用")
    RETURNED = "returned", _("已退回")
    RELEASED = "released", _("已释放")


class PartReservation(models.Model):
    """Parts for a job: asked for (`quantity`), held from stock (`held`; less than asked is a
    shortage, 缺件, to be confirmed before the customer arrives), issued to a repair order
    (case) and partly or wholly returned."""

    part = models.ForeignKey(
        Part, on_delete=models.PROTECT, related_name="reservations", verbose_name=_("配件")
    )
    appointment = models.ForeignKey(
        Appointment,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="part_reservations",
        verbose_name=_("预约"),
    )
    case = models.ForeignKey(
        "cases.Case",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="part_reservations",
        verbose_name=_("工单"),
    )
    line = models.CharField(_("工单行"), max_length=200, blank=True)
    quantity = models.DecimalField(_("需要数量"), max_digits=10, decimal_places=2)
    held = models.DecimalField(
        _("已预留数量"), default=Decimal("0"), max_digits=10, decimal_places=2
    )
    issued = models.DecimalField(
        _("领用数量"), default=Decimal("0"), max_digits=10, decimal_places=2
    )
    returned = models.DecimalField(
        _("退回数量"), default=Decimal("0"), max_digits=10, decimal_places=2
    )
    status = models.CharField(
        _("状态"),
        max_length=20,
        choices=ReservationStatus.choices,
        default=ReservationStatus.RESERVED,
    )
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("缺件确认人"),
    )
    confirmed_at = models.DateTimeField(_("缺件确认时间"), null=True, blank=True)
    confirm_note = models.CharField(_("缺件安排"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("登记时间"), default=timezone.now)

    class Meta:
        verbose_name = _("配件预留")
        verbose_name_plural = _("配件预留")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(quantity__gt=0, held__gte=0, held__lte=models.F("quantity")),
                name="reservation_held_within_asked",
            ),
            models.CheckConstraint(
                condition=models.Q(returned__gte=0, returned__lte=models.F("issued")),
                name="reservation_returned_within_issued",
            ),
        ]
        indexes = [models.Index(fields=["part", "status"], name="reservation_part_status")]

    def __str__(self) -> str:
        return f"{self.part.number} ×{self.quantity} {self.get_status_display()}"

    @property
    def short(self) -> Decimal:
        """How many are missing: asked for and not held, while the reservation stands."""
        if self.status != ReservationStatus.RESERVED:
            return Decimal("0")
        return self.quantity - self.held

    @property
    def outstanding(self) -> Decimal:
        """Issued and not returned: what may still come back."""
        return self.issued - self.returned


class MovementKind(models.TextChoices):
    RECEIPT = "receipt", _("入库")
    RESERVE = "reserve", pgettext_lazy("parts", "预留")
    RELEASE = "release", _("释放")
    ISSUE = "issue", _("领用")
    RETURN = "return", _("退回")
    CONFIRM = "confirm", _("缺件确认")


class PartMovement(models.Model):
    """The parts history, append-only: who did what, when, and how each figure moved. The sum of
    a part's deltas equals its `Stock` figures (`fuwu.scheduling.part_queries.drift` checks it)."""

    part = models.ForeignKey(
        Part, on_delete=models.PROTECT, related_name="movements", verbose_name=_("配件")
    )
    kind = models.CharField(_("类型"), max_length=20, choices=MovementKind.choices)
    quantity = models.DecimalField(_("数量"), max_digits=10, decimal_places=2)
    on_hand = models.DecimalField(
        _("在库变化"), default=Decimal("0"), max_digits=10, decimal_places=2
    )
    reserved = models.DecimalField(
        _("预留变化"), default=Decimal("0"), max_digits=10, decimal_places=2
    )
    issued = models.DecimalField(
        _("领用变化"), default=Decimal("0"), max_digits=10, decimal_places=2
    )
    reservation = models.ForeignKey(
        PartReservation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="movements",
        verbose_name=_("配件预留"),
    )
    appointment = models.ForeignKey(
        Appointment,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("预约"),
    )
    case = models.ForeignKey(
        "cases.Case",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("工单"),
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("经办人"),
    )
    at = models.DateTimeField(_("时间"), default=timezone.now)
    note = models.CharField(_("备注"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("配件流水")
        verbose_name_plural = _("配件流水")
        indexes = [models.Index(fields=["part", "at"], name="movement_part_at")]

    def __str__(self) -> str:
        return f"{self.part.number} {self.get_kind_display()} {self.quantity}"


# -- On-site visits and their routes (fuwu.scheduling.routes; the solver: fuwu.scheduling.vrptw)


class FieldBase(models.Model):
    """Where a workshop's technicians leave from and come back to for on-site visits (上门服务),
    and how fast they get about: travel time = great-circle distance ÷ `speed_kmh`."""

    workshop = models.OneToOneField(
        Workshop, on_delete=models.CASCADE, related_name="field_base", verbose_name=_("车间")
    )
    name = models.CharField(_("名称"), max_length=200, blank=True)
    lat = models.DecimalField(_("纬度"), max_digits=9, decimal_places=6)
    lon = models.DecimalField(_("经度"), max_digits=9, decimal_places=6)
    speed_kmh = models.DecimalField(
        _("平均车速（公里/小时）"),
        max_digits=5,
        decimal_places=1,
        default=Decimal("30.0"),
        validators=[MinValueValidator(Decimal("1"))],
        help_text=_("市内含路况与停车约 30 公里/小时"),
    )

    class Meta:
        verbose_name = _("外勤基地")
        verbose_name_plural = _("外勤基地")

    def __str__(self) -> str:
        return self.name or str(self.workshop)


class VisitStatus(models.TextChoices):
    OPEN = "open", _("待排")
    PLANNED = "planned", _("已排")
    DONE = "done", _("已完成")
    CANCELLED = "cancelled", _("已取消")


class Visit(models.Model):
    """A case's job at the customer's place on a day: where, the window the service may start
    in (agreed with the customer), how long it takes and the skill it needs."""

    workshop = models.ForeignKey(
        Workshop, on_delete=models.PROTECT, related_name="visits", verbose_name=_("车间")
    )
    case = models.ForeignKey(
        "cases.Case",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="visits",
        verbose_name=_("工单"),
    )
    customer = models.ForeignKey(
        Customer,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="visits",
        verbose_name=_("客户"),
    )
    address = models.CharField(_("地址"), max_length=300)
    lat = models.DecimalField(_("纬度"), max_digits=9, decimal_places=6)
    lon = models.DecimalField(_("经度"), max_digits=9, decimal_places=6)
    day = models.DateField(_("日期"))
    window_start = models.TimeField(_("最早开始"))
    window_end = models.TimeField(_("最晚开始"))
    service_minutes = models.PositiveSmallIntegerField(
        _("作业时长（分钟）"), validators=[MinValueValidator(1)]
    )
    skill = models.ForeignKey(
        Skill, on_delete=models.PROTECT, null=True, blank=True, verbose_name=_("所需技能")
    )
    status = models.CharField(
        _("状态"), max_length=20, choices=VisitStatus.choices, default=VisitStatus.OPEN
    )
    # Why the last plan left it out (a code of fuwu.scheduling.vrptw), empty when planned.
    unplanned_reason = models.CharField(_("未排原因"), max_length=40, blank=True)
    note = models.CharField(_("备注"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("上门服务")
        verbose_name_plural = _("上门服务")
        indexes = [models.Index(fields=["workshop", "day"], name="visit_day")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(window_start__lte=models.F("window_end")),
                name="visit_window_in_order",
            )
        ]

    def __str__(self) -> str:
        return f"{self.address} {self.day} {self.window_start:%H:%M}–{self.window_end:%H:%M}"


class RouteStatus(models.TextChoices):
    PLANNED = "planned", _("系统排定")
    EDITED = "edited", _("调度员已调整")


class Route(models.Model):
    """A technician's round of visits on a day, from the field base and back."""

    workshop = models.ForeignKey(
        Workshop, on_delete=models.CASCADE, related_name="routes", verbose_name=_("车间")
    )
    technician = models.ForeignKey(
        Technician, on_delete=models.CASCADE, related_name="routes", verbose_name=_("技术员")
    )
    day = models.DateField(_("日期"))
    distance_m = models.PositiveIntegerField(_("行驶距离（米）"), default=0)
    travel_minutes = models.PositiveIntegerField(_("路上时间（分钟）"), default=0)
    leaves_at = models.DateTimeField(_("出发时间"), null=True, blank=True)
    back_at = models.DateTimeField(_("返回时间"), null=True, blank=True)
    lunch_at = models.DateTimeField(_("午休开始"), null=True, blank=True)
    status = models.CharField(
        _("状态"), max_length=20, choices=RouteStatus.choices, default=RouteStatus.PLANNED
    )
    solver_iterations = models.PositiveIntegerField(_("求解迭代次数"), default=0)
    planned_at = models.DateTimeField(_("排线时间"), default=timezone.now)
    planned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("排线人"),
    )
    edited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("调整人"),
    )
    edited_at = models.DateTimeField(_("调整时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("服务路线")
        verbose_name_plural = _("服务路线")
        constraints = [
            models.UniqueConstraint(fields=["technician", "day"], name="one_route_a_day")
        ]

    def __str__(self) -> str:
        return f"{self.technician} {self.day}"


class RouteStop(models.Model):
    """A visit on a route, in order, with when the technician gets there and starts."""

    route = models.ForeignKey(
        Route, on_delete=models.CASCADE, related_name="stops", verbose_name=_("路线")
    )
    visit = models.OneToOneField(
        Visit, on_delete=models.CASCADE, related_name="stop", verbose_name=_("上门服务")
    )
    position = models.PositiveSmallIntegerField(_("顺序"))
    travel_minutes = models.PositiveIntegerField(_("路上时间（分钟）"))
    distance_m = models.PositiveIntegerField(_("距离（米）"))
    arrives_at = models.DateTimeField(_("到达时间"))
    starts_at = models.DateTimeField(_("开始时间"))
    ends_at = models.DateTimeField(_("结束时间"))

    class Meta:
        verbose_name = _("路线站点")
        verbose_name_plural = _("路线站点")
        ordering = ["route", "position"]
        constraints = [
            models.UniqueConstraint(fields=["route", "position"], name="one_stop_a_position")
        ]

    def __str__(self) -> str:
        return f"{self.route} #{self.position}"


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

    def name_in(self, language: str) -> str:
        return name_in(self.name, self.operation, language)


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
