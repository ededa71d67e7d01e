"""Issue 9: schemathesis fuzzes every API operation with a staff token; no 5xx, no schema violation.

The schema comes from the API object itself (what /api/openapi.json serves) and the requests go
to Django's WSGI handler in process, on the test database of the run: PostgreSQL when `make
test` runs there (marked `postgres_once`), SQLite otherwise. Bounded and derandomised: a fixed
seed, a few examples per operation plus schemathesis' coverage cases (edge values, missing and
wrong-typed parameters, unsupported methods), so a failure reproduces and the run stays well
under two minutes.

Random ids mostly miss, so half of the generated requests (chosen by a hash of the request,
not at random) have their ids and keys replaced by real ones: a case on its first step, a
customer, an asset, a procedure and a site the agent works on. That takes the fuzzing past the
404 into the actions.
"""

from __future__ import annotations

import copy
import zlib
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from fuwu.api.root import api

CONFIG = schemathesis.Config.from_str(
    """
seed = 20261203

[generation]
max-examples = 6
deterministic = true
database = "none"

[phases.examples]
enabled = true

[phases.coverage]
enabled = true
unexpected-methods = ["PUT", "PATCH", "DELETE"]

[phases.fuzzing]
enabled = true

[phases.stateful]
enabled = false
"""
)
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
APP = WSGIHandler()
# A copy: the API keeps one document per process for everyone who asks.
schema = schemathesis.openapi.from_dict(
    copy.deepcopy(api.get_openapi_schema(path_prefix="/api/")), config=CONFIG
)
schema.app = APP


@pytest.fixture
def known(world: Any, api: Any) -> Iterator[dict[str, Any]]:
    """A staff token and real ids to aim at; the WSGI handler keeps the test's connection.

    Django closes the database connection at the end of each request; the test client stops
    that for its requests, and so must we, or the test transaction would be cut off.
    """
    agent = api("agent")
    case = agent.post(
        "/api/cases",
        {
            "procedure": "property_repair",
            "site": "lanting",
            "channel": "phone",
            "title": "门禁失灵",
            "customer_id": world.customers["owner"].pk,
            "data": {"repair_item": "门禁失灵", "service_type": "free"},
        },
    )
    assert case.status_code == 201, case.content
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield {
            "token": agent.headers["HTTP_AUTHORIZATION"],
            "path": {
                "case_id": case.json()["id"],
                "customer_id": world.customers["owner"].pk,
                "asset_id": world.assets["unit"].pk,
                "key": "issue_work_order",
            },
            "body": {"procedure": "property_repair", "site": "lanting"},
        }
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def _aim(case: schemathesis.Case, known: dict[str, Any]) -> None:
    """Replace ids and keys with real ones in half of the requests (a stable choice)."""
    fingerprint = repr((case.method, case.path, case.path_parameters, case.query, case.body))
    if zlib.crc32(fingerprint.encode()) % 2:
        return
    for name, value in known["path"].items():
        if case.path_parameters and name in case.path_parameters:
            case.path_parameters[name] = value
    if isinstance(case.body, dict):
        for name, value in known["body"].items():
            if name in case.body:
                case.body[name] = value


@schema.parametrize()
# One world per operation, shared by its examples on purpose: what one request creates, the next
# may meet (the test's transaction is rolled back at the end). No deadline: the machine is shared.
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@pytest.mark.django_db
@pytest.mark.postgres_once  # every operation once, on PostgreSQL when `make test` runs there
def test_the_api_answers_by_its_schema(case: schemathesis.Case, known: dict[str, Any]) -> None:
    _aim(case, known)
    case.call_and_validate(app=APP, headers={"Authorization": known["token"]}, checks=CHECKS)


@pytest.mark.parametrize(
    ("method", "path"),
    [("get", "/api/cases/abc"), ("post", "/api/cases/null/comments"), ("get", "/api/nowhere")],
)
def test_a_path_no_route_matches_is_a_json_404(world, api, method, path):
    client = api("agent", "en")
    r = getattr(client.client, method)(path, **client.headers)
    assert r.status_code == 404 and r["Content-Type"].startswith("application/json")
    assert r.json()["code"] == "not_found"
