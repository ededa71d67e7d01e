"""The screen-pop the call centre's telephony system calls when a call rings."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from django.db import connection
from django.test.utils import CaptureQueriesContext

from fuwu.cases import actions
from fuwu.customers.models import Customer


def _repair(world, customer):
    return actions.open_case(
        world.actor("agent"),
        procedure_key="property_repair",
        site_id=world.sites["lanting"].pk,
        channel="phone",
        title="水管漏水",
        customer_id=customer.pk,
        data={"repair_item": "水管", "service_type": "free"},
    )


def test_a_known_caller_pops_their_record_open_cases_and_the_intake_desk(api, world):
    owner = world.customers["owner"]
    case = _repair(world, owner)
    response = api("agent").get(
        "/api/phone/incoming", caller="+86 138-1234-5678", called="4008-123-456", call_id="c-881"
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["caller"], body["called"], body["call_id"]) == (
        "+8613812345678",
        "4008-123-456",
        "c-881",
    )
    (found,) = body["customers"]
    assert (found["id"], found["name"], found["phone"]) == (owner.pk, "王芳", "13812345678")
    assert [(c["id"], c["number"], c["status"]) for c in found["open_cases"]] == [
        (case.pk, case.number, "open")
    ]
    assert found["open_cases"][0]["url"] == f"/cases/{case.pk}/"
    url = urlsplit(body["url"])
    assert url.path == "/intake/"
    assert parse_qs(url.query) == {
        "customer": [str(owner.pk)],
        "call_id": ["c-881"],
        "caller": ["+8613812345678"],
    }
    # POST answers the same (some switches only POST).
    posted = api("agent").post("/api/phone/incoming", {"caller": "13812345678", "call_id": "c-881"})
    assert posted.json()["customers"][0]["id"] == owner.pk


def test_every_writing_of_a_number_finds_the_record_and_others_sites_stay_hidden(api, world):
    spaced = Customer.objects.create(
        site=world.sites["lanting"], name="赵敏", phone="139 0000 1111"
    )
    for caller in ("13900001111", "+8613900001111", "008613900001111", "139-0000-1111"):
        body = api("agent").get("/api/phone/incoming", caller=caller, call_id="x1").json()
        assert [c["id"] for c in body["customers"]] == [spaced.pk], caller
    # The dealer's call centre does not see the property site's customers.
    other = api("cc_agent").get("/api/phone/incoming", caller="13812345678", call_id="x2").json()
    assert other["customers"] == []


def test_an_unknown_caller_pops_the_desk_searching_for_the_number(api, world):
    body = api("agent").get("/api/phone/incoming", caller="13700000000", call_id="c-9").json()
    assert body["customers"] == []
    assert parse_qs(urlsplit(body["url"]).query) == {
        "q": ["+8613700000000"],
        "call_id": ["c-9"],
        "caller": ["+8613700000000"],
    }


def test_a_technician_sees_the_number_masked(api, world):
    body = api("technician").get("/api/phone/incoming", caller="13812345678", call_id="c").json()
    assert body["customers"][0]["phone"] == "138****5678"


def test_bad_arguments_are_refused_with_a_translated_message(api, world):
    bad = api("agent").get("/api/phone/incoming", caller="hello", call_id="c-1")
    assert bad.status_code == 400
    assert bad.json()["code"] == "phone_bad_caller"
    assert bad.json()["message"] == "来电号码无效：“hello”"
    en = api("agent", "en").get("/api/phone/incoming", caller="12", call_id="c-1")
    assert en.json()["message"] == "The caller's number is not a valid phone number: '12'"
    call = api("agent", "en").get("/api/phone/incoming", caller="13812345678", call_id="a b")
    assert call.status_code == 400 and call.json()["code"] == "phone_bad_call_id"
    missing = api("agent").get("/api/phone/incoming", caller="13812345678")
    assert missing.status_code == 422
    assert (
        api(None).get("/api/phone/incoming", caller="13812345678", call_id="c").status_code == 401
    )


def test_the_pop_costs_the_same_queries_however_many_cases_are_open(
    api, world, django_assert_num_queries
):
    owner = world.customers["owner"]
    agent = api("agent")
    _repair(world, owner)
    agent.get("/api/phone/incoming", caller="13812345678", call_id="w")  # warm the token, actor
    with CaptureQueriesContext(connection) as one:
        agent.get("/api/phone/incoming", caller="13812345678", call_id="a")
    for _ in range(3):
        _repair(world, owner)
    with django_assert_num_queries(len(one.captured_queries)):
        body = agent.get("/api/phone/incoming", caller="13812345678", call_id="b").json()
    assert len(body["customers"][0]["open_cases"]) == 4
