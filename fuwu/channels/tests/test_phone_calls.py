"""The call the screen-pop named is kept with the case or consultation the agent makes of it."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.test import Client

from fuwu.cases.models import Case, Consultation
from fuwu.channels.models import InboundMessage
from fuwu.web.tests.test_intake import _case_post


def _agent() -> Client:
    client = Client()
    client.force_login(get_user_model().objects.get(username="agent"))
    return client


def test_the_call_id_rides_the_desk_into_the_case_it_opens(world, api):
    owner = world.customers["owner"]
    pop = api("agent").get("/api/phone/incoming", caller="13812345678", call_id="c-881").json()
    client = _agent()
    page = client.get(pop["url"]).content.decode()
    assert "来电 +8613812345678（通话 c-881）" in page
    assert 'name="call_id" value="c-881"' in page
    response = client.post(
        "/intake/cases/", _case_post(world, call_id="c-881", caller="+8613812345678")
    )
    assert response.status_code == 302
    case = Case.objects.get()
    call = InboundMessage.objects.get(channel="phone", external_id="c-881")
    assert (call.case, call.customer, call.sender) == (case, owner, "+8613812345678")
    assert "call_id" not in case.data  # system data stays out of the procedure's data


def test_a_consultation_from_the_call_is_named_on_it(world):
    client = _agent()
    client.post(
        "/intake/consultations/",
        {
            "site": world.sites["lanting"].pk,
            "topic": "停车收费标准",
            "channel": "phone",
            "call_id": "c-9",
            "caller": "13700000000",
        },
    )
    consultation = Consultation.objects.get()
    call = InboundMessage.objects.get(channel="phone", external_id="c-9")
    assert call.headers == {"consultations": [consultation.pk]} and call.case is None


def test_an_unknown_callers_search_keeps_the_call_in_its_links(world, api):
    pop = api("agent").get("/api/phone/incoming", caller="13700000000", call_id="c-7").json()
    page = _agent().get(pop["url"]).content.decode()
    assert "call_id=c-7" in page.replace("&amp;", "&")  # the "create them" link carries it
    assert not InboundMessage.objects.exists()  # popping writes nothing
