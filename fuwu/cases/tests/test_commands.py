"""The operator's command line: procedures check/list/load, events verify, token create."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.db.utils import DatabaseError

from fuwu.cases import actions
from fuwu.cases.models import Case, Event
from fuwu.core.models import ApiToken


def _case(world):
    return actions.open_case(
        world.actor("agent"),
        procedure_key="property_repair",
        site_id=world.sites["lanting"].pk,
        channel="phone",
        title="灯不亮",
        data={"repair_item": "灯", "service_type": "free"},
    )


def test_procedures_check_and_list(db, tmp_path):
    out = StringIO()
    call_command("procedures", "check", stdout=out)
    assert "valid" in out.getvalue()
    out = StringIO()
    call_command("procedures", "list", "--json", stdout=out)
    rows = {r["key"]: r for r in json.loads(out.getvalue())}
    assert {"property_repair", "complaint", "after_sales_call_center"} <= set(rows)
    assert rows["property_repair"]["name"] == {"zh": "物业报修", "en": "Property repair"}
    assert rows["property_repair"]["steps"] == 12
    bad = tmp_path / "broken.yaml"
    bad.write_text("key: broken\nname: {zh: 坏}\n", encoding="utf-8")
    err = StringIO()
    with pytest.raises(CommandError):
        call_command("procedures", "check", "--dir", str(tmp_path), stderr=err)
    assert "broken.yaml: name.en: Field required" in err.getvalue()
    with pytest.raises(CommandError):
        call_command("procedures", "load", "--dir", str(tmp_path), stderr=StringIO())


def test_events_verify_finds_a_case_that_disagrees(world):
    case = _case(world)
    call_command("events", "verify", stdout=StringIO())
    Case.objects.filter(pk=case.pk).update(
        step="archived"
    )  # a write that bypassed the action layer
    out = StringIO()
    with pytest.raises(CommandError):
        call_command("events", "verify", stdout=out)
    assert f"case {case.pk}: step is 'archived' but the events say 'reception'" in out.getvalue()


def test_token_create_prints_a_working_token(world, client):
    out = StringIO()
    call_command("token", "create", "agent", stdout=out)
    raw = out.getvalue().strip()
    assert ApiToken.lookup(raw).user.username == "agent"
    assert client.get("/api/cases", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 200
    with pytest.raises(CommandError):
        call_command("token", "create", "nobody", stdout=StringIO())


def test_postgresql_refuses_to_change_events(world):
    if connection.vendor != "postgresql":
        pytest.skip("the append-only trigger is PostgreSQL's")
    case = _case(world)
    for attempt in (
        lambda: Event.objects.filter(case=case).update(kind="hacked"),
        lambda: Event.objects.filter(case=case).delete(),
    ):
        with pytest.raises(DatabaseError), transaction.atomic():
            attempt()
    assert Event.objects.filter(case=case, kind="opened").count() == 1


def test_healthz(db, client):
    from django.utils import timezone

    from fuwu.sla.heartbeat import beat

    beat("test:1", timezone.now())  # a worker checked in (no worker: 503, see tests/security)
    r = client.get("/healthz")
    assert r.status_code == 200 and r.json()["database"] == "ok"
