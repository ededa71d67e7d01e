"""The moment an action takes place: now, or — for the demo's history — a moment set for a block.

`Change` (fuwu.cases.flow) stamps the case, its events and its clocks with `clock.now()`. The
demo data walks cases through weeks of work in a few seconds; it sets each move's moment with
`clock.at(moment)`, so the events, the service-level judgements and the reports built from them
fall on the days the work is meant to have happened, not all on the day the demo was loaded.
Nothing else sets it: a request always acts at the real present.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime

from django.utils import timezone

_MOMENT: ContextVar[datetime | None] = ContextVar("fuwu_moment", default=None)


def now() -> datetime:
    """The moment set by `at` around this code, else the present."""
    return _MOMENT.get() or timezone.now()


@contextmanager
def at(moment: datetime) -> Iterator[datetime]:
    """Act at `moment` inside the block (an aware datetime, not in the future)."""
    if timezone.is_naive(moment):
        raise ValueError("clock.at needs an aware datetime")
    if moment > timezone.now():
        raise ValueError("clock.at cannot act in the future")
    token = _MOMENT.set(moment)
    try:
        yield moment
    finally:
        _MOMENT.reset(token)
