"""Issue 9, item 5: input Fuwu cannot carry is refused at the door, in the caller's language.

A JSON value nested 1,000 deep made `dumpdata` fail for the whole database; a NUL character was a
500 on PostgreSQL. Each is now a 400 (or a field error) that changes nothing, through the API,
the staff pages, the portal and the actions behind them. Runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client

from fuwu.cases import actions as case_actions
from fuwu.cases.models import Case, Event
from fuwu.core import limits
from fuwu.customers import actions as customer_actions
from fuwu.customers.models import Asset, Customer, RecordChange
from fuwu.portal.tests.helpers import give_account
from fuwu.procedures.engine.errors import EngineError
from fuwu.testing.factories import World

pytestmark = pytest.mark.django_db


def nested(depth: int) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = {"a": value}
    return value


def snapshot() -> tuple[int, ...]:
    return (
        Customer.objects.count(),
        Asset.objects.count(),
        RecordChange.objects.count(),
        Case.objects.count(),
        Event.objects.count(),
    )


def staff_client(username: str) -> Client:
    client = Client()
    client.force_login(get_user_model().objects.get(username=username))
    return client


# -- the rule itself (pure) ---------------------------------------------------------------------


def test_the_limits_measure_depth_size_and_nul_without_recursion() -> None:
    assert limits.json_problem({"a": [1, {"b": "x"}]}) is None
    assert limits.json_problem(nested(limits.MAX_DEPTH)) is None
    deep = limits.json_problem(nested(limits.MAX_DEPTH + 1))
    assert deep is not None and deep.code == "too_deep"
    assert deep.where == ".".join(["a"] * limits.MAX_DEPTH)
    # Far past Python's recursion limit: measured all the same, never a RecursionError.
    assert limits.json_problem(nested(100_000)).code == "too_deep"  # type: ignore[union-attr]
    many = limits.json_problem(list(range(limits.MAX_NODES + 1)))
    assert many is not None and many.code == "too_complex"
    wide = limits.json_problem(["x" * 600_000, "y" * 600_000])
    assert wide is not None and wide.code == "too_complex"
    assert limits.json_problem({"k": ["ok", "bad\x00"]}).where == "k.1"  # type: ignore[union-attr]
    assert limits.json_problem({"bad\x00key": 1}).code == "nul_character"  # type: ignore[union-attr]
    with pytest.raises(limits.LimitExceeded):
        limits.loads("[" * 200_000 + "]" * 200_000)


# -- deep JSON: refused at the API and at the action; the database stays dumpable ----------------


def test_deep_json_is_refused_at_the_api_and_the_action_and_dumpdata_still_works(
    world: World, api: Any
) -> None:
    before = snapshot()
    body = {"site": "lanting", "name": "深层", "preferences": nested(1000)}
    r = api("agent").post("/api/customers", body)
    assert r.status_code == 400, r.content
    assert r.json()["code"] == "too_deep"
    assert r.json()["message"] == "数据嵌套过深（最多 20 层），未做任何更改"
    # Deeper than the API would allow but shallow enough for Python: the same answer, in English.
    r = api("agent", "en").post("/api/customers", {**body, "preferences": nested(30)})
    assert r.status_code == 400 and r.json()["code"] == "too_deep"
    assert r.json()["message"].startswith("The data is nested too deeply (at most 20 levels)")
    asset = world.assets["unit"].pk
    r = api("agent").post(
        "/api/assets",
        {"site": "lanting", "kind": "unit", "label": "9-9-999", "attributes": nested(1000)},
    )
    assert r.status_code == 400 and r.json()["code"] == "too_deep"
    # The actions (pages, portal, CLI and effects call them) refuse it too.
    agent = world.actor("agent")
    with pytest.raises(EngineError) as refused:
        customer_actions.create_customer(
            agent, site_id=world.sites["lanting"].pk, name="深层", preferences=nested(1000)
        )
    assert refused.value.fields["preferences"].code == "too_deep"
    with pytest.raises(EngineError) as refused:
        customer_actions.update_asset(agent, asset, attributes={"spec": nested(50)})
    assert refused.value.fields["attributes"].code == "too_deep"
    with pytest.raises(EngineError):
        customer_actions.update_customer(
            agent, world.customers["owner"].pk, preferences={"x": nested(1000)}
        )
    assert snapshot() == before
    out = io.StringIO()
    call_command("dumpdata", stdout=out)  # failed for the whole database with one such record
    assert json.loads(out.getvalue())


def test_values_within_the_limits_are_stored(world: World, api: Any) -> None:
    r = api("agent").post(
        "/api/customers",
        {"site": "lanting", "name": "赵雷", "phone": "13700001111", "preferences": nested(15)},
    )
    assert r.status_code == 201, r.content
    assert r.json()["preferences"] == nested(15)


# -- NUL characters: 400 in the caller's language, nothing written -----------------------------


def test_nul_in_api_json_is_refused(world: World, api: Any) -> None:
    before = snapshot()
    r = api("agent").post("/api/customers", {"site": "lanting", "name": "王\x00五"})
    assert r.status_code == 400 and r.json()["code"] == "nul_character"
    assert r.json()["details"]["where"] == "name"
    assert "空字符" in r.json()["message"]
    r = api("agent", "en").post(
        "/api/cases",
        {
            "procedure": "property_repair",
            "site": "lanting",
            "channel": "phone",
            "title": "门禁失灵",
            "data": {"repair_item": "门禁\x00失灵", "service_type": "free"},
        },
    )
    assert r.status_code == 400 and r.json()["code"] == "nul_character"
    assert r.json()["message"].startswith("The input contains a NUL character")
    # A NUL written as raw bytes is not JSON at all.
    r = api("agent").client.post(
        "/api/customers",
        b'{"site": "lanting", "name": "a\x00b"}',
        content_type="application/json",
        **api("agent").headers,
    )
    assert r.status_code == 400
    assert snapshot() == before


def test_nul_in_a_query_string_path_or_header_is_refused(world: World, api: Any) -> None:
    agent = api("agent", "en")
    r = agent.client.get("/api/customers?q=%00", **agent.headers)
    assert r.status_code == 400 and r.json()["code"] == "nul_character"
    assert r.json()["message"].startswith("The input contains a NUL character")
    r = agent.client.get("/api/customers?q%00=1", **agent.headers)
    assert r.status_code == 400
    r = agent.client.get("/api/cases/1%00", **agent.headers)
    assert r.status_code == 400 and r.json()["code"] == "nul_character"
    r = agent.client.get("/api/cases", **{**agent.headers, "HTTP_AUTHORIZATION": "Bearer fw_\x00"})
    assert r.status_code == 400
    page = staff_client("agent").get("/intake/?q=%00")
    assert page.status_code == 400 and "NUL" in page.content.decode()
    # A session cookie holding a NUL never reaches the session table.
    assert Client().get("/", HTTP_COOKIE="sessionid=abcdefgh\x00ijkl").status_code == 400


def test_nul_in_a_staff_form_is_refused_and_opens_nothing(world: World) -> None:
    before = snapshot()
    body = {
        "site": world.sites["lanting"].pk,
        "customer": world.customers["owner"].pk,
        "procedure": "property_repair",
        "channel": "phone",
        "priority": "high",
        "asset": world.assets["unit"].pk,
        "title": "厨房水管\x00漏水",
        "description": "业主来电",
        "step-repair_item": "厨房水管",
        "step-location": "厨房",
        "step-service_type": "free",
        "step-details_confirmed": "yes",
    }
    client = staff_client("agent")
    response = client.post("/intake/cases/", body)
    assert response.status_code == 400
    assert "空字符" in response.content.decode()
    assert snapshot() == before
    # Over htmx the message is put above the form, which stays as typed.
    response = client.post("/intake/cases/", body, headers={"HX-Request": "true"})
    assert response.status_code == 400 and response["HX-Reswap"] == "afterbegin"
    assert 'role="alert"' in response.content.decode()
    assert snapshot() == before
    # The same form without the NUL opens the case (the refusal was the NUL, nothing else).
    assert client.post("/intake/cases/", {**body, "title": "厨房水管漏水"}).status_code in (
        200,
        302,
    )
    assert Case.objects.count() == before[3] + 1


def test_nul_in_a_portal_form_is_refused_and_opens_nothing(world: World) -> None:
    give_account(world.customers["owner"], "13812345678", "Owner-pass-1")
    client = Client()
    assert (
        client.post(
            "/portal/login/", {"login": "13812345678", "password": "Owner-pass-1"}
        ).status_code
        == 302
    )
    before = snapshot()
    data = {
        "description": "厨房水管漏水\x00",
        "asset": str(world.assets["unit"].pk),
        "f_service_type": "free",
        "f_location": "厨房",
    }
    response = client.post("/portal/new/property_repair/", data)
    assert response.status_code == 400
    assert snapshot() == before
    # A NUL in a form field's name is refused the same way.
    response = client.post(
        "/portal/new/property_repair/", {**data, "description": "漏水", "x\x00": "1"}
    )
    assert response.status_code == 400
    assert snapshot() == before
    # Sign-in and sign-up are forms too.
    assert Client().post("/portal/login/", {"login": "138\x00", "password": "x"}).status_code == 400


def test_the_actions_refuse_nul_whoever_calls_them(world: World) -> None:
    agent = world.actor("agent")
    before = snapshot()
    with pytest.raises(EngineError) as refused:
        customer_actions.create_asset(
            agent, site_id=world.sites["lanting"].pk, kind="unit", label="1-1-\x00"
        )
    assert refused.value.fields["label"].code == "nul_character"
    with pytest.raises(EngineError) as refused:
        case_actions.open_case(
            agent,
            procedure_key="property_repair",
            site_id=world.sites["lanting"].pk,
            channel="phone",
            title="门禁失灵",
            data={"repair_item": "门禁\x00失灵", "service_type": "free"},
        )
    assert refused.value.fields["repair_item"].code == "nul_character"
    assert refused.value.fields["repair_item"].message("en").startswith("Must not contain a NUL")
    assert snapshot() == before


def test_the_admin_keeps_to_the_same_limits(admin_client: Client, world: World) -> None:
    car = world.assets["car"]
    before = snapshot()
    form = {"site": car.site_id, "kind": "vehicle", "label": car.label, "owner": car.owner_id}
    response = admin_client.post(
        f"/admin/customers/asset/{car.pk}/change/",
        {**form, "attributes": json.dumps({"spec": nested(30)})},
    )
    assert response.status_code == 200  # the form again, with the error
    assert "嵌套过深" in response.content.decode()
    assert Asset.objects.get(pk=car.pk).attributes == car.attributes
    response = admin_client.post(
        f"/admin/customers/asset/{car.pk}/change/",
        {**form, "attributes": json.dumps({"vin": "LVG\x00"})},
    )
    assert response.status_code == 200 and "NUL" in response.content.decode()
    assert snapshot() == before


def test_a_lone_surrogate_in_json_is_refused(world: World, api: Any) -> None:
    # "\ud800" is valid JSON but no character: PostgreSQL's jsonb refused it with a 500.
    before = snapshot()
    agent = api("agent", "en")
    body = b'{"site": "lanting", "name": "ok", "preferences": {"x": "a\\ud800b"}}'
    r = agent.client.post("/api/customers", body, content_type="application/json", **agent.headers)
    assert r.status_code == 400 and r.json()["code"] == "bad_character"
    assert r.json()["details"]["where"] == "preferences.x"
    body = b'{"site": "lanting", "name": "ok", "preferences": {"\\ud800\\u0000": 1}}'
    r = agent.client.post("/api/customers", body, content_type="application/json", **agent.headers)
    assert r.status_code == 400 and r.json()["code"] in ("bad_character", "nul_character")
    assert snapshot() == before
