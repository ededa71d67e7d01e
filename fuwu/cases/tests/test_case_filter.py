"""CaseFilter's day ranges and "at risk": the same rule the badges use (fuwu.web.timeleft),
through the model and through the API list that takes it."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from pydantic import ValidationError

from fuwu.cases import actions
from fuwu.cases.models import Case
from fuwu.cases.queries import CaseFilter, cases_for
from fuwu.testing.factories import World
from fuwu.web.timeleft import time_left

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 3, 11, 10, 0, tzinfo=TZ)
REPAIR = {"repair_item": "水管漏水", "location": "厨房", "service_type": "free"}


def _open(world: World, when: datetime, priority: str = "normal") -> Case:
    with time_machine.travel(when, tick=False):
        case = actions.open_case(
            world.actor("agent"),
            procedure_key="property_repair",
            site_id=world.sites["lanting"].pk,
            channel="phone",
            title="漏水",
            priority=priority,
            data=REPAIR,
        )
        # Past reception (15 min step limit) onto dispatch, then booked: no step clock.
        case = actions.take_transition(
            world.actor("agent"),
            case.pk,
            "issue_work_order",
            version=case.version,
            form={"details_confirmed": True},
        )
        form = {"repair_mode": "booked", "appointment_at": "2026-04-01T10:00:00+08:00"}
        return actions.take_transition(
            world.actor("dispatcher"), case.pk, "book", version=case.version, form=form
        )


def _ids(world: World, **params: object) -> set[int]:
    actor = world.actor("sc_manager")
    with time_machine.travel(NOW, tick=False):
        qs = CaseFilter.model_validate(params).apply(cases_for(actor), actor)
        return set(qs.values_list("pk", flat=True))


def _badge(case: Case) -> str:
    case.refresh_from_db()
    return time_left(case.resolution_due, NOW, case.resolution_start).state


def test_at_risk_matches_the_badges(world):
    # Normal priority: 24 h to resolve (24×7 test calendar).
    fresh = _open(world, NOW - timedelta(hours=2))  # 22 h left of 24: ok
    late_fifth = _open(world, NOW - timedelta(hours=20))  # 4 h left ≤ 4.8 h: at risk
    just_before = _open(world, NOW - timedelta(hours=19))  # 5 h left > 4.8 h: ok
    last_hour = _open(world, NOW - timedelta(hours=23, minutes=30))  # 30 min left: at risk
    late = _open(world, NOW - timedelta(hours=25))  # overdue, not "at risk"
    # Urgent: 4 h window, a fifth is 48 min, so the one-hour floor decides.
    urgent = _open(world, NOW - timedelta(hours=3, minutes=5), priority="urgent")  # 55 min left
    states = {c.pk: _badge(c) for c in (fresh, late_fifth, just_before, last_hour, late, urgent)}
    risky = {pk for pk, state in states.items() if state == "risk"}
    assert risky == {late_fifth.pk, last_hour.pk, urgent.pk}
    assert _ids(world, at_risk=True) == risky
    assert _ids(world, at_risk=False) == set(states) - risky
    assert _ids(world, overdue=True) == {late.pk}


def test_day_ranges_in_local_time(world):
    # 00:30 in Shanghai on 10 March is still 9 March in UTC: the filter uses local days.
    early = _open(world, datetime(2026, 3, 10, 0, 30, tzinfo=TZ))
    late = _open(world, datetime(2026, 3, 10, 23, 50, tzinfo=TZ))
    before = _open(world, datetime(2026, 3, 9, 23, 50, tzinfo=TZ))
    assert _ids(world, created_from="2026-03-10", created_to="2026-03-10") == {early.pk, late.pk}
    assert _ids(world, created_to="2026-03-09") == {before.pk}
    assert _ids(world, created_from="2026-03-11") == set()
    assert _ids(world, resolved_from="2026-03-01") == set()


def test_bad_dates_are_refused(world):
    with pytest.raises(ValidationError):
        CaseFilter.model_validate({"created_from": "yesterday"})


def test_the_api_list_takes_the_new_fields(world, api):
    risky = _open(world, NOW - timedelta(hours=20))
    _open(world, NOW - timedelta(hours=1))
    manager = api("sc_manager")
    with time_machine.travel(NOW, tick=False):
        r = manager.get("/api/cases", at_risk="true", created_from="2026-03-10")
        assert r.status_code == 200, r.json()
        assert [c["id"] for c in r.json()["results"]] == [risky.pk]
        assert manager.get("/api/cases", created_to="10 March").status_code in (400, 422)
