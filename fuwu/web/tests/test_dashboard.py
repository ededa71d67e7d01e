"""The managers' dashboard: who may see it, its numbers on a small known data set, and the
queue links behind every number."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlsplit
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client

from fuwu.cases import actions
from fuwu.cases.models import Case, Consultation
from fuwu.cases.queries import CaseFilter, cases_for
from fuwu.testing.factories import World
from fuwu.web.stats import dashboard

# The page's own queries differ by database: it runs on PostgreSQL too.
pytestmark = pytest.mark.postgres_too

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 3, 11, 10, 0, tzinfo=TZ)  # a Wednesday; the week began on Monday 9 March
# Session, user and actor (5), the unread count (1), the sites (1) and ten aggregates.
QUERIES = 17
REPAIR = {"repair_item": "水管漏水", "location": "厨房", "service_type": "free"}


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, minute, tzinfo=TZ)


def _open(world: World, when: datetime, channel: str, priority: str = "normal") -> Case:
    with time_machine.travel(when, tick=False):
        return actions.open_case(
            world.actor("agent"),
            procedure_key="property_repair",
            site_id=world.sites["lanting"].pk,
            channel=channel,
            title="漏水",
            priority=priority,
            customer_id=world.customers["owner"].pk,
            asset_id=world.assets["unit"].pk,
            data=REPAIR,
        )


def _move(world: World, when: datetime, persona: str, case: Case, key: str, **kw: Any) -> Case:
    with time_machine.travel(when, tick=False):
        version = Case.objects.get(pk=case.pk).version
        return actions.take_transition(world.actor(persona), case.pk, key, version=version, **kw)


def _consult(world: World, when: datetime, site: str, channel: str) -> None:
    Consultation.objects.create(
        site=world.sites[site],
        channel=channel,
        topic="物业费怎么交",
        handled_by=world.users["agent"],
        at=when,
    )


@pytest.fixture
def known(world: World) -> dict[str, Case]:
    """Four lanting cases and one at the dealer; consultations today and yesterday.

    A  today 08:00 phone, issued 08:10 (10 min response) → dispatch; step limit 30 min: late
    B  Tue 09:00 wechat, issued 09:30 (30 min), resolved 13:00 (4 h) → return visit: on time
    C  Sun 12:00 phone, low priority (72 h), booked → 2 h left of 72: at risk
    D  today 09:30 sms, still at reception (15 min limit): late, no response yet
    E  dealer, today 09:00 phone (another site)
    """
    a = _open(world, at(11, 8), "phone")
    a = _move(
        world, at(11, 8, 10), "agent", a, "issue_work_order", form={"details_confirmed": True}
    )

    b = _open(world, at(10, 9), "wechat")
    _move(world, at(10, 9, 30), "agent", b, "issue_work_order", form={"details_confirmed": True})
    booking = {"repair_mode": "booked", "appointment_at": "2026-03-10T10:00:00+08:00"}
    _move(world, at(10, 9, 40), "dispatcher", b, "book", form=booking)
    _move(world, at(10, 10), "technician", b, "arrive")
    done = {"diagnosis": "接头老化", "solution": "更换接头", "owner_agreed": True}
    checks = {"fault_fixed": True, "site_clean": True}
    _move(world, at(10, 13), "technician", b, "complete", form=done, checklist=checks)
    b = _move(world, at(10, 13, 10), "technician", b, "to_return_visit", form={"result": "好了"})

    c = _open(world, at(8, 12), "phone", priority="low")
    _move(world, at(8, 12, 5), "agent", c, "issue_work_order", form={"details_confirmed": True})
    # Booked for tomorrow: the appointment (the booked step's deadline) has not passed.
    later = {**booking, "appointment_at": "2026-03-12T10:00:00+08:00"}
    c = _move(world, at(8, 12, 10), "dispatcher", c, "book", form=later)

    d = _open(world, at(11, 9, 30), "sms")

    with time_machine.travel(at(11, 9), tick=False):
        e = actions.open_case(
            world.actor("cc_agent"),
            procedure_key="after_sales_call_center",
            site_id=world.sites["dealer"].pk,
            channel="phone",
            title="来电",
            data={"request": "空调不制冷"},
        )
    for when, site, channel in [
        (at(11, 8, 30), "lanting", "phone"),
        (at(11, 9, 15), "lanting", "phone"),
        (at(11, 9, 20), "lanting", "walk_in"),
        (at(10, 16), "lanting", "phone"),  # yesterday
        (at(11, 9, 5), "dealer", "phone"),
    ]:
        _consult(world, when, site, channel)
    return {"a": a, "b": b, "c": c, "d": d, "e": e}


def _ids(world: World, persona: str, url: str) -> set[int]:
    """The cases the queue would list for a dashboard link (its query string is a CaseFilter)."""
    params: dict[str, Any] = dict(parse_qsl(urlsplit(url).query))
    assert urlsplit(url).path == "/queue/"
    actor = world.actor(persona)
    with time_machine.travel(NOW, tick=False):
        qs = CaseFilter.model_validate(params).apply(cases_for(actor), actor)
        return set(qs.values_list("pk", flat=True))


def test_numbers_and_links_on_a_known_data_set(world, known):
    ids = {k: c.pk for k, c in known.items()}
    with time_machine.travel(NOW, tick=False):
        board = dashboard(world.actor("sc_manager"), None, "zh-hans")

    def cases(url: str) -> set[int]:
        return _ids(world, "sc_manager", url)

    assert board.opened_today.value == 2 and cases(board.opened_today.url) == {ids["a"], ids["d"]}
    by_channel = {r.channel: (r.cases.value, r.consultations) for r in board.intake}
    assert by_channel == {"phone": (1, 2), "sms": (1, 0), "walk_in": (0, 1)}
    assert board.consultations_today == 3
    phone = next(r for r in board.intake if r.channel == "phone")
    assert cases(phone.cases.url) == {ids["a"]} and phone.label == "电话"

    assert board.open.value == 4 and cases(board.open.url) == {ids[k] for k in "abcd"}
    assert board.late.value == 2 and cases(board.late.url) == {ids["a"], ids["d"]}
    assert board.at_risk.value == 1 and cases(board.at_risk.url) == {ids["c"]}
    assert cases(board.unassigned.url) == {
        pk for pk in (ids[k] for k in "abcd") if Case.objects.get(pk=pk).assignee_id is None
    }
    assert board.unassigned.value == len(cases(board.unassigned.url))
    assert board.major.value == 0 and cases(board.major.url) == set()

    steps = {n.filters["step"]: (n.value, n.late) for n in board.by_step}
    assert steps == {
        "dispatch": (1, 1),
        "reception": (1, 1),
        "booked": (1, 0),
        "return_visit": (1, 0),
    }
    for n in board.by_step:
        assert n.label.startswith("物业报修 · ")
        assert len(cases(n.url)) == n.value and len(cases(n.late_url)) == n.late
    departments = {n.filters["department"]: (n.value, n.late) for n in board.by_department}
    assert departments == {"service_center": (2, 1), "engineering": (2, 1)}
    for n in board.by_department:
        assert len(cases(n.url)) == n.value and len(cases(n.late_url)) == n.late

    # This week (from Monday): A answered in 10 min and B in 30 (C was opened last week);
    # B resolved 4 h after it was opened.
    assert board.first_response.seconds == 20 * 60 and board.first_response.cases == 2
    assert cases(board.first_response.url) >= {ids["a"], ids["b"]}
    assert board.resolution.seconds == 4 * 3600 and board.resolution.cases == 1
    assert cases(board.resolution.url) == {ids["b"]}

    trend = dict(zip(board.trend["days"], board.trend["opened"], strict=True))
    assert len(trend) == 30 and board.trend["days"][-1] == "2026-03-11"
    assert (trend["2026-03-11"], trend["2026-03-10"], trend["2026-03-08"]) == (2, 1, 1)
    assert sum(board.trend["opened"]) == 4
    resolved = dict(zip(board.trend["days"], board.trend["resolved"], strict=True))
    assert resolved["2026-03-10"] == 1 and sum(board.trend["resolved"]) == 1


def test_a_manager_of_every_site_chooses_one(world, known):
    with time_machine.travel(NOW, tick=False):
        everything = dashboard(world.actor("vp"), None, "en")
        dealer = dashboard(world.actor("vp"), world.sites["dealer"], "en")
    assert everything.open.value == 5 and everything.opened_today.value == 3
    assert everything.consultations_today == 4
    assert dealer.open.value == 1 and dealer.opened_today.value == 1
    assert dealer.open.filters == {"site": "dealer", "open": "true"}
    assert {n.label for n in dealer.by_department} == {"Call Center"}
    # Across sites a department is named with its site.
    assert any(n.label.startswith("兰亭苑 · ") for n in everything.by_department)
    assert all(n.filters["site"] for n in everything.by_department)


@pytest.fixture
def manager(world: World) -> Client:
    client = Client()
    client.force_login(world.users["sc_manager"])
    return client


def test_page_for_a_manager_links_every_number(
    world, known, manager, django_assert_max_num_queries
):
    with time_machine.travel(NOW, tick=False), django_assert_max_num_queries(QUERIES):
        r = manager.get("/dashboard/")
    assert r.status_code == 200
    html = r.content.decode()
    assert 'data-testid="trend-chart"' in html and 'id="trend-data"' in html
    assert "vendor/echarts/echarts.min.js" in html and "http" not in html.split("<body")[1]
    assert 'href="/queue/?site=lanting&amp;overdue=true&amp;ordering=due"' in html
    assert 'href="/queue/?site=lanting&amp;at_risk=true&amp;ordering=due"' in html
    assert (
        "/queue/?site=lanting&amp;open=true&amp;procedure=property_repair&amp;step=dispatch" in html
    )
    # One site only: no selector; the page names the site.
    assert 'data-testid="site-select"' not in html and "兰亭苑" in html


def test_page_in_english(world, known, manager):
    manager.post("/language/", {"language": "en"})
    with time_machine.travel(NOW, tick=False):
        r = manager.get("/dashboard/")
    html = r.content.decode()
    assert r.status_code == 200
    assert "Overdue" in html and "Property repair · Dispatch" in html and "Phone" in html


def test_site_selector_and_scope(world, known):
    client = Client()
    client.force_login(world.users["vp"])
    with time_machine.travel(NOW, tick=False):
        r = client.get("/dashboard/")
        assert 'data-testid="site-select"' in r.content.decode()
        r = client.get("/dashboard/?site=dealer")
        html = r.content.decode()
        assert r.context["board"].open.value == 1
        assert 'href="/queue/?site=dealer&amp;open=true"' in html
        r = client.get("/dashboard/?site=nowhere")
    assert r.status_code == 200 and r.context["board"].open.value == 5
    assert list(r.context["messages"])  # told the site was not found


def test_a_site_manager_cannot_pick_another_site(world, known, manager):
    with time_machine.travel(NOW, tick=False):
        r = manager.get("/dashboard/?site=dealer")
    assert r.status_code == 200 and r.context["board"].open.value == 4
    assert r.context["site"].code == "lanting"


@pytest.mark.parametrize("persona", ["agent", "technician", "dispatcher"])
def test_not_for_staff_who_are_not_managers(world, persona):
    client = Client()
    client.force_login(world.users[persona])
    assert client.get("/dashboard/").status_code == 403


def test_anonymous_and_customers(world):
    assert Client().get("/dashboard/").status_code == 302


def test_empty_dashboard(world, manager):
    r = manager.get("/dashboard/")
    assert r.status_code == 200
    html = r.content.decode()
    assert "—" in html  # no averages yet


def test_queries_stay_few_with_more_cases(world, known, manager, django_assert_max_num_queries):
    for i in range(30):
        _open(world, NOW - timedelta(days=i % 20, minutes=5), "phone")
    with time_machine.travel(NOW, tick=False), django_assert_max_num_queries(QUERIES):
        assert manager.get("/dashboard/").status_code == 200
