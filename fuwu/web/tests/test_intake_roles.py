"""Who may open which procedure (issue 10, point 12): every persona × every procedure, through
the intake desk's list, its POST and the API's create — listed iff the definition allows it,
refused otherwise, the three places alike (they all ask `policy.open_refusal`).

The expectation is written here from the definitions themselves, not from the policy: the
roles that own the first step or take its transitions (a first step naming no role: the members
of its department), or a manager, VP or administrator; at a site that has the first step's
department; from a channel a person uses."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from fuwu.cases.models import Case
from fuwu.core.choices import RoleCode
from fuwu.procedures.engine.definition import Procedure
from fuwu.procedures.engine.validate import DEFAULT_ROLES
from fuwu.procedures.models import ProcedureVersion
from fuwu.procedures.registry import definition_of
from fuwu.testing.factories import DEPARTMENTS, PERSONAS, World

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}
ANYTHING = {"manager", "vp", "admin"}
REFUSALS = {"open_not_allowed", "no_such_department"}


def procedures() -> list[Procedure]:
    rows = ProcedureVersion.objects.filter(is_current=True).order_by("key")
    return [definition_of(row) for row in rows]


def home(persona: str) -> str:
    site = PERSONAS[persona][0]
    return "lanting" if site == "*" else site


def expected(persona: str, p: Procedure) -> bool:
    _site, department, roles, _boss = PERSONAS[persona]
    start = p.steps[p.start]
    owner = (start.owner.department if start.owner else None) or p.owner.department
    codes = {code for code, _name in DEPARTMENTS[home(persona)]}
    if owner not in codes and not codes & set(p.departments.get(owner or "", [])):
        return False  # the site has no such department
    if not [c for c in p.channels if c != "system"]:
        return False
    allowed = {start.owner.role} if start.owner and start.owner.role else set()
    allowed |= {r for t in start.transitions for r in t.roles if r != "customer"}
    if set(roles) & (allowed | ANYTHING):
        return True
    return not allowed and department == owner


def test_the_roles_the_engine_knows_are_the_roles_people_hold() -> None:
    assert set(RoleCode.values) == DEFAULT_ROLES - {"customer"}
    assert str(RoleCode.SERVICE_ADVISOR.label) == "服务顾问"


@pytest.mark.parametrize("persona", sorted(PERSONAS))
def test_each_procedure_is_opened_by_exactly_the_roles_its_definition_allows(
    world: World, api: Any, persona: str
) -> None:
    site = world.sites[home(persona)]
    client = Client()
    client.force_login(world.users[persona])
    listed = client.get("/intake/", {"site": site.pk}).content.decode()
    caller = api(persona)
    for p in procedures():
        may = expected(persona, p)
        assert (f'<option value="{p.key}"' in listed) == may, (persona, p.key, may)
        channel = next((c for c in p.channels if c != "system"), "system")
        body = {"procedure": p.key, "site": site.code, "channel": channel, "title": "x"}
        answer = caller.post("/api/cases", {**body, "data": {}})
        code = answer.json().get("code")
        assert (code not in REFUSALS) == may, (persona, p.key, answer.status_code, code)
        if may:
            continue  # the desk's POST of an offered procedure: test_intake.py
        assert answer.status_code in (400, 403)
        posted = client.post(
            "/intake/cases/",
            {"procedure": p.key, "site": site.pk, "channel": channel},
            headers=HTMX,
        )
        html = posted.content.decode()
        refused = f"您不能受理“{p.name.zh}”" in html or "部门“" in html
        assert refused and posted.status_code == 400, (persona, p.key, posted.status_code)
    opened = set(Case.objects.values_list("procedure_key", flat=True))
    assert opened <= {p.key for p in procedures() if expected(persona, p)}


def test_a_service_advisor_books_toyota_and_4s_cases_at_the_desk(world: World, api: Any) -> None:
    client = Client()
    client.force_login(world.users["advisor"])
    html = client.get("/intake/").content.decode()
    assert "丰田七步法服务" in html and "售后接待与任务委托书" in html
    driver = world.customers["driver"].pk
    form = client.get(f"/intake/?customer={driver}&procedure=toyota_seven_step").content.decode()
    assert 'name="step-plate_no" value="粤B·3K5X8"' in form  # the customer's one car
    assert 'value="product_repair"' not in html  # the call centre's, not the advisor's
    driver, car = world.customers["driver"], world.assets["car"]
    response = client.post(
        "/intake/cases/",
        {
            "site": world.sites["dealer"].pk,
            "customer": driver.pk,
            "procedure": "toyota_seven_step",
            "channel": "phone",
            "asset": car.pk,
            "step-plate_no": "粤B·3K5X8",
            "step-customer_request": "保养，顺便查一下空调异响",
        },
    )
    case = Case.objects.get()
    assert response.status_code == 302 and case.created_by == world.users["advisor"]
    assert case.title == "保养，顺便查一下空调异响" and case.step == "appointment"
    made = api("advisor").post(
        "/api/cases",
        {
            "procedure": "car_reception_repair_order",
            "site": "dealer",
            "channel": "walk_in",
            "title": "到店维修",
            "customer_id": driver.pk,
            "data": {"plate_no": "粤B·3K5X8"},
        },
    )
    assert made.status_code == 201, made.json()


def test_the_desk_says_why_a_procedure_is_refused(world: World) -> None:
    client = Client()
    client.force_login(world.users["technician"])
    lanting = world.sites["lanting"].pk
    response = client.post(
        "/intake/cases/",
        {"procedure": "complaint", "site": lanting, "channel": "phone"},
        headers=HTMX,
    )
    assert response.status_code == 400
    assert "您不能受理“投诉处理”" in response.content.decode()
    english = Client()
    english.force_login(world.users["technician"])
    english.post("/language/", {"language": "en"})
    response = english.post(
        "/intake/cases/", {"procedure": "complaint", "site": lanting, "channel": "phone"}
    )
    assert "You may not open &#x27;Complaint handling&#x27;" in response.content.decode()
