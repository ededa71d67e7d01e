"""How much time is left before a deadline, and whether that is on time, at risk or breached.

Plain Python so every page (my work, queues, case page, portal) colours deadlines alike; the
late and at-risk rule itself is `fuwu.sla.lateness` (one deadline here, a whole case there).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from django.utils.translation import gettext as _

from fuwu.sla.lateness import near

State = Literal["ok", "risk", "late", "none"]

# A clock whose whole window (deadline − start) is at most this long counts in seconds (mm:ss):
# the hot-pot's "seat within 60 s" and "tea within 1 minute". Longer ones keep minutes and
# hours. The browser's countdown (static/web/countdown.js) follows the `data-seconds` mark.
SECONDS_WINDOW = 3600


@dataclass(frozen=True)
class TimeLeft:
    state: State
    seconds: float | None
    text: str
    ticks: bool = False  # counts in seconds (a short clock)


def span(seconds: float) -> str:
    """A short human duration: 3天4小时, 2小时5分, 12分 (or 3d 4h …)."""
    seconds = abs(int(seconds))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return _("%(d)d天%(h)d小时") % {"d": days, "h": hours}
    if hours:
        return _("%(h)d小时%(m)d分") % {"h": hours, "m": minutes}
    return _("%(m)d分") % {"m": max(minutes, 0 if seconds < 60 else 1)}


def clock(seconds: float) -> str:
    """A stopwatch reading: 00:45, 12:05, 1:02:03 (whole seconds, the sign left out).

    Whole seconds are cut towards the deadline, as the browser does, so "00:00" shows only in
    the last second and the first overdue second already reads "00:01"."""
    seconds = math.ceil(seconds) if seconds > 0 else math.floor(-seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


def counts_seconds(due: datetime, start: datetime | None) -> bool:
    """A short clock (its window at most `SECONDS_WINDOW`) shows seconds."""
    return start is not None and 0 < (due - start).total_seconds() <= SECONDS_WINDOW


def time_left(due: datetime | None, now: datetime, start: datetime | None = None) -> TimeLeft:
    if due is None:
        return TimeLeft("none", None, "")
    seconds = (due - now).total_seconds()
    ticks = counts_seconds(due, start)
    shown = clock(seconds) if ticks else span(seconds)
    if seconds < 0:
        return TimeLeft("late", seconds, _("已超时 %(span)s") % {"span": shown}, ticks)
    state: State = "risk" if near(due, start, now) else "ok"  # the rule of fuwu.sla.lateness
    return TimeLeft(state, seconds, _("剩余 %(span)s") % {"span": shown}, ticks)
