"""Validating the time keys: units, `until:` limits, monthly windows and step timers (no database)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from fuwu.procedures.tests.test_validate import L, problems, valid

Mutation = Callable[[dict[str, Any]], None]


def _with_dates(d: dict[str, Any]) -> dict[str, Any]:
    d["fields"] += [
        {"key": "appointment_at", "type": "datetime", "label": L},
        {"key": "event_date", "type": "date", "label": L},
    ]
    d["steps"]["work"]["transitions"].append(
        {"key": "no_show", "to": "done", "label": L, "roles": ["technician"]}
    )
    return d


def _work(d: dict[str, Any]) -> dict[str, Any]:
    return d["steps"]["work"]


GOOD: list[tuple[str, Mutation]] = [
    ("working days", lambda d: _work(d).update(limit="3wd")),
    (
        "calendar days per priority",
        lambda d: _work(d).update(limit={"default": "3d", "urgent": "8h"}),
    ),
    ("months", lambda d: d["limits"].update(resolution="6mo")),
    ("until a field", lambda d: _work(_with_dates(d)).update(limit={"until": "appointment_at"})),
    (
        "until a field less a day",
        lambda d: _work(_with_dates(d)).update(limit={"until": "event_date - 1wd"}),
    ),
    (
        "resolution until",
        lambda d: _with_dates(d)["limits"].update(resolution={"until": "event_date"}),
    ),
    ("window", lambda d: _work(d).update(limit={"window": {"from_day": 28, "to_day": 30}})),
    (
        "timers",
        lambda d: _work(_with_dates(d)).update(
            timers=[
                {"at": "appointment_at - 1d", "effects": [{"notify": {"to": "customer"}}]},
                {"at": "appointment_at + 30m", "take": "no_show"},
            ]
        ),
    ),
    (
        "return visit in working days",
        lambda d: _work(d)["transitions"][0].update(effects=[{"schedule_return_visit": "3wd"}]),
    ),
]


@pytest.mark.parametrize(("name", "mutate"), GOOD, ids=[g[0] for g in GOOD])
def test_time_keys_are_accepted(tmp_path: Path, name: str, mutate: Mutation) -> None:
    data = valid()
    mutate(data)
    assert problems(tmp_path, data) == []


BAD: list[tuple[str, Mutation, str, str]] = [
    (
        "fractional wd",
        lambda d: _work(d).update(limit="1.5wd"),
        "steps.work.limit.default",
        "'1.5wd': months and working days are counted whole",
    ),
    (
        "until an unknown field",
        lambda d: _work(d).update(limit={"until": "appointment_at"}),
        "steps.work.limit.until",
        "'appointment_at' is not a field of the procedure",
    ),
    (
        "until a text field",
        lambda d: _work(d).update(limit={"until": "note + 1d"}),
        "steps.work.limit.until",
        "'note' is a text field; a moment needs a date or datetime field",
    ),
    (
        "until with a bad offset",
        lambda d: _work(_with_dates(d)).update(limit={"until": "event_date - tomorrow"}),
        "steps.work.limit.until",
        "'tomorrow' is not a duration",
    ),
    (
        "until and durations together",
        lambda d: _work(_with_dates(d)).update(limit={"until": "event_date", "default": "8h"}),
        "steps.work.limit",
        "a limit is durations (default/urgent/high/normal/low), `until` or `window`",
    ),
    (
        "window the wrong way round",
        lambda d: _work(d).update(limit={"window": {"from_day": 30, "to_day": 28}}),
        "steps.work.limit.window",
        "`from_day` is after `to_day`",
    ),
    (
        "window day 32",
        lambda d: _work(d).update(limit={"window": {"from_day": 28, "to_day": 32}}),
        "steps.work.limit.window.to_day",
        "Input should be less than or equal to 31",
    ),
    (
        "timer takes an unknown transition",
        lambda d: _work(_with_dates(d)).update(timers=[{"at": "appointment_at", "take": "vanish"}]),
        "steps.work.timers[0].take",
        "no transition 'vanish' in this step",
    ),
    (
        "timer takes a transition with required fields",
        lambda d: _work(_with_dates(d)).update(timers=[{"at": "appointment_at", "take": "finish"}]),
        "steps.work.timers[0].take",
        "the system takes this transition by itself: it cannot require fields",
    ),
    (
        "timer on a text field",
        lambda d: _work(d).update(
            timers=[{"at": "note - 1d", "effects": [{"set": {"note": "x"}}]}]
        ),
        "steps.work.timers[0].at",
        "'note' is a text field",
    ),
    (
        "timer with take and effects",
        lambda d: _work(_with_dates(d)).update(
            timers=[{"at": "appointment_at", "take": "no_show", "effects": [{"flag_major": True}]}]
        ),
        "steps.work.timers[0]",
        "a timer has either `take` (a transition) or `effects`, not both",
    ),
    (
        "timer with neither",
        lambda d: _work(_with_dates(d)).update(timers=[{"at": "appointment_at"}]),
        "steps.work.timers[0]",
        "a timer has either `take` (a transition) or `effects`, not both",
    ),
]


@pytest.mark.parametrize(("name", "mutate", "where", "message"), BAD, ids=[b[0] for b in BAD])
def test_bad_time_keys_are_reported_precisely(
    tmp_path: Path, name: str, mutate: Mutation, where: str, message: str
) -> None:
    data = valid()
    mutate(data)
    found = problems(tmp_path, data)
    assert any(w == where and message in m for w, m in found), found
