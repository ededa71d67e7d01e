"""The case's details card and print view (issue 10, item 1) keep the privacy rules of the rest
of the case page: personal values masked for staff who do not work the case (on paper too, with
no reveal there), a case of another site does not exist, customers and strangers never reach the
staff print view."""

from __future__ import annotations

import pytest
from django.test import Client

from fuwu.cases import actions
from fuwu.portal.access import customer_actor
from fuwu.portal.tests.helpers import give_account
from fuwu.web.tests.casesetup import at_repair, signed_in
from fuwu.web.tests.test_case_details import PHONE, investigated

pytestmark = pytest.mark.django_db


def test_details_and_print_mask_personal_values_for_staff_outside_the_case(world):
    case = investigated(world)
    for suffix in ("", "print/"):
        html = signed_in("security").get(f"/cases/{case.pk}/{suffix}").content.decode()
        assert PHONE not in html and "13812345678" not in html
        assert "139****2222" in html  # the complaint's contact phone, masked
    paper = signed_in("security").get(f"/cases/{case.pk}/print/").content.decode()
    assert "138****5678" in paper  # the customer's own phone, masked
    assert "reveal" not in paper  # no reveal on paper: a reveal is a logged click on the page


def test_print_view_reveals_nothing_to_those_who_reveal_on_the_page(world):
    case = at_repair(world)  # the technician works it: masks, and a logged reveal on the page
    html = signed_in("technician").get(f"/cases/{case.pk}/print/").content.decode()
    assert "13812345678" not in html and "138****5678" in html


def test_print_view_of_another_sites_case_does_not_exist(world):
    case = at_repair(world)
    assert signed_in("cc_agent").get(f"/cases/{case.pk}/print/").status_code == 404
    assert signed_in("agent").get("/cases/999999/print/").status_code == 404


def test_customers_and_strangers_never_reach_the_staff_print_view(world):
    case = at_repair(world)
    anonymous = Client().get(f"/cases/{case.pk}/print/")
    assert anonymous.status_code == 302 and "/login/" in anonymous["Location"]
    give_account(world.customers["owner"], "wangfang", "pw-wangfang")
    response = signed_in("wangfang").get(f"/cases/{case.pk}/print/")
    assert response.status_code == 302 and response["Location"] == "/portal/"


def test_printing_changes_nothing(world):
    case = at_repair(world)
    client = signed_in("agent")
    before = case.version
    assert client.get(f"/cases/{case.pk}/print/").status_code == 200
    case.refresh_from_db()
    assert case.version == before


def test_a_case_the_customer_opened_names_them_not_their_login(world):
    owner = world.customers["owner"]
    give_account(owner, "13812345678", "Owner-pass-1")  # the login is their phone number
    owner.refresh_from_db()
    case = actions.open_case(
        customer_actor(owner),
        procedure_key="property_repair",
        site_id=owner.site_id,
        channel="web",
        title="厨房漏水",
        customer_id=owner.pk,
        data={"repair_item": "厨房漏水", "service_type": "free"},
    )
    html = signed_in("security").get(f"/cases/{case.pk}/").content.decode()
    intake = html[html.index('data-testid="details-_intake"') :]
    assert "王芳 ·" in intake[:400]
    assert "13812345678" not in html
