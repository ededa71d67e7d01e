"""A round's figures against a small data set computed by hand, through the API: response rate,
mean and distribution per area and question, the change from the previous round, comments, and
one follow-up case per response with a low answer."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from fuwu.cases.models import Case
from fuwu.core.actors import SYSTEM
from fuwu.surveys import actions
from fuwu.surveys.models import Response

SHANGHAI = ZoneInfo("Asia/Shanghai")
H1 = datetime(2026, 1, 5, 9, tzinfo=SHANGHAI)
H2 = datetime(2026, 7, 1, 9, tzinfo=SHANGHAI)

BEFORE = [
    {
        "security": 4,
        "cleaning": 3,
        "greenery": 4,
        "reported_repair": "no",
        "fees": 3,
        "attitude": 4,
        "contact": "phone",
    },
    {
        "security": 3,
        "cleaning": 5,
        "greenery": 4,
        "reported_repair": "no",
        "fees": 3,
        "attitude": 5,
        "contact": "wechat",
    },
]
NOW = [
    {
        "security": 5,
        "cleaning": 4,
        "greenery": 4,
        "reported_repair": "yes",
        "repair_speed": 2,
        "repair_quality": 4,
        "fees": 3,
        "attitude": 5,
        "contact": "phone",
        "comments": "电梯维修太慢",
    },
    {
        "security": 4,
        "cleaning": 4,
        "greenery": 3,
        "reported_repair": "no",
        "fees": 2,
        "attitude": 4,
        "contact": "wechat",
    },
    {
        "security": 3,
        "cleaning": 5,
        "greenery": 5,
        "reported_repair": "yes",
        "repair_speed": 4,
        "repair_quality": 5,
        "fees": 4,
        "attitude": 5,
        "contact": "phone",
    },
]


def _round(world, api, title, when, answers, invited):
    with time_machine.travel(when, tick=False):
        r = api("sc_manager").post(
            "/api/surveys/rounds",
            {"questionnaire": "opinion_survey", "site": "lanting", "title": title},
        )
        assert r.status_code == 201, r.json()
        round_id = r.json()["id"]
        links = []
        for _ in range(invited):
            r = api("agent").post(
                f"/api/surveys/rounds/{round_id}/invitations",
                {"customer": world.customers["owner"].pk},
            )
            assert r.status_code == 201, r.json()
            links.append(r.json()["url"].rstrip("/").rsplit("/", 1)[1])
        for token, body in zip(links, answers, strict=False):
            r = api(None).post(f"/api/surveys/links/{token}", {"answers": body})
            assert r.status_code == 201, r.json()
            assert r.json()["follow_up"] is None  # not told to the person with the link
    return round_id


@pytest.fixture
def rounds(world, api, surveys):
    before = _round(world, api, "2026年上半年业主意见调查", H1, BEFORE, invited=2)
    now = _round(world, api, "2026年下半年业主意见调查", H2, NOW, invited=4)
    return before, now


def test_figures_match_the_hand_computed_ones(world, api, rounds):
    before, now = rounds
    body = api("agent").get(f"/api/surveys/rounds/{now}/analysis").json()
    assert (body["invited"], body["answered"], body["response_rate"]) == (4, 3, 75.0)
    assert body["previous_round"]["id"] == before and body["previous_response_rate"] == 100.0
    areas = {a["key"]: a for a in body["areas"]}
    assert (areas["security"]["mean"], areas["security"]["previous_mean"]) == (4.0, 3.5)
    assert areas["security"]["change"] == 0.5
    assert (areas["cleaning"]["mean"], areas["cleaning"]["change"]) == (4.33, 0.33)
    assert areas["greenery"]["change"] == 0.0
    # Repairs: four scores (2, 4, 4, 5) → 3.75; "reported a repair" yes in 2 of 3.
    assert (areas["repairs"]["mean"], areas["repairs"]["yes_percent"]) == (3.75, 66.7)
    assert areas["repairs"]["low"] == 1 and areas["repairs"]["previous_mean"] is None
    assert (areas["fees"]["mean"], areas["fees"]["low"]) == (3.0, 1)
    assert (areas["staff"]["mean"], areas["staff"]["change"]) == (4.67, 0.17)
    questions = {q["key"]: q for q in body["questions"]}
    assert questions["repair_speed"]["distribution"] == {"1": 0, "2": 1, "3": 0, "4": 1, "5": 0}
    assert questions["contact"]["distribution"] == {
        "phone": 2,
        "wechat": 1,
        "visit": 0,
        "notice": 0,
    }
    assert questions["reported_repair"]["distribution"] == {"yes": 2, "no": 1}
    assert questions["attitude"]["label"] == "您对客服人员的服务态度是否满意？"
    assert [c["text"] for c in body["comments"]] == ["电梯维修太慢"]
    # Two responses had a low answer: two follow-up complaint cases, one each.
    assert body["follow_ups"] == 2
    follow_ups = Case.objects.filter(procedure_key="complaint")
    assert follow_ups.count() == 2
    assert {c.customer_id for c in follow_ups} == {world.customers["owner"].pk}
    english = api("agent", "en").get(f"/api/surveys/rounds/{now}/analysis").json()
    assert {a["key"]: a["name"] for a in english["areas"]}["fees"] == "Fees"


def test_other_sites_and_customers_see_no_round(world, api, rounds):
    _, now = rounds
    bad = api("sc_manager", "en").post(
        "/api/surveys/rounds",
        {
            "questionnaire": "opinion_survey",
            "site": "lanting",
            "title": "x",
            "opens_at": "2026-07-01T09:00:00+08:00",
            "closes_at": "2026-06-01T09:00:00+08:00",
        },
    )
    assert bad.status_code == 400
    assert bad.json()["details"]["fields"] == {"closes_at": "The end must be after the start"}
    refused = api("advisor").post(
        "/api/surveys/rounds",
        {"questionnaire": "opinion_survey", "site": "lanting", "title": "x"},
    )
    assert refused.status_code == 400 and "site" in refused.json()["details"]["fields"]
    assert api("advisor").get(f"/api/surveys/rounds/{now}/analysis").status_code == 404
    assert api("advisor").get("/api/surveys/rounds").json() == []
    assert len(api("agent").get("/api/surveys/rounds").json()) == 2


def test_the_analysis_page_shows_the_figures(world, client, rounds):
    _, now = rounds
    client.force_login(world.users["agent"])
    html = client.get(f"/surveys/rounds/{now}/").content.decode()
    assert 'data-testid="response-rate">75.0%' in html
    assert "电梯维修太慢" in html and 'id="survey-data"' in html
    client.force_login(world.users["advisor"])
    assert client.get(f"/surveys/rounds/{now}/").status_code == 404


def test_link_misuse_is_refused_and_changes_nothing(world, api, surveys):
    round_ = actions.create_round(
        SYSTEM,
        questionnaire_key="toyota_follow_up",
        site_id=world.sites["dealer"].pk,
        title="三日追踪",
        kind="standing",
    )
    invitation = actions.invite(SYSTEM, round_.pk, customer_id=world.customers["driver"].pk)
    token = actions.link_token(invitation)
    good = {
        "courtesy": 5,
        "repair": 5,
        "price": 4,
        "on_time": "yes",
        "clean": 5,
        "explained": 5,
        "used_facilities": "no",
    }
    anonymous = api(None)
    # A forged or altered token, a portal invitation's id signed with another salt: not found.
    assert anonymous.post(f"/api/surveys/links/{token}x", {"answers": good}).status_code == 404
    from django.core import signing

    forged = signing.dumps(invitation.pk, salt="other")
    assert anonymous.post(f"/api/surveys/links/{forged}", {"answers": good}).status_code == 404
    # A bad answer: refused, and the link still works.
    r = anonymous.post(f"/api/surveys/links/{token}", {"answers": {**good, "courtesy": 9}})
    assert r.status_code == 400 and "courtesy" in r.json()["details"]["fields"]
    assert Response.objects.get(pk=invitation.pk).submitted_at is None
    assert anonymous.post(f"/api/surveys/links/{token}", {"answers": good}).status_code == 201
    # Twice: refused, nothing more stored.
    r = anonymous.post(f"/api/surveys/links/{token}", {"answers": good})
    assert r.status_code == 400 and r.json()["code"] == "survey_answered"
    assert invitation.answers.count() == 7
    # The page says so too.
    page = api(None).client.get(f"/portal/s/{token}/")
    assert page.status_code == 410 and "已经提交过了" in page.content.decode()
    # An expired link.
    late = actions.invite(SYSTEM, round_.pk, customer_id=world.customers["driver"].pk)
    with time_machine.travel(timezone_now() + timedelta(days=15), tick=False):
        r = anonymous.post(f"/api/surveys/links/{actions.link_token(late)}", {"answers": good})
    assert r.status_code == 400 and r.json()["code"] == "survey_link_expired"
    assert late.answers.count() == 0


def timezone_now() -> datetime:
    from django.utils import timezone

    return timezone.now()


def test_low_answer_opens_one_follow_up_per_response(world, api, surveys):
    from fuwu.cases.actions import open_case

    repair = open_case(
        SYSTEM,
        procedure_key="property_repair",
        site_id=world.sites["lanting"].pk,
        channel="system",
        title="厨房水管漏水",
        customer_id=world.customers["owner"].pk,
    )
    r = api("sc_manager").post(
        "/api/surveys/rounds",
        {
            "questionnaire": "repair_return_visit",
            "site": "lanting",
            "title": "维修回访",
            "kind": "standing",
        },
    )
    round_id = r.json()["id"]
    answers = {"solved": "no", "quality": 3, "speed": 1, "attitude": 4, "comments": "还在漏"}
    r = api("agent").post(
        f"/api/surveys/rounds/{round_id}/responses", {"case": repair.pk, "answers": answers}
    )
    assert r.status_code == 201, r.json()
    number = r.json()["follow_up"]
    follow_up = Case.objects.get(parent=repair)
    assert follow_up.number == number and follow_up.procedure_key == "complaint"
    assert (
        "报修的问题是否已经解决？：no" in follow_up.description
        and "还在漏" in follow_up.description
    )
    # The same case again: refused; still one follow-up, one response.
    r = api("agent").post(
        f"/api/surveys/rounds/{round_id}/responses", {"case": repair.pk, "answers": answers}
    )
    assert r.status_code == 400 and r.json()["code"] == "survey_answered"
    assert Case.objects.filter(parent=repair).count() == 1
    assert Response.objects.filter(round_id=round_id).count() == 1
    # Good answers open nothing; a hidden-question rule is enforced server-side (bad input: no row).
    other = open_case(
        SYSTEM,
        procedure_key="property_repair",
        site_id=world.sites["lanting"].pk,
        channel="system",
        title="灯不亮",
        customer_id=world.customers["owner"].pk,
    )
    r = api("agent").post(
        f"/api/surveys/rounds/{round_id}/responses",
        {"case": other.pk, "answers": {"solved": "yes"}},
    )
    assert r.status_code == 400 and set(r.json()["details"]["fields"]) == {
        "quality",
        "speed",
        "attitude",
    }
    assert Response.objects.filter(round_id=round_id).count() == 1
    r = api("agent").post(
        f"/api/surveys/rounds/{round_id}/responses",
        {"case": other.pk, "answers": {"solved": "yes", "quality": 5, "speed": 4, "attitude": 5}},
    )
    assert r.status_code == 201 and r.json()["follow_up"] is None
    assert Case.objects.filter(parent=other).count() == 0
    # Another site's staff cannot answer for this case.
    r = api("advisor").post(
        f"/api/surveys/rounds/{round_id}/responses",
        {"case": other.pk, "answers": {"solved": "yes"}},
    )
    assert r.status_code == 404
