"""A repair order on the seed's workshop (crew.py) for the production tests: the 4S 店 open
08:30–17:30, lunch 12:00–13:00, ten technicians, on the site's real working calendar."""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal
from zoneinfo import ZoneInfo

from fuwu.cases.actions import open_case
from fuwu.cases.models import Case
from fuwu.core.models import Skill
from fuwu.scheduling.models import RepairJob, Technician, Workshop
from fuwu.testing.factories import World

SH = ZoneInfo("Asia/Shanghai")
MONDAY = date(2025, 3, 3)


def at(day: date, hh: int, mm: int = 0) -> datetime:
    return datetime.combine(day, time(hh, mm), SH)


def repair_order(world: World, title: str = "粤B·3K5X8 发动机异响") -> Case:
    return open_case(
        world.actor("advisor"),
        procedure_key="toyota_seven_step",
        site_id=world.sites["dealer"].pk,
        channel="phone",
        title=title,
        customer_id=world.customers["driver"].pk,
        asset_id=world.assets["car"].pk,
        data={"plate_no": "粤B·3K5X8", "customer_request": title},
    )


def crew(workshop: Workshop) -> list[Technician]:
    return list(Technician.objects.filter(workshop=workshop).select_related("staff").order_by("pk"))


def engine_skill(techs: list[Technician], levels: dict[int, int]) -> Skill:
    """The engine skill for the technicians at these indexes, at these levels."""
    skill = Skill.objects.create(code="engine", name="发动机维修", name_en="Engine repair")
    for n, level in levels.items():
        techs[n].staff.skills.add(skill)
        techs[n].levels = {"engine": level}
        techs[n].save(update_fields=["levels"])
    return skill


def job(
    workshop: Workshop,
    case: Case,
    hours: str = "2.3",
    *,
    promised: datetime | None = None,
    technician: Technician | None = None,
    start: datetime | None = None,
    skill: Skill | None = None,
    level: int = 1,
    name: str = "发动机检修",
) -> RepairJob:
    return RepairJob.objects.create(
        case=case,
        workshop=workshop,
        name=name,
        standard_hours=Decimal(hours),
        work_type="repair",
        skill=skill,
        level=level,
        technician=technician,
        planned_start=start,
        promised_at=promised,
        advisor=case.created_by,
    )
