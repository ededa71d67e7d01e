"""The menu's search box: the live fragment as one types, the results page on Enter, who sees
what, and a fixed number of queries whatever is found."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from fuwu.cases import actions
from fuwu.cases.models import Case

# The page's own queries differ by database: it runs on PostgreSQL too.
pytestmark = [pytest.mark.django_db, pytest.mark.postgres_too]


def _client(world: Any, persona: str, language: str = "zh-hans") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(world.users[persona])
    return client


def _repair(world: Any, title: str) -> Case:
    return actions.open_case(
        world.actor("agent"),
        procedure_key="property_repair",
        site_id=world.sites["lanting"].pk,
        channel="phone",
        title=title,
        customer_id=world.customers["owner"].pk,
        asset_id=world.assets["unit"].pk,
        data={"repair_item": title, "service_type": "free"},
    )


def test_the_menu_has_the_search_box(world: Any) -> None:
    html = _client(world, "technician").get("/work/").content.decode()
    assert 'data-testid="menu-search"' in html
    assert 'hx-get="/search/live/"' in html and 'action="/search/"' in html


def test_live_results_are_grouped(world: Any) -> None:
    case = _repair(world, "卫生间漏水严重")
    html = _client(world, "agent").get("/search/live/", {"q": "漏水"}).content.decode()
    assert f'href="/cases/{case.pk}/"' in html and "卫生间漏水严重" in html
    by_name = _client(world, "agent").get("/search/live/", {"q": "王芳"}).content.decode()
    assert 'data-testid="search-customer"' in by_name and "13812345678" in by_name
    assert 'data-testid="search-case"' in by_name
    unit = _client(world, "agent").get("/search/live/", {"q": "3栋2单元1502"}).content.decode()
    assert 'data-testid="search-asset"' in unit
    assert _client(world, "agent").get("/search/live/", {"q": "  "}).content == b""


def test_phones_are_masked_for_those_who_do_not_take_calls(world: Any) -> None:
    _repair(world, "门锁坏")
    html = _client(world, "technician").get("/search/live/", {"q": "王芳"}).content.decode()
    assert "138****5678" in html and "13812345678" not in html
    page = _client(world, "technician").get("/search/", {"q": "13812345678"}).content.decode()
    # (The number typed is echoed in the page's links; the customer's shows masked.)
    assert "138****5678</span>" in page and "13812345678</span>" not in page


def test_results_page_in_english(world: Any) -> None:
    case = _repair(world, "空调不制冷")
    html = _client(world, "agent", "en").get("/search/", {"q": "空调"}).content.decode()
    assert f'data-case="{case.pk}"' in html
    assert "Cases" in html and "Customers" in html
    empty = _client(world, "agent", "en").get("/search/", {"q": "门卫"}).content.decode()
    assert "No cases found." in empty


def test_only_what_the_person_may_see(world: Any) -> None:
    case = _repair(world, "水管爆裂")
    html = _client(world, "cc_agent").get("/search/", {"q": "水管"}).content.decode()
    assert f'data-case="{case.pk}"' not in html
    other = _client(world, "cc_agent").get("/search/live/", {"q": "王芳"}).content.decode()
    assert "search-customer" not in other and "search-case" not in other
    assert Client().get("/search/live/", {"q": "水管"}).status_code == 302  # sign in first
    customer = get_user_model().objects.create_user("owner_user", password="pw")
    client = Client()
    client.force_login(customer)
    assert client.get("/search/", {"q": "水管"})["Location"].startswith("/portal")


def test_a_fixed_number_of_queries(world: Any, django_assert_max_num_queries: Any) -> None:
    for i in range(12):
        _repair(world, f"漏水 {i} 号")
    client = _client(world, "agent")
    client.get("/search/live/", {"q": "漏水"})  # warm the caches (actor, procedures)
    with django_assert_max_num_queries(10):
        html = client.get("/search/live/", {"q": "漏水"}).content.decode()
    assert html.count('data-testid="search-case"') == 8
    with django_assert_max_num_queries(14):
        page = client.get("/search/", {"q": "漏水"}).content.decode()
    assert page.count('data-testid="case-row"') == 12
