"""Demo data that looks real: 华安服务集团 with a residential compound, a Toyota dealership, a hotel
and a hot-pot restaurant.

`build()` creates the organisation, staff with a reporting line up to one VP, customers with
their units, vehicles, keys, parking spaces and hotel rooms, and cases of every loaded procedure
standing in many different steps: hand-written stories for the first three procedures
(`stories.py`), a generic walk through every other one (`walker.py`), recurring schedules and a
campaign under way (`recurring.py`), two rounds of the residents' opinion survey with their
answers (`surveys.py`). Every case change goes through `fuwu.cases.actions` as a real
staff actor, so the events, clocks, notifications and queued tasks are exactly what real use
writes (and they replay). The same seed gives the same data; procedures that are not loaded are
skipped.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from random import Random

from django.db import transaction
from django.utils import timezone

from fuwu.campaigns.models import Campaign, Schedule
from fuwu.cases.models import Case, Consultation, Event, WorkLog
from fuwu.core.models import Staff
from fuwu.customers.models import Asset, Customer
from fuwu.demo.people import PEOPLE, SITES
from fuwu.demo.player import StoryPlayer
from fuwu.demo.portal import consultations, portal_accounts
from fuwu.demo.recurring import Recurring
from fuwu.demo.stories import STORIES
from fuwu.demo.surveys import survey_rounds
from fuwu.demo.walker import Walker
from fuwu.demo.workshop import build_workshop
from fuwu.demo.world import PASSWORD, World
from fuwu.procedures.models import ProcedureVersion
from fuwu.procedures.registry import sync_library
from fuwu.surveys.models import Response

__all__ = ["DEFAULT_SEED", "PASSWORD", "DemoError", "Summary", "build"]

DEFAULT_SEED = 2025


class DemoError(Exception):
    """The demo cannot be built (for example, the procedure library has problems)."""


@dataclass
class Summary:
    logins: list[tuple[str, str, str, str]]
    counts: dict[str, int]
    problems: list[str]  # cases that failed where nothing should have
    stopped: list[str]  # walked cases no transition could move on, and why each was refused


def load_library() -> None:
    """Load the procedure library if none is stored yet (a fresh database)."""
    if ProcedureVersion.objects.exists():
        return
    result = sync_library()
    if result.problems:
        raise DemoError("The procedure library has problems:\n" + "\n".join(result.problems))


def build(*, seed: int = DEFAULT_SEED, now: datetime | None = None) -> Summary:
    """Create the whole demo in one transaction: all or nothing, and one commit is fastest."""
    load_library()
    with transaction.atomic():
        world = World(Random(seed), now or timezone.now())
        world.organisation()
        world.people()
        world.customers()
        player = StoryPlayer(world)
        player.play_all()
        walker = Walker(world, seed)
        walker.walk_library(skip={story.procedure for story in STORIES})
        recurring = Recurring(world, walker)
        recurring.schedules()
        recurring.campaign()
        consultations(world)
        customers = portal_accounts(world)
        # After the portal accounts: their owners are invited through the portal.
        survey_rounds(world)
        # The dealer's workshop last: the walker's Toyota cases were opened without one.
        build_workshop(world, seed)
    summary = _summary(world, [*player.problems, *walker.problems], walker.stopped)
    summary.logins.extend(customers)
    return summary


def _summary(world: World, problems: list[str], stopped: list[str]) -> Summary:
    everywhere = f"全部 {len(SITES)} 个项目"
    logins = [
        (
            p.username,
            p.name,
            p.roles,
            everywhere if p.all_sites else world.sites[p.department.partition("/")[0]].name,
        )
        for p in PEOPLE
    ]
    counts = {
        "staff": Staff.objects.count(),
        "customers": Customer.objects.count(),
        "assets": Asset.objects.count(),
        "cases": Case.objects.count(),
        "events": Event.objects.count(),
        "work_log": WorkLog.objects.count(),
        "consultations": Consultation.objects.count(),
        "schedules": Schedule.objects.count(),
        "campaigns": Campaign.objects.count(),
        "survey_responses": Response.objects.filter(submitted_at__isnull=False).count(),
    }
    return Summary(logins, counts, problems, stopped)
