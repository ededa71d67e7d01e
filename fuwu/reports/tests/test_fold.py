"""The reporting model: figures by hand on the fixed data set, rebuild == incremental, gaps."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import F

from fuwu.cases.models import Event
from fuwu.reports import fold
from fuwu.reports.models import Cursor, Fact, FactItem, FactTotal
from fuwu.reports.tests.dataset import (
    CHECKED,
    NOW,
    REPAIRED,
    _assign,
    _take,
    build,
    complaint,
    local,
)

MONDAY = date(2026, 11, 30)


def facts() -> dict[tuple, int]:
    return {
        (f.day, f.department_id, f.step, f.person_id, f.measure, f.detail): f.count
        for f in Fact.objects.filter(count__gt=0)
    }


def summed() -> dict[tuple, int]:
    """The totals over the detail, which must be the counts' sums."""
    return {
        (f.day, f.department_id, f.step, f.person_id, f.measure): f.count
        for f in FactTotal.objects.filter(count__gt=0)
    }


def sums_of(counts: dict[tuple, int]) -> dict[tuple, int]:
    out: dict[tuple, int] = {}
    for key, n in counts.items():
        out[key[:-1]] = out.get(key[:-1], 0) + n
    return out


def test_the_figures_of_the_fixed_day(world):
    build(world)
    complaint(world)
    fold.catch_up(now=NOW)
    sc, eng = world.dept("lanting", "service_center").pk, world.dept("lanting", "engineering").pk
    agent, tech = world.users["agent"].pk, world.users["technician"].pk
    dispatcher = world.users["dispatcher"].pk
    assert facts() == {
        # A, B, C and D taken in at reception by the agent by phone; D at 07:30 local (Sunday in
        # UTC), A and B at 09:00, C at 10:00; E, the complaint, walked in at 13:40.
        (MONDAY, sc, "reception", agent, "intake", "phone:07"): 1,
        (MONDAY, sc, "reception", agent, "intake", "phone:09"): 2,
        (MONDAY, sc, "reception", agent, "intake", "phone:10"): 1,
        (MONDAY, sc, "record", agent, "intake", "walk_in:13"): 1,
        (MONDAY, sc, "reception", agent, "responded_on_time", ""): 1,  # A at 09:20, due 10:00
        (MONDAY, sc, "reception", agent, "responded_late", ""): 1,  # B at 14:00, due 10:00
        (MONDAY, sc, "record", agent, "responded_on_time", ""): 1,  # E at 13:50, due 2 h on
        # A resolved twice from the repair step, both well inside 24 business hours: the first
        # time with no comeback before it, the second after the return visit's comeback.
        (MONDAY, eng, "repair", tech, "resolved_on_time", ""): 2,
        (MONDAY, eng, "repair", tech, "fixed_first_time", ""): 1,
        (MONDAY, eng, "repair", tech, "fixed_after_comeback", ""): 1,
        # The unhappy return visit: reopened by the agent where the case stood; the comeback
        # (brought back after its resolution) and the visit's result judge the technician's work.
        (MONDAY, sc, "return_visit", agent, "reopened", ""): 1,
        (MONDAY, sc, "return_visit", tech, "comeback", "returned"): 1,
        (MONDAY, sc, "return_visit", tech, "return_visit", "dissatisfied"): 1,
        # B's response rung at 100 %, level 1; nobody had the case (person NULL).
        (MONDAY, sc, "reception", None, "escalated", "response:100%:1"): 1,
        # E analysed as at fault, then transferred to engineering, the department responsible.
        (MONDAY, sc, "analyse", agent, "complaint_nature", "responsible"): 1,
        (MONDAY, sc, "apologise", agent, "complaint_department", "engineering"): 1,
        # Every step done: A's issue and B's issue at reception, A's dispatch, A's two repairs
        # and two records (each followed by the hand-over to the return visit), the visit; E's
        # record, analysis and apology.
        (MONDAY, sc, "reception", agent, "step_done", ""): 2,
        (MONDAY, eng, "dispatch", dispatcher, "step_done", ""): 1,
        (MONDAY, eng, "repair", tech, "step_done", ""): 2,
        (MONDAY, eng, "record_result", tech, "step_done", ""): 2,
        (MONDAY, sc, "return_visit", agent, "step_done", ""): 1,
        (MONDAY, sc, "record", agent, "step_done", ""): 1,
        (MONDAY, sc, "analyse", agent, "step_done", ""): 1,
        (MONDAY, sc, "apologise", agent, "step_done", ""): 1,
    }
    assert fold.check() == []
    # Every count has its occurrences, one per event and measure.
    assert FactItem.objects.count() == sum(facts().values())


def test_rebuild_equals_incremental_also_after_more_events(world):
    cases = build(world)
    complaint(world)
    # Folded in small steps as a busy worker would, then more events arrive.
    while fold.catch_up(now=NOW, limit=3):
        pass
    assert fold.check() == []
    b = _assign(world, local(14, 22), cases.b)
    b = _take(world, "dispatcher", local(14, 25), b, "repair_now", {"repair_mode": "immediate"})
    b = _take(world, "technician", local(15), b, "complete", REPAIRED, CHECKED)
    # The new events are not folded yet: the check compares up to the mark, so it still agrees.
    assert Cursor.objects.get().high < Event.objects.latest("id").id
    assert fold.check() == []
    fold.catch_up(now=local(15, 1))
    assert fold.check() == []
    incremental = facts()
    sc, eng = world.dept("lanting", "service_center").pk, world.dept("lanting", "engineering").pk
    tech = world.users["technician"].pk
    assert incremental[(MONDAY, eng, "repair", tech, "resolved_on_time", "")] == 3
    # What the fold remembers between batches: B fixed the first time; A, fixed after its
    # comeback, waits for its second visit (satisfied now), counted against the technician.
    assert incremental[(MONDAY, eng, "repair", tech, "fixed_first_time", "")] == 2
    a = _take(
        world,
        "agent",
        local(15, 30),
        cases.a,
        "archive",
        {"visit_method": "phone", "satisfied": True},
    )
    fold.catch_up(now=local(15, 31))
    assert facts()[(MONDAY, sc, "return_visit", tech, "return_visit", "satisfied")] == 1
    assert a.status == "closed" and fold.check() == []
    incremental, totals = facts(), summed()
    assert totals == sums_of(incremental) and len(totals) < len(incremental)
    fold.rebuild()
    assert facts() == incremental and summed() == totals
    assert fold.check() == []


def test_a_late_committed_event_is_folded_from_its_gap(world, monkeypatch):
    cases = build(world)
    # C's opening, as if its transaction committed after later ones had been folded (a case's
    # own events are written under its row lock, so only another case's can overtake it).
    hidden = Event.objects.get(case=cases.c, kind="opened").id
    real_rows = fold._rows

    def without_hidden(qs):  # the transaction that wrote it has not committed yet
        return [r for r in real_rows(qs) if r.id != hidden]

    monkeypatch.setattr(fold, "_rows", without_hidden)
    fold.catch_up(now=NOW)
    cursor = Cursor.objects.get()
    assert [i for i, _ in cursor.gaps] == [hidden] and cursor.high > hidden
    assert FactItem.objects.filter(measure="intake").count() == 3
    assert fold.check() == []  # the check leaves the gap out too
    monkeypatch.setattr(fold, "_rows", real_rows)
    fold.catch_up(now=NOW + timedelta(minutes=1))  # it committed: found in its gap
    assert Cursor.objects.get().gaps == []
    assert FactItem.objects.filter(measure="intake").count() == 4
    assert fold.check() == []


def test_a_rebuild_waits_for_a_late_event_like_a_catch_up(world, monkeypatch):
    cases = build(world)
    fold.catch_up(now=NOW)
    incremental = facts()
    hidden = Event.objects.get(case=cases.c, kind="opened").id
    real_rows = fold._rows
    monkeypatch.setattr(fold, "_rows", lambda qs: [r for r in real_rows(qs) if r.id != hidden])
    fold.rebuild(now=NOW)
    cursor = Cursor.objects.get()
    assert [i for i, _ in cursor.gaps] == [hidden] and cursor.version == 2
    assert FactItem.objects.filter(measure="intake").count() == 3
    assert fold.check() == []
    monkeypatch.setattr(fold, "_rows", real_rows)
    fold.catch_up(now=NOW + timedelta(minutes=1))  # it committed: found in its gap
    assert Cursor.objects.get().gaps == [] and facts() == incremental
    assert fold.check() == []


def test_a_gap_never_filled_is_forgotten(world, monkeypatch):
    build(world)
    hidden = Event.objects.filter(kind="opened").order_by("-id")[0].id
    real_rows = fold._rows
    monkeypatch.setattr(fold, "_rows", lambda qs: [r for r in real_rows(qs) if r.id != hidden])
    fold.catch_up(now=NOW)
    fold.catch_up(now=NOW + fold.GAP_WAIT - timedelta(seconds=1))
    assert [i for i, _ in Cursor.objects.get().gaps] == [hidden]
    fold.catch_up(now=NOW + fold.GAP_WAIT + timedelta(seconds=1))  # a rolled-back insert
    assert Cursor.objects.get().gaps == []


def test_a_second_worker_folding_the_same_events_is_refused(world, monkeypatch):
    build(world)
    stale = Cursor.objects.get_or_create(pk=1)[0]  # what a second worker read …
    fold.catch_up(now=NOW)  # … before the first one folded and claimed the cursor
    before, items = facts(), FactItem.objects.count()
    monkeypatch.setattr(Cursor.objects, "get_or_create", lambda **kw: (stale, False))
    assert fold.catch_up(now=NOW) == 0  # its claim fails and its fold is rolled back
    assert facts() == before and FactItem.objects.count() == items
    monkeypatch.undo()
    assert fold.check() == []


def test_the_commands(world, capsys):
    build(world)
    call_command("reports", "catch-up")
    call_command("reports", "check")
    assert "equals a rebuild" in capsys.readouterr().out
    # A tampered count is reported, and the check exits with an error.
    Fact.objects.filter(measure="intake", detail="phone:09").update(count=5)
    with pytest.raises(CommandError, match="1 difference"):
        call_command("reports", "check")
    assert "stored 5, rebuilt 2" in capsys.readouterr().out
    call_command("reports", "rebuild")
    FactTotal.objects.filter(measure="intake").update(count=F("count") + 1)
    with pytest.raises(CommandError, match="difference"):
        call_command("reports", "check")
    assert "total day=" in capsys.readouterr().out
    call_command("reports", "rebuild")
    call_command("reports", "check")


def test_the_workers_sweep_keeps_the_model_current(world, monkeypatch):
    from fuwu.sla.management.commands import worker

    build(world)
    # The sweep's jobs only: the task loop closes connections, which a test's transaction cannot
    # survive on PostgreSQL (it is tested on its own in fuwu/sla/tests/test_workers.py).
    monkeypatch.setattr(worker.ResilientWorker, "run", lambda self: None)
    monkeypatch.setattr(worker.ResilientWorker, "configure_signals", lambda self: None)
    call_command("worker", "--batch", "--worker-id", "reports-test")
    assert Cursor.objects.get().high == Event.objects.latest("id").id
    assert fold.check() == [] and Fact.objects.exists()
