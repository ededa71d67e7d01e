"""The solver layer without a database: travel from the haversine distance at the set speed,
where the timeline puts lunch, what it calls late, and the same plan from the same day."""

from __future__ import annotations

from fuwu.scheduling import vrptw as V

BASE = V.Place(22.5431, 114.0579)
H = 3600


def job(key: int, km_north: float, early_h: float, late_h: float, minutes: int = 30) -> V.Job:
    return V.Job(
        key,
        V.Place(BASE.lat + 0.008993 * km_north, BASE.lon),
        int(early_h * H),
        int(late_h * H),
        minutes * 60,
    )


WORKER = V.Worker(1, int(8.5 * H), int(17.5 * H), lunch=(12 * H, 13 * H))
PROBLEM = V.DayProblem(BASE, (), (WORKER,))


def test_travel_is_the_great_circle_at_the_speed():
    assert round(V.haversine_m(BASE, V.Place(BASE.lat + 0.008993, BASE.lon))) == 1000
    assert PROBLEM.seconds(1000) == 120  # 1 km at 30 km/h
    assert V.DayProblem(BASE, (), (), speed_kmh=60).seconds(1000) == 60


def test_lunch_comes_after_the_visit_running_at_noon():
    # 11:30–12:30 on site, then the hour's lunch there, then the 14:00 visit.
    line = V.timeline(PROBLEM, WORKER, [job(1, 1, 11.5, 11.5, 60), job(2, 2, 13, 15)])
    assert line.lunch == (int(12.5 * H), int(13.5 * H))
    assert line.stops[1].start == int(13.5 * H) + 120
    assert line.feasible


def test_a_wait_absorbs_lunch():
    line = V.timeline(PROBLEM, WORKER, [job(1, 1, 9, 9.5), job(2, 1, 14, 15)])
    assert line.lunch == (12 * H, 13 * H)
    assert line.stops[1].start == 14 * H  # not delayed


def test_late_and_over_shift_are_found():
    line = V.timeline(PROBLEM, WORKER, [job(1, 1, 11.5, 11.5, 60), job(2, 1, 12, 13)])
    assert line.late == (2,)  # lunch 12:30–13:30 pushes it past 13:00
    long = V.timeline(PROBLEM, WORKER, [job(1, 1, 8.5, 9, 60 * 8)])
    assert long.over_shift and not long.feasible


def test_the_same_day_gives_the_same_plan():
    jobs = tuple(job(k, k % 5 - 2, 9 + k % 6, 10 + k % 6 + 2) for k in range(1, 13))
    workers = (WORKER, V.Worker(2, int(8.5 * H), int(17.5 * H), lunch=(12 * H, 13 * H)))
    problem = V.DayProblem(BASE, jobs, workers)
    first, second = V.plan_day(problem), V.plan_day(problem)
    assert first.routes == second.routes and first.unplanned == second.unplanned
    served = [s.job for r in first.routes for s in r.stops]
    assert sorted(served + list(first.unplanned)) == list(range(1, 13))  # each once, or why not
    assert all(r.feasible for r in first.routes)
