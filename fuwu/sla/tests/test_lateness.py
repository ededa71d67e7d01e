"""The one "late" rule (fuwu.sla.lateness): its Python predicates and its SQL agree on generated
cases, and every place that says "late" (queue filter, dashboard, API, row colour) uses it.

Run on PostgreSQL too: DATABASE_URL=postgres://postgres@127.0.0.1:5432/fuwu_<name> pytest …
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fuwu.cases import actions
from fuwu.cases.choices import CLOSED_STATUSES
from fuwu.cases.models import Case
from fuwu.cases.queries import CaseFilter
from fuwu.sla import lateness
from fuwu.web.lists import rows_of
from fuwu.web.stats import dashboard

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 12, 3, 4, 0, tzinfo=UTC)
OPENED = datetime(2026, 12, 2, 2, 0, tzinfo=UTC)  # a Wednesday, 10:00 in Shanghai
HOUR = 3_600_000_000  # microseconds


def moment(offset: int) -> datetime:
    return NOW + timedelta(microseconds=offset)


# Offsets around now, in microseconds: exact edges (0, ± one hour, ± 1 µs) are likely.
# Second-level clocks (the hot-pot's 60 s) need windows of seconds: a range of two minutes.
SECOND = 1_000_000
edges = st.sampled_from(
    [0, 1, -1, HOUR, HOUR + 1, HOUR - 1, -HOUR, 5 * HOUR, 10 * HOUR, 12 * SECOND, -48 * SECOND]
)
offsets = st.one_of(
    edges, st.integers(-50 * HOUR, 50 * HOUR), st.integers(-120 * SECOND, 120 * SECOND)
)
times = st.one_of(st.none(), offsets.map(moment))
clock_rows = st.fixed_dictionaries(
    {
        "status": st.sampled_from(["open", "waiting", "resolved", "closed", "cancelled"]),
        "created_at": offsets.map(moment),
        "response_due": times,
        "first_response_at": times,
        "resolution_due": times,
        "resolution_start": times,
        "resolved_at": times,
        "paused_at": times,
        "step_due": times,
        "step_start": times,
    }
)


@pytest.fixture
def template(world):
    return actions.open_case(
        world.actor("agent"),
        procedure_key="property_repair",
        site_id=world.sites["lanting"].pk,
        channel="phone",
        title="门禁失灵",
        data={"repair_item": "门禁失灵", "service_type": "free"},
    )


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(rows=st.lists(clock_rows, min_size=1, max_size=8), now_offset=offsets)
def test_python_and_sql_agree_on_late_and_at_risk(world, template, rows, now_offset):
    now = moment(now_offset)
    actor = world.actor("agent")
    Case.objects.exclude(pk=template.pk).delete()
    made = []
    for row in rows:
        case = Case.objects.get(pk=template.pk)
        case.pk = None
        for name, value in row.items():
            setattr(case, name, value)
        made.append(case)
    made = Case.objects.bulk_create(made)
    ids = [c.pk for c in made]
    loaded = {c.pk: c for c in Case.objects.filter(pk__in=ids)}  # as the database returns them
    mine = Case.objects.filter(pk__in=ids)

    late = {pk for pk, c in loaded.items() if lateness.is_late(c, now)}
    risk = {pk for pk, c in loaded.items() if lateness.is_at_risk(c, now)}
    assert set(mine.filter(lateness.late_q(now)).values_list("pk", flat=True)) == late
    assert set(mine.exclude(lateness.late_q(now)).values_list("pk", flat=True)) == set(ids) - late
    assert set(mine.filter(lateness.risk_q(now)).values_list("pk", flat=True)) == risk
    assert not late & risk
    # The queue's filters (the API list and the pages use the same CaseFilter).
    open_ids = {pk for pk, c in loaded.items() if c.status not in CLOSED_STATUSES}

    def listed(**filters):
        with time_machine.travel(now, tick=False):  # the filter reads the clock itself
            return set(CaseFilter(**filters).apply(mine, actor).values_list("pk", flat=True))

    assert listed(overdue=True) == late and listed(overdue=False) == open_ids - late
    assert listed(at_risk=True) == risk and listed(at_risk=False) == open_ids - risk
    for pk, c in loaded.items():
        expected = "late" if pk in late else "risk" if pk in risk else None
        colour = lateness.state(c, now)
        assert (colour if colour in ("late", "risk") else None) == expected
        assert (colour == "none") == (not lateness.running_clocks(c))


def test_a_short_clock_is_at_risk_only_in_its_last_fifth():
    """A 60-second clock is not amber from its first second: its last 12 seconds are at risk;
    a clock of a day keeps the last hour (and its last fifth) as before."""
    start = NOW
    due = NOW + timedelta(seconds=60)
    assert not lateness.near(due, start, NOW + timedelta(seconds=47))
    assert lateness.near(due, start, NOW + timedelta(seconds=48))
    assert not lateness.near(due, start, due + timedelta(seconds=1))  # late, not at risk
    day = NOW + timedelta(days=1)
    assert lateness.near(day, start, day - timedelta(minutes=59))
    assert lateness.near(day, start, day - timedelta(hours=4, minutes=48))
    assert not lateness.near(day, start, day - timedelta(hours=5))
    assert lateness.near(due, None, NOW)  # no start known: the last hour


def test_a_missed_response_deadline_is_late_everywhere(world, api):
    """The disagreement this rule ends: the row was red for a missed response deadline, while
    the overdue filter, the dashboard and the API said it was on time."""
    with time_machine.travel(OPENED, tick=False):
        case = actions.open_case(
            world.actor("agent"),
            procedure_key="property_repair",
            site_id=world.sites["lanting"].pk,
            channel="phone",
            title="门禁失灵",
            data={"repair_item": "门禁失灵", "service_type": "free"},
        )
    # Only the response deadline passes (a step with no limit of its own).
    Case.objects.filter(pk=case.pk).update(step_due=None, step_start=None)
    now = case.response_due + timedelta(minutes=1)
    with time_machine.travel(now, tick=False):
        case = Case.objects.get(pk=case.pk)
        assert case.first_response_at is None and case.resolution_due > now
        assert lateness.is_late(case, now)
        # The row colour, the API, the queue filter and the dashboard's number.
        assert rows_of([case], "zh-hans")[0].state == "late"
        agent = api("agent")
        assert agent.get(f"/api/cases/{case.pk}").json()["overdue"] is True
        listed = agent.get("/api/cases", overdue="true").json()
        assert [c["id"] for c in listed["results"]] == [case.pk]
        actor = world.actor("agent")
        assert list(CaseFilter(overdue=False).apply(Case.objects.all(), actor)) == []
        assert dashboard(actor, None, "zh-hans", now=now).late.value == 1
    # Once answered, the response clock stops: not late any more, anywhere.
    with time_machine.travel(now, tick=False):
        actions.comment(world.actor("agent"), case.pk, text="已联系业主")
    case = Case.objects.get(pk=case.pk)
    assert not lateness.is_late(case, now)
