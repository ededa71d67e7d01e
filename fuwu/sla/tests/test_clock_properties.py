"""Property tests for case clocks on a working calendar: pauses give back exactly the time paused,
and the ladder's moments keep their order. No database: clocks read a plain Case object."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fuwu.cases.models import Case
from fuwu.procedures.engine.definition import Procedure
from fuwu.sla import clocks
from fuwu.sla.calendar import Calendar

CALENDAR = Calendar(periods=((time(9), time(12)), (time(13, 30), time(18))))
PROCEDURE = Procedure.model_validate(
    {
        "key": "p",
        "name": {"zh": "测", "en": "T"},
        "seed": "s",
        "owner": {"department": "d"},
        "start": "a",
        "limits": {"response": "1h", "resolution": {"default": "16h", "urgent": "4h"}},
        "escalation": [
            {"at": "50%", "notify": "assignee"},
            {"at": "80%", "notify": "assignee"},
            {"at": "100%", "notify": "department_manager"},
            {"at": "150%", "notify": "top"},
        ],
        "steps": {
            "a": {
                "kind": "task",
                "name": {"zh": "甲", "en": "A"},
                "transitions": [
                    {"key": "t", "to": "b", "label": {"zh": "乙", "en": "B"}, "roles": ["agent"]}
                ],
            },
            "b": {"kind": "end", "name": {"zh": "乙", "en": "B"}},
        },
    }
)


@pytest.fixture(autouse=True)
def _working_calendar(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(clocks, "calendar_for", lambda case, procedure: CALENDAR)


moments = st.datetimes(
    min_value=datetime(2025, 1, 1), max_value=datetime(2026, 12, 1), timezones=st.just(UTC)
)
gaps = st.lists(st.tuples(st.integers(60, 5 * 86400), st.integers(60, 5 * 86400)), max_size=4)


def _case(opened: datetime, priority: str) -> Case:
    case = Case(priority=priority, step="a", status="open", created_at=opened)
    clocks.start_clocks(case, PROCEDURE, opened)
    clocks.enter_step(case, PROCEDURE, opened)
    return case


@settings(max_examples=150, deadline=None)
@given(opened=moments, priority=st.sampled_from(["normal", "urgent"]), pauses=gaps)
def test_pauses_give_back_exactly_the_business_time_paused(opened, priority, pauses):
    case = _case(opened, priority)
    limit = PROCEDURE.limits.resolution.span_for(priority).business_seconds
    now = opened
    paused_total = 0.0
    for run, pause in pauses:
        now += timedelta(seconds=run)
        clocks.pause(case, now)
        assert clocks.candidates(case, PROCEDURE) == [] or all(
            not d.key.startswith("resolution") for d in clocks.candidates(case, PROCEDURE)
        )
        end = now + timedelta(seconds=pause)
        paused_total += CALENDAR.elapsed(now, end)
        clocks.resume(case, PROCEDURE, end)
        now = end
    assert case.paused_seconds == pytest.approx(paused_total, abs=1e-3)
    # The deadline is the limit plus the paused business time, counted from the opening.
    assert CALENDAR.elapsed(opened, case.resolution_due) == pytest.approx(
        limit + paused_total, abs=1e-3
    )


@settings(max_examples=150, deadline=None)
@given(opened=moments, priority=st.sampled_from(["normal", "urgent"]), pauses=gaps)
def test_ladder_moments_are_ordered_and_the_100_percent_rung_is_the_deadline(
    opened, priority, pauses
):
    case = _case(opened, priority)
    now = opened
    for run, pause in pauses:
        now += timedelta(seconds=run)
        clocks.pause(case, now)
        now += timedelta(seconds=pause)
        clocks.resume(case, PROCEDURE, now)
    due = {d.key: d.at for d in clocks.candidates(case, PROCEDURE)}
    rungs = [due[f"resolution:{i}:0"] for i in range(4)]
    assert rungs == sorted(rungs)
    assert rungs[2] == case.resolution_due
    assert clocks.next_moment(case, PROCEDURE) == min(due.values())
    # Fired rungs are never offered again.
    case.fired_rungs = ["resolution:0:0", "response:0:0"]
    assert {d.key for d in clocks.candidates(case, PROCEDURE)} == {
        f"resolution:{i}:0" for i in (1, 2, 3)
    }


@settings(max_examples=150, deadline=None)
@given(start=moments, fraction=st.sampled_from([0.5, 0.8, 1.0, 1.5, 2.0]))
def test_rungs_on_calendar_day_limits_keep_order_and_meet_the_due_moment(start, fraction):
    due = start + timedelta(days=3)  # a `3d` limit: clock time, often ends outside working hours
    moment = clocks.rung_moment(start, due, fraction, 0.0, CALENDAR)
    if fraction == 1:
        assert moment == due
    elif fraction < 1:
        assert start <= moment <= due
    else:
        assert moment >= due
    budget = CALENDAR.elapsed(start, due)
    if fraction < 1 and moment < due:
        assert CALENDAR.elapsed(start, moment) == pytest.approx(fraction * budget, abs=1e-3)


@settings(max_examples=100, deadline=None)
@given(start=moments, hours=st.integers(1, 60), fraction=st.sampled_from([0.5, 0.8, 1.5, 2.0]))
def test_rungs_on_business_hour_limits_are_start_plus_share_of_the_limit(start, hours, fraction):
    due = CALENDAR.add(start, hours * 3600)
    expected = CALENDAR.add(start, fraction * hours * 3600)
    assert clocks.rung_moment(start, due, fraction, 0.0, CALENDAR) == expected
