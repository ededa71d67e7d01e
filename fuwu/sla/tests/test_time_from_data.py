"""Time from data on the site's real working calendar: `until:` limits, step timers, windows.

A booking procedure (stored like any library version) has an appointment date-time: the step is
due at the appointment (`until`), a reminder runs the day before, a no-show is taken 30 minutes
after. Each fires exactly once through the escalation job and moves when the field changes.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django_tasks_db.models import DBTaskResult

from fuwu.cases import actions
from fuwu.cases.models import Case, Event
from fuwu.core.choices import CalendarKind
from fuwu.notifications.models import Notification
from fuwu.procedures.engine.validate import definition_checksum
from fuwu.procedures.models import ProcedureVersion
from fuwu.sla.escalation import fire_due
from fuwu.sla.models import Firing

SH = ZoneInfo("Asia/Shanghai")
T = {"zh": "测", "en": "T"}


def _t(key: str, to: str, **more):
    return {"key": key, "to": to, "label": T, "roles": ["agent", "manager"], **more}


BOOKING = {
    "key": "visit_booking",
    "name": {"zh": "预约上门", "en": "Booked visit"},
    "seed": "test",
    "calendar": "site",
    "owner": {"department": "service_center"},
    "fields": [
        {"key": "appointment_at", "type": "datetime", "label": T},
        {"key": "lease_end", "type": "date", "label": T},
        {"key": "reminded", "type": "bool", "label": T},
    ],
    "start": "booked",
    "limits": {"resolution": {"until": "lease_end"}},
    "steps": {
        "booked": {
            "kind": "wait",
            "name": T,
            "limit": {"until": "appointment_at"},
            "timers": [
                {
                    "at": "appointment_at - 1d",
                    "effects": [
                        {"notify": {"to": "department_manager"}},
                        {"set": {"reminded": True}},
                    ],
                },
                {"at": "appointment_at + 30m", "take": "no_show"},
            ],
            "transitions": [
                _t("arrived", "done"),
                _t("no_show", "missed"),
                _t(
                    "rebook",
                    "booked",
                    fields=[{"key": "appointment_at", "type": "datetime", "label": T}],
                ),
            ],
        },
        "done": {"kind": "end", "name": T},
        "missed": {"kind": "end", "name": T, "outcome": "cancelled"},
    },
}


@pytest.fixture
def booking(world):
    site = world.sites["lanting"]
    site.calendar_kind = CalendarKind.WORKING
    site.save()
    ProcedureVersion.objects.create(
        key="visit_booking",
        version=1,
        # The real checksum: parsed definitions are cached by (id, checksum), and a rolled-back
        # test database reuses ids, so a made-up checksum shared with another test (the demo's)
        # would read that test's procedure.
        checksum=definition_checksum(BOOKING),
        name_zh="预约上门",
        name_en="Booked visit",
        definition=BOOKING,
        source="visit_booking.yaml",
    )
    return world


def _open(world, now, **data):
    return actions.open_case(
        world.actor("agent"),
        procedure_key="visit_booking",
        site_id=world.sites["lanting"].pk,
        channel="phone",
        title="上门预约",
        data=data,
        now=now,
    )


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=SH)


def test_the_appointment_is_the_step_deadline_and_timers_fire_once(booking):
    world = booking
    opened = at(2026, 9, 16, 10)  # Wednesday
    with time_machine.travel(opened, tick=False):
        case = _open(
            world, opened, appointment_at="2026-09-21T10:00:00+08:00", lease_end="2026-09-30"
        )
    assert case.step_due == at(2026, 9, 21, 10)
    # A date field means 00:00 of that day, site time.
    assert case.resolution_due == at(2026, 9, 30)
    # The reminder the day before is the first thing due: calendar time, a Sunday.
    assert case.next_escalation_at == at(2026, 9, 20, 10)

    assert fire_due(case.pk, now=at(2026, 9, 20, 9, 59)) == []
    assert fire_due(case.pk, now=at(2026, 9, 20, 10)) == ["timer:0:1"]
    assert fire_due(case.pk, now=at(2026, 9, 20, 10, 5)) == []  # never twice
    case.refresh_from_db()
    assert case.data["reminded"] is True
    assert Notification.objects.filter(case=case, kind="notify").count() == 1
    assert case.next_escalation_at == at(2026, 9, 21, 10, 30)

    assert fire_due(case.pk, now=at(2026, 9, 21, 10, 31)) == ["timer:1:1"]
    case.refresh_from_db()
    assert case.step == "missed" and case.closed_at is not None
    timed_out = Event.objects.get(case=case, kind="timed_out")
    assert timed_out.data["transition"] == "no_show" and timed_out.data["key"] == "timer:1:1"
    assert sorted(Firing.objects.filter(case=case).values_list("key", flat=True)) == [
        "timer:0:1",
        "timer:1:1",
    ]


def test_moving_the_appointment_moves_every_moment(booking):
    world = booking
    opened = at(2026, 9, 16, 10)
    with time_machine.travel(opened, tick=False):
        case = _open(world, opened, appointment_at="2026-09-28T15:00:00+08:00")
    assert case.next_escalation_at == at(2026, 9, 27, 15)
    assert case.resolution_due is None  # a blank date field means no deadline
    moved = opened + timedelta(hours=1)
    with time_machine.travel(moved, tick=False):
        case = actions.take_transition(
            world.actor("agent"),
            case.pk,
            "rebook",
            version=case.version,
            form={"appointment_at": "2026-09-18T09:30:00+08:00"},
        )
    assert case.step_due == at(2026, 9, 18, 9, 30)
    assert case.next_escalation_at == at(2026, 9, 17, 9, 30)
    # The moment moved earlier: a clock check is queued for it, in the same transaction.
    checks = DBTaskResult.objects.filter(
        task_path__endswith="check_clocks", args_kwargs__args=[case.pk]
    )
    assert at(2026, 9, 17, 9, 30) in {t.run_after for t in checks}
    assert fire_due(case.pk, now=at(2026, 9, 17, 9, 30)) == ["timer:0:2"]


def test_a_moment_already_past_when_the_step_is_entered_is_not_fired(booking):
    world = booking
    opened = at(2026, 9, 21, 8)  # booked on the morning of the appointment
    with time_machine.travel(opened, tick=False):
        case = _open(world, opened, appointment_at="2026-09-21T10:00:00+08:00")
    assert case.next_escalation_at == at(2026, 9, 21, 10, 30)  # no reminder after the fact
    assert fire_due(case.pk, now=at(2026, 9, 21, 10, 30)) == ["timer:1:1"]
    assert not Notification.objects.filter(case=case, kind="notify").exists()
    assert Case.objects.get(pk=case.pk).step == "missed"
