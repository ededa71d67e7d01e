"""Issue 9, item 7: answers under contention, and retries that do not write twice.

On PostgreSQL, requests racing on one case must each get a success or a 409 — never 404 for a
case that exists and the person may see, never 500. Threads here are real concurrent requests,
each with its own database connection (transactional tests, so each sees the others' commits).
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.db import connection

pytestmark = pytest.mark.django_db(transaction=True)

REPAIR = {
    "procedure": "property_repair",
    "site": "lanting",
    "channel": "phone",
    "title": "门禁失灵",
    "data": {"repair_item": "门禁失灵", "service_type": "free"},
}


def _needs_postgres() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("row locks and concurrent transactions: PostgreSQL (SQLite serialises writes)")


def _race(calls: list[Callable[[], Any]]) -> list[Any]:
    """Run the calls at once, each in its own thread (and database connection)."""
    start = threading.Barrier(len(calls))

    def run(call: Callable[[], Any]) -> Any:
        try:
            start.wait(10)
            return call()
        finally:
            connection.close()

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(run, calls))


def test_concurrent_transitions_get_one_success_and_409s(world, api):
    _needs_postgres()
    agents = [api("agent"), api("agent2")]
    case = agents[0].post("/api/cases", REPAIR).json()
    body = {"version": case["version"], "form": {"details_confirmed": True}}
    url = f"/api/cases/{case['id']}/transitions/issue_work_order"
    statuses = _race([lambda a=agents[i % 2]: a.post(url, body).status_code for i in range(16)])
    assert Counter(statuses) == {200: 1, 409: 15}, Counter(statuses)


def test_comments_during_transfers_are_all_written_none_is_404(world, api):
    _needs_postgres()
    agent, vp = api("agent"), api("vp")
    case = agent.post("/api/cases", REPAIR).json()
    url = f"/api/cases/{case['id']}"
    transfers: list[int] = []

    def transfer_back_and_forth() -> list[int]:
        for i in range(12):
            version = vp.get(url).json()["version"]
            department = "engineering" if i % 2 == 0 else "service_center"
            r = vp.post(f"{url}/transfer", {"version": version, "department": department})
            transfers.append(r.status_code)
        return transfers

    def comment(i: int) -> Callable[[], list[int]]:
        def run() -> list[int]:
            return [
                agent.post(f"{url}/comments", {"text": f"备注 {i}-{j}"}).status_code
                for j in range(6)
            ]

        return run

    results = _race([transfer_back_and_forth, *(comment(i) for i in range(5))])
    comments = Counter(s for r in results[1:] for s in r)
    assert comments == {201: 30}, comments
    assert set(transfers) <= {200, 409} and 200 in transfers, transfers


# -- Idempotency-Key ------------------------------------------------------------------------


def test_a_retry_with_the_same_key_returns_the_first_answer_and_writes_once(world, api):
    from fuwu.cases.models import Case

    agent = api("agent")
    before = Case.objects.count()
    first = agent.post("/api/cases", REPAIR, HTTP_IDEMPOTENCY_KEY="open-1")
    assert first.status_code == 201 and "Idempotent-Replayed" not in first
    # The same request again (key order changed: the same JSON value), as after a lost answer.
    again = agent.post("/api/cases", dict(reversed(REPAIR.items())), HTTP_IDEMPOTENCY_KEY="open-1")
    assert again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert Case.objects.count() == before + 1
    # Without the header, or with a new key, it is a new case.
    assert agent.post("/api/cases", REPAIR, HTTP_IDEMPOTENCY_KEY="open-2").status_code == 201
    assert Case.objects.count() == before + 2
    # Keys are per person: another agent's "open-1" is theirs.
    other = api("agent2").post("/api/cases", REPAIR, HTTP_IDEMPOTENCY_KEY="open-1")
    assert other.status_code == 201 and other.json()["id"] != first.json()["id"]


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("comments", {"text": "客户来电催促"}),
        ("work-log", {"kind": "labour", "description": "更换门禁", "hours": "1.50"}),
    ],
)
def test_comments_and_work_entries_are_written_once_per_key(world, api, path, body):
    from fuwu.cases.models import Event, WorkLog

    agent = api("agent")
    case = agent.post("/api/cases", REPAIR).json()
    if path == "work-log":  # the assignee logs work
        assigned = api("vp").post(
            f"/api/cases/{case['id']}/assign", {"version": case["version"], "assignee": "agent"}
        )
        assert assigned.status_code == 200, assigned.json()
    url = f"/api/cases/{case['id']}/{path}"
    first = agent.post(url, body, HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == 201, first.json()
    counts = (Event.objects.filter(case_id=case["id"]).count(), WorkLog.objects.count())
    again = agent.post(url, body, HTTP_IDEMPOTENCY_KEY="k-1")
    assert (again.status_code, again.json()) == (201, first.json())
    assert (Event.objects.filter(case_id=case["id"]).count(), WorkLog.objects.count()) == counts


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("/api/customers", {"site": "lanting", "name": "王先生", "phone": "13800000011"}),
        ("/api/assets", {"site": "lanting", "kind": "unit", "label": "9-9-909"}),
    ],
)
def test_customers_and_assets_are_created_once_per_key(world, api, path, body):
    from fuwu.customers.models import Asset, Customer

    agent = api("agent")
    first = agent.post(path, body, HTTP_IDEMPOTENCY_KEY="c-1")
    assert first.status_code == 201, first.json()
    counts = (Customer.objects.count(), Asset.objects.count())
    again = agent.post(path, body, HTTP_IDEMPOTENCY_KEY="c-1")
    assert (again.status_code, again.json()) == (201, first.json())
    assert again["Idempotent-Replayed"] == "true"
    assert (Customer.objects.count(), Asset.objects.count()) == counts


@pytest.mark.parametrize(
    ("language", "message"),
    [
        ("zh-hans", "该 Idempotency-Key 已用于另一个请求"),
        ("en", "This Idempotency-Key was used for a different request"),
    ],
)
def test_the_same_key_with_another_request_is_422(world, api, language, message):
    from fuwu.cases.models import Case

    agent = api("agent", language)
    case = agent.post("/api/cases", REPAIR, HTTP_IDEMPOTENCY_KEY="k")
    count = Case.objects.count()
    r = agent.post("/api/cases", {**REPAIR, "title": "另一件事"}, HTTP_IDEMPOTENCY_KEY="k")
    assert r.status_code == 422 and r.json()["code"] == "idempotency_key_reused"
    assert r.json()["message"].startswith(message)
    r = agent.post(
        f"/api/cases/{case.json()['id']}/comments", {"text": "x"}, HTTP_IDEMPOTENCY_KEY="k"
    )
    assert r.status_code == 422  # another path
    assert Case.objects.count() == count


def test_a_failed_request_keeps_no_answer_and_a_bad_key_is_400(world, api):
    from fuwu.cases.models import Case, IdempotencyKey

    agent = api("agent", "en")
    refused = agent.post("/api/cases", {**REPAIR, "site": "nowhere"}, HTTP_IDEMPOTENCY_KEY="k")
    assert refused.status_code == 400
    assert not IdempotencyKey.objects.exists()  # nothing was written, so nothing to replay
    assert agent.post("/api/cases", REPAIR, HTTP_IDEMPOTENCY_KEY="k").status_code == 201
    count = Case.objects.count()
    for bad in ("has space", "x" * 256, "汉字"):
        r = agent.post("/api/cases", REPAIR, HTTP_IDEMPOTENCY_KEY=bad)
        assert r.status_code == 400 and r.json()["code"] == "bad_idempotency_key", bad
        assert "Invalid Idempotency-Key" in r.json()["message"]
    assert Case.objects.count() == count


def test_keys_expire_after_24_hours_and_the_sweep_purges_them(world, api):
    import time_machine

    from fuwu.cases.idempotency import purge_expired
    from fuwu.cases.models import Case, IdempotencyKey

    agent = api("agent")
    start = datetime(2026, 12, 3, 2, 0, tzinfo=UTC)
    with time_machine.travel(start, tick=False):
        first = agent.post("/api/cases", REPAIR, HTTP_IDEMPOTENCY_KEY="day")
    with time_machine.travel(start + timedelta(hours=23, minutes=59), tick=False):
        assert agent.post("/api/cases", REPAIR, HTTP_IDEMPOTENCY_KEY="day").json() == first.json()
        assert purge_expired() == 0
    with time_machine.travel(start + timedelta(hours=24, minutes=1), tick=False):
        assert purge_expired() == 1
        count = Case.objects.count()
        later = agent.post("/api/cases", REPAIR, HTTP_IDEMPOTENCY_KEY="day")
        assert later.status_code == 201 and later.json()["id"] != first.json()["id"]
        assert Case.objects.count() == count + 1
    assert IdempotencyKey.objects.count() == 1


def test_the_header_is_documented_on_every_creating_post(world, api):
    doc = api("agent").get("/api/openapi.json").json()
    creating = [
        "/api/cases",
        "/api/cases/{case_id}/comments",
        "/api/cases/{case_id}/work-log",
        "/api/customers",
        "/api/assets",
        "/api/campaigns",
        "/api/schedules",
    ]
    for path in creating:
        params = doc["paths"][path]["post"].get("parameters", [])
        assert any(p["name"] == "Idempotency-Key" and p["in"] == "header" for p in params), path
    transfer = doc["paths"]["/api/cases/{case_id}/transfer"]["post"].get("parameters", [])
    assert not any(p["name"] == "Idempotency-Key" for p in transfer)


def test_concurrent_retries_with_one_key_write_once(world, api):
    _needs_postgres()
    from fuwu.cases.models import Case

    agents = [api("agent") for _ in range(8)]  # one client per thread, one person
    before = Case.objects.count()
    answers = _race(
        [lambda a=a: a.post("/api/cases", REPAIR, HTTP_IDEMPOTENCY_KEY="same") for a in agents]
    )
    assert {r.status_code for r in answers} == {201}, [r.status_code for r in answers]
    assert len({r.json()["id"] for r in answers}) == 1
    assert sum(r.get("Idempotent-Replayed") == "true" for r in answers) == 7
    assert Case.objects.count() == before + 1
