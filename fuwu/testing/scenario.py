"""Helpers the procedure scenario tests share: take a move through the API, check a refusal,
read back the path, the events and the notifications of a case."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from fuwu.cases.models import Event
from fuwu.core.models import Department
from fuwu.notifications.models import Notification
from fuwu.sla.escalation import fire_due

Case = dict[str, Any]  # a case as the API returns it
Form = dict[str, Any] | None


def take(
    client: Any, case: Case, key: str, form: Form = None, checklist: Form = None, expect: int = 200
) -> Case:
    r = client.post(
        f"/api/cases/{case['id']}/transitions/{key}",
        {"version": case["version"], "form": form or {}, "checklist": checklist or {}},
    )
    assert r.status_code == expect, r.json()
    return r.json()


def refused(
    client: Any,
    case: Case,
    key: str,
    form: Form = None,
    checklist: Form = None,
    *,
    status: int = 400,
    code: str,
    fields: Iterable[str] = (),
) -> Case:
    """A refused move: the status, the error code, every named field, and nothing changed."""
    body = take(client, case, key, form, checklist, expect=status)
    assert body["code"] == code, body
    for name in fields:
        assert name in body["details"].get("fields", {}), body
    after = client.get(f"/api/cases/{case['id']}").json()
    assert after["version"] == case["version"] and after["step"]["key"] == case["step"]["key"]
    return body


def allowed(client: Any, case: Case) -> dict[str, bool]:
    r = client.get(f"/api/cases/{case['id']}/transitions")
    assert r.status_code == 200, r.json()
    return {t["key"]: t["allowed"] for t in r.json()["transitions"]}


def reasons(client: Any, case: Case) -> dict[str, tuple[bool, str | None]]:
    """Each transition of the current step: whether this client may take it, and why not."""
    r = client.get(f"/api/cases/{case['id']}/transitions")
    assert r.status_code == 200, r.json()
    return {t["key"]: (t["allowed"], t["reason"]) for t in r.json()["transitions"]}


def where(case: Case, step: str, status: str, department: str) -> None:
    assert case["step"]["key"] == step, case["step"]
    assert case["status"] == status, case["status"]
    assert case["department"]["code"] == department, case["department"]


def at(case: Case, name: str) -> datetime:
    return datetime.fromisoformat(case[name])


def since(case: Case, name: str, start: str = "updated_at") -> float:
    return (at(case, name) - at(case, start)).total_seconds()


def kinds(case: Case) -> list[str]:
    return list(
        Event.objects.filter(case_id=case["id"]).order_by("seq").values_list("kind", flat=True)
    )


def path(case: Case) -> list[tuple[str, str]]:
    """(step entered, owning department) for every move, rebuilt from the events alone."""
    codes = dict(Department.objects.values_list("pk", "code"))
    dept, out = None, []
    for e in Event.objects.filter(case_id=case["id"]).order_by("seq"):
        dept = e.data.get("set", {}).get("department", dept)
        if e.kind in ("transitioned", "timed_out", "joined") and "to" in e.data:
            out.append((e.data["to"], codes[dept]))
    return out


def owners(case: Case) -> list[str]:
    from fuwu.core.models import Department

    codes = dict(Department.objects.values_list("pk", "code"))
    return [
        codes[e.data["set"]["department"]]
        for e in Event.objects.filter(case_id=case["id"]).order_by("seq")
        if "department" in e.data.get("set", {})
    ]


def moves(client: Any, case: Case) -> list[str]:
    timeline = client.get(f"/api/cases/{case['id']}/events").json()
    assert [e["seq"] for e in timeline] == list(range(1, len(timeline) + 1))
    return [e["data"]["to"] for e in timeline if e["kind"] == "transitioned"]


def transitions_taken(case: Case) -> list[str]:
    return [
        e.data["transition"]
        for e in Event.objects.filter(case_id=case["id"], kind="transitioned").order_by("seq")
    ]


def notes(case: Case, kind: str = "notify") -> list[str]:
    qs = Notification.objects.filter(case_id=case["id"], kind=kind)
    return sorted(qs.values_list("recipient__username", flat=True))


def notes_in_order(case: Case, kind: str = "notify") -> list[str]:
    """Recipients of the case's notifications of one kind, in the order they were sent."""
    qs = Notification.objects.filter(case_id=case["id"], kind=kind).order_by("pk")
    return list(qs.values_list("recipient__username", flat=True))


def fire(case: Case, *, at: str = "step_due", after: float = 1) -> list[str]:
    """Run the clock job `after` seconds past one of the case's deadlines (the 24×7 test calendar)."""
    return fire_due(case["id"], now=datetime.fromisoformat(case[at]) + timedelta(seconds=after))


def complete(
    client: Any,
    case: Case,
    branch: str,
    form: Form = None,
    checklist: Form = None,
    expect: int = 200,
) -> Case:
    r = client.post(
        f"/api/cases/{case['id']}/tasks/{branch}/complete",
        {"version": case["version"], "form": form or {}, "checklist": checklist or {}},
    )
    assert r.status_code == expect, r.json()
    return r.json()


def assign(client: Any, case: Case, username: str) -> Case:
    r = client.post(
        f"/api/cases/{case['id']}/assign", {"version": case["version"], "assignee": username}
    )
    assert r.status_code == 200, r.json()
    return r.json()
