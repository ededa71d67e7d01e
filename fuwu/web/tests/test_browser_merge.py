"""Merging a duplicate customer record in a real browser (issue 10 item 11): from the caller at
the intake desk to the merge page, the suggested duplicate, its preview, the merge, the undo."""

from __future__ import annotations

from typing import Any

import pytest

from fuwu.cases import actions as cases
from fuwu.cases.models import Case
from fuwu.core.models import Staff
from fuwu.customers import actions
from fuwu.customers.models import Customer, CustomerMerge
from fuwu.testing.factories import World

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize(("language", "phone"), [("zh-hans", False)], ids=["zh-desktop"])
def test_an_agent_merges_a_duplicate_and_undoes_it(
    web: Any, world: World, language: str, phone: bool
) -> None:
    owner = world.customers["owner"]
    dup = actions.create_customer(
        world.actor("agent"),
        site_id=owner.site_id,
        name="王芳",
        phone="+86 138-1234-5678",
        email="wangfang@example.com",
        asset_kind="parking",
        asset_label="B2-017",
    )
    case = cases.open_case(
        world.actor("agent"),
        procedure_key="property_repair",
        site_id=owner.site_id,
        channel="phone",
        title="车位地锁坏了",
        customer_id=dup.pk,
        data={"repair_item": "地锁", "service_type": "free"},
    )
    Staff.objects.filter(user=world.users["agent"]).update(language=language)
    en = language == "en"
    page = web.page(phone=phone, language="en-US" if en else "zh-CN")
    web.login(page, "agent")
    page.goto(f"/intake/?customer={owner.pk}")
    page.click("[data-testid=merge-link]")
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == ("Merge duplicate records" if en else "合并重复档案")
    assert page.locator(f"[data-testid=duplicates] [data-testid=record-{dup.pk}]").count() == 1
    web.shot(page, "suggested")

    page.click(f"[data-testid=preview-{dup.pk}]")
    page.wait_for_load_state()
    moves = page.locator("[data-testid=merge-moves]").inner_text()
    assert "B2-017" in moves and case.number in moves
    assert ("1 unit, vehicle or item" if en else "1 个服务对象") in moves
    web.shot(page, "preview")

    page.click("[data-testid=confirm-merge]")
    page.wait_for_load_state()
    assert Customer.objects.get(pk=dup.pk).merged_into_id == owner.pk
    assert Case.objects.get(pk=case.pk).customer_id == owner.pk
    banner = page.locator("[data-testid=recent-merge]").inner_text()
    assert ("Can be undone until" if en else "可撤销至") in banner
    assert page.locator("[data-testid=no-duplicates]").count() == 1  # the duplicate is hidden
    web.shot(page, "merged")

    page.click("[data-testid=undo-merge]")
    page.wait_for_load_state()
    assert Customer.objects.get(pk=dup.pk).merged_into_id is None
    assert CustomerMerge.objects.get().undone_at is not None
    assert Case.objects.get(pk=case.pk).customer_id == dup.pk
    assert page.locator("[data-testid=duplicates]").count() == 1  # suggested again
    web.shot(page, "undone")
    assert page.js_errors == []
