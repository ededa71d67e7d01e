"""Issue 10 item 3: a history never names a case its reader may not open. The intake panel, the
case page's card and the API read through the queue's rule (cases of the reader's sites); ids
from another site are treated as not chosen (pages) or not found (API, case card)."""

from __future__ import annotations

import pytest
from django.test import Client

from fuwu.cases import actions

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


def _client(persona: str) -> Client:
    client = Client()
    assert (
        client.post("/login/", {"username": persona, "password": f"pw-{persona}"}).status_code
        == 302
    )
    return client


def _dealer_case(world):
    return actions.open_case(
        world.actor("cc_agent"),
        procedure_key="after_sales_call_center",
        site_id=world.sites["dealer"].pk,
        channel="phone",
        title="刹车异响-机密",
        customer_id=world.customers["driver"].pk,
        asset_id=world.assets["car"].pk,
        data={"request": "刹车异响"},
    )


def test_the_desk_panel_shows_nothing_of_another_sites_customer_or_car(world):
    case = _dealer_case(world)
    driver, car = world.customers["driver"].pk, world.assets["car"].pk
    params = {"customer": driver, "asset": car, "procedure": "after_sales_call_center"}
    html = _client("agent").get("/intake/history/", params, **HTMX).content.decode()
    assert case.number not in html and "刹车异响" not in html
    assert "duplicate-warning" not in html
    # The same request by someone of the dealer shows the case and the warning.
    html = _client("cc_agent").get("/intake/history/", params, **HTMX).content.decode()
    assert case.number in html and "duplicate-warning" in html


def test_an_asset_of_another_customer_is_not_read_through_the_desks_customer(world):
    case = _dealer_case(world)
    own = world.customers["owner"].pk
    params = {
        "customer": own,
        "asset": world.assets["car"].pk,
        "procedure": "after_sales_call_center",
    }
    html = _client("vp").get("/intake/history/", params, **HTMX).content.decode()
    assert case.number not in html  # the car is not Wang Fang's: not chosen


def test_the_case_card_of_another_sites_case_is_not_found(world):
    case = _dealer_case(world)
    assert _client("agent").get(f"/cases/{case.pk}/history/", **HTMX).status_code == 404
    assert _client("cc_agent").get(f"/cases/{case.pk}/history/", **HTMX).status_code == 200


def test_the_history_is_for_staff_only(world):
    case = _dealer_case(world)
    anonymous = Client()
    for path in ("/intake/history/", f"/cases/{case.pk}/history/"):
        answer = anonymous.get(path, {"customer": world.customers["driver"].pk})
        assert answer.status_code in (302, 403, 404)
        assert case.number not in answer.content.decode()
