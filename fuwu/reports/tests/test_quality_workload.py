"""The quality and workload reports: figures by hand on the fixed day (`dataset`), satisfaction
by area from per-case ratings, the monthly complaint trend and its alert to the top of the line."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import time_machine
from django.core.management import call_command

from fuwu.cases import actions
from fuwu.cases.models import Case, Event
from fuwu.notifications.messages import render
from fuwu.notifications.models import Notification
from fuwu.reports import fold, quality, workload
from fuwu.reports.alerts import KIND, alert_rising_complaints
from fuwu.reports.service_levels import Filters
from fuwu.reports.tests.dataset import NOW, SHANGHAI, build, complaint
from fuwu.testing.factories import World

MONDAY = date(2026, 11, 30)


def _day(world: World, site: str = "lanting", **kw: Any) -> Filters:
    return Filters(site_ids=(world.sites[site].pk,), start=MONDAY, end=MONDAY, **kw)


def _cases(found: tuple[int, list[Any]]) -> list[int]:
    return sorted(o.case.pk for o in found[1])


def test_quality_figures_of_the_fixed_day(world):
    cases = build(world)
    e = complaint(world)
    fold.catch_up(now=NOW)
    r = quality.report(_day(world), language="zh-hans")
    # A fixed the first time at 10:00, then again after its comeback at 11:30.
    assert (r.total.n("fixed_first_time"), r.total.n("fixed_after_comeback")) == (1, 1)
    assert r.total.first_time_rate == 50.0
    assert (r.total.n("comeback_returned"), r.total.n("comeback_qc")) == (1, 0)
    assert (r.total.n("visit_satisfied"), r.total.n("visit_dissatisfied")) == (0, 1)
    assert r.total.visit_rate == 0.0
    assert [(line.procedure, line.label) for line in r.lines] == [("property_repair", "物业报修")]
    assert [(c.key, c.label, c.count) for c in r.natures] == [("responsible", "责任投诉", 1)]
    assert [(c.key, c.count) for c in r.departments] == [("engineering", 1)]
    assert r.rating_average is None and sum(c.count for c in r.ratings) == 0
    # Twelve months to November; E the only complaint; not rising.
    assert [m.label for m in r.months][-2:] == ["2026-10", "2026-11"]
    assert [m.count for m in r.months] == [0] * 11 + [1] and not r.rising
    # Every figure drills down to its cases.
    day = _day(world)
    assert _cases(quality.drill(day, "fixed_after_comeback")) == [cases.a.pk]
    found = quality.drill(day, "visit_dissatisfied")
    assert found[0] == 1 and found[1][0].person_id == world.users["technician"].pk
    assert _cases(quality.drill(day, "complaints")) == [e.pk]
    assert _cases(quality.drill(day, "complaint_nature", detail="responsible")) == [e.pk]
    # Narrowed to the person whose work was judged: the technician's comeback and visit.
    tech = _day(world, person_id=world.users["technician"].pk)
    t = quality.report(tech, language="en")
    assert t.total.n("comeback_returned") == 1 and t.natures == []
    assert t.lines[0].label == "Property repair"


def _event(case: Case, kind: str, at: datetime, actor: Any, **data: Any) -> None:
    """An event as a procedure would have written it (the fold reads events only)."""
    case.last_seq += 1
    Case.objects.filter(pk=case.pk).update(last_seq=case.last_seq)
    Event.objects.create(case=case, seq=case.last_seq, kind=kind, actor=actor, at=at, data=data)


def _open(world: World, key: str, site: str, data: dict[str, Any]) -> Case:
    with time_machine.travel(datetime(2026, 11, 30, 9, tzinfo=SHANGHAI), tick=False):
        return actions.open_case(
            world.actor("vp"),
            procedure_key=key,
            site_id=world.sites[site].pk,
            channel="phone",
            title=key,
            data=data,
        )


def test_satisfaction_by_area_reads_each_cases_ratings(world):
    at = datetime(2026, 11, 30, 15, tzinfo=SHANGHAI)
    advisor = world.users["advisor"]
    visits = []
    for price in (False, True):  # two Toyota follow-ups: one unhappy with the price only
        car = _open(
            world, "toyota_seven_step", "dealer", {"plate_no": "沪A1", "customer_request": "保养"}
        )
        _event(car, "transitioned", at, advisor, set={"step": "follow_up"}, values={})
        _event(car, "return_visit_scheduled", at, advisor, due=at.isoformat())
        answers = {a: True for a in quality.TOYOTA_AREAS} | {"sat_price": price}
        leave = {"from": "follow_up", "to": "concern_follow_up", "set": {"step": "concern"}}
        _event(car, "transitioned", at, advisor, values=answers, **leave)
        visits.append(car)
    asked = {"survey_method": "area_walk", "survey_round": "2026年下半年"}
    survey = _open(world, "opinion_survey", "lanting", asked)
    # The household's answers, as the survey's steps store them on the case.
    answers = {"topics": ["cleaning", "parking"], "satisfaction": "dissatisfied"}
    Case.objects.filter(pk=survey.pk).update(data={**asked, **answers})
    agent = world.users["agent"]
    _event(survey, "transitioned", at, agent, set={"step": "tally"}, values={})
    _event(survey, "transitioned", at, agent, set={"step": "archived"}, values={})
    fold.catch_up(now=at)
    dealer = quality.report(_day(world, "dealer"), language="zh-hans")
    areas = {a.key: (a.yes, a.no) for a in dealer.areas}
    assert areas["sat_price"] == (1, 1) and areas["sat_repair"] == (2, 0) and len(areas) == 7
    assert next(a for a in dealer.areas if a.key == "sat_price").label == "定价物超所值"
    # Satisfied with all seven is a satisfied visit; one area short is not.
    assert (dealer.total.n("visit_satisfied"), dealer.total.n("visit_dissatisfied")) == (1, 1)
    assert _cases(quality.drill(_day(world, "dealer"), "area", detail="sat_price:no")) == [
        visits[0].pk
    ]
    lanting = quality.report(_day(world), language="zh-hans")
    grid = {t.key: {c.key: c.count for c in levels} for t, levels in lanting.survey}
    assert set(grid) == {"cleaning", "parking"}
    assert grid["cleaning"]["dissatisfied"] == 1 and grid["cleaning"]["satisfied"] == 0
    assert _cases(quality.drill(_day(world), "survey", detail="parking:dissatisfied")) == [
        survey.pk
    ]


def test_rising_is_three_monthly_rises_in_a_row():
    assert quality.rising([1, 2, 3, 4])
    assert quality.rising([9, 0, 1, 2, 3])
    assert not quality.rising([1, 2, 2, 3])
    assert not quality.rising([2, 3, 4])  # three months are only two rises
    assert not quality.rising([4, 3, 2, 1])


def test_rising_complaints_alert_the_top_of_the_line_once_a_month(world, monkeypatch):
    from fuwu.sla.management.commands import worker

    def complain(month: int, n: int) -> None:
        for i in range(n):
            with time_machine.travel(datetime(2026, month, 10, 10, i, tzinfo=SHANGHAI), tick=False):
                actions.open_case(
                    world.actor("agent"),
                    procedure_key="complaint",
                    site_id=world.sites["lanting"].pk,
                    channel="phone",
                    title="投诉",
                    data={"complaint_content": "噪音", "complainant_name": "李女士"},
                )

    complain(9, 1)
    complain(10, 2)
    fold.catch_up(now=datetime(2026, 11, 1, tzinfo=SHANGHAI))
    # To October: July 0, August 0, September 1, October 2 — two rises, not three.
    assert alert_rising_complaints(now=datetime(2026, 11, 2, tzinfo=SHANGHAI)) == []
    complain(11, 3)
    # To November: August 0 < September 1 < October 2 < November 3 — rising. The worker's
    # sweep folds the events and tells the customer centre's manager's top of the line, the VP.
    monkeypatch.setattr(worker.ResilientWorker, "run", lambda self: None)
    monkeypatch.setattr(worker.ResilientWorker, "configure_signals", lambda self: None)
    with time_machine.travel(datetime(2026, 12, 1, 9, tzinfo=SHANGHAI), tick=False):
        call_command("worker", "--batch", "--worker-id", "alert-test")
    sent = list(Notification.objects.filter(kind=KIND))
    assert [n.recipient_id for n in sent] == [world.users["vp"].pk]
    assert sent[0].case_id is None
    assert sent[0].data["month"] == "2026-11" and sent[0].data["site"] == "lanting"
    assert "2026-11: 3" in render(KIND, sent[0].data, "zh-hans")
    assert "3 months in a row" in render(KIND, sent[0].data, "en")
    # Once a month: later sweeps in December tell nobody again.
    assert alert_rising_complaints(now=datetime(2026, 12, 20, tzinfo=SHANGHAI)) == []
    assert Notification.objects.filter(kind=KIND).count() == 1

    # The quality report of November shows the trend as rising; one of October does not.
    def month(start: date, end: date) -> quality.Report:
        f = Filters(site_ids=(world.sites["lanting"].pk,), start=start, end=end)
        return quality.report(f, language="zh-hans")

    november = month(date(2026, 11, 1), date(2026, 11, 30))
    assert [m.count for m in november.months][-4:] == [0, 1, 2, 3] and november.rising
    assert not month(date(2026, 10, 1), date(2026, 10, 31)).rising
    # A month still under way is left out: to 20 December, November is the last complete one.
    assert month(date(2026, 12, 1), date(2026, 12, 20)).rising
    assert _cases(quality.drill(november.filters, "complaints")) == sorted(
        Case.objects.filter(procedure_key="complaint", created_at__month=11).values_list(
            "pk", flat=True
        )
    )


def test_workload_figures_of_the_fixed_day(world):
    cases = build(world)
    e = complaint(world)
    fold.catch_up(now=NOW)
    with time_machine.travel(NOW, tick=False):
        r = workload.report(_day(world), language="zh-hans")
    channels = {c.channel: c for c in r.channels}
    assert channels["phone"].hours[7] == 1 and channels["phone"].hours[9] == 2
    assert channels["phone"].hours[10] == 1 and channels["phone"].total == 4
    assert channels["walk_in"].hours[13] == 1 and channels["walk_in"].label == "来访"
    assert sum(r.hours) == 5
    # Nothing closed: A awaits its return visit, B is at dispatch, C and D at reception, E
    # with engineering, the responsible department.
    backlog = {(b.procedure, b.step): b.count for b in r.backlog}
    assert backlog == {
        ("property_repair", "return_visit"): 1,
        ("property_repair", "dispatch"): 1,
        ("property_repair", "reception"): 2,
        ("complaint", "investigate"): 1,
    }
    people = {p.person_id: p for p in r.people}
    agent, tech = people[world.users["agent"].pk], people[world.users["technician"].pk]
    assert agent.totals == {"intake": 5, "step_done": 6} and agent.days == 1
    assert agent.average("intake") == 5.0 and agent.busy_days == 0
    assert tech.totals == {"step_done": 4}
    # The technician's week: two resolutions on time, one comeback, one unhappy visit.
    (score,) = [s for s in r.scores if s.person_id == world.users["technician"].pk]
    assert score.week == MONDAY and score.on_time_rate == 100.0
    assert score.n("comeback") == 1 and score.n("return_visit:dissatisfied") == 1
    assert [s.person_id for s in r.scores] == [world.users["technician"].pk]
    day = _day(world)
    assert _cases(workload.drill(day, "intake", channel="phone", hour=9)) == sorted(
        [cases.a.pk, cases.b.pk]
    )
    assert _cases(
        workload.drill(day, "backlog", procedure="property_repair", step="reception")
    ) == (sorted([cases.c.pk, cases.d.pk]))
    eng = _day(world, department_id=world.dept("lanting", "engineering").pk)
    assert _cases(workload.drill(eng, "backlog")) == sorted([cases.b.pk, e.pk])
