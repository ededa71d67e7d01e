"""How much time is left before a deadline, and whether that is on time, at risk or breached.

Plain Python so every page (my work, queues, case page, portal) colours deadlines alike; the
late and at-risk rule itself is `fuwu.sla.lateness` (one deadline here, a whole case there).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from django.utils.translation import gettext as _

from fuwu.sla.lateness import near

State = Literal["ok", "risk", "late", "none"]


@dataclass(frozen=True)
class TimeLeft:
    state: State
    seconds: float | None
    text: str


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


def time_left(due: datetime | None, now: datetime, start: datetime | None = None) -> TimeLeft:
    if due is None:
        return TimeLeft("none", None, "")
    seconds = (due - now).total_seconds()
    if seconds < 0:
        return TimeLeft("late", seconds, _("已超时 %(span)s") % {"span": span(seconds)})
    state: State = "risk" if near(due, start, now) else "ok"  # the rule of fuwu.sla.lateness
    return TimeLeft(state, seconds, _("剩余 %(span)s") % {"span": span(seconds)})
