"""The rows behind a number across several sites: how many (the counts' sum) and which (each
site's occurrences in day and event order, merged) are what one query over every occurrence
gives, page by page."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import time_machine

from fuwu.cases import actions
from fuwu.cases.models import Case, Event
from fuwu.reports import drill as dr
from fuwu.reports import fold, quality, workload
from fuwu.reports.models import FactItem
from fuwu.reports.service_levels import Filters
from fuwu.reports.tests.dataset import SHANGHAI
from fuwu.testing.factories import World

MONDAY, TUESDAY = date(2026, 11, 30), date(2026, 12, 1)
KEYS = {"lanting": "opinion_survey", "dealer": "toyota_seven_step"}
DATA = {
    "lanting": {"survey_method": "area_walk", "survey_round": "2026年下半年"},
    "dealer": {"plate_no": "沪A1", "customer_request": "保养"},
}


def _open(world: World, site: str, at: datetime) -> Case:
    with time_machine.travel(at, tick=False):
        return actions.open_case(
            world.actor("vp"),
            procedure_key=KEYS[site],
            site_id=world.sites[site].pk,
            channel="phone",
            title=f"{site} {at:%d %H:%M}",
            data=DATA[site],
        )


def _step(case: Case, at: datetime, actor: Any, kind: str = "transitioned", **data: Any) -> None:
    """A transition (or another event) as a procedure writes it (the fold reads events only)."""
    case.last_seq += 1
    Case.objects.filter(pk=case.pk).update(last_seq=case.last_seq)
    Event.objects.create(
        case=case, seq=case.last_seq, kind=kind, actor=actor, at=at, data=data or {"values": {}}
    )


def _world(world: World) -> Filters:
    """Cases on two sites over two days, their events interleaved in time and in id order:
    the later ids of a site are on the earlier day of the other."""
    actor = world.users["agent"]
    opened = []
    for day, hours in ((30, (9, 11, 15)), (1, (8, 10))):
        month = 11 if day == 30 else 12
        for hour in hours:
            for site in ("dealer", "lanting"):
                opened.append(_open(world, site, datetime(2026, month, day, hour, tzinfo=SHANGHAI)))
    for i, case in enumerate(reversed(opened)):
        at = datetime(2026, 11, 30, 16, i, tzinfo=SHANGHAI) if i % 2 else case.created_at
        _step(case, at, actor)
    fold.catch_up(now=datetime(2026, 12, 1, 18, tzinfo=SHANGHAI))
    sites = (world.sites["lanting"].pk, world.sites["dealer"].pk)
    return Filters(site_ids=sites, start=MONDAY, end=TUESDAY)


def _expected(filters: Filters, measure: str) -> list[tuple[int, date]]:
    rows = FactItem.objects.filter(
        measure=measure, site_id__in=filters.site_ids, day__range=(filters.start, filters.end)
    ).values_list("day", "event_id", "case_id")
    return [(c, d) for d, _e, c in sorted(rows)]


def test_a_drill_down_over_two_sites_pages_in_day_and_event_order(world):
    filters = _world(world)
    for measure in ("intake", "step_done"):
        expected = _expected(filters, measure)
        assert len(expected) == 10 and len({c for c, _d in expected}) == 10
        for offset, limit in ((0, 1), (1, 3), (3, 4), (8, 5), (0, 500), (12, 5)):
            count, found = workload.drill(filters, measure, window=dr.Window(offset, limit))
            assert count == len(expected)
            assert [(o.case.pk, o.day) for o in found] == expected[offset : offset + limit]
    # Narrowed: one day, one procedure, one channel's hour; the count still the rows'.
    tuesday = Filters(site_ids=filters.site_ids, start=TUESDAY, end=TUESDAY)
    count, found = workload.drill(tuesday, "intake", channel="phone", hour=10)
    assert count == len(found) == 2
    count, found = quality.drill(filters, "complaints")
    assert (count, found) == (0, [])
    count, found = workload.drill(filters, "step_done", procedure="toyota_seven_step")
    assert count == len(found) == 5
    assert {o.case.procedure_key for o in found} == {"toyota_seven_step"}


def test_the_count_of_a_selection_is_its_occurrences(world):
    filters = _world(world)
    for measure in ("intake", "step_done", "resolved_late"):
        chosen = dr.selection(filters, [measure])
        assert chosen.count() == chosen.of(FactItem.objects.all()).count()
    chosen = dr.selection(filters, ["intake"], detail_prefix="phone:", detail_suffix=":09")
    assert chosen.count() == chosen.of(FactItem.objects.all()).count() == 2


def _by_hand(filters: Filters) -> tuple[dict[Any, tuple[int, dict, dict, int]], dict[Any, dict]]:
    """Each person's work a day and the weekly scorecards as the counts say, row by row."""
    from collections import Counter, defaultdict

    from fuwu.reports.models import Fact

    facts = Fact.objects.filter(
        site_id__in=filters.site_ids, day__range=(filters.start, filters.end)
    )
    daily: dict[Any, Counter[str]] = defaultdict(Counter)
    for f in facts.filter(measure__in=[str(m) for m in workload.PER_DAY]):
        daily[(f.person_id, f.day)][f.measure] += f.count
    people: dict[Any, tuple[int, dict, dict, int]] = {}
    for (person, _day), counts in daily.items():
        days, totals, most, busy = people.get(person, (0, {}, {}, 0))
        for m, n in counts.items():
            totals[m] = totals.get(m, 0) + n
            most[m] = max(most.get(m, 0), n)
        people[person] = (days + 1, totals, most, busy + (counts["repair_order"] > 20))
    scores: dict[Any, dict] = defaultdict(dict)
    for f in facts.filter(measure__in=[str(m) for m in workload.SCORED]):
        key = f"{f.measure}:{f.detail}" if f.measure == "return_visit" else f.measure
        card = scores[(f.person_id, workload.week_of(f.day))]
        card[key] = card.get(key, 0) + f.count
        if f.measure == "rated":
            card["rating_sum"] = card.get("rating_sum", 0) + int(f.detail) * f.count
    return people, scores


def test_each_persons_days_and_weeks_are_the_counts_summed(world):
    from fuwu.reports.tests.dataset import build

    cases = build(world)
    filters = _world(world)
    # A rating on the Tuesday: the technician's (who resolved A), in Monday's week.
    a = Case.objects.get(pk=cases.a.pk)
    _step(a, datetime(2026, 12, 1, 10, tzinfo=SHANGHAI), world.users["agent"], "rated", score=4)
    fold.catch_up(now=datetime(2026, 12, 1, 18, tzinfo=SHANGHAI))
    r = workload.report(filters, language="zh-hans")
    people, scores = _by_hand(filters)
    assert {p.person_id: (p.days, p.totals, p.most, p.busy_days) for p in r.people} == {
        k: v for k, v in people.items() if k is not None
    }
    assert any(days > 1 for days, *_ in people.values())
    got = {}
    for s in r.scores:
        got[(s.person_id, s.week)] = {
            **s.counts,
            **({"rating_sum": s.rating_sum} if s.rating_sum else {}),
        }
    assert got == {k: v for k, v in scores.items() if k[0] is not None}
    assert any(s.n("rated") for s in r.scores) and {s.week for s in r.scores} == {MONDAY}
