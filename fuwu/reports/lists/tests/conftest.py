from __future__ import annotations

import pytest
import time_machine

from fuwu.cases.models import Case
from fuwu.reports.lists.tests.dataset import TODAY, Data, _units, build, rounds
from fuwu.testing.factories import World


@pytest.fixture
def data(world: World) -> Data:
    """The fixed data set, with the clock frozen at "today" (Friday 4 December 2026, 10:00)."""
    built = build(world)
    with time_machine.travel(TODAY, tick=False):
        yield built


@pytest.fixture
def round_data(world: World) -> dict[str, Case]:
    """Vacant-unit rounds and survey households only (`dataset.rounds`), clock at "today"."""
    built = rounds(world, _units(world))
    with time_machine.travel(TODAY, tick=False):
        yield built
