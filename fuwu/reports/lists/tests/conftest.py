from __future__ import annotations

import pytest
import time_machine

from fuwu.reports.lists.tests.dataset import TODAY, Data, build
from fuwu.testing.factories import World


@pytest.fixture
def data(world: World) -> Data:
    """The fixed data set, with the clock frozen at "today" (Friday 4 December 2026, 10:00)."""
    built = build(world)
    with time_machine.travel(TODAY, tick=False):
        yield built
