"""The API of duplicate customer records: suggestions, merge, undo within a day, refusals in
the caller's language."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from fuwu.customers import actions
from fuwu.customers.models import Customer

pytestmark = pytest.mark.django_db

NOW = timezone.datetime(2026, 12, 3, 9, 0, tzinfo=timezone.get_fixed_timezone(480))


def _dup(world) -> Customer:
    return actions.create_customer(
        world.actor("agent"),
        site_id=world.sites["lanting"].pk,
        name="王芳",
        phone="138 1234 5678",
        asset_kind="parking",
        asset_label="B2-017",
    )


def test_suggest_merge_and_undo(world, api) -> None:
    owner, dup = world.customers["owner"], _dup(world)
    agent = api("agent")
    r = agent.get(f"/api/customers/{owner.pk}/duplicates")
    assert r.status_code == 200, r.content
    assert [c["id"] for c in r.json()] == [dup.pk]

    with time_machine.travel(NOW, tick=False):
        r = agent.post(f"/api/customers/{owner.pk}/merge", {"merged_id": dup.pk})
    assert r.status_code == 200, r.content
    body = r.json()
    parking = owner.assets.get(label="B2-017")
    assert (body["kept_id"], body["merged_id"], body["undone_at"]) == (owner.pk, dup.pk, None)
    assert body["moved"]["assets"] == [parking.pk] and body["moved"]["user"] is None
    assert body["undo_until"].startswith("2026-12-04T")
    # The duplicate is hidden from searches and suggestions, and still readable by id.
    assert [c["id"] for c in agent.get("/api/customers", q="王芳").json()] == [owner.pk]
    assert agent.get(f"/api/customers/{owner.pk}/duplicates").json() == []
    assert agent.get(f"/api/customers/{dup.pk}").status_code == 200

    with time_machine.travel(NOW + timedelta(hours=2), tick=False):
        r = agent.post(f"/api/customers/{dup.pk}/unmerge")  # the newest merge, by default
    assert r.status_code == 200, r.content
    assert r.json()["undone_at"] is not None
    assert list(Customer.objects.get(pk=dup.pk).assets.values_list("label", flat=True)) == [
        "B2-017"
    ]
    with time_machine.travel(NOW + timedelta(hours=2), tick=False):
        r = agent.post(f"/api/customers/{owner.pk}/unmerge", {"merge_id": body["id"]})
    assert (r.status_code, r.json()["code"]) == (400, "merge_undone")


def test_refusals_speak_the_callers_language(world, api) -> None:
    owner, dup = world.customers["owner"], _dup(world)
    r = api("technician").post(f"/api/customers/{owner.pk}/merge", {"merged_id": dup.pk})
    assert (r.status_code, r.json()["code"]) == (403, "merge_not_allowed")
    assert "客服或经理" in r.json()["message"]
    r = api("technician", "en").post(f"/api/customers/{owner.pk}/merge", {"merged_id": dup.pk})
    assert r.json()["message"] == "Only the site's agents and managers may merge customer records"
    # Another site's agent does not see these records at all.
    r = api("cc_agent").post(f"/api/customers/{owner.pk}/merge", {"merged_id": dup.pk})
    assert r.status_code == 404
    driver = world.customers["driver"]
    r = api("vp", "en").post(f"/api/customers/{owner.pk}/merge", {"merged_id": driver.pk})
    assert (r.status_code, r.json()["code"]) == (400, "merge_other_site")
    assert "different sites" in r.json()["message"]
    assert Customer.objects.live().count() == 3  # nothing merged


def test_undo_after_a_day_is_refused(world, api) -> None:
    owner, dup = world.customers["owner"], _dup(world)
    agent = api("agent", "en")
    with time_machine.travel(NOW, tick=False):
        merge_id = agent.post(f"/api/customers/{owner.pk}/merge", {"merged_id": dup.pk}).json()[
            "id"
        ]
    with time_machine.travel(NOW + timedelta(days=1, minutes=1), tick=False):
        r = agent.post(f"/api/customers/{owner.pk}/unmerge", {"merge_id": merge_id})
        assert (r.status_code, r.json()["code"]) == (400, "merge_too_old")
        assert "24 hours" in r.json()["message"]
        r = api("outsider").post(f"/api/customers/{owner.pk}/unmerge", {"merge_id": merge_id})
        assert r.status_code == 404
