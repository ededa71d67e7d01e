"""The person picker (fuwu.web.people, fuwu.web.views.people) and the folded dispatch on the page."""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

import pytest

from fuwu.cases.models import Case, Event
from fuwu.core.models import Shift, Skill, Staff
from fuwu.procedures.registry import definition_of
from fuwu.web.buttons import decided_choices
from fuwu.web.people import describe, initials
from fuwu.web.tests.casesetup import at_dispatch, at_repair, fresh, signed_in

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def test_pinyin_initials():
    assert initials("周军") == "zj"
    assert initials("孙丽") == "sl"
    assert initials("郑海") == "zh"
    assert initials("王建国") == "wjg"
    assert initials("Anna Lee") == "al"
    assert initials("") == ""


def _people(world):
    """The lanting technician as the demo has him: 周军, two skills, the early shift."""
    early = Shift.objects.create(name="早班", start=time(8), end=time(16))
    plumbing = Skill.objects.create(code="plumbing_electric", name="水电", name_en="Plumbing")
    civil = Skill.objects.create(code="civil", name="土建", name_en="Building works")
    tech = Staff.objects.get(user__username="technician")
    tech.display_name, tech.shift = "周军", early
    tech.save(update_fields=["display_name", "shift"])
    tech.skills.set([plumbing, civil])
    Staff.objects.filter(user__username="dispatcher").update(display_name="孙丽")


def test_describe_gives_skills_shift_and_open_load(world):
    _people(world)
    case = at_repair(world)  # not yet assigned
    Case.objects.filter(pk=case.pk).update(assignee=world.users["technician"])
    morning = datetime(2026, 12, 3, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    evening = datetime(2026, 12, 3, 20, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    people = world.users["technician"].__class__.objects.filter(
        username__in=["technician", "dispatcher"]
    )
    site = world.sites["lanting"]
    by_name = {c.username: c for c in describe(people, site, "zh-hans", now=morning)}
    tech = by_name["technician"]
    assert (tech.name, tech.initials, tech.load) == ("周军", "zj", 1)
    assert tech.skills == ["土建", "水电"] and tech.shift == "08:00–16:00"
    assert tech.working_today and tech.on_now and tech.today == "今天上班 08:00–16:00"
    assert by_name["dispatcher"].load == 0
    late = {c.username: c for c in describe(people, site, "en", now=evening)}["technician"]
    assert not late.on_now and late.skills == ["Building works", "Plumbing"]


def test_the_dispatch_step_draws_a_picker_and_no_repair_mode_question(world):
    _people(world)
    case = at_dispatch(world)
    html = signed_in("dispatcher").get(f"/cases/{case.pk}/").content.decode()
    assert 'data-testid="picker-technician"' in html
    for offered in ("technician", "dispatcher", "eng_manager"):
        assert f'data-testid="person-{offered}"' in html
    assert 'data-testid="person-agent"' not in html
    assert "周军" in html and "水电" in html and "今天上班 08:00–16:00" in html
    assert 'name="repair_mode"' not in html  # the two buttons say it
    assert 'data-testid="take-repair_now"' in html and 'data-testid="take-book"' in html


def test_the_search_finds_by_initials_name_or_username(world):
    _people(world)
    case = at_dispatch(world)
    client = signed_in("dispatcher")
    url = f"/cases/{case.pk}/people/"

    def found(query, **extra):
        html = client.get(url, {"field": "technician", "technician.q": query, **extra}).content
        return {
            p for p in ("technician", "dispatcher", "eng_manager") if f"person-{p}" in str(html)
        }

    assert found("zj") == {"technician"}
    assert found("周") == {"technician"}
    assert found("sl") == {"dispatcher"}
    assert found("eng_") == {"eng_manager"}
    assert found("") == {"technician", "dispatcher", "eng_manager"}
    # The one chosen stays in the list whatever is typed.
    assert found("zj", technician="dispatcher") == {"technician", "dispatcher"}
    assert client.get(url, {"field": "title"}).status_code == 404
    assert client.get(url, {"field": "assignee"}).status_code == 200
    # The technician may not assign others, nor dispatch: neither list is his to search.
    tech = signed_in("technician")
    assert tech.get(url, {"field": "assignee"}).status_code == 404
    assert tech.get(url, {"field": "technician"}).status_code == 404


def test_one_press_dispatches_and_assigns(world):
    case = at_dispatch(world)
    client = signed_in("dispatcher")
    r = client.post(
        f"/cases/{case.pk}/take/repair_now/",
        {"version": case.version, "technician": "technician", "step": "dispatch", "cycle": 0},
        **HTMX,
    )
    assert r.status_code == 200, r.content.decode()[:800]
    after = fresh(case)
    assert after.step == "repair" and after.data["repair_mode"] == "immediate"
    assert after.assignee_id == world.users["technician"].pk
    assert list(
        Event.objects.filter(case=case).order_by("-seq").values_list("kind", flat=True)[:2]
    ) == ["assigned", "transitioned"]


def test_picking_someone_the_step_does_not_offer_is_refused_on_the_field(world):
    case = at_dispatch(world)
    r = signed_in("dispatcher", "en").post(
        f"/cases/{case.pk}/take/repair_now/",
        {"version": case.version, "technician": "agent"},
        **HTMX,
    )
    assert r.status_code == 400
    assert 'data-testid="error-technician"' in r.content.decode()
    assert "cannot take the next step" in r.content.decode()
    assert (fresh(case).step, fresh(case).assignee_id) == ("dispatch", None)


def test_the_assign_panel_lists_the_eligible_and_refuses_others_with_the_reason(world):
    _people(world)
    case = at_dispatch(world)
    client = signed_in("dispatcher", "en")
    html = client.get(f"/cases/{case.pk}/").content.decode()
    assert 'data-testid="picker-assignee"' in html
    assert 'data-testid="person-technician"' in html and 'data-testid="person-agent"' not in html
    agent = world.users["agent"].pk
    r = client.post(f"/cases/{case.pk}/assign/", {"version": case.version, "assignee": agent})
    assert r.status_code == 400
    assert "agent cannot work this step" in r.content.decode()
    assert fresh(case).assignee_id is None
    blank = client.post(f"/cases/{case.pk}/assign/", {"version": case.version, "assignee": ""})
    assert blank.status_code == 400 and fresh(case).assignee_id is None


def test_buttons_answer_a_choice_only_when_each_says_a_different_value(world):
    steps = definition_of(at_dispatch(world).procedure).steps
    dispatch = steps["dispatch"]
    assert decided_choices(dispatch, dispatch.transitions) == {
        "repair_now": ("repair_mode", "immediate"),
        "book": ("repair_mode", "booked"),
    }
    visit = steps["return_visit"]
    assert decided_choices(visit, visit.transitions) == {
        "archive": ("satisfied", "yes"),
        "reopen": ("satisfied", "no"),
    }
    # Only one of the two offered (a role sees one): nothing to fold, the question stays.
    assert decided_choices(dispatch, dispatch.transitions[:1]) == {}
    # Guards that are more than one comparison are left alone.
    reception = steps["reception"]
    assert decided_choices(reception, reception.transitions) == {}


# -- person fields at the intake desk (no case yet): the site's staff, by name -------------------


def test_an_intake_person_field_is_a_picker_of_the_sites_staff(world):
    """The call centre's scorecard names the agent reviewed at intake: a picker of the
    dealer's staff (not a username box), narrowed as one types; another site's staff and
    another site's list are not offered."""
    client = signed_in("cc_qc")
    dealer, lanting = world.sites["dealer"], world.sites["lanting"]
    page = client.get(
        "/intake/", {"site": dealer.pk, "procedure": "agent_quality_scorecard"}
    ).content.decode()
    assert 'data-testid="picker-step-agent_reviewed"' in page
    assert 'data-testid="person-cc_agent"' in page
    assert 'data-testid="person-technician"' not in page  # the residential site's
    url = "/people/"
    found = client.get(
        url, {"site": dealer.pk, "field": "step-agent_reviewed", "step-agent_reviewed.q": "cc_a"}
    ).content.decode()
    assert 'data-testid="person-cc_agent"' in found and 'data-testid="person-cc_qc"' not in found
    assert client.get(url, {"site": lanting.pk, "field": "step-agent_reviewed"}).status_code == 404
    assert client.get(url, {"site": dealer.pk, "field": "<script>"}).status_code == 404
    assert client.get(url, {"site": "x", "field": "a"}).status_code == 404
