"""Durations as procedure authors write them: 60s, 15m, 2h, 3d, 1w, 6mo (business time)."""

from __future__ import annotations

import re

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400, "mo": 30 * 86400}
_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d|w|mo)\s*$")


def parse_duration(text: str) -> float:
    """Seconds in `text`. Raises ValueError naming the accepted forms."""
    match = _RE.match(text) if isinstance(text, str) else None
    if not match:
        raise ValueError(
            f"'{text}' is not a duration: write a number and a unit s, m, h, d, w or mo (e.g. 30m, 2h)"
        )
    seconds = float(match.group(1)) * _UNITS[match.group(2)]
    if seconds <= 0:
        raise ValueError(f"'{text}' must be longer than zero")
    return seconds
