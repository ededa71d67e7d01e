"""The half-yearly campaign invites every household; a customer answers in the portal (conditions
checked on the server, not only by the page's script); staff record a return visit from the case
page's panel."""

from __future__ import annotations

import pytest

from fuwu.campaigns.actions import start_campaign
from fuwu.cases.actions import open_case
from fuwu.core.actors import SYSTEM
from fuwu.customers.models import Asset
from fuwu.portal.tests.helpers import give_account
from fuwu.surveys import actions
from fuwu.surveys.models import Response

ANSWERS = {
    "security": "4",
    "cleaning": "4",
    "greenery": "4",
    "reported_repair": "no",
    "fees": "3",
    "attitude": "5",
    "contact": "phone",
}


@pytest.fixture
def campaign(world, surveys):
    lanting = world.sites["lanting"]
    for floor in (1, 2):
        Asset.objects.create(
            site=lanting,
            kind="unit",
            label=f"8栋{floor}01",
            owner=world.customers["owner"],
            attributes={"building": "8"},
        )
    return start_campaign(
        world.actor("sc_manager"),
        site_id=lanting.pk,
        procedure_key="opinion_survey",
        title="2026年下半年意见征询",
        asset_kind="unit",
        asset_filter={"building": "8"},
        data={"survey_method": "written_survey", "survey_round": "2026年下半年"},
    )


def test_campaign_invites_each_household_once_and_the_portal_answers(world, api, campaign, client):
    r = api("sc_manager").post(
        "/api/surveys/rounds",
        {
            "questionnaire": "opinion_survey",
            "site": "lanting",
            "title": "下半年业主意见调查",
            "campaign": campaign.pk,
        },
    )
    assert r.status_code == 201, r.json()
    round_id = r.json()["id"]
    url = f"/api/surveys/rounds/{round_id}/invitations/campaign"
    assert len(api("agent").post(url, {}).json()) == 2
    assert api("agent").post(url, {}).json() == []  # already invited: none again
    assert api("advisor").post(url, {}).status_code == 404
    first = Response.objects.filter(round_id=round_id).order_by("pk").first()
    again = api("agent", "en").post(
        f"/api/surveys/rounds/{round_id}/invitations",
        {"customer": world.customers["owner"].pk, "case": first.case_id},
    )
    assert again.status_code == 400
    assert again.json()["details"]["fields"] == {
        "case": "This case already has a survey in this round"
    }

    give_account(world.customers["owner"], "wangfang")
    client.login(username="wangfang", password="pw-customer-1")
    home = client.get("/portal/").content.decode()
    assert 'data-testid="pending-surveys"' in home and "您有 2 份问卷待填写" in home
    pending = list(Response.objects.filter(round_id=round_id).order_by("pk"))
    page = f"/portal/surveys/{pending[0].pk}/"
    assert client.get(page).status_code == 200
    # The repair questions are hidden unless a repair was reported: a "yes" without them is
    # refused by the server with each one named, and nothing is stored.
    form = {f"q-{k}": v for k, v in {**ANSWERS, "reported_repair": "yes"}.items()}
    refused = client.post(page, form)
    assert refused.status_code == 400
    html = refused.content.decode()
    assert (
        'data-testid="error-repair_speed"' in html and 'data-testid="error-repair_quality"' in html
    )
    assert pending[0].answers.count() == 0
    # "No" with a hidden answer sent anyway: accepted, the hidden one dropped.
    form = {f"q-{k}": v for k, v in {**ANSWERS, "repair_speed": "1"}.items()}
    done = client.post(page, form)
    assert done.status_code == 200 and "感谢您的宝贵意见" in done.content.decode()
    assert not pending[0].answers.filter(question__key="repair_speed").exists()
    assert pending[0].answers.count() == 7
    again = client.post(page, form)
    assert again.status_code == 409 and pending[0].answers.count() == 7
    # Not theirs: another customer's invitation is a 404.
    other = actions.invite(SYSTEM, round_id, customer_id=world.customers["owner"].pk)
    Response.objects.filter(pk=other.pk).update(customer=None)
    assert client.get(f"/portal/surveys/{other.pk}/").status_code == 404


def test_staff_record_a_return_visit_from_the_case_page(world, client, surveys):
    case = open_case(
        SYSTEM,
        procedure_key="property_repair",
        site_id=world.sites["lanting"].pk,
        channel="system",
        title="卫生间漏水",
        customer_id=world.customers["owner"].pk,
    )
    round_ = actions.create_round(
        SYSTEM,
        questionnaire_key="repair_return_visit",
        site_id=world.sites["lanting"].pk,
        title="维修回访",
        kind="standing",
    )
    client.force_login(world.users["agent"])
    panel = client.get(f"/cases/{case.pk}/surveys/").content.decode()
    assert f'data-testid="case-survey-answer-{round_.pk}"' in panel
    url = f"/cases/{case.pk}/survey/{round_.pk}/"
    assert client.get(url).status_code == 200
    done = client.post(url, {"q-solved": "no", "q-quality": "2", "q-speed": "3", "q-attitude": "4"})
    assert done.status_code == 302
    response = Response.objects.get(round=round_, case=case)
    assert response.channel == "staff" and response.follow_up is not None
    panel = client.get(f"/cases/{case.pk}/surveys/").content.decode()
    assert 'data-testid="survey-follow-up"' in panel and "case-survey-answer" not in panel
    # Another site's staff see no panel and may not answer.
    client.force_login(world.users["advisor"])
    assert client.get(f"/cases/{case.pk}/surveys/").status_code == 404
    assert client.post(url, {"q-solved": "yes"}).status_code == 404
