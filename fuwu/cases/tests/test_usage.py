"""Procedure lists ordered by use: most opened at the site in the last 90 days first, then by
name; other sites and older cases do not count."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from fuwu.cases import actions
from fuwu.cases.models import Case
from fuwu.cases.usage import USAGE_DAYS, most_used_first, use_counts


def _cases(world, site: str, key: str, n: int, *, days_ago: int = 1) -> None:
    when = timezone.now() - timedelta(days=days_ago)
    for _ in range(n):
        case = actions.open_case(
            world.actor("agent"),
            procedure_key="property_repair",
            site_id=world.sites["lanting"].pk,
            channel="phone",
            title="漏水",
            data={"repair_item": "漏水", "service_type": "free"},
        )
        # Only the key, site and time matter to the count.
        Case.objects.filter(pk=case.pk).update(
            procedure_key=key, site_id=world.sites[site].pk, created_at=when
        )


def test_most_used_at_the_site_lately_come_first_then_by_name(world):
    lanting = world.sites["lanting"].pk
    _cases(world, "lanting", "complaint", 3)
    _cases(world, "lanting", "key_lending", 1)
    _cases(world, "lanting", "gas_activation", 5, days_ago=USAGE_DAYS + 1)  # too old
    other = next(k for k in world.sites if k != "lanting")
    _cases(world, other, "fee_collection", 4)  # another site's habit
    assert use_counts([lanting]) == {"complaint": 3, "key_lending": 1}
    items = ["fee_collection", "gas_activation", "key_lending", "complaint", "agency_service"]
    ordered = most_used_first(items, key=str, name=str, site_ids=[lanting])
    assert ordered == [
        "complaint",
        "key_lending",
        "agency_service",
        "fee_collection",
        "gas_activation",
    ]
    everywhere = most_used_first(items, key=str, name=str, site_ids=None)
    assert everywhere[:3] == ["fee_collection", "complaint", "key_lending"]


def test_the_procedure_page_and_the_intake_desk_list_the_most_used_first(world, client):
    _cases(world, "lanting", "key_lending", 2)
    client.force_login(world.users["agent"])
    html = client.get("/procedures/").content.decode()
    assert html.index('href="/procedures/key_lending/"') < html.index(
        'href="/procedures/agency_service/"'
    )
    desk = client.get("/intake/", {"site": world.sites["lanting"].pk}).content.decode()
    assert desk.index('value="key_lending"') < desk.index('value="complaint"')
