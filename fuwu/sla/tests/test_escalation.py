"""The escalation ladder: each rung once, in order, paused clocks hold, major cases alert at once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from fuwu.cases import actions
from fuwu.cases.models import Case, Event
from fuwu.notifications.models import Notification
from fuwu.sla.escalation import fire_due, sweep
from fuwu.sla.models import Firing


def _open(world, *, now, priority="normal", major=False):
    return actions.open_case(
        world.actor("agent"),
        procedure_key="property_repair",
        site_id=world.sites["lanting"].pk,
        channel="phone",
        title="电梯异响",
        priority=priority,
        customer_id=world.customers["owner"].pk,
        data={"repair_item": "电梯异响", "service_type": "free"},
        is_major=major,
        now=now,
    )


def _escalations(case):
    return list(
        Event.objects.filter(case=case, kind="escalated")
        .order_by("seq")
        .values_list("data", flat=True)
    )


def test_ladder_fires_each_rung_once_in_order(world):
    t0 = timezone.now() - timedelta(days=10)
    case = _open(world, now=t0)  # normal: response 1 h, resolution 24 h, reception step 15 min
    assert case.next_escalation_at == t0 + timedelta(hours=1)  # the response limit
    # Nothing is due before the first moment.
    assert fire_due(case.pk, now=t0 + timedelta(minutes=1)) == []
    fired = fire_due(case.pk, now=t0 + timedelta(hours=19, minutes=12))  # 80 % of 24 h
    assert fired == ["response:0:0", "resolution:1:0"]
    assert fire_due(case.pk, now=t0 + timedelta(hours=19, minutes=13)) == []  # never twice
    fired = fire_due(
        case.pk, now=t0 + timedelta(hours=48, minutes=1)
    )  # 100 %, 150 %, 200 % all passed
    assert fired == ["resolution:2:0", "resolution:3:0", "resolution:4:0"]
    recipients = [d["recipients"] for d in _escalations(case)]
    vp, eng_mgr, sc_mgr = (world.users[p].pk for p in ("vp", "eng_manager", "sc_manager"))
    # response missed → the manager; no assignee yet → the department manager (service centre) is
    # warned; then the manager; then one level up the reporting line (the VP); then the top (the VP).
    assert recipients == [[sc_mgr], [sc_mgr], [sc_mgr], [vp], [vp]]
    assert Firing.objects.filter(case=case).count() == 5
    assert Notification.objects.filter(case=case, kind="escalation").count() == 5
    assert Case.objects.get(pk=case.pk).next_escalation_at is None
    assert eng_mgr not in [r for rs in recipients for r in rs]


def test_escalation_follows_the_assignees_reporting_line(world):
    t0 = timezone.now() - timedelta(days=5)
    case = _open(world, now=t0)
    case = actions.take_transition(
        world.actor("agent"),
        case.pk,
        "issue_work_order",
        version=case.version,
        form={"details_confirmed": True},
    )
    case = actions.assign(
        world.actor("dispatcher"),
        case.pk,
        assignee_id=world.users["technician"].pk,
        version=case.version,
    )
    fire_due(case.pk, now=t0 + timedelta(hours=30))
    recipients = [(d["target"], d["recipients"]) for d in _escalations(case)]
    u = {p: world.users[p].pk for p in ("technician", "eng_manager", "vp")}
    assert recipients == [
        ("assignee", [u["technician"]]),
        ("department_manager", [u["eng_manager"]]),
    ]
    fire_due(case.pk, now=t0 + timedelta(hours=49))
    assert [(d["target"], d["recipients"]) for d in _escalations(case)][2:] == [
        ("reporting_line", [u["eng_manager"]]),
        ("top", [u["vp"]]),
    ]


def test_a_paused_clock_does_not_escalate_and_gives_time_back(world):
    t0 = timezone.now() - timedelta(days=5)
    case = _open(world, now=t0)
    due = case.resolution_due
    case = actions.pause_clock(
        world.actor("agent"), case.pk, version=case.version, reason="业主出差"
    )
    paused_case = Case.objects.get(pk=case.pk)
    assert fire_due(case.pk, now=t0 + timedelta(hours=40)) == []
    assert not any(d["key"].startswith("resolution") for d in _escalations(paused_case))
    case = actions.resume_clock(world.actor("agent"), case.pk, version=case.version)
    assert case.resolution_due > due
    with pytest.raises(Exception) as err:
        actions.resume_clock(world.actor("agent"), case.pk, version=case.version)
    assert getattr(err.value, "code", "") == "not_paused"


def test_major_case_notifies_the_head_at_once(world):
    case = _open(world, now=timezone.now(), major=True)
    assert case.is_major
    assert (
        Notification.objects.filter(case=case, kind="major", recipient=world.users["vp"]).count()
        == 1
    )
    assert Event.objects.filter(case=case, kind="major_flagged").count() == 1


def test_sweep_catches_everything_overdue(world):
    t0 = timezone.now() - timedelta(days=3)
    cases = [_open(world, now=t0) for _ in range(3)]
    assert sweep(now=t0 + timedelta(hours=25)) == 3 * 3  # response, resolution 80 % and 100 %
    keys = sorted(Firing.objects.filter(case=cases[0]).values_list("key", flat=True))
    assert keys == ["resolution:1:0", "resolution:2:0", "response:0:0"]
    assert sweep(now=t0 + timedelta(hours=25)) == 0


def test_a_sweep_reads_who_to_tell_once_for_cases_alike(world, monkeypatch):
    """Cases of one department with nobody assigned reach the same people: the sweep asks
    once per rung; an assigned case reaches its own assignee, as `fire_due` alone would."""
    from fuwu.notifications import services

    t0 = timezone.now() - timedelta(days=3)
    alike = [_open(world, now=t0) for _ in range(3)]
    assigned = _open(world, now=t0)
    assigned = actions.take_transition(
        world.actor("agent"),
        assigned.pk,
        "issue_work_order",
        version=assigned.version,
        form={"details_confirmed": True},
    )
    actions.assign(
        world.actor("dispatcher"),
        assigned.pk,
        assignee_id=world.users["technician"].pk,
        version=assigned.version,
    )
    asked = []
    read = services.recipients
    monkeypatch.setattr(services, "recipients", lambda *a, **k: asked.append(a) or read(*a, **k))
    fired = sweep(now=t0 + timedelta(hours=25))
    assert fired == 3 * 3 + Firing.objects.filter(case=assigned).count()
    sc_mgr, technician = world.users["sc_manager"].pk, world.users["technician"].pk
    for case in alike:
        assert [d["recipients"] for d in _escalations(case)] == [[sc_mgr]] * 3
    assert [(d["target"], d["recipients"]) for d in _escalations(assigned)][:1] == [
        ("assignee", [technician])
    ]
    assert len(asked) < fired  # the three alike shared their answers
