"""The staff page that merges duplicate customer records: suggestions, preview, confirm, undo."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from fuwu.cases import actions as cases
from fuwu.customers import actions
from fuwu.customers.models import Customer, CustomerMerge

pytestmark = pytest.mark.django_db


def signed_in(username: str, language: str | None = None) -> Client:
    client = Client()
    client.force_login(get_user_model().objects.get(username=username))
    if language:
        client.post("/language/", {"language": language})
    return client


def _dup(world: Any) -> Customer:
    return actions.create_customer(
        world.actor("agent"),
        site_id=world.sites["lanting"].pk,
        name="王芳",
        phone="138-1234-5678",
        asset_kind="parking",
        asset_label="B2-017",
    )


def test_suggest_preview_confirm_and_undo(world: Any) -> None:
    owner, dup = world.customers["owner"], _dup(world)
    case = cases.open_case(
        world.actor("agent"),
        procedure_key="property_repair",
        site_id=owner.site_id,
        channel="phone",
        title="车位地锁坏了",
        customer_id=dup.pk,
        data={"repair_item": "地锁", "service_type": "free"},
    )
    client = signed_in("agent")
    url = f"/customers/{owner.pk}/merge/"
    html = client.get(url).content.decode()
    assert 'data-testid="duplicates"' in html and f'data-testid="preview-{dup.pk}"' in html

    html = client.get(url, {"with": dup.pk}).content.decode()
    assert 'data-testid="merge-preview"' in html and 'data-testid="confirm-merge"' in html
    assert case.number in html and "B2-017" in html
    assert not CustomerMerge.objects.exists()  # a preview changes nothing

    page = client.post(url, {"merged": dup.pk}, follow=True)
    html = page.content.decode()
    assert 'data-testid="recent-merge"' in html and 'data-testid="undo-merge"' in html
    assert Customer.objects.get(pk=dup.pk).merged_into_id == owner.pk
    done = CustomerMerge.objects.get()
    html = client.get(f"/cases/{case.pk}/").content.decode()
    assert f"客户档案 #{dup.pk} 已合并到 #{owner.pk}" in html  # the case's timeline says so

    html = client.post(f"/customers/merges/{done.pk}/undo/", follow=True).content.decode()
    assert "已撤销合并" in html
    assert Customer.objects.get(pk=dup.pk).merged_into_id is None
    assert list(Customer.objects.get(pk=dup.pk).cases.all()) == [case]


def test_a_refusal_shows_on_the_preview_in_english(world: Any) -> None:
    owner, dup = world.customers["owner"], _dup(world)
    for customer, name in ((owner, "wf1"), (dup, "wf2")):
        user = get_user_model().objects.create_user(name, password="pw-" + name + "-x")
        actions.link_account(world.actor("vp"), customer.pk, user=user, language="zh-hans")
    html = signed_in("agent", "en").get(f"/customers/{owner.pk}/merge/", {"with": dup.pk})
    text = html.content.decode()
    assert 'data-testid="merge-refused"' in text and "Both records have a portal account" in text
    assert 'data-testid="confirm-merge"' not in text


def test_only_the_sites_agents_and_managers_open_the_page(world: Any) -> None:
    owner, dup = world.customers["owner"], _dup(world)
    assert signed_in("technician").get(f"/customers/{owner.pk}/merge/").status_code == 403
    assert (
        signed_in("technician")
        .post(f"/customers/{owner.pk}/merge/", {"merged": dup.pk})
        .status_code
        == 403
    )
    assert signed_in("cc_agent").get(f"/customers/{owner.pk}/merge/").status_code == 404
    assert signed_in("sc_manager").get(f"/customers/{owner.pk}/merge/").status_code == 200
    assert not CustomerMerge.objects.exists()


def test_the_intake_desk_links_a_chosen_caller_to_the_merge_page(world: Any) -> None:
    owner = world.customers["owner"]
    html = signed_in("agent").get(f"/intake/?customer={owner.pk}").content.decode()
    assert f'href="/customers/{owner.pk}/merge/"' in html


def test_the_merged_records_page_says_where_it_went_and_offers_the_undo(world: Any) -> None:
    from fuwu.customers import merging

    owner, dup = world.customers["owner"], _dup(world)
    done = merging.merge(world.actor("agent"), owner.pk, dup.pk)
    html = signed_in("agent", "en").get(f"/customers/{dup.pk}/merge/").content.decode()
    assert 'data-testid="merged-into"' in html and f'href="/customers/{owner.pk}/merge/"' in html
    assert f'action="/customers/merges/{done.pk}/undo/"' in html
    assert 'data-testid="duplicates"' not in html and 'data-testid="confirm-merge"' not in html
