"""Routes for on-site visits (上门服务): the vehicle routing problem with time windows, solved
with PyVRP (pinned in pyproject.toml and constraints.txt). Plain Python, no Django: the day's
problem comes in as dataclasses, the plan goes out as dataclasses; `fuwu.scheduling.routes`
reads and writes the database around it, the Solomon benchmark (bench/routes.py) and its test
call `solve_solomon` here.

The day's problem, in the units PyVRP needs (integers):

- times are seconds after the day's local midnight; distances are metres;
- travel between two places = great-circle (haversine) distance at `speed_kmh` (30 km/h in
  town by default, roads and stops included), rounded up to the second;
- a technician leaves the field base no earlier than the shift's start and is back by its end;
- a visit needing a skill goes only to a technician who has it: each skill is a load dimension,
  the visit "delivers" 1 of its skill and a technician without the skill has capacity 0 there;
- a visit's window bounds when its service starts;
- every visit is optional with a prize far above any day's travel, so the solver serves all it
  can and says which it could not, instead of failing the whole day;
- lunch (the site's break): PyVRP has no breaks. The timeline (`timeline`) places the break
  where the technician is: after the first visit that ends after lunch begins, or in the wait
  before a visit that starts after it (a wait absorbs it). The solver first plans without the
  break; if the timeline then finds a window or the shift's end missed, it plans again with
  every window that ends after lunch begins, and the shift's end, tightened by the break's
  length (the break delays what follows by at most its length, so that plan keeps them), and
  the plan serving more visits is kept. Either way the timeline is the judge: a visit it finds
  late leaves the route and is reported, never kept late.

The solver runs a fixed number of iterations from a fixed seed, so the same day gives the same
plan (a time limit bounds it on a slow machine).
"""

from __future__ import annotations

import itertools
import math
import threading
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    from pyvrp import ProblemData, Route, Solution

# PyVRP and numpy (about 30 MB resident) are imported by the functions that build or solve a
# problem, so that a web or worker process that never plans a route does not carry them.

EARTH_RADIUS_M = 6_371_000.0
DEFAULT_SPEED_KMH = 30.0
SEED = 20261204
# Metres: above any day's travel (1,000 km), so serving a visit always pays, yet below what
# PyVRP's top penalties charge a late plan, so it drops a visit rather than run late.
PRIZE = 10**6


def haversine_m(a: Place, b: Place) -> float:
    """Great-circle distance in metres."""
    lat1, lon1, lat2, lon2 = map(math.radians, (a.lat, a.lon, b.lat, b.lon))
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


@dataclass(frozen=True)
class Place:
    lat: float
    lon: float


@dataclass(frozen=True)
class Job:
    """A visit: where, when its service may start (`early`..`late`), for how long, which skill."""

    key: int
    place: Place
    early: int
    late: int
    service: int
    skill: str = ""


@dataclass(frozen=True)
class Worker:
    """A technician on shift: from `start` to `end`, with a break (`lunch`) if it falls inside."""

    key: int
    start: int
    end: int
    skills: frozenset[str] = frozenset()
    lunch: tuple[int, int] | None = None


@dataclass(frozen=True)
class DayProblem:
    base: Place
    jobs: tuple[Job, ...]
    workers: tuple[Worker, ...]
    speed_kmh: float = DEFAULT_SPEED_KMH

    def metres(self, a: Place, b: Place) -> int:
        return round(haversine_m(a, b))

    def seconds(self, metres: int) -> int:
        return math.ceil(metres * 3.6 / self.speed_kmh)


@dataclass(frozen=True)
class Stop:
    job: int
    travel: int  # seconds from the previous place
    distance: int  # metres from the previous place
    arrive: int
    start: int
    end: int


@dataclass(frozen=True)
class Timeline:
    """A technician's day along an ordered list of visits, and what is wrong with it."""

    worker: int
    stops: tuple[Stop, ...]
    back: int  # at the base again
    distance: int  # metres, the way back included
    travel: int  # seconds, the way back included
    lunch: tuple[int, int] | None  # when the break is taken on the road, if it is
    late: tuple[int, ...] = ()  # visits whose service would start after their window
    over_shift: bool = False  # back after the shift's end

    @property
    def feasible(self) -> bool:
        return not self.late and not self.over_shift


# Why a visit stays unplanned (codes; the caller translates them).
NO_TECHNICIAN = "no_technician"  # nobody on shift that day
NO_SKILL = "no_skill"  # nobody on shift has the skill
UNREACHABLE = "unreachable"  # no skilled technician can reach it in its window within the shift
NO_ROOM = "no_room"  # it could be done alone, but the day is full


@dataclass(frozen=True)
class DayPlan:
    routes: tuple[Timeline, ...]
    unplanned: dict[int, str] = field(default_factory=dict)
    iterations: int = 0
    seconds: float = 0.0


def timeline(problem: DayProblem, worker: Worker, jobs: Sequence[Job]) -> Timeline:
    """Arrival and start times along `jobs` in this order, the break placed where the technician
    is (see the module's doc), and which windows or shift end it misses."""
    t, here = worker.start, problem.base
    lunch = worker.lunch
    taken: tuple[int, int] | None = None
    stops: list[Stop] = []
    late: list[int] = []
    distance = travel = 0
    for job in jobs:
        if lunch and taken is None and t >= lunch[0]:
            taken = (t, t + lunch[1] - lunch[0])
            t = taken[1]
        metres = problem.metres(here, job.place)
        seconds = problem.seconds(metres)
        arrive = t + seconds
        start = max(arrive, job.early)
        if lunch and taken is None and start > lunch[0]:
            begin = max(arrive, lunch[0])
            taken = (begin, begin + lunch[1] - lunch[0])
            start = max(taken[1], job.early)
        if start > job.late:
            late.append(job.key)
        t = start + job.service
        stops.append(Stop(job.key, seconds, metres, arrive, start, t))
        distance += metres
        travel += seconds
        here = job.place
    if lunch and taken is None and stops and t >= lunch[0]:
        taken = (t, t + lunch[1] - lunch[0])
        t = taken[1]
    metres = problem.metres(here, problem.base) if stops else 0
    seconds = problem.seconds(metres)
    back = t + seconds if stops else worker.start
    return Timeline(
        worker=worker.key,
        stops=tuple(stops),
        back=back,
        distance=distance + metres,
        travel=travel + seconds,
        lunch=taken,
        late=tuple(late),
        over_shift=back > worker.end,
    )


def _clients(route: Route) -> list[int]:
    """The client indices (0-based, in the order of `ProblemData.clients`) a route visits."""
    return [activity.idx for activity in route if activity.is_client()]


def _break_length(worker: Worker) -> int:
    return worker.lunch[1] - worker.lunch[0] if worker.lunch else 0


def _why_not(problem: DayProblem, job: Job) -> str:
    """Why a visit the solver left out cannot be done, or NO_ROOM when it could be done alone."""
    if not problem.workers:
        return NO_TECHNICIAN
    skilled = [w for w in problem.workers if not job.skill or job.skill in w.skills]
    if not skilled:
        return NO_SKILL
    if any(timeline(problem, w, [job]).feasible for w in skilled):
        return NO_ROOM
    return UNREACHABLE


def _data(problem: DayProblem, *, tighten: bool) -> ProblemData:
    import numpy as np
    from pyvrp import Client, Depot, Location, ProblemData, VehicleType

    skills = sorted({j.skill for j in problem.jobs if j.skill})
    dims = max(1, len(skills))
    places = [problem.base, *(j.place for j in problem.jobs)]
    n = len(places)
    dist = np.zeros((n, n), dtype=np.int64)
    for i in range(n):
        for k in range(i + 1, n):
            dist[i, k] = dist[k, i] = problem.metres(places[i], places[k])
    dur = np.vectorize(problem.seconds, otypes=[np.int64])(dist)
    locations = [Location(x=p.lon, y=p.lat) for p in places]
    clients = []
    for idx, job in enumerate(problem.jobs, start=1):
        load = [0] * dims
        if job.skill:
            load[skills.index(job.skill)] = 1
        # The break may delay a visit by its length (module doc): plan with that much slack.
        slack = max((_break_length(w) for w in problem.workers), default=0)
        lunch_start = min((w.lunch[0] for w in problem.workers if w.lunch), default=None)
        late = job.late
        if tighten and slack and lunch_start is not None and late > lunch_start:
            late = max(job.early, late - slack)
        clients.append(
            Client(
                location=idx,
                delivery=load,
                service_duration=job.service,
                tw_early=job.early,
                tw_late=late,
                prize=PRIZE,
                required=False,
                name=str(job.key),
            )
        )
    big = len(problem.jobs) + 1
    vehicles = [
        VehicleType(
            num_available=1,
            capacity=[big if s in w.skills else 0 for s in skills] or [big],
            tw_early=w.start,
            tw_late=w.end - (_break_length(w) if tighten else 0),
            name=str(w.key),
        )
        for w in problem.workers
    ]
    data = ProblemData(
        locations=locations,
        clients=clients,
        depots=[Depot(location=0)],
        vehicle_types=vehicles,
        distance_matrices=[dist],  # type: ignore[list-item]  # PyVRP's stub: ndarray[int]
        duration_matrices=[dur],  # type: ignore[list-item]
    )
    return data


def _solve(
    problem: DayProblem, *, tighten: bool, iterations: int, max_seconds: float
) -> tuple[list[Timeline], dict[int, str], int, bool]:
    """One solver run judged by the timeline: the routes, the visits dropped as late, the
    iterations, and whether anything went wrong (a visit dropped, or no feasible solution)."""
    from pyvrp import solve
    from pyvrp.stop import MaxIterations, MaxRuntime, MultipleCriteria

    with warnings.catch_warnings():
        # A visit nobody can do makes PyVRP warn about its penalties; we report it instead.
        warnings.simplefilter("ignore")
        result = solve(
            _data(problem, tighten=tighten),
            stop=MultipleCriteria([MaxIterations(iterations), MaxRuntime(max_seconds)]),
            seed=SEED,
            collect_stats=False,
        )
    planned: dict[int, list[Job]] = {w.key: [] for w in problem.workers}
    for route in result.best.routes():
        # Even from an infeasible best the routes are a start: the checks below keep them honest.
        worker = problem.workers[route.vehicle_type()]
        planned[worker.key] = [
            job
            for job in (problem.jobs[c] for c in _clients(route))
            if not job.skill or job.skill in worker.skills
        ]
    workers = {w.key: w for w in problem.workers}
    lines: list[Timeline] = []
    dropped: dict[int, str] = {}
    for key, jobs in planned.items():
        while True:
            line = timeline(problem, workers[key], jobs)
            if line.feasible or not jobs:
                break
            drop = line.late[0] if line.late else jobs[-1].key
            dropped[drop] = NO_ROOM
            jobs = [j for j in jobs if j.key != drop]
        lines.append(line)
    return lines, dropped, result.num_iterations, bool(dropped) or not result.best.is_feasible()


def _insert(problem: DayProblem, lines: list[Timeline], jobs: Sequence[Job]) -> list[Timeline]:
    """Put visits left out where the timeline (the break included) still holds, cheapest
    insertion first: repairs a plan the break spoiled, and takes what the solver left."""
    by_key = {j.key: j for j in problem.jobs}
    workers = {w.key: w for w in problem.workers}
    lines = list(lines)
    for job in jobs:
        best: tuple[int, int, Timeline] | None = None
        for n, line in enumerate(lines):
            worker = workers[line.worker]
            if job.skill and job.skill not in worker.skills:
                continue
            order = [by_key[s.job] for s in line.stops]
            for at in range(len(order) + 1):
                tried = timeline(problem, worker, [*order[:at], job, *order[at:]])
                extra = tried.distance - line.distance
                if tried.feasible and (best is None or extra < best[0]):
                    best = (extra, n, tried)
        if best is not None:
            lines[best[1]] = best[2]
    return lines


def _served(lines: Sequence[Timeline]) -> int:
    return sum(len(line.stops) for line in lines)


def plan_day(problem: DayProblem, *, iterations: int = 3000, max_seconds: float = 20.0) -> DayPlan:
    """Each technician's ordered visits for the day, and the visits left out with the reason."""
    t0 = time.perf_counter()
    if not problem.jobs:
        return DayPlan(routes=())
    if not problem.workers:
        return DayPlan(routes=(), unplanned={j.key: NO_TECHNICIAN for j in problem.jobs})
    routes, unplanned, done, trouble = _solve(
        problem, tighten=False, iterations=iterations, max_seconds=max_seconds
    )
    if trouble and any(w.lunch for w in problem.workers):
        again, dropped, more, _trouble = _solve(
            problem, tighten=True, iterations=iterations, max_seconds=max_seconds
        )
        done += more
        if _served(again) > _served(routes):
            routes, unplanned = again, dropped
    routes = _insert(
        problem,
        routes,
        [
            j
            for j in problem.jobs
            if j.key in unplanned or not any(s.job == j.key for r in routes for s in r.stops)
        ],
    )
    unplanned = {}
    served = {s.job for r in routes for s in r.stops}
    for job in problem.jobs:
        if job.key not in served and job.key not in unplanned:
            unplanned[job.key] = _why_not(problem, job)
    return DayPlan(
        routes=tuple(routes),
        unplanned=unplanned,
        iterations=done,
        seconds=time.perf_counter() - t0,
    )


# -- Solomon's VRPTW instances (the benchmark) ----------------------------------------------

SCALE = 1000  # Solomon's units × 1000 as PyVRP's integers


@dataclass(frozen=True)
class Solomon:
    """An instance in Solomon's text format: node 0 is the depot."""

    name: str
    vehicles: int
    capacity: int
    x: tuple[float, ...]
    y: tuple[float, ...]
    demand: tuple[int, ...]
    ready: tuple[int, ...]
    due: tuple[int, ...]
    service: tuple[int, ...]

    def euclid(self) -> np.ndarray:
        import numpy as np

        xy = np.column_stack([self.x, self.y])
        return np.sqrt(((xy[:, None, :] - xy[None, :, :]) ** 2).sum(axis=2))


def read_solomon(path: Path) -> Solomon:
    lines = [line.split() for line in path.read_text().splitlines() if line.strip()]
    name = lines[0][0]
    head = next(i for i, row in enumerate(lines) if row and row[0] == "VEHICLE")
    vehicles, capacity = int(lines[head + 2][0]), int(lines[head + 2][1])
    rows = [row for row in lines[head + 3 :] if row[0].isdigit() and len(row) == 7]
    cols = list(zip(*[[float(v) for v in row] for row in rows], strict=True))
    return Solomon(
        name=name,
        vehicles=vehicles,
        capacity=capacity,
        x=cols[1],
        y=cols[2],
        demand=tuple(int(v) for v in cols[3]),
        ready=tuple(int(v) for v in cols[4]),
        due=tuple(int(v) for v in cols[5]),
        service=tuple(int(v) for v in cols[6]),
    )


@dataclass(frozen=True)
class SolomonResult:
    name: str
    routes: tuple[tuple[int, ...], ...]  # customer numbers, depot left out
    distance: float  # real-valued Euclidean, summed in double precision
    problems: tuple[str, ...]  # from `check_solomon`: empty when the routes are feasible
    iterations: int
    seconds: float

    @property
    def vehicles(self) -> int:
        return len(self.routes)


# Per vehicle, in PyVRP's units (distance × 1000): more than any instance's whole distance
# (≤ 2,000 × 1000), so one vehicle fewer always beats any saving in distance.
FLEET_COST = 10**7


def solomon_data(inst: Solomon, *, fleet_first: bool = False) -> ProblemData:
    """Distances as PyVRP integers: Euclidean × 1000 rounded; travel times × 1000 rounded UP, so
    a schedule feasible in integers is feasible in real numbers too. `fleet_first`: each vehicle
    costs FLEET_COST, so fewer vehicles come first and distance second (the literature's
    hierarchical objective)."""
    import numpy as np
    from pyvrp import Client, Depot, Location, ProblemData, VehicleType

    euclid = inst.euclid()
    dist = np.round(euclid * SCALE).astype(np.int64)
    dur = np.ceil(euclid * SCALE - 1e-9).astype(np.int64)
    n = len(inst.x)
    clients = [
        Client(
            location=i,
            delivery=[inst.demand[i]],
            service_duration=inst.service[i] * SCALE,
            tw_early=inst.ready[i] * SCALE,
            tw_late=inst.due[i] * SCALE,
        )
        for i in range(1, n)
    ]
    return ProblemData(
        locations=[Location(x=inst.x[i], y=inst.y[i]) for i in range(n)],
        clients=clients,
        depots=[Depot(location=0, tw_early=inst.ready[0] * SCALE, tw_late=inst.due[0] * SCALE)],
        vehicle_types=[
            VehicleType(
                num_available=inst.vehicles,
                capacity=[inst.capacity],
                tw_early=inst.ready[0] * SCALE,
                tw_late=inst.due[0] * SCALE,
                fixed_cost=FLEET_COST if fleet_first else 0,
            )
        ],
        distance_matrices=[dist],  # type: ignore[list-item]  # PyVRP's stub: ndarray[int]
        duration_matrices=[dur],  # type: ignore[list-item]
    )


def check_solomon(inst: Solomon, routes: Sequence[Sequence[int]]) -> list[str]:
    """An independent check in real numbers: every customer once, capacity, windows, depot due."""
    euclid = inst.euclid()
    problems = []
    seen = [c for r in routes for c in r]
    if sorted(seen) != list(range(1, len(inst.x))):
        problems.append("customers not each visited exactly once")
    if len(routes) > inst.vehicles:
        problems.append(f"{len(routes)} routes > {inst.vehicles} vehicles")
    for n, route in enumerate(routes):
        if sum(inst.demand[c] for c in route) > inst.capacity:
            problems.append(f"route {n}: over capacity")
        t, here = float(inst.ready[0]), 0
        for c in route:
            t = max(t + euclid[here, c], inst.ready[c])
            if t > inst.due[c] + 1e-6:
                problems.append(f"route {n}: customer {c} starts at {t:.2f} > due {inst.due[c]}")
            t += inst.service[c]
            here = c
        if t + euclid[here, 0] > inst.due[0] + 1e-6:
            problems.append(f"route {n}: back after the depot's due time")
    return problems


def route_distance(inst: Solomon, routes: Sequence[Sequence[int]]) -> float:
    euclid = inst.euclid()
    total = 0.0
    for route in routes:
        path = [0, *route, 0]
        total += sum(float(euclid[a, b]) for a, b in itertools.pairwise(path))
    return total


# Shares of `solve_solomon`'s time with `fleet_first`: a first plan; then, until FLEET_SHARE,
# two route eliminations side by side, the guided ejection search in C (`eject_routes`) on a
# thread of its own (it runs without the GIL) and the prize rounds (`_fewer_routes`, PyVRP) on
# the caller's; then distance with the fewer of their fleets. Neither can know that it has
# reached the smallest fleet (the packing bound is below R1's and RC1's best known fleets), so
# each takes its whole share unless the prize rounds find a step hopeless (HOPELESS below).
# The two succeed on different instances. Measured (CPU, 6 s each, seeds 1-8): the ejection
# search took RC106 to its 11 routes 8 times of 8 (0.05 to 1.4 s; 4.6 s at worst with seeds
# 1-14), which the prize rounds rarely do in 10 s, and R112 to 9 routes 7 of 8; R104 to 9 only 2
# of 8, which the prize rounds do in 3.6 to 6.3 s (seeds 1-4). Side by side, on 2 cores, each
# gets its whole share of the wall time; on one core, or with the CPU clock (which counts both
# threads), about half. The prize rounds' share ends at 0.8, not 0.6: a step that succeeds
# there may take 4 to 6 s of CPU.
START_SHARE = 0.1
FLEET_SHARE = 0.8
# When the prize rounds give up a hopeless step early, the ejection search goes on until this
# share (at least 4 s of its own: RC106's 11 routes took at most 4.2 s of CPU above), not to
# FLEET_SHARE, and the distance phase starts then.
EJECT_PATIENCE_SHARE = 0.5
# The ejection search's parameters: at most EJECT_MAX customers ejected to insert one
# (Nagata and Bräysy's k_max), EJECT_MOVES random moves after each ejection (their I_rand), and
# a step that has not succeeded after EJECT_RESTART ejections starts over with another route
# taken out (theirs does not). Measured (CPU, from PyVRP's first plan, 6 s, seeds 1-8, with
# restarts): k_max 3 took RC106 to 11 routes 8 times of 8 within 1.4 s, R112 to 9 7 of 8, R104
# to 9 2 of 8; k_max 2 RC106 8 of 8 within 1.9 s but R112 5 of 8 and R104 0; k_max 4 RC106 7 of
# 8, R112 4 of 8, R104 1 of 8; k_max 5 (theirs) RC106 14 of 14 within 4.2 s (seeds 1-14).
# On RC106 with k_max 5, without restarts: 100 moves 6 of 6 within 3.1 s, 1,000 (theirs) 5 s or
# more, 30 4 of 6; 10 of 14 within 5 s (the others at 12 after 5 s: a heavy tail), and with
# restarts after 10,000 ejections 14 of 14 within 4.2 s, after 5,000 13 of 14. Their squeeze
# step (penalised insertion, then local search on the penalty) was tried in C and made no
# difference, so it is not here.
EJECT_MAX = 3
EJECT_MOVES = 100
EJECT_RESTART = 10_000


def eject_routes(
    data: ProblemData,
    routes: list[list[int]],
    seconds: float,
    *,
    seed: int,
    lower_bound: int,
    cpu: bool = False,
    stop: bytearray | None = None,
) -> tuple[list[list[int]], int]:
    """Fewer routes for a feasible plan (`routes`: 1-based clients, one vehicle type, one load
    dimension) by the guided ejection search (`_ejection.c`, which says how), within `seconds`
    (of this process's CPU if `cpu`, else of wall time), until `lower_bound` routes, or until
    another thread sets `stop[0]`: the plan with the fewest routes it found, and how many
    ejections it took."""
    import numpy as np

    from fuwu.scheduling import _ejection

    depot, vehicle, clients = data.depots()[0], data.vehicle_type(0), data.clients()
    # Node 0 the depot, node k the k-th client, whatever their locations' order.
    nodes = [depot.location, *(c.location for c in clients)]
    duration = np.asarray(data.duration_matrix(0), dtype=np.int64)[np.ix_(nodes, nodes)]

    def column(values: list[int]) -> bytes:
        return np.asarray(values, dtype=np.int64).tobytes()

    return _ejection.eliminate(
        len(nodes),
        np.ascontiguousarray(duration).tobytes(),
        column([max(depot.tw_early, vehicle.tw_early), *(c.tw_early for c in clients)]),
        column([min(depot.tw_late, vehicle.tw_late), *(c.tw_late for c in clients)]),
        column([0, *(c.service_duration for c in clients)]),
        column([0, *(c.delivery[0] for c in clients)]),
        vehicle.capacity[0],
        routes,
        lower_bound,
        seconds,
        cpu,
        seed,
        EJECT_MAX,
        EJECT_MOVES,
        EJECT_RESTART,
        bytearray(1) if stop is None else stop,
    )


# Route elimination by prizes (`_fewer_routes`): the length of a round in PyVRP's iterations
# (about 0.05 s of CPU here), and what a client left out in a round adds to its prize (PyVRP
# units: 1,000 of Solomon's distance, more than serving any one client can cost, so serving more
# clients always pays).
ROUND_ITERATIONS = 100
ROUND_PRIZE = 10**6
# PyVRP's penalties per unit of time warp and excess load in a round: a round (fewer than the
# 500 iterations between PyVRP's penalty updates) keeps half this top throughout. Its default
# (100,000) keeps the search in feasible plans; lower, it may pass through late ones. Measured
# (CPU clock): 1,000 took R112 and RC101 to their best known fleets 6 times of 6 (seeds 1-3),
# against 3 of 6 with the default and 2 of 6 with 100, but RC106 to 11 routes 0 times of 3.
# 10,000 took RC106 there 4 times of 10, but with rounds of 200 iterations and the first plan in
# 3 % of the time it lost a route on R110 and R112 with 2 seeds of 3, on R103, RC101 and RC102
# with 1 (the whole set, seeds 1-3, December 2026), so 1,000 stays.
ROUND_MAX_PENALTY = 1000.0
# Before the prize rounds, PyVRP's own penalty search with every client required, for this many
# iterations (about 0.15 s of CPU): it takes out at once a route that is easy to take out, where
# the first prize rounds took 1 to 2 s (RC102's 14 routes to 13).
REQUIRED_FIRST = 300
# Giving up a step, so that the distance phase gets the time: after PATIENCE_SHARE of the
# solve's seconds, a step whose best round so far still leaves out HOPELESS of a route's worth
# of clients or more (clients / routes) is given up. Measured (the fewest clients left out in a
# step's first 2 s of CPU, in a route's worth; seeds 1 and 2, rounds of 200 iterations at a
# penalty top of 10,000, and seed 1 with these rounds): the steps that succeeded 0.1 to 0.42
# (RC106's eleventh route, which rarely goes, 0.33 to 0.55); the steps below the best known
# fleets that are plainly hopeless 0.56 to 0.8 (R104 to 8 routes, R108 to 8 (0.56: it keeps
# its share), R110 to 9, R111 to 9, R112 to 8, RC108 to 9), others 0.1 to 0.55 (RC103 to 10,
# RC104 to 9, R107 to 9, R101 to 18), which keep their whole share: the signal only tells the
# plainly hopeless.
PATIENCE_SHARE = 0.2
HOPELESS = 0.6


class _Round:
    """PyVRP stopping criterion and search callback for a round of `_fewer_routes`: stop after
    `iterations` (a count, not a time, so that a seed gives the same rounds on a busy machine),
    at `deadline`, or as soon as the best plan is feasible and serves every client."""

    def __init__(
        self, clock: Callable[[], float], deadline: float, iterations: int, clients: int
    ) -> None:
        self.clock, self.deadline, self.left, self.clients = clock, deadline, iterations, clients
        self.done = False

    def __call__(self, best_cost: float) -> bool:
        self.left -= 1
        return self.done or self.left < 0 or self.clock() >= self.deadline

    # IteratedLocalSearchCallbacks' interface (the no-op ones are looked up by name).
    def on_best(self, best: Solution) -> None:
        if best.is_feasible() and best.num_clients() == self.clients:
            self.done = True

    def on_start(self, ils: object) -> None:
        pass

    def on_end(self, result: object) -> None:
        pass

    def on_iteration(self, *args: object) -> None:
        pass

    def on_restart(self, best: Solution) -> None:
        pass


def _fewer_routes(
    data: ProblemData,
    plan: list[list[int]],
    deadline: float,
    *,
    rounds: Iterator[int],
    clock: Callable[[], float],
    patience: float = math.inf,
) -> tuple[list[list[int]], int] | None:
    """A feasible plan with one route fewer than `plan` (customer numbers, 1-based) and PyVRP's
    iterations spent, or None if none was found by `deadline`, or if after `patience` seconds
    its rounds have left out at best HOPELESS of a route's worth of clients or more (given up).

    First PyVRP with a vehicle fewer and every client required, briefly (REQUIRED_FIRST
    iterations, from `plan` without its shortest route): enough where a route is easy to take
    out. Then PyVRP with a vehicle fewer and every client optional, with a prize: a plan that leaves
    clients out can be feasible, so the search (prize-collecting: served prizes less distance)
    keeps a feasible plan that serves nearly all. It runs in short rounds, each from the last
    round's best plan (the first from `plan` without its shortest route); a client left out has
    its prize raised by ROUND_PRIZE each round, so the next round serves it at the expense of
    clients that were easy to place elsewhere, until one round serves all. The raised prizes
    are the failure counts of Nagata and Bräysy's ejection pool ("A powerful route minimization
    heuristic for the VRPTW", 2009), with PyVRP's local search doing the insertions and
    ejections in C++.

    It replaced (December 2026) that ejection pool written in Python (fleet.py) taking turns
    with PyVRP's penalty search with a vehicle fewer and every client required: measured on CPU
    time from the same first plan, the pool did not get R104 from 10 routes to 9 in 30 s (about
    200 ejections a second), nor from a 9-route PyVRP plan with a few customers stripped out; the
    penalty search stalled at 12 to 21 units of time warp on R104 whatever its penalty bounds.
    This takes R104 and R112 to 9 routes and RC106 to 11 in 2 to 7 s, though not every time
    (RC106 with seeds 1 and 2: one of the two in 8 s, depending on the penalties' top)."""
    from pyvrp import Client, PenaltyParams

    size = len(plan) - 1
    vehicles = [data.vehicle_type(0).replace(num_available=size, fixed_cost=0)]
    base = data.clients()
    prizes = [ROUND_PRIZE] * len(base)
    current = sorted(plan, key=len)[1:]
    iterations = 0
    started = clock()
    fewest_left_out = len(base)
    if REQUIRED_FIRST > 0:
        required = data.replace(vehicle_types=vehicles)
        stop = _Round(clock, deadline, REQUIRED_FIRST, len(base))
        got = _round(required, stop, next(rounds), current, penalty=None)
        iterations += got.num_iterations
        if got.best.is_feasible():
            return [[c + 1 for c in _clients(r)] for r in got.best.routes()], iterations
    while clock() < deadline:
        problem = data.replace(
            vehicle_types=vehicles,
            clients=[
                Client(
                    location=c.location,
                    delivery=c.delivery,
                    service_duration=c.service_duration,
                    tw_early=c.tw_early,
                    tw_late=c.tw_late,
                    prize=prize,
                    required=False,
                )
                for c, prize in zip(base, prizes, strict=True)
            ],
        )
        stop = _Round(clock, deadline, ROUND_ITERATIONS, len(base))
        got = _round(
            problem,
            stop,
            next(rounds),
            current,
            penalty=PenaltyParams(max_penalty=ROUND_MAX_PENALTY),
        )
        iterations += got.num_iterations
        if not got.best.is_feasible():
            continue
        current = [[c + 1 for c in _clients(r)] for r in got.best.routes()]
        served = {c for r in current for c in r}
        if len(served) == len(base):
            return current, iterations
        fewest_left_out = min(fewest_left_out, len(base) - len(served))
        if clock() - started >= patience and fewest_left_out * size >= HOPELESS * len(base):
            return None
        for c in range(1, len(base) + 1):
            if c not in served:
                prizes[c - 1] += ROUND_PRIZE
    return None


def _round(problem: Any, stop: Any, seed: int, routes: list[list[int]], *, penalty: Any) -> Any:
    """One PyVRP search of a route-elimination step from `routes` (1-based clients), quietly
    (PyVRP warns of the infeasible starts this step gives it on purpose)."""
    from pyvrp import IteratedLocalSearchParams, Solution, SolveParams, solve

    ils = IteratedLocalSearchParams(callbacks=stop)
    params = SolveParams(ils=ils) if penalty is None else SolveParams(ils=ils, penalty=penalty)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return solve(
            problem,
            stop=stop,
            seed=seed,
            collect_stats=False,
            params=params,
            initial_solution=Solution(problem, [[c - 1 for c in r] for r in routes]),
        )


@dataclass(frozen=True)
class _Until:
    """PyVRP stopping criterion: stop once `clock` reaches `deadline`."""

    clock: Callable[[], float]
    deadline: float

    def __call__(self, best_cost: float) -> bool:
        return self.clock() >= self.deadline


def solve_solomon(
    inst: Solomon,
    seconds: float,
    *,
    seed: int = 1,
    fleet_first: bool = False,
    clock: Callable[[], float] = time.perf_counter,
) -> SolomonResult:
    """Minimise total distance within `seconds` (the fleet only bounded by the instance's
    vehicles), or with `fleet_first` the vehicles first, then distance, in three phases within
    the same `seconds`: PyVRP's first plan with a cost per vehicle; route elimination, the
    ejection search (`eject_routes`, on a second thread) beside the prize rounds
    (`_fewer_routes`, one route at a time until no route more goes), until FLEET_SHARE; then
    PyVRP on distance with the fleet fixed to the fewer routes found, starting from that plan.
    `clock`: wall time by default; `time.process_time` counts the CPU this process gets, both
    threads together."""
    from pyvrp import Solution, solve

    t0 = clock()
    if not fleet_first:
        result = solve(
            solomon_data(inst), stop=_Until(clock, t0 + seconds), seed=seed, collect_stats=False
        )
        return _solomon_result(inst, result.best, result.num_iterations, clock() - t0)
    data = solomon_data(inst, fleet_first=True)
    first = solve(
        data, stop=_Until(clock, t0 + seconds * START_SHARE), seed=seed, collect_stats=False
    )
    iterations = first.num_iterations
    if not first.best.is_feasible():
        return _solomon_result(inst, first.best, iterations, clock() - t0)
    routes = [[c + 1 for c in _clients(r)] for r in first.best.routes()]
    # The packing bound: no plan has fewer routes, so the elimination stops there.
    lower_bound = math.ceil(sum(inst.demand) / inst.capacity)
    fleet_deadline = t0 + seconds * FLEET_SHARE
    # The ejection search (C, without the GIL) on a thread of its own, beside the prize rounds.
    ejected: list[Any] = []
    stop = bytearray(1)

    def eject(start: list[list[int]]) -> None:
        try:
            ejected.append(
                eject_routes(
                    data,
                    start,
                    fleet_deadline - clock(),
                    seed=seed,
                    lower_bound=lower_bound,
                    cpu=clock is time.process_time,
                    stop=stop,
                )[0]
            )
        except BaseException as exc:  # re-raised on the caller's thread below
            ejected.append(exc)

    helper = threading.Thread(target=eject, args=(routes,), name="route-ejection", daemon=True)
    helper.start()
    rounds = itertools.count(seed * 100_000)
    while len(routes) > lower_bound and clock() < fleet_deadline:
        fewer = _fewer_routes(
            data,
            routes,
            fleet_deadline,
            rounds=rounds,
            clock=clock,
            patience=seconds * PATIENCE_SHARE,
        )
        if fewer is None:
            break
        routes, done = fewer
        iterations += done
    # The prize rounds gave up early: the ejection search has until EJECT_PATIENCE_SHARE, so
    # that the distance phase gets the rest.
    helper.join(timeout=max(0.0, t0 + seconds * EJECT_PATIENCE_SHARE - clock()))
    stop[0] = 1
    helper.join()
    if isinstance(ejected[0], BaseException):
        raise ejected[0]
    if len(ejected[0]) < len(routes):
        routes = ejected[0]
    fixed = data.replace(vehicle_types=[data.vehicle_type(0).replace(num_available=len(routes))])
    with warnings.catch_warnings():
        # With the fleet at its minimum most moves are late, and PyVRP warns that its penalty
        # hit the top; the start is feasible, so the search's best stays feasible regardless.
        warnings.simplefilter("ignore")
        last = solve(
            fixed,
            stop=_Until(clock, t0 + seconds),
            seed=seed,
            collect_stats=False,
            initial_solution=Solution(fixed, [[c - 1 for c in r] for r in routes]),
        )
    return _solomon_result(inst, last.best, iterations + last.num_iterations, clock() - t0)


def _solomon_result(
    inst: Solomon, best: Solution, iterations: int, seconds: float
) -> SolomonResult:
    routes = tuple(tuple(c + 1 for c in _clients(r)) for r in best.routes())
    problems = tuple(check_solomon(inst, routes))
    if not best.is_feasible():
        problems = ("the solver found no feasible solution", *problems)
    return SolomonResult(
        name=inst.name,
        routes=routes,
        distance=route_distance(inst, routes),
        problems=problems,
        iterations=iterations,
        seconds=seconds,
    )
