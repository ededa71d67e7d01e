"""The workshop's KPIs against the Monday worked out by hand in kpi_day.py."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from fuwu.procedures.engine.errors import EngineError
from fuwu.scheduling import board as day_board
from fuwu.scheduling import kpis
from fuwu.scheduling.tests.kpi_day import AFTER, TUESDAY, monday
from fuwu.scheduling.tests.shop import MONDAY, at
from fuwu.testing.factories import World

pytestmark = pytest.mark.django_db


def test_the_mondays_figures_by_hand(world: World) -> None:
    scene = monday(world)
    report = kpis.report(scene.workshop, MONDAY, TUESDAY, AFTER)
    mon, tue = report.days
    a, c, j = scene.appointments, scene.cases, scene.jobs
    # 预约率 = 总预约客户数 / 总客户数 = 3 / (3 arrived + 1 walk-in + 1 without) = 60 %.
    assert kpis.counted(report, "customers", day=MONDAY).appointments == {
        a["A1"].pk,
        a["A2"].pk,
        a["A3"].pk,
        a["W"].pk,
    }
    assert kpis.counted(report, "customers", day=MONDAY).cases == {c["C3"].pk}
    assert (mon.customers, mon.appointment_rate) == (5, Decimal("0.6000"))
    # 失约率 = 总失约客户数 / 总预约客户数 = 1 / 4 (the cancelled one is not due).
    assert kpis.counted(report, "appointments", day=MONDAY).appointments == {
        a["A1"].pk,
        a["A2"].pk,
        a["A3"].pk,
        a["A4"].pk,
    }
    assert mon.no_show_rate == Decimal("0.2500")
    # 滞留车率 = 非计划滞留车 / 维修车辆 = 1 (C2) / 4 (C1, C3 done; C2, C4 carried).
    assert kpis.counted(report, "repaired", day=MONDAY).cases == {
        c["C1"].pk,
        c["C2"].pk,
        c["C3"].pk,
        c["C4"].pk,
    }
    assert kpis.counted(report, "carried", day=MONDAY).cases == {c["C2"].pk}
    assert mon.carry_over_rate == Decimal("0.2500")
    # Hours: booked by the holding appointments (the capacity page's figure), sold, clocked, idle.
    assert (mon.available, mon.booked, mon.sold, mon.clocked, mon.attendance, mon.idle) == (
        Decimal("80.00"),
        Decimal("5.50"),
        Decimal("3.30"),
        Decimal("8.50"),
        Decimal("80.00"),
        Decimal("71.50"),
    )
    assert kpis.counted(report, "sold", day=MONDAY).jobs == {j["J1"].pk, j["J3"].pk}
    # Tuesday: a working day with nobody clocked.
    assert (tue.working, tue.customers, tue.appointment_rate, tue.idle) == (
        True,
        0,
        None,
        Decimal("80.00"),
    )
    # The period.
    total = report.total
    assert (total.customers, total.sold, total.idle, total.attendance) == (
        5,
        Decimal("3.30"),
        Decimal("151.50"),
        Decimal("160.00"),
    )
    # Repair orders: four by the advisor over two working days = 2.0 a day (guide 15–20).
    (advisor,) = report.advisors
    assert (advisor.advisor_id, advisor.orders, advisor.days, advisor.per_day, advisor.by_day) == (
        world.users["advisor"].pk,
        4,
        2,
        Decimal("2.0"),
        [4, 0],  # by day
    )
    assert not advisor.within_guide
    assert kpis.counted(report, "orders", advisor=advisor.advisor_id).cases == set(
        x.pk for x in c.values()
    )


def test_technicians_figures_are_the_boards(world: World) -> None:
    scene = monday(world)
    report = kpis.report(scene.workshop, MONDAY, MONDAY, AFTER)
    board = day_board.figures(scene.workshop, MONDAY, AFTER)
    by_tech = {t.technician.pk: t for t in report.technicians}
    assert {pk: t.figures for pk, t in by_tech.items()} == board
    first = by_tech[scene.techs[0].pk]
    # 2.3 h + 1.0 h sold in 3 h clocked of 8 h: efficiency 110 %, productivity 38 %.
    assert (first.figures.efficiency, first.figures.productivity) == (
        Decimal("1.10"),
        Decimal("0.38"),
    )
    assert (first.idle, first.unsold) == (Decimal("5.00"), Decimal("4.70"))
    assert by_tech[scene.techs[1].pk].idle == Decimal("6.00")  # 08:30–09:30, 11:30–12, 13–17:30
    assert kpis.counted(report, "sold", technician=scene.techs[0].pk).jobs == {
        scene.jobs["J1"].pk,
        scene.jobs["J3"].pk,
    }


def test_idle_hours_stop_at_now(world: World) -> None:
    scene = monday(world)
    report = kpis.report(scene.workshop, MONDAY, TUESDAY, at(MONDAY, 12))
    mon, tue = report.days
    # By noon: 3.5 h on shift each; clocked 2 + 2 (+ nothing yet for tech 2).
    assert (mon.clocked, tue.clocked, tue.idle) == (Decimal("4.00"), 0, 0)


def test_a_fixed_number_of_queries_however_many_days(world: World) -> None:
    scene = monday(world)
    kpis.report(scene.workshop, MONDAY, MONDAY, AFTER)  # warm the site's calendar
    with CaptureQueriesContext(connection) as one:
        kpis.report(scene.workshop, MONDAY, MONDAY, AFTER)
    with CaptureQueriesContext(connection) as many:
        kpis.report(scene.workshop, MONDAY - timedelta(days=60), MONDAY + timedelta(days=30), AFTER)
    assert len(many) == len(one) <= 13


def test_a_bad_period_is_refused(world: World) -> None:
    scene = monday(world)
    with pytest.raises(EngineError) as backwards:
        kpis.report(scene.workshop, TUESDAY, MONDAY, AFTER)
    assert backwards.value.code == "bad_kpi_period"
    assert "93" in backwards.value.message("zh-hans")
    with pytest.raises(EngineError):
        kpis.report(scene.workshop, MONDAY, MONDAY + timedelta(days=93), AFTER)
    with pytest.raises(EngineError) as kind:
        kpis.counted(kpis.report(scene.workshop, MONDAY, MONDAY, AFTER), "everything")
    assert kind.value.code == "bad_kpi_kind"
