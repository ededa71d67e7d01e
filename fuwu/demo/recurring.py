"""Recurring schedules and a campaign under way, for the procedures that are loaded.

Each schedule starts at its next occurrence after `now`, so a worker started on a fresh demo
opens nothing at once. The campaign — this half-year's written opinion survey of one building —
was started twelve days ago; some households have answered, a few problems are being put right.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from dateutil.rrule import rrulestr

from fuwu.campaigns.actions import create_schedule, start_campaign
from fuwu.campaigns.models import Campaign
from fuwu.cases.models import Case
from fuwu.customers.choices import AssetKind
from fuwu.demo.walker import Walker
from fuwu.demo.world import TZ, World
from fuwu.procedures.registry import current_version


@dataclass(frozen=True)
class Plan:
    procedure: str
    title: str  # {date}: the occurrence's date
    rrule: str  # no BYHOUR: the time of day is dtstart's, so it survives storage in UTC
    anchor: str  # the first occurrence's local time: "weekday HH:MM" or "MM-DD HH:MM"
    asset_filter: dict[str, Any] | None = None  # a campaign over the compound's units
    data: dict[str, Any] = field(default_factory=dict)
    asset_kind: str = AssetKind.UNIT
    site: str = "lanting"


SCHEDULES = [
    Plan(
        "opinion_survey",
        "{date} 半年度业主书面意见征询",
        "FREQ=MONTHLY;INTERVAL=6;BYMONTHDAY=1",
        "01-01 09:00",
        {"occupied": True},
        {"survey_method": "written_survey"},
    ),
    Plan(
        "vacant_unit_inspection",
        "{date} 空房巡视",
        "FREQ=WEEKLY;BYDAY=MO",
        "0 09:30",
        {"occupied": False},
    ),
    Plan(
        "fee_collection",
        "{date} 物业管理费缴费通知",
        "FREQ=MONTHLY;BYMONTHDAY=1",
        "01-01 10:00",
        {"occupied": True},
        {"fee_type": "management_fee"},
    ),
    Plan(
        "gas_activation",
        "{date} 本周煤气开通名单",
        "FREQ=WEEKLY;BYDAY=TH",
        "3 10:00",
        {"gas_activated": False, "handed_over": True},
    ),
    Plan(
        "parking_reconciliation",
        "{date} 车位月度核对",
        "FREQ=MONTHLY;BYMONTHDAY=28",
        "01-28 09:00",
        asset_kind="",
    ),
    # 商务中心服务工作程序 3.3: 定期检查和维护办公设备 — every Monday before the clients arrive.
    Plan(
        "business_centre",
        "{date} 商务中心办公设备定期检查",
        "FREQ=WEEKLY;BYDAY=MO",
        "0 09:00",
        data={
            "request_type": "routine_maintenance",
            "equipment_name": "复印机、打印机、传真机、投影仪",
        },
        asset_kind="",
        site="hotel",
    ),
]


def next_occurrence(plan: Plan, now: datetime) -> datetime:
    """The rule's first occurrence after `now`, at the plan's local time of day."""
    local = now.astimezone(TZ)
    day, clock = plan.anchor.split(" ")
    hour, minute = (int(x) for x in clock.split(":"))
    if "-" in day:
        month, mday = (int(x) for x in day.split("-"))
        start = local.replace(year=local.year - 1, month=month, day=mday)
    else:  # a weekday of last week
        start = local - timedelta(days=local.weekday() - int(day) + 7)
    start = start.replace(hour=hour, minute=minute, second=0, microsecond=0)
    following = rrulestr(plan.rrule, dtstart=start).after(local)
    assert following is not None
    return following


def half_year(now: datetime) -> str:
    local = now.astimezone(TZ)
    return f"{local.year}年{'上' if local.month <= 6 else '下'}半年"


class Recurring:
    def __init__(self, world: World, walker: Walker) -> None:
        self.world, self.walker = world, walker

    def schedules(self) -> None:
        vp = self.world.actors["wang.jianguo"]
        for plan in SCHEDULES:
            if current_version(plan.procedure) is None:
                continue
            create_schedule(
                vp,
                site_id=self.world.sites[plan.site].pk,
                procedure_key=plan.procedure,
                title=plan.title,
                rrule=plan.rrule,
                dtstart=next_occurrence(plan, self.world.now),
                asset_kind=plan.asset_kind,
                asset_filter=plan.asset_filter or {},
                data=plan.data,
                created_at=self.world.now - timedelta(days=30),
            )

    def campaign(self) -> Campaign | None:
        """This half-year's written survey of the building with the most households, under way."""
        if current_version("opinion_survey") is None:
            return None
        world = self.world
        units = world.assets.get(("lanting", AssetKind.UNIT), [])
        buildings = Counter(u.attributes["building"] for u in units if u.attributes["occupied"])
        if not buildings:
            return None
        building = min(buildings, key=lambda b: (-buildings[b], b))
        round_ = half_year(world.now)
        campaign = start_campaign(
            world.actors["li.na"],
            site_id=world.sites["lanting"].pk,
            procedure_key="opinion_survey",
            title=f"{round_}业主书面意见征询 · {building}栋",
            asset_kind=AssetKind.UNIT,
            asset_filter={"building": building, "occupied": True},
            data={"survey_method": "written_survey", "survey_round": round_},
            now=world.now - timedelta(days=12),
        )
        self.walker.reseed("campaign")
        for case in Case.objects.filter(campaign=campaign).order_by("pk"):
            limit = self.walker.rng.choice([0, 1, 2, 3, 4, 6, 8])
            self.walker.guarded("opinion_survey campaign", self.walker.advance, case, limit)
        return campaign
