"""The queue's text filter (`q`) finds what the global search finds: words of the title,
description and fields from the search index (Chinese cut into words, not substrings), plates
whatever their separators; and the page, its htmx fragment and the API list agree."""

from __future__ import annotations

from typing import Any

import pytest

from fuwu.cases import actions
from fuwu.cases.models import Case
from fuwu.web.tests.test_queue import dealer_case, numbers, signed_in

# The page's own queries differ by database: it runs on PostgreSQL too.
pytestmark = [pytest.mark.django_db, pytest.mark.postgres_too]


def _repair(world: Any, title: str, *, description: str = "", item: str = "灯") -> Case:
    return actions.open_case(
        world.actor("agent"),
        procedure_key="property_repair",
        site_id=world.sites["lanting"].pk,
        channel="phone",
        title=title,
        description=description,
        customer_id=world.customers["owner"].pk,
        asset_id=world.assets["unit"].pk,
        data={"repair_item": item, "service_type": "free"},
    )


def _everywhere(world: Any, api: Any, persona: str, q: str) -> set[str]:
    """The numbers the queue page, its fragment and the API list find for `q` — the same."""
    client = signed_in(world, persona)
    page = numbers(client.get("/queue/", {"q": q}))
    fragment = numbers(client.get("/queue/", {"q": q}, HTTP_HX_REQUEST="true"))
    response = api(persona).get("/api/cases", q=q)
    assert response.status_code == 200, response.json()
    by_id = {c.pk: c.number for c in Case.objects.all()}
    listed = [by_id[row["id"]] for row in response.json()["results"]]
    assert page == fragment == listed, q
    return set(page)


def test_words_not_substrings_and_every_text_of_the_case(world, api):
    leak = _repair(world, "卫生间漏水严重")
    check = _repair(world, "部门卫生检查")
    heater = _repair(world, "报修", description="业主说热水器不出热水", item="热水器")
    tap = _repair(world, "厨房问题", item="水龙头")

    def found(q: str) -> set[str]:
        return _everywhere(world, api, "agent", q)

    assert found("漏水") == {leak.number}
    # A substring across two words is no word: 门卫 (a guard) is not in 部门卫生检查.
    assert found("门卫") == set()
    assert found("卫生") == {leak.number, check.number}
    assert found("卫") == {leak.number, check.number}  # the last word as it is being typed
    # The description and the fields are searched too, not only the title.
    assert found("热水器") == {heater.number}
    assert found("水龙头") == {tap.number}
    assert found("厨房 水龙头") == {tap.number}  # every word must match
    assert found("厨房 热水器") == set()
    # The other ways still find: number, customer, unit; digits too few for a phone find no text.
    assert found(tap.number) == {tap.number}
    assert found("王芳") == {leak.number, check.number, heater.number, tap.number}
    assert found("1502") == {leak.number, check.number, heater.number, tap.number}
    assert found("138") == set()


def test_plates_match_whatever_their_separators(world, api):
    car = dealer_case(world)  # the car 粤B·3K5X8
    other = actions.open_case(
        world.actor("cc_agent"),
        procedure_key=car.procedure_key,
        site_id=world.sites["dealer"].pk,
        channel="phone",
        title="保养预约",
        data=dict(car.data),
    )
    for typed in ["粤B·3K5X8", "粤B 3K5X8", "粤b3k5x8", "粤B3K5X8"]:
        assert _everywhere(world, api, "cc_agent", typed) == {car.number}, typed
    assert _everywhere(world, api, "cc_agent", "保养") == {other.number}
    # Another site's staff find nothing of it, however it is typed.
    assert _everywhere(world, api, "agent", "粤b3k5x8") == set()


def test_a_text_without_words_finds_nothing(world, api):
    _repair(world, "灯不亮")
    assert _everywhere(world, api, "agent", "？！") == set()
