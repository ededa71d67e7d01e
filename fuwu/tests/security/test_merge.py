"""Security of merging customer records (issue 10 item 11): only the site's agents and managers
merge or undo, through the pages and the API; another site's records do not exist for them; a
merged (hidden) record is never found, chosen, opened a case on, nor linked to a portal account."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client

from fuwu.cases.models import Case, Event
from fuwu.customers import actions, merging, retention
from fuwu.customers.masks import ANONYMISED
from fuwu.customers.models import Customer, CustomerMerge, RecordChange
from fuwu.tests.security.test_pii import _closed_case, pii_procedure  # noqa: F401 — a fixture

pytestmark = pytest.mark.django_db

OTHERS = ["technician", "dispatcher", "finance", "security", "engineer", "workshop_qc"]


def _dup(world: Any, **extra: Any) -> Customer:
    return actions.create_customer(
        world.actor("agent"),
        site_id=world.sites["lanting"].pk,
        name="王芳",
        phone="138 1234 5678",
        **extra,
    )


def _staff(username: str) -> Client:
    client = Client()
    client.force_login(get_user_model().objects.get(username=username))
    return client


@pytest.mark.parametrize("persona", OTHERS)
def test_nobody_else_merges_or_undoes_through_the_api_or_the_pages(
    world: Any, api: Any, persona: str
) -> None:
    owner, dup = world.customers["owner"], _dup(world)
    r = api(persona).post(f"/api/customers/{owner.pk}/merge", {"merged_id": dup.pk})
    assert r.status_code in (403, 404)  # 404: a record of a site they do not work at
    page = _staff(persona).post(f"/customers/{owner.pk}/merge/", {"merged": dup.pk})
    assert page.status_code in (403, 404)
    assert not CustomerMerge.objects.exists()
    done = merging.merge(world.actor("agent"), owner.pk, dup.pk)
    r = api(persona).post(f"/api/customers/{owner.pk}/unmerge", {"merge_id": done.pk})
    assert r.status_code in (403, 404)
    assert _staff(persona).post(f"/customers/merges/{done.pk}/undo/").status_code in (403, 404)
    assert CustomerMerge.objects.get().undone_at is None


def test_a_merged_record_is_found_and_chosen_nowhere(world: Any, api: Any) -> None:
    owner, dup = world.customers["owner"], _dup(world)
    merging.merge(world.actor("agent"), owner.pk, dup.pk)
    found = api("agent").get("/api/customers", q="138 1234 5678").json()
    assert [c["id"] for c in found] == [owner.pk]
    html = _staff("agent").get("/intake/customers/", {"q": "王芳"}).content.decode()
    assert f"?customer={dup.pk}" not in html and f"?customer={owner.pk}" in html
    html = _staff("agent").get(f"/intake/?customer={dup.pk}").content.decode()
    assert 'data-testid="selected-customer"' not in html
    r = api("agent").post(
        "/api/cases",
        {
            "procedure": "property_repair",
            "site": "lanting",
            "channel": "phone",
            "title": "厨房漏水",
            "customer_id": dup.pk,
            "data": {"repair_item": "水管", "service_type": "free"},
        },
    )
    assert r.status_code == 400, r.content


def test_a_merged_record_is_not_linked_to_a_new_portal_account(world: Any) -> None:
    """Signed up with the duplicate's e-mail, merged before the code was entered: the new
    account gets a record of its own, not the hidden one (nor the kept one by way of it)."""
    owner, dup = world.customers["owner"], _dup(world, email="wf.old@example.com")
    client = Client()
    client.post(
        "/portal/signup/",
        {
            "name": "王芳",
            "login": "wf.old@example.com",
            "password": "Spring-rain-42",
            "site": str(world.sites["lanting"].pk),
            "language": "zh-hans",
        },
    )
    code = re.search(r"\b(\d{6})\b", mail.outbox[0].body)
    assert code is not None
    merging.merge(world.actor("agent"), owner.pk, dup.pk)
    assert client.post("/portal/signup/verify/", {"code": code.group(1)}).status_code == 302
    user = get_user_model().objects.get(username="wf.old@example.com")
    mine = Customer.objects.get(user=user)
    assert mine.pk not in (owner.pk, dup.pk)
    assert Customer.objects.get(pk=dup.pk).user_id is None
    # A sign-up after the merge is not offered the hidden record either.
    assert not Customer.objects.live().filter(pk=dup.pk).exists()


@pytest.mark.usefixtures("pii_procedure")
def test_retention_erases_the_duplicates_merged_into_a_customer(world, settings):
    """A merged record has no cases of its own: it is erased with the customer it went into."""
    settings.FUWU_RETENTION_YEARS = 3
    with time_machine.travel(datetime(2022, 12, 1, tzinfo=UTC), tick=False):
        old = Customer.objects.create(site=world.sites["lanting"], name="赵敏", phone="13600003333")
        dup = actions.create_customer(
            world.actor("agent"),
            site_id=old.site_id,
            name="赵敏",
            phone="136 0000 3333",
            email="zhao.min@example.com",
        )
        merging.merge(world.actor("agent"), old.pk, dup.pk)
    _closed_case(world, old, datetime(2023, 1, 10, 9, tzinfo=UTC))
    with time_machine.travel(datetime(2026, 1, 11, 9, tzinfo=UTC), tick=False):
        done = retention.anonymise()
    assert done.customers == [old.pk]
    dup.refresh_from_db()
    assert (dup.name, dup.phone, dup.email) == (ANONYMISED, "", "")
    history = str(list(RecordChange.objects.filter(customer=dup).values_list("changes")))
    assert "zhao.min@example.com" not in history and "赵敏" not in history


@pytest.mark.usefixtures("pii_procedure")
def test_a_closed_case_moves_with_its_customer_and_back(world) -> None:
    """History moves too: a closed case changes customer (with its event), not its state."""
    owner, dup = world.customers["owner"], _dup(world)
    closed = _closed_case(world, dup, datetime(2026, 11, 2, 9, tzinfo=UTC))
    before = Case.objects.get(pk=closed.pk)
    assert before.is_closed
    done = merging.merge(world.actor("agent"), owner.pk, dup.pk)
    after = Case.objects.get(pk=closed.pk)
    assert (after.customer_id, after.status, after.version) == (
        owner.pk,
        before.status,
        before.version,
    )
    merging.unmerge(world.actor("agent"), done.pk)
    assert Case.objects.get(pk=closed.pk).customer_id == dup.pk
    kinds = list(Event.objects.filter(case=closed).values_list("kind", flat=True))
    assert kinds[-2:] == ["customer_updated", "customer_updated"]
