"""Fewer routes for a VRPTW plan: the route-elimination heuristic of Nagata and Bräysy ("A
powerful route minimization heuristic for the vehicle routing problem with time windows",
Operations Research Letters 37, 2009), without its "squeeze" step. Plain Python, no Django.

One route is taken out and its customers go to an ejection pool. A customer is taken from the
pool (last in, first out) and put where it fits (a random feasible place); where it fits
nowhere, its failure count goes up and it goes in anyway, pushing out of one route the up to
`max_eject` customers whose summed failure counts are lowest (customers that often failed are
hard to place, so they are the last pushed out); those join the pool, and random feasible moves
(relocate, 2-opt*) shake the plan. The route is gone when the pool is empty; if time runs out
first, the plan before the attempt stays. Why this exists: PyVRP's penalty search with a vehicle
fewer (as `pyvrp.minimise_fleet`, even warm-started) did not reach the best known fleet of
RC101 (14) or R104 (9) in 30 s here, nor R110's (10) in 6 s; the pool with its failure counts
reaches RC101's in about 7 s (wall time, machine shared) and R110's in 3 s of CPU. It does not
replace PyVRP's search (R107, R108 and R109 go the other way), so `minimise_routes` can take
turns with it. Measured, not in the code: a squeeze by PyVRP's local search (every pooled
customer put in, lateness penalised) found no route the pool alone did not, at a fourteenth of
the pool's pace; and ejecting up to 5 (with 30 to 200 shaking moves) did no better than 3 on
R104, R112 and RC106, which neither method solves in 10 s.

Units are integers as in `vrptw.solomon_data` (times × 1000, travel rounded up), so a plan this
module calls feasible is feasible for PyVRP and, in real numbers, for `check_solomon`.

A route is a list of customer numbers (1..n); 0 is the depot. Along a route, `early[i]` is the
earliest service start at its i-th stop (0 = leaving the depot, last = back at the depot) and
`late[i]` the latest start that keeps the rest of the route on time: a customer `v` fits between
stops i and i+1 when it can start by its due time and the next stop can still start by
`late[i+1]`.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

# Customers pushed out at most per insertion, and random moves after each ejection. Nagata and
# Bräysy use 5 and 1,000 in C++; in Python 3 and 30 leave time for many more ejections (about
# 1,000 per CPU second on R104).
MAX_EJECT = 3
SHAKES = 30
NEAR = 15  # a customer's nearest customers, for the shaking moves
TRIES = 30  # random picks per wanted move: most picks are no move (same route, or late)


@dataclass(frozen=True)
class Instance:
    """The problem in the solver's integer units. Node 0 is the depot."""

    travel: list[list[int]]  # [a][b]: travel time (= distance) from a to b, rounded up
    ready: list[int]
    due: list[int]
    service: list[int]
    demand: list[int]
    capacity: int
    near: list[list[int]]  # each customer's nearest customers, nearest first

    @classmethod
    def build(
        cls,
        euclid: np.ndarray,
        *,
        ready: Sequence[int],
        due: Sequence[int],
        service: Sequence[int],
        demand: Sequence[int],
        capacity: int,
        scale: int,
    ) -> Instance:
        travel = np.ceil(euclid * scale - 1e-9).astype(np.int64)
        order = np.argsort(euclid, axis=1, kind="stable")
        near = [[int(c) for c in row if c != i and c != 0][:NEAR] for i, row in enumerate(order)]
        return cls(
            travel=travel.tolist(),
            ready=[r * scale for r in ready],
            due=[d * scale for d in due],
            service=[s * scale for s in service],
            demand=list(demand),
            capacity=capacity,
            near=near,
        )

    def feasible(self, route: Sequence[int]) -> bool:
        t, here, load = self.ready[0], 0, 0
        for c in route:
            t = max(self.ready[c], t + self.service[here] + self.travel[here][c])
            if t > self.due[c]:
                return False
            load += self.demand[c]
            here = c
        return (
            load <= self.capacity and t + self.service[here] + self.travel[here][0] <= self.due[0]
        )


class _Plan:
    """Routes with, per route, the earliest and latest start times and the load."""

    def __init__(self, inst: Instance, routes: Sequence[Sequence[int]]) -> None:
        self.inst = inst
        self.routes: list[list[int]] = [list(r) for r in routes]
        self.early: list[list[int]] = []
        self.late: list[list[int]] = []
        self.load: list[int] = []
        self.cum: list[list[int]] = []  # [route][i]: load of its first i customers
        self.where: dict[int, tuple[int, int]] = {}  # customer -> (route, position 1..)
        for n in range(len(self.routes)):
            self.early.append([])
            self.late.append([])
            self.load.append(0)
            self.cum.append([])
            self.refresh(n)

    def refresh(self, n: int) -> None:
        inst, route = self.inst, self.routes[n]
        travel, service, ready, due = inst.travel, inst.service, inst.ready, inst.due
        path = [0, *route, 0]
        early = [ready[0]] * len(path)
        for i in range(1, len(path)):
            a, b = path[i - 1], path[i]
            early[i] = max(ready[b], early[i - 1] + service[a] + travel[a][b])
        late = [due[0]] * len(path)
        for i in range(len(path) - 2, -1, -1):
            a, b = path[i], path[i + 1]
            late[i] = min(due[a], late[i + 1] - travel[a][b] - service[a])
        self.early[n], self.late[n] = early, late
        cum = [0] * len(path)
        for i, c in enumerate(route, start=1):
            cum[i] = cum[i - 1] + inst.demand[c]
        self.cum[n] = cum
        self.load[n] = cum[len(route)]
        for i, c in enumerate(route, start=1):
            self.where[c] = (n, i)

    def drop_route(self, n: int) -> list[int]:
        gone = self.routes.pop(n)
        self.early.pop(n)
        self.late.pop(n)
        self.load.pop(n)
        self.cum.pop(n)
        for c in gone:
            del self.where[c]
        for m in range(n, len(self.routes)):
            for i, c in enumerate(self.routes[m], start=1):
                self.where[c] = (m, i)
        return gone

    def fits(self, v: int) -> list[tuple[int, int]]:
        """Every (route, position) where `v` can go without breaking anything."""
        inst = self.inst
        travel, service, ready, due = inst.travel, inst.service, inst.ready, inst.due
        tv, sv, ev, lv, qv = travel[v], service[v], ready[v], due[v], inst.demand[v]
        out = []
        for n, route in enumerate(self.routes):
            if self.load[n] + qv > inst.capacity:
                continue
            early, late = self.early[n], self.late[n]
            prev = 0
            for i in range(len(route) + 1):
                nxt = route[i] if i < len(route) else 0
                start = max(ev, early[i] + service[prev] + travel[prev][v])
                if start <= lv and start + sv + tv[nxt] <= late[i + 1]:
                    out.append((n, i))
                prev = nxt
        return out

    def insert(self, v: int, n: int, i: int) -> None:
        self.routes[n].insert(i, v)
        self.refresh(n)

    def remove(self, c: int) -> None:
        n, i = self.where.pop(c)
        del self.routes[n][i - 1]
        self.refresh(n)


def _eject(
    plan: _Plan, v: int, penalty: list[int], max_eject: int, rng: random.Random
) -> tuple[int, int, list[int]] | None:
    """Where to put `v` and whom to push out: the (route, position, ejected) with the lowest
    summed failure count (ties: the first found, routes in a random order)."""
    best: tuple[int, int, list[int]] | None = None
    bound = math.inf
    order = list(range(len(plan.routes)))
    rng.shuffle(order)
    for n in order:
        route = plan.routes[n]
        # v fits nowhere as it is, so every route must give up at least one customer.
        if min(penalty[c] for c in route) >= bound:
            continue
        for pos in range(len(route) + 1):
            found = _cheapest_ejection(plan, n, pos, v, penalty, max_eject, bound)
            if found is not None:
                bound, best = found[0], (n, pos, found[1])
    return best


def _cheapest_ejection(
    plan: _Plan,
    n: int,
    pos: int,
    v: int,
    penalty: list[int],
    max_eject: int,
    bound: float,
) -> tuple[int, list[int]] | None:
    """With `v` put at position `pos` of route `n`, the up to `max_eject` other customers of
    the route whose removal makes it feasible with the lowest summed penalty below `bound`
    (depth first, keeping before ejecting), or None."""
    inst = plan.inst
    travel, service, ready, due, demand = (
        inst.travel,
        inst.service,
        inst.ready,
        inst.due,
        inst.demand,
    )
    route, late = plan.routes[n], plan.late[n]
    seq = [*route[:pos], v, *route[pos:]]
    end = len(seq)
    over = plan.load[n] + demand[v] - inst.capacity  # load to shed
    to_v, due_v, due0 = travel[v], due[v], due[0]  # travel is symmetric
    to_depot = travel[0]
    best: list = [bound, None]

    def walk(j: int, prev: int, leave: int, psum: int, out: list[int], freed: int) -> None:
        if psum >= best[0]:
            return
        if j == end:
            if leave + to_depot[prev] <= due0 and freed >= over:
                best[0], best[1] = psum, list(out)
            return
        c = seq[j]
        start = max(ready[c], leave + travel[prev][c])
        # seq[j] past v is the route's stop j (1-based): if it can start by its latest start,
        # the rest of the route is on time as it is, and more ejections would only cost.
        if j > pos and start <= late[j] and freed >= over:
            best[0], best[1] = psum, list(out)
            return
        # Whatever comes next is reached no sooner than directly (triangle inequality): keep c
        # only if v (when still to come) and the depot can be reached in time from it.
        if start <= due[c]:
            leave_c = start + service[c]
            if (j >= pos or leave_c + to_v[c] <= due_v) and leave_c + to_depot[c] <= due0:
                walk(j + 1, c, leave_c, psum, out, freed)
        if c != v and len(out) < max_eject:
            out.append(c)
            walk(j + 1, prev, leave, psum + penalty[c], out, freed + demand[c])
            out.pop()

    walk(0, 0, ready[0], 0, [], 0)
    return None if best[1] is None else (best[0], best[1])


def _shake(plan: _Plan, moves: int, rng: random.Random) -> None:
    """Random feasible moves between routes: relocate a customer next to a near one, or swap
    two routes' tails (2-opt*). Diversifies the plan so the next insertions meet other gaps."""
    inst = plan.inst
    travel, service, ready, due, demand = (
        inst.travel,
        inst.service,
        inst.ready,
        inst.due,
        inst.demand,
    )
    customers = list(plan.where)
    if len(plan.routes) < 2 or not customers:
        return
    done = 0
    for _ in range(moves * TRIES):
        if done == moves:
            return
        u = customers[int(rng.random() * len(customers))]
        w = inst.near[u][int(rng.random() * NEAR)]
        if u not in plan.where or w not in plan.where:
            continue
        ru, iu = plan.where[u]
        rw, iw = plan.where[w]
        if ru == rw:
            continue
        if rng.random() < 0.5:
            # Relocate u right after w (iw) or right before it (iw - 1).
            if plan.load[rw] + demand[u] > inst.capacity:
                continue
            at = iw if rng.random() < 0.5 else iw - 1
            route, early, late = plan.routes[rw], plan.early[rw], plan.late[rw]
            prev = route[at - 1] if at > 0 else 0
            nxt = route[at] if at < len(route) else 0
            start = max(ready[u], early[at] + service[prev] + travel[prev][u])
            if start <= due[u] and start + service[u] + travel[u][nxt] <= late[at + 1]:
                plan.remove(u)
                plan.insert(u, rw, at)
                done += 1
                if not plan.routes[ru]:
                    plan.drop_route(ru)
                    customers = list(plan.where)
                    if len(plan.routes) < 2:
                        return
        else:
            # 2-opt*: route ru keeps up to u and continues with rw after w, and vice versa.
            a, b = plan.routes[ru], plan.routes[rw]
            cum_a, cum_b = plan.cum[ru], plan.cum[rw]
            load_a = cum_a[iu] + plan.load[rw] - cum_b[iw]
            load_b = cum_b[iw] + plan.load[ru] - cum_a[iu]
            if load_a > inst.capacity or load_b > inst.capacity:
                continue
            if not _joins(plan, ru, iu, rw, iw) or not _joins(plan, rw, iw, ru, iu):
                continue
            plan.routes[ru], plan.routes[rw] = a[:iu] + b[iw:], b[:iw] + a[iu:]
            done += 1
            plan.refresh(ru)
            plan.refresh(rw)
            if not plan.routes[ru] or not plan.routes[rw]:
                # A tail swap may empty a route: that is a route fewer, keep it so.
                for n in sorted((ru, rw), reverse=True):
                    if not plan.routes[n]:
                        plan.drop_route(n)
                customers = list(plan.where)


def _joins(plan: _Plan, ra: int, ia: int, rb: int, ib: int) -> bool:
    """Whether route ra's first ia customers followed by route rb's customers after position
    ib (1-based) are on time."""
    inst = plan.inst
    a, b = plan.routes[ra], plan.routes[rb]
    last = a[ia - 1] if ia > 0 else 0
    nxt = b[ib] if ib < len(b) else 0
    start = plan.early[ra][ia] + inst.service[last] + inst.travel[last][nxt]
    if nxt != 0:
        start = max(inst.ready[nxt], start)
    return start <= plan.late[rb][ib + 1]


def drop_one_route(
    inst: Instance,
    routes: Sequence[Sequence[int]],
    deadline: float,
    rng: random.Random,
    *,
    max_eject: int = MAX_EJECT,
    shakes: int = SHAKES,
    clock: Callable[[], float] = time.perf_counter,
) -> list[list[int]] | None:
    """A feasible plan with one route fewer than `routes`, or None if none was found before
    `deadline` (by `clock`: wall time by default, `time.process_time` to count CPU)."""
    plan = _Plan(inst, routes)
    # The shortest route is the cheapest to empty; ties go to a random one.
    fewest = min(len(r) for r in plan.routes)
    pool = plan.drop_route(rng.choice([n for n, r in enumerate(plan.routes) if len(r) == fewest]))
    penalty = [1] * len(inst.ready)
    while pool:
        if clock() > deadline:
            return None
        v = pool.pop()
        places = plan.fits(v)
        if places:
            plan.insert(v, *rng.choice(places))
            continue
        penalty[v] += 1
        choice = _eject(plan, v, penalty, max_eject, rng)
        if choice is None:
            # Nowhere even with ejections (a customer that needs a route of its own).
            return None
        n, pos, out = choice
        plan.insert(v, n, pos)
        for c in out:
            plan.remove(c)
        pool.extend(out)
        _shake(plan, shakes, rng)
    return [list(r) for r in plan.routes if r]


# A route the other way (`minimise_routes`' `other`): given a plan and a deadline, a feasible
# plan with fewer routes, or None.
Attempt = Callable[[list[list[int]], float], list[list[int]] | None]


def minimise_routes(
    inst: Instance,
    routes: Sequence[Sequence[int]],
    deadline: float,
    *,
    seed: int = 1,
    lower_bound: int = 1,
    other: Attempt | None = None,
    other_seconds: float = 1.0,
    pool_seconds: float = 2.0,
    clock: Callable[[], float] = time.perf_counter,
) -> list[list[int]]:
    """Take routes out one at a time while there is time; the smallest feasible plan found (the
    input if none smaller). With `other` (PyVRP's penalty search, in `vrptw`), each round tries
    it first for up to `other_seconds`, then the ejection pool for up to `pool_seconds`, doubled
    after each round where neither succeeded (the pool starts afresh each round, and a hard
    route needs a long run), and starts the next round whichever succeeded: on Solomon's R1 the
    two succeed on different instances (PyVRP finds R107's and R108's best known fleet at once
    where the pool does not in 5 s; the pool finds R110's and RC101's, where PyVRP does not in
    6 and 30 s)."""
    rng = random.Random(seed)
    best = [list(r) for r in routes if r]
    failed = 0
    while len(best) > lower_bound and clock() < deadline:
        if other is not None:
            fewer = other(best, min(deadline, clock() + other_seconds))
            if fewer is not None and len(fewer) < len(best):
                best, failed = fewer, 0
                continue
            end = min(deadline, clock() + pool_seconds * 2**failed)
        else:
            end = deadline
        fewer = drop_one_route(inst, best, end, rng, clock=clock)
        if fewer is not None:
            best, failed = fewer, 0
        elif other is None:
            break
        else:
            failed += 1
    return best
