"""The lists' figures against the hand-computed expectations of the fixed data set
(`dataset.py`), one query each whatever the number of rows."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from fuwu.procedures.engine.errors import EngineError, Forbidden
from fuwu.reports.lists import fees, gas, registers, scope_from_params

D = Decimal


def scope(world, **params):  # type: ignore[no-untyped-def]
    return scope_from_params(
        world.actor("sc_manager"), {"site": "lanting", **params}, report="fees", month_to_date=True
    )


def test_payment_statistics_by_building(world, data):
    s = scope(world)
    assert (s.start, s.end) == (date(2026, 12, 1), date(2026, 12, 4))  # this month so far
    rows = fees.households(s)
    # The November notice is outside the period.
    assert {r.case_id for r in rows} == {c.pk for k, c in data.fees.items() if k != "november"}
    state = {r.case_id: r.state for r in rows}
    assert state == {
        data.fees["f1"].pk: fees.PAID,
        data.fees["f2"].pk: fees.ARREARS,  # part paid, past its pay-by date
        data.fees["f3"].pk: fees.ARREARS,  # chased, recorded in arrears
        data.fees["f4"].pk: fees.NOT_DUE,
        data.fees["unbilled"].pk: fees.UNBILLED,
    }
    stats = fees.statistics(rows)
    one, two, none = stats.lines
    assert (one.building, one.households, one.paid, one.arrears) == ("1", 2, 1, 1)
    assert (one.due, one.received, one.outstanding) == (D("556.40"), D("406.40"), D("150.00"))
    assert one.rate == 73.0 and one.arrears_amount == D("150.00")
    assert (two.building, two.households, two.paid, two.arrears) == ("2", 2, 0, 1)
    assert (two.due, two.received, two.outstanding) == (D("420.00"), D("0"), D("420.00"))
    assert two.rate == 0.0 and two.arrears_amount == D("300.00")
    assert (none.building, none.households, none.unbilled, none.rate) == ("", 0, 1, None)
    t = stats.total
    assert (t.households, t.paid, t.arrears, t.unbilled) == (4, 1, 2, 1)
    assert (t.due, t.received, t.outstanding) == (D("976.40"), D("406.40"), D("570.00"))
    assert t.rate == 41.6 and t.arrears_amount == D("450.00")
    # The arrears list, and one building's.
    assert [r.unit for r in fees.pick(rows, fees.ARREARS)] == ["1栋1单元102", "2栋1单元201"]
    assert [r.outstanding for r in fees.pick(rows, fees.OUTSTANDING)] == [
        D("150.00"),
        D("300.00"),
        D("120.00"),
    ]
    assert [r.unit for r in fees.households(scope(world, building="2"))] == [
        "2栋1单元201",
        "2栋1单元202",
    ]
    assert [r.unit for r in fees.households(scope(world, building=fees.NO_BUILDING))] == [
        "3栋2单元1502"
    ]
    with pytest.raises(EngineError) as bad:
        fees.pick(rows, "owing")
    assert set(bad.value.fields) == {"state"}
    with pytest.raises(EngineError) as bad:
        fees.household_rows(scope(world), "owing")
    assert set(bad.value.fields) == {"state"}


def test_daily_and_weekly_fee_reports(world, data):
    day = fees.fee_report(scope(world), "day")
    assert [(p.start.day, p.count, p.total) for p in day.periods] == [
        (1, 0, D(0)),
        (2, 2, D("406.40")),
        (3, 2, D("1500.00")),
        (4, 0, D(0)),
    ]
    assert day.kinds == ["management_fee", "parking_lease"]
    assert day.periods[2].by_kind == {"parking_lease": D("1500.00")}
    week = fees.fee_report(scope(world, **{"from": "2026-11-23", "to": "2026-12-04"}), "week")
    assert [(p.start, p.end, p.count, p.total) for p in week.periods] == [
        (date(2026, 11, 23), date(2026, 11, 29), 0, D(0)),
        (date(2026, 11, 30), date(2026, 12, 6), 4, D("1906.40")),
    ]
    assert week.total.by_kind == {"management_fee": D("406.40"), "parking_lease": D("1500.00")}
    found = fees.payments(scope(world, **{"from": "2026-12-02", "to": "2026-12-02"}))
    assert [(p.amount, p.receipt_no, p.method) for p in found] == [
        (D("356.40"), "SJ-1", "mobile"),
        (D("50.00"), "SJ-2", "mobile"),
    ]
    assert [p.amount for p in fees.payments(scope(world), kind="parking_lease")] == [
        D("600.00"),
        D("900.00"),
    ]
    with pytest.raises(EngineError):
        fees.fee_report(scope(world), "month")


def test_parking_gas_and_keys_one_query_per_list(world, data, django_assert_num_queries):
    s = scope(world)
    december = registers.parking_expiring(s, registers.parse_month("", s.today))
    assert [(r.plate, r.space, r.permit, r.lease_end, r.expired) for r in december] == [
        ("粤B·12345", "B2-018", "TC-1231", date(2026, 12, 31), False)
    ]
    january = registers.parking_expiring(s, registers.parse_month("2027-01", s.today))
    assert [r.plate for r in january] == ["粤B·67890"]
    with pytest.raises(EngineError):
        registers.parse_month("2027-13", s.today)

    week = gas.gas_week(s, s.today)
    assert (week.monday, week.sunday) == (date(2026, 11, 30), date(2026, 12, 6))
    assert [(r.unit, r.state) for r in week.rows] == [
        ("1栋1单元101", gas.ACTIVATED),
        ("1栋1单元102", gas.ABSENT),
        ("2栋1单元201", gas.WAITING),
    ]
    assert week.count() == 3 and week.count(gas.WAITING) == 1
    assert [r.unit for r in gas.gas_week(s, date(2026, 12, 10)).rows] == ["2栋1单元202"]

    late = registers.keys_overdue(s)
    assert [(r.key, r.holder, r.days_overdue) for r in late] == [("K-101", "王芳", 2)]
    assert late[0].case_id == data.keys["late"].pk
    # One query each, whatever the number of rows (the households: the notices, and the
    # opening balances).
    with django_assert_num_queries(2):
        fees.households(s)
    with django_assert_num_queries(1):
        fees.payments(s)
    with django_assert_num_queries(1):
        registers.parking_expiring(s, date(2026, 12, 1))
    with django_assert_num_queries(1):
        gas.gas_week(s, s.today)
    with django_assert_num_queries(1):
        registers.keys_overdue(s)


def test_only_managers_and_only_their_sites(world, data):
    with pytest.raises(Forbidden):
        scope_from_params(world.actor("agent"), {}, report="fees")
    with pytest.raises(EngineError) as bad:
        scope_from_params(world.actor("as_manager"), {"site": "lanting"}, report="fees")
    assert set(bad.value.fields) == {"site"}
    dealer = scope_from_params(world.actor("as_manager"), {}, report="fees", month_to_date=True)
    assert fees.households(dealer) == [] and registers.keys_overdue(dealer) == []
    with pytest.raises(EngineError) as bad:
        scope(world, **{"from": "2026-12-40", "building": "x" * 41})
    assert set(bad.value.fields) == {"from", "building"}


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"building": "1"},
        {"building": "2"},
        {"building": fees.NO_BUILDING},
        {"building": "9"},
        {"from": "2026-11-01", "to": "2026-12-04"},
        {"from": "2026-11-23", "to": "2026-11-30"},
    ],
)
def test_sums_in_sql_equal_the_python_ones(world, data, params):
    """The database's sums (`building_statistics`, `fee_report`, `payment_total`) against the
    same figures folded in Python from the rows (`statistics` over `households`, `payments`)."""
    s = scope(world, **params)
    assert fees.building_statistics(s) == fees.statistics(fees.households(s))
    for state in sorted(fees.STATE_FILTERS):
        assert fees.household_rows(s, state) == fees.pick(fees.households(s), state), state
    found = fees.payments(s)
    assert fees.payment_total(fees.payment_events(s)) == (
        len(found),
        sum((p.amount for p in found), start=D(0)),
    )
    for grain in fees.GRAINS:
        report = fees.fee_report(s, grain)
        assert report.total.count == len(found)
        assert report.total.total == sum((p.amount for p in found), start=D(0))
        for p in found:
            key = p.day if grain == "day" else fees.week_of(p.day)
            assert any(line.start == key and line.count for line in report.periods)
    kind = "parking_lease"
    assert [p.event_id for p in fees.payments(s, kind=kind)] == [
        p.event_id for p in found if p.kind == kind
    ]


def test_sql_states_follow_the_python_rules(world, data):
    """Every state `_state` can give, each branch of it, decided the same way by the database:
    the notices of the data set changed one field at a time."""
    s = scope(world)
    case = data.fees["f4"]
    original = dict(case.data)
    variants = [
        {"amount_received": original.get("amount_due")},  # paid in full
        {"in_arrears": True},
        {"in_arrears": False, "pay_by": "2026-12-01"},  # past its pay-by date
        {"pay_by": "2027-01-31"},
        {"amount_received": ""},
    ]
    for change in variants:
        case.data = {**original, **change}
        case.save(update_fields=["data"])
        assert fees.building_statistics(s) == fees.statistics(fees.households(s)), change
        assert fees.household_rows(s, fees.ALL) == fees.households(s), change
    for status, in_arrears in (("closed", None), ("closed", False), ("resolved", True)):
        case.data = {**original, "pay_by": "2027-01-31"}
        if in_arrears is not None:
            case.data["in_arrears"] = in_arrears
        case.status = status
        case.save(update_fields=["data", "status"])
        assert fees.building_statistics(s) == fees.statistics(fees.households(s)), status
        assert fees.household_rows(s, fees.ALL) == fees.households(s), status
