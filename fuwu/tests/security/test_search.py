"""Security of the global search (issue 10 item 6): it finds only what the person may see, is
no oracle for phone numbers or personal case values, shows phones masked to those who do not
take calls, is for staff only, and takes any text as words (no query syntax reaches FTS5 or
to_tsquery). Through HTTP; on SQLite and, with DATABASE_URL=postgres://…, on PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from fuwu.cases import actions
from fuwu.cases.models import Case
from fuwu.testing.factories import World

pytestmark = pytest.mark.django_db


def _repair(world: World, title: str, **kw: Any) -> Case:
    return actions.open_case(
        world.actor("agent"),
        procedure_key="property_repair",
        site_id=world.sites["lanting"].pk,
        channel="phone",
        title=title,
        data={"repair_item": title, "service_type": "free"},
        **kw,
    )


def _dealer(world: World, request: str, **data: Any) -> Case:
    return actions.open_case(
        world.actor("cc_agent"),
        procedure_key="after_sales_call_center",
        site_id=world.sites["dealer"].pk,
        channel="phone",
        title="售后来电",
        data={"request": request, **data},
    )


def _search(api: Any, persona: str, q: str) -> dict[str, Any]:
    r = api(persona).get("/api/search", q=q)
    assert r.status_code == 200, r.content
    return r.json()  # type: ignore[no-any-return]


def test_a_phone_fragment_finds_nothing(world: World, api: Any) -> None:
    owner = world.customers["owner"]  # 13812345678
    _repair(world, "门锁坏", customer_id=owner.pk)
    for fragment in ("138123", "5678", "2345678"[:6], "1381234 "[:6]):
        body = _search(api, "agent", fragment)
        assert body["customers"] == [] and body["cases"] == [], fragment
        assert body["phone_too_short"] is True
    client = Client()
    client.force_login(world.users["agent"])
    html = client.get("/search/live/", {"q": "138123"}).content.decode()
    assert "王芳" not in html and 'data-testid="phone-too-short"' in html


def test_a_number_in_a_text_is_found_whole_only(world: World, api: Any) -> None:
    case = _repair(world, "业主电话 13912345678 请先联系")
    for fragment in ("139123", "1391234", "13912345"):
        assert _search(api, "technician", fragment)["cases"] == [], fragment
    assert [c["id"] for c in _search(api, "technician", "13912345678")["cases"]] == [case.pk]


def test_personal_case_values_are_not_searchable(world: World, api: Any) -> None:
    _dealer(world, "刹车异响", contact_name="赵敏", contact_phone="13700001111")
    for q in ("13700001111", "1370", "137000", "赵敏", "赵"):
        assert _search(api, "cc_agent", q)["cases"] == [], q
    assert len(_search(api, "cc_agent", "刹车")["cases"]) == 1


def test_other_sites_stay_hidden(world: World, api: Any) -> None:
    here = _repair(world, "水管爆裂", customer_id=world.customers["owner"].pk)
    there = _dealer(world, "水管老化")
    assert [c["id"] for c in _search(api, "agent", "水管")["cases"]] == [here.pk]
    assert [c["id"] for c in _search(api, "cc_agent", "水管")["cases"]] == [there.pk]
    assert _search(api, "cc_agent", "王芳") == {
        "cases": [],
        "customers": [],
        "assets": [],
        "phone_too_short": False,
    }
    assert _search(api, "agent", "粤B3K5X8")["assets"] == []
    assert _search(api, "agent", "13987654321")["customers"] == []  # the dealer's customer
    client = Client()
    client.force_login(world.users["cc_agent"])
    page = client.get("/search/", {"q": "水管"}).content.decode()
    assert f'data-case="{here.pk}"' not in page and f'data-case="{there.pk}"' in page


def test_phones_masked_for_those_who_do_not_take_calls(world: World, api: Any) -> None:
    for persona in ("technician", "dispatcher", "finance", "security"):
        (hit,) = _search(api, persona, "13812345678")["customers"]
        assert hit["phone"] == "138****5678" and hit["masked"] is True, persona
    (hit,) = _search(api, "agent", "13812345678")["customers"]
    assert hit["phone"] == "13812345678"


def test_staff_only(world: World, api: Any) -> None:
    _repair(world, "水管爆裂")
    assert api(None).get("/api/search", q="水管").status_code == 401
    customer = get_user_model().objects.create_user("owner_login", password="pw-owner-1")
    world.customers["owner"].user = customer
    world.customers["owner"].save(update_fields=["user"])
    client = Client()
    client.force_login(customer)
    assert client.get("/api/search", {"q": "水管"}).status_code == 404
    assert client.get("/search/live/", {"q": "水管"}).status_code == 302  # to the portal
    assert Client().get("/search/", {"q": "水管"}).status_code == 302  # to sign in


@pytest.mark.parametrize(
    "q",
    [
        '"',
        '漏水" OR "1',
        "* NEAR(a b)",
        "a:* & !b | c",
        "' ; DROP TABLE search_case_fts; --",
        "rowid:1",
        "^漏水",
        "(((",
        "a\\b",
        "%_%",
        "粤B·",
    ],
)
def test_any_text_is_words_never_query_syntax(world: World, api: Any, q: str) -> None:
    _repair(world, "卫生间漏水严重")
    body = _search(api, "agent", q)
    assert isinstance(body["cases"], list)
    client = Client()
    client.force_login(world.users["agent"])
    assert client.get("/search/live/", {"q": q}).status_code == 200
    assert client.get("/search/", {"q": q}).status_code == 200
