"""The demo's workshop (issue 11, "a real Monday"), built at a frozen Monday 10:40 in Shenzhen on
the dealer's real calendar (open every day, 08:30–17:30, lunch 12–13): the people, catalogues,
the week of appointments, today's board, the carry-over and the day's routes."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from decimal import Decimal
from itertools import pairwise
from random import Random
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import transaction
from django.test import override_settings

from fuwu.demo.data import DEFAULT_SEED, load_library
from fuwu.demo.workshop import build_workshop
from fuwu.demo.world import World
from fuwu.scheduling.board import board
from fuwu.scheduling.capacity import day_capacity
from fuwu.scheduling.models import (
    Absence,
    Appointment,
    AppointmentStatus,
    CarryOver,
    FollowUp,
    JobClock,
    JobStatus,
    LabourOperation,
    OperationPart,
    Part,
    PartMovement,
    PromiseChange,
    RepairJob,
    Route,
    StopReason,
    Visit,
    VisitStatus,
    Workshop,
)
from fuwu.scheduling.part_queries import drift, low_stock, unconfirmed_shortages
from fuwu.testing.factories import FAST_HASHERS

# One process runs the module: its tests share one build (a module fixture).
pytestmark = [
    pytest.mark.django_db,
    pytest.mark.sqlite_once,
    pytest.mark.xdist_group("demo_workshop"),
]

ZONE = ZoneInfo("Asia/Shanghai")
MONDAY = datetime(2026, 11, 30, 10, 40, tzinfo=ZONE)
TODAY = MONDAY.date()


@pytest.fixture(scope="module")
def shop(django_db_setup: None, django_db_blocker: Any) -> Iterator[Workshop]:
    """The organisation, its people and customers, then the workshop, at Monday 10:40; built
    once for the module and rolled back at the end."""
    fast = override_settings(PASSWORD_HASHERS=FAST_HASHERS)
    with (
        fast,
        django_db_blocker.unblock(),
        time_machine.travel(MONDAY, tick=False),
        transaction.atomic(),
    ):
        load_library()
        world = World(Random(DEFAULT_SEED), MONDAY)
        world.organisation()
        world.people()
        world.customers()
        yield build_workshop(world, DEFAULT_SEED)
        transaction.set_rollback(True)


def on(day: date) -> Any:
    start = datetime.combine(day, datetime.min.time(), ZONE)
    return Appointment.objects.filter(starts_at__gte=start, starts_at__lt=start + timedelta(1))


def test_ten_technicians_on_the_workshop_shift_with_the_seeds_hours(shop: Workshop) -> None:
    crew = list(shop.technicians.select_related("staff__shift"))
    assert len(crew) == 10
    assert all(Decimal("0.90") <= t.productivity <= Decimal("1.05") for t in crew)
    assert {t.staff.shift.name for t in crew} == {"车间班"}
    assert all(t.levels and t.staff.skills.exists() for t in crew)
    assert Counter(Absence.objects.values_list("kind", flat=True)) == {
        "day_off": 1,
        "leave": 1,
        "training": 1,
    }
    # The seed: available = technicians × 8 h × productivity; bookable = 80 % of it.
    cap = day_capacity(shop, TODAY)
    assert cap.on_shift == 10
    assert cap.available == sum((8 * t.productivity for t in crew), Decimal(0)).quantize(
        Decimal("0.01")
    )
    assert cap.available == Decimal("77.76")
    assert cap.bookable == Decimal("62.21")  # 77.76 × 80 %
    # One on 调休 the day after tomorrow: nine on shift.
    assert day_capacity(shop, TODAY + timedelta(days=2)).on_shift == 9


def test_catalogues_and_stock(shop: Workshop) -> None:
    ops = LabourOperation.objects.filter(site=shop.site)
    assert ops.count() >= 15
    assert set(ops.values_list("work_type", flat=True)) == {
        "maintenance",
        "repair",
        "electrical",
        "body",
        "paint",
    }
    assert not ops.filter(name_en="").exists()
    assert OperationPart.objects.filter(operation__site=shop.site).count() >= 20
    catalogue = Part.objects.filter(site=shop.site)
    assert catalogue.count() == 20
    low = set(low_stock(catalogue).values_list("number", flat=True))
    assert {"89465-06240", "52119-06982"} <= low  # the rear O2 sensor and the bumper cover
    assert 3 <= len(low) <= 8
    assert PartMovement.objects.filter(kind="receipt").count() >= 18
    assert all(drift(part) == {} for part in catalogue)


def test_a_week_of_appointments(shop: Workshop) -> None:
    for back in range(3, 0, -1):
        day = TODAY - timedelta(days=back)
        statuses = Counter(on(day).values_list("status", flat=True))
        assert statuses[AppointmentStatus.ARRIVED] >= 15, day
        assert statuses[AppointmentStatus.NO_SHOW] >= 1, day
        assert statuses[AppointmentStatus.CANCELLED] == 1, day
        assert not statuses[AppointmentStatus.BOOKED], day
        assert on(day).filter(walk_in=True, status=AppointmentStatus.ARRIVED).count() == 3
    # No-shows get follow-ups: two called back (one rebooked or declined each), the rest open.
    follow_ups = FollowUp.objects.all()
    assert follow_ups.count() == Appointment.objects.filter(status="no_show").count() >= 3
    assert follow_ups.filter(done_at__isnull=True).exists()
    assert follow_ups.filter(outcome__in=["rebooked", "declined"]).count() == 2
    # The coming days are booked to 60–90 % of their bookable hours.
    for ahead in (1, 2, 3):
        cap = day_capacity(shop, TODAY + timedelta(days=ahead))
        assert Decimal("0.55") <= cap.booked / cap.bookable <= Decimal("0.92"), ahead
    # Tomorrow has a parts shortage to confirm; one the day after has been confirmed.
    assert unconfirmed_shortages(shop, TODAY + timedelta(days=1))
    assert PartMovement.objects.filter(kind="confirm").exists()
    # The seed's classification: maintenance about 70 %, repair about 30 %.
    lines = Counter(
        Appointment.objects.filter(status__in=["booked", "arrived"]).values_list(
            "lines__work_type", flat=True
        )
    )
    share = lines["maintenance"] / sum(lines.values())
    assert 0.55 <= share <= 0.85


def test_todays_board_looks_like_a_monday_morning(shop: Workshop) -> None:
    today = board(shop, TODAY, now=MONDAY)
    jobs = [bar for row in today.rows for bar in row.bars] + today.unassigned
    statuses = Counter(bar.job.status for bar in jobs)
    assert statuses[JobStatus.DONE] >= 3
    assert statuses[JobStatus.RUNNING] >= 4
    assert statuses[JobStatus.STOPPED] == 1
    assert statuses[JobStatus.PLANNED] >= 4
    running = {row.technician.staff.user.username for row in today.rows if row.running}
    assert {"chen.gang", "hu.jun", "sun.hao", "liu.yang", "han.dong"} <= running
    stopped = RepairJob.objects.get(status=JobStatus.STOPPED)
    assert stopped.clocks.get().reason == StopReason.WAITING_PARTS
    amber = [bar for bar in jobs if bar.risk.level == "amber"]
    assert [bar.job.operation.code for bar in amber if bar.job.operation] == ["R-BRKP"]
    assert not [bar for bar in jobs if bar.risk.level == "red"]
    # The carried car: from yesterday, its promise changed and told, its belt job running again.
    carried = CarryOver.objects.get()
    assert (carried.from_date, carried.to_date) == (TODAY - timedelta(days=1), TODAY)
    assert carried.hours == Decimal("1.50")  # 3.5 h standard − 2.0 h clocked (10:40–13:40 − lunch)
    assert carried in today.carry_overs
    assert PromiseChange.objects.filter(case=carried.case).exists()
    assert RepairJob.objects.get(case=carried.case, status=JobStatus.RUNNING)
    # The clock rows and the figures: efficiency of the finished jobs about 100 %.
    assert JobClock.objects.filter(ended_at__isnull=True).count() == len(running)
    zhu = next(r for r in today.rows if r.technician.staff.user.username == "zhu.ming")
    assert zhu.figures.efficiency == Decimal("1.06")  # 1.5 h standard in 1 h 25 min
    # The open clocks never overlap a technician's other clock.
    for row in today.rows:
        spans = sorted(row.technician.clocks.values_list("started_at", "ended_at"))
        for (_, end), (start, _) in pairwise(spans):
            assert end is not None and end <= start


def test_the_days_visits_have_a_planned_route(shop: Workshop) -> None:
    visits = Visit.objects.filter(workshop=shop, day=TODAY)
    assert visits.count() == 6
    assert visits.filter(status=VisitStatus.PLANNED).count() >= 5
    routes = Route.objects.filter(workshop=shop, day=TODAY, stops__isnull=False).distinct()
    assert {r.technician.staff.user.username for r in routes} == {"zhao.peng", "peng.fei"}
    assert all(r.leaves_at and r.back_at for r in routes)
    # Neither of them has a job in the shop today.
    assert not RepairJob.objects.filter(technician__routes__in=routes).exists()
