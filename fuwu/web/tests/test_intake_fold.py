"""Nothing asked twice at the intake desk (issue 10, point 5): the title comes from the repair
item when nobody types one, a complaint takes the complainant and phone from the customer
chosen, and a phone number searched for goes into the new-customer form."""

from __future__ import annotations

from typing import Any

import pytest

from fuwu.cases.models import Case, Event
from fuwu.testing.factories import World
from fuwu.web.tests.test_intake import HTMX, _case_post, signed_in

pytestmark = pytest.mark.django_db


def _complaint(world: World, **changes: Any) -> dict[str, Any]:
    body = {
        "site": world.sites["lanting"].pk,
        "customer": world.customers["owner"].pk,
        "procedure": "complaint",
        "channel": "phone",
        "title": "",
        "step-complaint_content": "维修后水龙头又漏水。\n师傅态度也不好。",
        "step-intake_method": "call_record",
        "step-complaint_summary": "重复维修",
    }
    body.update(changes)
    return {k: v for k, v in body.items() if v is not None}


def test_a_blank_title_is_the_repair_items_first_line(world: World) -> None:
    post = _case_post(world, title="", **{"step-repair_item": "厨房水槽下水管\n有积水"})
    response = signed_in("agent").post("/intake/cases/", post)
    case = Case.objects.get()
    assert response.status_code == 302
    assert case.title == "厨房水槽下水管"
    typed = _case_post(world, title="  业主说很急  ")
    signed_in("agent").post("/intake/cases/", typed)
    assert Case.objects.order_by("-pk").first().title == "业主说很急"  # typed: kept


def test_the_title_field_says_where_a_blank_title_comes_from(world: World) -> None:
    owner = world.customers["owner"].pk
    html = signed_in("agent").get(f"/intake/?customer={owner}&procedure=property_repair")
    text = html.content.decode()
    assert "留空则取“报修项目”的第一行" in text
    assert 'name="title"' in text and 'name="title" maxlength="200" required' not in text
    english = signed_in("agent", "en").get(f"/intake/?customer={owner}&procedure=complaint")
    assert "leave it blank to use the first line of “Complaint”" in english.content.decode()


def test_a_complaint_takes_the_complainant_and_phone_from_the_customer(world: World) -> None:
    response = signed_in("agent").post("/intake/cases/", _complaint(world), headers=HTMX)
    case = Case.objects.get()
    assert response.status_code == 204
    assert case.data["complainant_name"] == "王芳"
    assert case.data["contact_phone"] == "13812345678"
    assert case.title == "维修后水龙头又漏水。"


def test_someone_else_complaining_for_the_customer_is_kept(world: World) -> None:
    other = _complaint(
        world, **{"step-complainant_name": "王芳的儿子", "step-contact_phone": "13700001111"}
    )
    signed_in("agent").post("/intake/cases/", other)
    case = Case.objects.get()
    assert (case.data["complainant_name"], case.data["contact_phone"]) == (
        "王芳的儿子",
        "13700001111",
    )


def test_without_a_customer_the_complainant_is_still_asked(world: World) -> None:
    response = signed_in("agent").post(
        "/intake/cases/", _complaint(world, customer=None), headers=HTMX
    )
    assert response.status_code == 400
    assert 'data-testid="error-complainant_name"' in response.content.decode()
    assert Case.objects.count() == 0 and Event.objects.count() == 0


def test_the_complaint_form_shows_the_customers_values_masked(world: World) -> None:
    owner = world.customers["owner"].pk
    html = signed_in("agent").get(f"/intake/?customer={owner}&procedure=complaint")
    text = html.content.decode()
    assert "留空即用客户档案：138****5678" in text and "留空即用客户档案：王芳" in text
    assert "13812345678" not in text  # the desk never shows a full number
    fragment = signed_in("agent").get(
        "/intake/procedure/",
        {"procedure": "complaint", "site": world.sites["lanting"].pk, "customer": owner},
        headers=HTMX,
    )
    assert 'placeholder="138****5678"' in fragment.content.decode()


def test_a_phone_nobody_has_goes_into_the_new_customer_form(world: World) -> None:
    agent = signed_in("agent")
    site = world.sites["lanting"].pk
    html = agent.get("/intake/customers/", {"q": "139 0000 1111", "site": site}).content.decode()
    assert 'data-testid="no-customer"' in html
    assert f"?site={site}&amp;q=139%200000%201111&amp;new=1" in html
    assert "用电话 139 0000 1111 建档" in html
    page = agent.get("/intake/", {"site": site, "q": "139 0000 1111", "new": "1"})
    text = page.content.decode()
    assert 'data-testid="new-customer-toggle" open' not in text  # the attribute comes first
    assert '<details class="mt-3" open data-testid="new-customer-toggle">' in text
    assert 'name="phone" value="139 0000 1111"' in text
    assert 'name="name" maxlength="100" autofocus' in text
    named = agent.get("/intake/customers/", {"q": "赵六"}).content.decode()
    assert "为“赵六”建档" in named
    unit = agent.get("/intake/customers/", {"q": "9栋101"}).content.decode()
    assert "新客户建档" in unit and "q=9%E6%A0%8B101" in unit  # a unit: nothing carried
