"""Second-level clocks (issue 10, point 10): a clock whose window is an hour at most reads mm:ss
and is marked to tick every second in the browser (static/web/countdown.js); longer clocks keep
minutes and hours. The same deadline and start the server stores, the same colour rule."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import translation

from fuwu.web.templatetags.fuwu_web import deadline
from fuwu.web.timeleft import SECONDS_WINDOW, clock, counts_seconds, time_left

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 3, 11, 18, 30, tzinfo=TZ)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (60, "01:00"),
        (59.2, "01:00"),
        (0.4, "00:01"),
        (0, "00:00"),
        (-0.4, "00:00"),
        (-12.7, "00:12"),
        (-75, "01:15"),
        (3725, "1:02:05"),
    ],
)
def test_clock_reads_whole_seconds_towards_the_deadline(seconds: float, text: str) -> None:
    assert clock(seconds) == text


def test_only_short_clocks_count_seconds() -> None:
    start = NOW
    assert counts_seconds(NOW + timedelta(seconds=60), start)
    assert counts_seconds(NOW + timedelta(seconds=SECONDS_WINDOW), start)
    assert not counts_seconds(NOW + timedelta(seconds=SECONDS_WINDOW + 1), start)
    assert not counts_seconds(NOW + timedelta(seconds=60), None)  # no window: no stopwatch


def test_a_sixty_second_clock_in_both_languages() -> None:
    due, start = NOW + timedelta(seconds=60), NOW
    with translation.override("zh-hans"):
        assert time_left(due, NOW + timedelta(seconds=15), start).text == "剩余 00:45"
        late = time_left(due, NOW + timedelta(seconds=72), start)
        assert (late.state, late.text, late.ticks) == ("late", "已超时 00:12", True)
    with translation.override("en"):
        assert time_left(due, NOW + timedelta(seconds=15), start).text == "00:45 left"
        assert time_left(due, NOW + timedelta(seconds=72), start).text == "overdue 00:12"


def test_long_clocks_keep_minutes_and_hours() -> None:
    with translation.override("zh-hans"):
        left = time_left(NOW + timedelta(hours=3), NOW, NOW - timedelta(hours=1))
    assert (left.text, left.ticks) == ("剩余 3小时0分", False)


def test_the_badge_is_marked_to_tick_every_second() -> None:
    with time_machine.travel(NOW, tick=False), translation.override("zh-hans"):
        short = str(deadline(NOW + timedelta(seconds=60), NOW))
        long = str(deadline(NOW + timedelta(hours=4), NOW))
    assert 'data-seconds="1"' in short and ">剩余 01:00</time>" in short
    assert "data-seconds" not in long and ">剩余 4小时0分</time>" in long
