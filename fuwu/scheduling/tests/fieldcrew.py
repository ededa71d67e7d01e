"""A field team for the route tests: the dealer's workshop (crew.seed_workshop: 08:30–17:30,
lunch 12:00–13:00, on the site's real working calendar) with a field base in Shenzhen's Futian
district, 30 km/h (1 km = 2 minutes), and an electrician among its technicians."""

from __future__ import annotations

from datetime import date, time
from decimal import Decimal

from fuwu.core.models import Skill
from fuwu.scheduling import routes
from fuwu.scheduling.models import FieldBase, Technician, Visit, Workshop
from fuwu.scheduling.tests.crew import seed_workshop
from fuwu.testing.factories import World

TUESDAY = date(2026, 12, 8)  # a working day on the site's calendar
BASE = (Decimal("22.543100"), Decimal("114.057900"))
KM_LAT = Decimal("0.008993")  # one kilometre north
KM_LON = Decimal("0.009735")  # one kilometre east at the base's latitude


def seed_field(world: World, technicians: int = 3) -> tuple[Workshop, list[Technician], Skill]:
    workshop = seed_workshop(world, technicians=technicians)
    FieldBase.objects.create(workshop=workshop, name="福田服务站", lat=BASE[0], lon=BASE[1])
    electrical, _ = Skill.objects.get_or_create(
        code="electrical", defaults={"name": "电工", "name_en": "Electrical"}
    )
    techs = list(workshop.technicians.select_related("staff").order_by("staff__display_name"))
    techs[0].staff.skills.add(electrical)
    return workshop, techs, electrical


def visit(
    world: World,
    workshop: Workshop,
    km_north: float,
    start: str,
    end: str,
    *,
    minutes: int = 30,
    skill: Skill | None = None,
    day: date = TUESDAY,
    address: str = "",
    km_east: float = 0,
) -> Visit:
    """A visit `km_north` km north of the base (negative: south) and `km_east` east."""
    return routes.add_visit(
        world.actor("vp"),
        workshop,
        address=address or f"北 {km_north} 公里",
        lat=BASE[0] + KM_LAT * Decimal(str(km_north)),
        lon=BASE[1] + KM_LON * Decimal(str(km_east)),
        day=day,
        window_start=time.fromisoformat(start),
        window_end=time.fromisoformat(end),
        service_minutes=minutes,
        skill=skill,
    )
