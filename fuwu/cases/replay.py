"""Rebuilding a case's tracked state from its events alone (the audit log is the truth)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from fuwu.cases.flow import tracked_state
from fuwu.cases.models import Case, Event


def rebuild(events: Iterable[dict[str, Any]]) -> dict[str, Any]:
    state: dict[str, Any] = {}
    for data in events:
        state.update(data.get("set") or {})
    return state


def differences(batch: int = 2000, *, using: str = "default") -> list[tuple[int, str, Any, Any]]:
    """(case id, field, stored value, value rebuilt from events) for every disagreement.

    `using` names another database (a backup restored for verification, `fuwu.core.backup`)."""
    out: list[tuple[int, str, Any, Any]] = []
    last = 0
    while True:
        cases = list(Case.objects.using(using).filter(pk__gt=last).order_by("pk")[:batch])
        if not cases:
            return out
        last = cases[-1].pk
        by_case: dict[int, list[dict[str, Any]]] = {c.pk: [] for c in cases}
        for case_id, data in (
            Event.objects.using(using)
            .filter(case_id__in=by_case)
            .order_by("case_id", "seq")
            .values_list("case_id", "data")
        ):
            by_case[case_id].append(data)
        for case in cases:
            rebuilt = rebuild(by_case[case.pk])
            for name, stored in tracked_state(case).items():
                if rebuilt.get(name) != stored:
                    out.append((case.pk, name, stored, rebuilt.get(name)))
