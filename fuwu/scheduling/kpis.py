"""The workshop's key figures (issue 11, "KPIs for this issue"), per day and for a period, in a
fixed number of queries however many days are asked for.

The Toyota seed's definitions (/work/shared/seeds/, step 1 "预约" and steps 2 and 4):
- "预约率(%) = 总预约客户数 / 总客户数", guide 80 % (the seed's "80% 预约率", the appointment
  share of the hours; the issue reads it as "≥ 80 %"). Here the appointment customers of a day
  are its appointments that arrived (not walk-ins); all customers are those plus the walk-ins
  received ("随到"客户, `walk_ins.receive`) plus the repair orders opened that day in the
  workshop without any appointment.
- "失约率(%) = 总失约客户数 / 总预约客户数" ("预约了却没有来的客户"): the day's appointments
  marked no-show over the day's appointments (not walk-ins, not cancelled).
- "滞留车辆 … 由于不可预见的情况而不能按许诺的时间交车的车辆. 因此, 必须滞留至第二天",
  "滞留车率 按日统计 = 总非计划滞留车数 / 总维修车辆数", guide "低于 5%". The unplanned
  carry-overs of a day are the `CarryOver` rows from that day not marked planned (made by hand
  or by the day-end sweep); a car planned over two days is not one. The vehicles repaired that
  day are the repair orders with a job finished that day, together with the cars carried over
  from that day (they were in repair but not delivered), each counted once.
- "服务站唯一能销售的产品是工时", "记录技术员可用工时数 & 未售出工时数": booked hours are
  the hours held by the day's live appointments (`capacity.booked_hours`, the same rule as the
  capacity page); sold hours are the standard hours of the jobs finished that day; idle hours
  the stretches of 30 minutes or more on shift with no job clocked (`board.idle_gaps`,
  "技术员 30 分钟没有工作"), up to now.
- "监控生产力, 人力使用和效率": each technician's `board.Figures` (productivity = clocked /
  attendance, efficiency = standard / clocked), summed over the period.
- "每个接待员每天处理 15 到 20 个修理单": a repair order is a case with jobs in the workshop,
  counted on the day its first job was opened, for the advisor of that job.

Every figure keeps the ids of the appointments, cases or jobs behind it, so that a drill-down
lists exactly what was counted (`items`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Min, Q
from django.utils import timezone

from fuwu.procedures.engine.errors import Unprocessable
from fuwu.scheduling.board import Figures, idle_gaps
from fuwu.scheduling.capacity import HOUR, aware, capacity, technicians
from fuwu.scheduling.job_time import hours_between, zone_of
from fuwu.scheduling.models import (
    HOLDING,
    Appointment,
    AppointmentStatus,
    CarryOver,
    JobClock,
    JobStatus,
    RepairJob,
    Technician,
    Workshop,
)

MAX_DAYS = 93  # a quarter
APPOINTMENT_RATE_GUIDE = Decimal("0.80")  # at least
CARRY_OVER_RATE_GUIDE = Decimal("0.05")  # below
ORDERS_PER_ADVISOR_GUIDE = (15, 20)  # a day
RATE = Decimal("0.0001")

# What a drill-down may list, and what each lists.
KINDS = (
    "customers",  # arrived appointments (walk-ins too) and repair orders without one
    "appointment_customers",  # arrived appointments, not walk-ins
    "appointments",  # appointments due (not walk-ins, not cancelled)
    "no_shows",
    "walk_ins",
    "without_appointment",  # repair orders opened without an appointment
    "repaired",  # repair orders with a job finished, or carried over
    "carried",  # unplanned carry-overs
    "booked",  # appointments holding hours
    "sold",  # jobs finished
    "orders",  # repair orders opened
)


def rate(part: int, whole: int) -> Decimal | None:
    return (Decimal(part) / Decimal(whole)).quantize(RATE) if whole else None


@dataclass
class Counted:
    """The ids behind a figure."""

    appointments: set[int] = field(default_factory=set)
    cases: set[int] = field(default_factory=set)
    jobs: set[int] = field(default_factory=set)

    def __len__(self) -> int:
        return len(self.appointments) + len(self.cases) + len(self.jobs)

    def add(self, other: Counted) -> None:
        self.appointments |= other.appointments
        self.cases |= other.cases
        self.jobs |= other.jobs


@dataclass
class Day:
    day: date
    working: bool
    available: Decimal = Decimal("0.00")
    booked: Decimal = Decimal("0.00")
    sold: Decimal = Decimal("0.00")
    clocked: Decimal = Decimal("0.00")
    attendance: Decimal = Decimal("0.00")
    idle: Decimal = Decimal("0.00")
    counted: dict[str, Counted] = field(default_factory=lambda: defaultdict(Counted))
    orders_by_advisor: dict[int, set[int]] = field(default_factory=lambda: defaultdict(set))
    sold_by_technician: dict[int, set[int]] = field(default_factory=lambda: defaultdict(set))

    def count(self, kind: str) -> int:
        return len(self.counted[kind]) if kind in self.counted else 0

    @property
    def customers(self) -> int:
        return self.count("customers")

    @property
    def appointment_rate(self) -> Decimal | None:
        return rate(self.count("appointment_customers"), self.customers)

    @property
    def no_show_rate(self) -> Decimal | None:
        return rate(self.count("no_shows"), self.count("appointments"))

    @property
    def carry_over_rate(self) -> Decimal | None:
        return rate(self.count("carried"), self.count("repaired"))

    @property
    def figures(self) -> Figures:
        return Figures(clocked=self.clocked, attendance=self.attendance, standard=self.sold)


@dataclass
class TechnicianTotal:
    technician: Technician
    figures: Figures
    idle: Decimal
    jobs: set[int]

    @property
    def unsold(self) -> Decimal:
        """Attendance hours not sold ("未售出工时")."""
        return self.figures.attendance - self.figures.standard


@dataclass
class AdvisorTotal:
    advisor_id: int
    name: str
    orders: int
    days: int  # the working days of the period
    by_day: list[int]  # repair orders of each day of the period, in order

    @property
    def per_day(self) -> Decimal | None:
        return (Decimal(self.orders) / self.days).quantize(Decimal("0.1")) if self.days else None

    @property
    def within_guide(self) -> bool:
        low, high = ORDERS_PER_ADVISOR_GUIDE
        return self.per_day is not None and low <= self.per_day <= high


@dataclass
class Report:
    workshop: Workshop
    first: date
    last: date
    now: datetime
    days: list[Day]
    total: Day  # the period's sums; its `day` is the first day
    technicians: list[TechnicianTotal]
    advisors: list[AdvisorTotal]

    @property
    def working_days(self) -> int:
        return sum(1 for d in self.days if d.working)


def check_period(first: date, last: date) -> None:
    if last < first or (last - first).days >= MAX_DAYS:
        raise Unprocessable("bad_kpi_period", days=MAX_DAYS)


def report(workshop: Workshop, first: date, last: date, now: datetime | None = None) -> Report:
    """The figures of each day from `first` to `last` (inclusive) and of the period, in a fixed
    number of queries (capacity's five, the appointments, the repair orders and their jobs, the
    finished jobs, the carry-overs, the clocks) however many days. Refuses a period that ends
    before it starts or is longer than `MAX_DAYS` with `bad_kpi_period`."""
    check_period(first, last)
    now = now or timezone.now()
    zone = zone_of(workshop)
    span = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    start = datetime.combine(first, time.min, zone)
    end = datetime.combine(last + timedelta(days=1), time.min, zone)
    caps = capacity(workshop, span)
    days = {c.day: Day(day=c.day, working=c.working) for c in caps}

    def local(moment: datetime | str) -> date:
        return aware(moment).astimezone(zone).date()

    for cap in caps:
        days[cap.day].available = cap.available
        days[cap.day].booked = cap.booked

    # Appointments of the period (one query).
    for pk, starts_at, status, walk_in in Appointment.objects.filter(
        workshop=workshop, starts_at__gte=start, starts_at__lt=end
    ).values_list("pk", "starts_at", "status", "walk_in"):
        d = days[local(starts_at)]
        if status in HOLDING:
            d.counted["booked"].appointments.add(pk)
        if walk_in:
            if status == AppointmentStatus.ARRIVED:
                d.counted["walk_ins"].appointments.add(pk)
                d.counted["customers"].appointments.add(pk)
            continue
        if status != AppointmentStatus.CANCELLED:
            d.counted["appointments"].appointments.add(pk)
        if status == AppointmentStatus.ARRIVED:
            d.counted["appointment_customers"].appointments.add(pk)
            d.counted["customers"].appointments.add(pk)
        elif status == AppointmentStatus.NO_SHOW:
            d.counted["no_shows"].appointments.add(pk)

    # Repair orders opened in the period: the day of their first job (one query), the advisor
    # of that job and whether they came with an appointment (one query each).
    opened = dict(
        # Jobs opened after the period cannot be a first job in it; leaving them out keeps the
        # grouping to the cases of the period and before.
        RepairJob.objects.filter(workshop=workshop, created_at__lt=end)
        .values("case_id")
        .annotate(first=Min("created_at"))
        .filter(first__gte=start, first__lt=end)
        .values_list("case_id", "first")
    )
    advisor_of: dict[int, int] = {}
    for case_id, advisor_id, case_by in (
        RepairJob.objects.filter(workshop=workshop, case_id__in=list(opened))
        .order_by("case_id", "created_at", "pk")
        .values_list("case_id", "advisor_id", "case__created_by_id")
    ):
        advisor_of.setdefault(case_id, advisor_id or case_by)
    with_appointment = set(
        Appointment.objects.filter(case_id__in=list(opened)).values_list("case_id", flat=True)
    )
    for case_id, first_at in opened.items():
        d = days[local(first_at)]
        d.counted["orders"].cases.add(case_id)
        if advisor_of.get(case_id):
            d.orders_by_advisor[advisor_of[case_id]].add(case_id)
        if case_id not in with_appointment:
            d.counted["without_appointment"].cases.add(case_id)
            d.counted["customers"].cases.add(case_id)

    # Jobs finished in the period: sold hours and the vehicles repaired (one query).
    job_hours: dict[int, Decimal] = {}
    for pk, case_id, technician_id, hours, finished_at in RepairJob.objects.filter(
        workshop=workshop,
        status=JobStatus.DONE,
        finished_at__gte=start,
        finished_at__lt=end,
    ).values_list("pk", "case_id", "technician_id", "standard_hours", "finished_at"):
        assert finished_at is not None  # by the filter
        d = days[local(finished_at)]
        job_hours[pk] = hours
        d.sold += hours
        d.counted["sold"].jobs.add(pk)
        d.counted["repaired"].cases.add(case_id)
        if technician_id is not None:
            d.sold_by_technician[technician_id].add(pk)

    # Carry-overs from the days of the period (one query).
    for case_id, from_date, planned in CarryOver.objects.filter(
        workshop=workshop, from_date__gte=first, from_date__lte=last
    ).values_list("case_id", "from_date", "planned"):
        d = days[from_date]
        d.counted["repaired"].cases.add(case_id)
        if not planned:
            d.counted["carried"].cases.add(case_id)

    # Clocked and idle hours of each technician and day (the crew and one query of clocks), on
    # the same rules as the board's day (`board.board`).
    crew = {t.pk: t for t in technicians(workshop)}
    clocks: dict[int, list[tuple[datetime, datetime]]] = defaultdict(list)
    for technician_id, started_at, ended_at in (
        JobClock.objects.filter(technician_id__in=list(crew), started_at__lt=end)
        .filter(Q(ended_at__isnull=True) | Q(ended_at__gt=start))
        .values_list("technician_id", "started_at", "ended_at")
    ):
        clocks[technician_id].append((aware(started_at), aware(ended_at) if ended_at else now))
    totals = {
        pk: TechnicianTotal(t, Figures(*(Decimal("0.00"),) * 3), Decimal("0.00"), set())
        for pk, t in crew.items()
    }
    for cap in caps:
        d = days[cap.day]
        day_start = datetime.combine(cap.day, time.min, zone)
        day_end = day_start + timedelta(days=1)
        for tech_day in cap.technicians:
            busy = clocks.get(tech_day.technician_id, [])
            clocked = sum(
                (hours_between(workshop, max(s, day_start), min(e, day_end, now)) for s, e in busy),
                Decimal(0),
            ).quantize(HOUR)
            mine = d.sold_by_technician.get(tech_day.technician_id, set())
            standard = sum((job_hours[pk] for pk in mine), Decimal(0)).quantize(HOUR)
            idle = Decimal(0)
            if day_start <= now:
                for g_start, g_end in idle_gaps(tech_day.periods, sorted(busy), now):
                    idle += Decimal((g_end - g_start).total_seconds()) / 3600
            idle = idle.quantize(HOUR)
            so_far = totals[tech_day.technician_id]
            so_far.figures = Figures(
                clocked=so_far.figures.clocked + clocked,
                attendance=so_far.figures.attendance + tech_day.hours,
                standard=so_far.figures.standard + standard,
            )
            so_far.idle += idle
            so_far.jobs |= mine
            d.clocked += clocked
            d.attendance += tech_day.hours
            d.idle += idle

    ordered = [days[x] for x in span]
    total = Day(day=first, working=any(d.working for d in ordered))
    for d in ordered:
        for name in ("available", "booked", "sold", "clocked", "attendance", "idle"):
            setattr(total, name, getattr(total, name) + getattr(d, name))
        for kind, ids in d.counted.items():
            total.counted[kind].add(ids)
        for advisor_id, cases in d.orders_by_advisor.items():
            total.orders_by_advisor[advisor_id] |= cases
        for technician_id, jobs in d.sold_by_technician.items():
            total.sold_by_technician[technician_id] |= jobs
    working = sum(1 for d in ordered if d.working)
    names = _names(list(total.orders_by_advisor))
    advisors = sorted(
        (
            AdvisorTotal(
                pk,
                names.get(pk, str(pk)),
                len(cases),
                working,
                [len(d.orders_by_advisor.get(pk, ())) for d in ordered],
            )
            for pk, cases in total.orders_by_advisor.items()
        ),
        key=lambda a: (-a.orders, a.name),
    )
    return Report(
        workshop=workshop,
        first=first,
        last=last,
        now=now,
        days=ordered,
        total=total,
        technicians=list(totals.values()),
        advisors=advisors,
    )


def _names(user_ids: Sequence[int]) -> dict[int, str]:
    """The advisors' display names (one query)."""
    from django.contrib.auth import get_user_model

    if not user_ids:
        return {}
    return {
        pk: display or username
        for pk, username, display in get_user_model()
        .objects.filter(pk__in=user_ids)
        .values_list("pk", "username", "staff__display_name")
    }


@dataclass(frozen=True)
class Items:
    """The appointments, repair orders and jobs behind a figure."""

    appointments: list[Appointment]
    cases: list[Any]
    jobs: list[RepairJob]


def counted(
    data: Report,
    kind: str,
    *,
    day: date | None = None,
    technician: int | None = None,
    advisor: int | None = None,
) -> Counted:
    """The ids behind one figure of the report: of one day (or the period), for one technician
    (sold hours) or one advisor (repair orders) when given."""
    if kind not in KINDS:
        raise Unprocessable("bad_kpi_kind")
    row = data.total if day is None else next((d for d in data.days if d.day == day), None)
    if row is None:
        return Counted()
    if advisor is not None:
        return Counted(cases=set(row.orders_by_advisor.get(advisor, set())))
    if technician is not None:
        return Counted(jobs=set(row.sold_by_technician.get(technician, set())))
    found = row.counted.get(kind)
    return (
        Counted(set(found.appointments), set(found.cases), set(found.jobs)) if found else Counted()
    )


def items(ids: Counted) -> Items:
    """Load what `counted` names, in a stable order (three queries at most)."""
    from fuwu.cases.models import Case

    return Items(
        appointments=list(
            Appointment.objects.filter(pk__in=ids.appointments)
            .select_related("customer", "asset", "advisor__staff", "case")
            .order_by("starts_at", "pk")
        )
        if ids.appointments
        else [],
        cases=list(Case.objects.filter(pk__in=ids.cases).order_by("created_at", "pk"))
        if ids.cases
        else [],
        jobs=list(
            RepairJob.objects.filter(pk__in=ids.jobs)
            .select_related("case", "technician__staff")
            .order_by("finished_at", "pk")
        )
        if ids.jobs
        else [],
    )
