"""A Monday on the seed's workshop (crew.py: 08:30–17:30, lunch 12–13, ten technicians, on the
site's real working calendar) for the KPI tests, worked out by hand:

- appointments due: A1 09:00 2 h, A2 09:30 1.5 h, A3 10:00 1 h (all arrived), A4 10:30 1 h
  (no-show), A5 11:00 1 h (cancelled); a walk-in W at 10:07, 1 h; a repair order C3 opened at
  13:00 without an appointment.
  Customers 3 + 1 + 1 = 5; appointment rate 3 / 5 = 60 % (below the 80 % guide);
  no-show rate 1 / 4 = 25 %; booked hours 2 + 1.5 + 1 + 1 = 5.5.
- repair orders C1 (A1), C2 (A2), C3 (none), C4 (A3), all by the advisor; jobs:
  C1 2.3 h on tech 0, clocked 08:30–10:30, done; C2 1.5 h on tech 1, clocked 09:30–11:30,
  stopped, carried over by hand (unplanned); C3 1.0 h on tech 0, clocked 13:00–14:00, done;
  C4 6 h on tech 2, clocked 14:00–17:30, carried over as planned (a two-day job).
  Sold 2.3 + 1.0 = 3.3 h; vehicles repaired {C1, C3} ∪ carried {C2, C4} = 4; unplanned
  carry-overs 1 (C2): rate 1 / 4 = 25 % (above the 5 % guide).
  Clocked 3 + 2 + 3.5 = 8.5 h of 80 h attendance; idle 80 − 8.5 = 71.5 h (every gap ≥ 30 min).
- Tuesday: nothing; ten technicians idle all day (80 h) once the day is over.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from fuwu.cases.models import Case
from fuwu.core.actors import actor_for
from fuwu.scheduling import production, promises
from fuwu.scheduling.booking import Job, book, set_status
from fuwu.scheduling.models import Appointment, RepairJob, Technician, Workshop
from fuwu.scheduling.tests.crew import seed_workshop
from fuwu.scheduling.tests.shop import MONDAY, at, crew, repair_order
from fuwu.scheduling.walk_ins import receive
from fuwu.testing.factories import World

TUESDAY = MONDAY + timedelta(days=1)
AFTER = at(TUESDAY, 18)  # "now": both days over


@dataclass
class Scene:
    workshop: Workshop
    techs: list[Technician]
    appointments: dict[str, Appointment]
    cases: dict[str, Case]
    jobs: dict[str, RepairJob]


def _job(
    workshop: Workshop, case: Case, hours: str, tech: Technician, opened: datetime
) -> RepairJob:
    return RepairJob.objects.create(
        case=case,
        workshop=workshop,
        name="维修",
        standard_hours=Decimal(hours),
        work_type="repair",
        technician=tech,
        planned_start=opened,
        advisor=case.created_by,
        created_at=opened,
    )


def _work(tech: Technician, job: RepairJob, start: datetime, end: datetime, done: bool) -> None:
    me = actor_for(tech.staff.user)
    production.clock_on(me, job.pk, now=start)
    production.clock_off(me, job.pk, done=done, reason="" if done else "waiting_parts", now=end)


def monday(world: World) -> Scene:
    workshop = seed_workshop(world)
    techs = crew(workshop)
    advisor, driver = world.actor("advisor"), world.customers["driver"]
    friday = at(MONDAY - timedelta(days=3), 10)

    def booked(hh: int, mm: int, hours: str) -> Appointment:
        return book(
            advisor,
            workshop,
            customer=driver,
            starts_at=at(MONDAY, hh, mm),
            jobs=[Job(name="保养", hours=Decimal(hours), work_type="maintenance")],
            now=friday,
        )

    a = {
        "A1": booked(9, 0, "2"),
        "A2": booked(9, 30, "1.5"),
        "A3": booked(10, 0, "1"),
        "A4": booked(10, 30, "1"),
        "A5": booked(11, 0, "1"),
    }
    for key in ("A1", "A2", "A3"):
        set_status(advisor, a[key].pk, "arrived", now=at(MONDAY, 9))
    set_status(advisor, a["A4"].pk, "no_show", now=at(MONDAY, 11))
    set_status(advisor, a["A5"].pk, "cancelled", now=at(MONDAY, 8))
    a["W"] = receive(
        advisor,
        workshop,
        customer=driver,
        jobs=[Job(name="洗车", hours=Decimal("1"), work_type="maintenance")],
        now=at(MONDAY, 10, 7),
    )
    c = {key: repair_order(world, f"粤B·{key} 维修") for key in ("C1", "C2", "C3", "C4")}
    for case_key, appointment_key in (("C1", "A1"), ("C2", "A2"), ("C4", "A3")):
        Appointment.objects.filter(pk=a[appointment_key].pk).update(case=c[case_key])
    j = {
        "J1": _job(workshop, c["C1"], "2.3", techs[0], at(MONDAY, 8, 30)),
        "J2": _job(workshop, c["C2"], "1.5", techs[1], at(MONDAY, 9, 30)),
        "J3": _job(workshop, c["C3"], "1.0", techs[0], at(MONDAY, 13)),
        "J4": _job(workshop, c["C4"], "6", techs[2], at(MONDAY, 14)),
    }
    _work(techs[0], j["J1"], at(MONDAY, 8, 30), at(MONDAY, 10, 30), True)
    _work(techs[1], j["J2"], at(MONDAY, 9, 30), at(MONDAY, 11, 30), False)
    _work(techs[0], j["J3"], at(MONDAY, 13), at(MONDAY, 14), True)
    _work(techs[2], j["J4"], at(MONDAY, 14), at(MONDAY, 17, 30), False)
    promises.carry_over(advisor, c["C2"].pk, reason="等待零件到货", now=at(MONDAY, 17))
    promises.carry_over(
        advisor, c["C4"].pk, reason="两天的大修", planned=True, now=at(MONDAY, 17, 10)
    )
    for job in j.values():
        job.refresh_from_db()
    return Scene(workshop, techs, a, c, j)
