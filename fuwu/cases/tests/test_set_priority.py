"""`actions.set_priority`: who may, the event it writes, the deadlines that follow the new
priority and the clock check queued for an earlier moment."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django_tasks_db.models import DBTaskResult

from fuwu.cases import actions
from fuwu.cases.models import Event
from fuwu.procedures.engine.errors import EngineError, Forbidden
from fuwu.web.tests.test_queue import repair, to_dispatch

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)


def test_raising_the_priority_brings_the_deadlines_closer_and_queues_a_check(world):
    with time_machine.travel(NOW, tick=False):
        case = to_dispatch(world, repair(world))
        before = (case.resolution_due, case.step_due, case.version)
        case = actions.set_priority(
            world.actor("dispatcher"), case.pk, priority="urgent", version=case.version
        )
    assert case.priority == "urgent" and case.version == before[2] + 1
    assert case.resolution_due == NOW + timedelta(hours=4)  # urgent: 4 h instead of 24 h
    assert case.step_due is not None and before[1] is not None and case.step_due < before[1]
    event = Event.objects.get(case=case, kind="priority_changed")
    assert event.data == {"from": "normal", "to": "urgent"}
    assert event.actor_id == world.users["dispatcher"].pk and event.seq == case.last_seq
    checks = DBTaskResult.objects.filter(
        task_path__endswith="check_clocks", args_kwargs__args=[case.pk]
    )
    assert case.next_escalation_at in {t.run_after for t in checks}


def test_who_may_not_and_what_is_refused(world):
    case = to_dispatch(world, repair(world))
    for persona in ("technician", "agent"):  # a worker of the step; another department
        with pytest.raises(Forbidden) as refused:
            actions.set_priority(world.actor(persona), case.pk, priority="high", version=None)
        assert refused.value.code == "priority_not_allowed"
    with pytest.raises(EngineError) as same:
        actions.set_priority(world.actor("dispatcher"), case.pk, priority="normal", version=None)
    assert same.value.code == "same_priority"
    with pytest.raises(EngineError) as bad:
        actions.set_priority(world.actor("dispatcher"), case.pk, priority="asap", version=None)
    assert bad.value.code == "invalid_form"
    case.refresh_from_db()
    assert case.priority == "normal" and not Event.objects.filter(kind="priority_changed")
