from __future__ import annotations

import pytest

from fuwu.sla.clocks import forget_calendars
from fuwu.testing.factories import World, build_world


@pytest.fixture
def world(library: None) -> World:
    """The sites on their real working calendars (the report counts business-hour deadlines)."""
    forget_calendars()
    return build_world(always_open=False)
