"""Merging duplicate customer records: what moves, the history it writes, exact undo within a
day, and the refusals (fuwu.customers.merging)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.utils import timezone

from fuwu.cases import actions as cases
from fuwu.cases.consultations import log_consultation
from fuwu.cases.models import Case, Event
from fuwu.customers import actions, merging
from fuwu.customers.models import Asset, Customer, CustomerMerge, RecordChange, RevealLog
from fuwu.procedures.engine.errors import EngineError, Forbidden, NotFound
from fuwu.testing.factories import World

pytestmark = pytest.mark.django_db

NOW = timezone.datetime(2026, 12, 3, 9, 0, tzinfo=timezone.get_fixed_timezone(480))


def _open(world: World, customer: Customer, title: str = "厨房漏水") -> Case:
    return cases.open_case(
        world.actor("agent"),
        procedure_key="property_repair",
        site_id=customer.site_id,
        channel="phone",
        title=title,
        customer_id=customer.pk,
        data={"repair_item": title, "service_type": "free"},
    )


def _duplicate(world: World, *, with_account: bool = False) -> Customer:
    """王芳 again, signed up in the portal with her number written differently."""
    user = None
    if with_account:
        user = get_user_model().objects.create_user("wangfang", password="pw-wangfang-1")
    return actions.create_customer(
        world.actor("agent") if user is None else world.actor("vp"),
        site_id=world.sites["lanting"].pk,
        name="王芳",
        phone="+86 138-1234-5678",
        user=user,
        asset_kind="parking",
        asset_label="B2-017",
    )


@pytest.fixture
def pair(world: World) -> tuple[Customer, Customer, dict[str, int]]:
    """The kept record (with a case) and a duplicate with a case, an asset, a consultation,
    a reveal log and an account."""
    with time_machine.travel(NOW, tick=False):
        kept = world.customers["owner"]
        dup = _duplicate(world, with_account=True)
        ids = {
            "kept_case": _open(world, kept, "楼道灯坏").pk,
            "case": _open(world, dup).pk,
            "consultation": log_consultation(
                world.actor("agent"),
                site_id=dup.site_id,
                channel="phone",
                topic="物业费怎么交",
                customer_id=dup.pk,
            ).pk,
            "reveal": actions.reveal(
                world.actor("agent"), customer_id=dup.pk, field="phone", reason="contact"
            ).log.pk,
        }
    return kept, dup, ids


def test_merge_moves_everything_and_writes_the_history(world: World, pair) -> None:
    kept, dup, ids = pair
    user_id = dup.user_id
    parking = Asset.objects.get(label="B2-017")
    dup_history = list(RecordChange.objects.filter(customer=dup).values_list("pk", flat=True))
    with time_machine.travel(NOW + timedelta(hours=1), tick=False):
        done = merging.merge(world.actor("agent"), kept.pk, dup.pk)

    kept.refresh_from_db()
    dup.refresh_from_db()
    assert done.moved == {
        "cases": [ids["case"]],
        "assets": [parking.pk],
        "consultations": [ids["consultation"]],
        "reveals": [ids["reveal"]],
        "changes": dup_history,
        "user": user_id,
    }
    assert (kept.user_id, dup.user_id, dup.merged_into_id) == (user_id, None, kept.pk)
    assert set(kept.cases.values_list("pk", flat=True)) == {ids["kept_case"], ids["case"]}
    assert set(kept.assets.values_list("label", flat=True)) == {"3栋2单元1502", "B2-017"}
    assert list(kept.consultations.values_list("pk", flat=True)) == [ids["consultation"]]
    assert list(kept.reveals.values_list("pk", flat=True)) == [ids["reveal"]]
    assert not Customer.objects.live().filter(pk=dup.pk).exists()  # hidden, not deleted

    # The moved case's timeline says so, with machine values; the version did not move.
    event = Event.objects.filter(case_id=ids["case"]).order_by("-seq").first()
    assert event is not None and event.kind == "customer_updated"
    assert event.data == {"merge": done.pk, "customer": {"from": dup.pk, "to": kept.pk}}
    assert event.actor == world.users["agent"]
    assert Case.objects.get(pk=ids["case"]).version == 1

    # The history of both records, and of the moved asset.
    merged_rows = RecordChange.objects.filter(action="merged").order_by("pk")
    assert [(r.customer_id, r.asset_id, r.changes) for r in merged_rows] == [
        (
            None,
            parking.pk,
            {"owner": {"from": dup.pk, "to": kept.pk}, "merge": {"from": None, "to": done.pk}},
        ),
        (
            kept.pk,
            None,
            {"merged_record": {"from": None, "to": dup.pk}, "user": {"from": None, "to": user_id}},
        ),
        (
            dup.pk,
            None,
            {"merged_into": {"from": None, "to": kept.pk}, "user": {"from": user_id, "to": None}},
        ),
    ]
    # The duplicate's earlier history now reads on the kept record.
    assert set(dup_history) <= set(
        RecordChange.objects.filter(customer=kept).values_list("pk", flat=True)
    )


def test_unmerge_within_a_day_moves_back_exactly_what_moved(world: World, pair) -> None:
    kept, dup, ids = pair
    user_id = dup.user_id
    with time_machine.travel(NOW + timedelta(hours=1), tick=False):
        done = merging.merge(world.actor("agent"), kept.pk, dup.pk)
        later = _open(world, kept, "门禁卡失灵")  # opened on the kept record after the merge
    with time_machine.travel(NOW + timedelta(hours=24, minutes=59), tick=False):
        undone = merging.unmerge(world.actor("sc_manager"), done.pk)

    kept.refresh_from_db()
    dup.refresh_from_db()
    assert undone.undone_by == world.users["sc_manager"] and undone.undone_at is not None
    assert (kept.user_id, dup.user_id, dup.merged_into_id) == (None, user_id, None)
    assert set(kept.cases.values_list("pk", flat=True)) == {ids["kept_case"], later.pk}
    assert list(dup.cases.values_list("pk", flat=True)) == [ids["case"]]
    assert list(dup.assets.values_list("label", flat=True)) == ["B2-017"]
    assert list(dup.consultations.values_list("pk", flat=True)) == [ids["consultation"]]
    assert list(RevealLog.objects.filter(customer=dup).values_list("pk", flat=True)) == [
        ids["reveal"]
    ]
    assert set(RecordChange.objects.filter(customer=dup).values_list("pk", flat=True)) >= set(
        done.moved["changes"]
    )
    assert Customer.objects.live().filter(pk=dup.pk).exists()
    event = Event.objects.filter(case_id=ids["case"]).order_by("-seq").first()
    assert event is not None
    assert event.data == {
        "merge": done.pk,
        "customer": {"from": kept.pk, "to": dup.pk},
        "undo": True,
    }
    assert RecordChange.objects.filter(action="unmerged").count() == 3  # the asset, both records
    with pytest.raises(EngineError) as refused:
        merging.unmerge(world.actor("agent"), done.pk)
    assert refused.value.code == "merge_undone"


def test_unmerge_is_refused_after_a_day(world: World, pair) -> None:
    kept, dup, _ = pair
    with time_machine.travel(NOW, tick=False):
        done = merging.merge(world.actor("agent"), kept.pk, dup.pk)
    with (
        time_machine.travel(NOW + timedelta(hours=24, seconds=1), tick=False),
        pytest.raises(EngineError) as refused,
    ):
        merging.unmerge(world.actor("agent"), done.pk)
    assert (refused.value.code, refused.value.params) == ("merge_too_old", {"hours": 24})
    dup.refresh_from_db()
    assert dup.merged_into_id == kept.pk
    assert CustomerMerge.objects.get(pk=done.pk).undone_at is None


@pytest.mark.parametrize("persona", ["technician", "finance", "dispatcher", "cc_agent"])
def test_only_the_sites_agents_and_managers_merge(world: World, pair, persona: str) -> None:
    kept, dup, _ = pair
    error = NotFound if persona == "cc_agent" else Forbidden  # another site's records: not there
    with pytest.raises(error):
        merging.merge(world.actor(persona), kept.pk, dup.pk)
    dup.refresh_from_db()
    assert dup.merged_into_id is None and not CustomerMerge.objects.exists()


def test_refusals_change_nothing(world: World, pair) -> None:
    kept, dup, _ = pair
    agent = world.actor("agent")
    vp = world.actor("vp")  # sees every site
    other_site = world.customers["driver"]
    assert _code(lambda: merging.merge(vp, kept.pk, other_site.pk)) == "merge_other_site"
    assert _code(lambda: merging.merge(agent, kept.pk, kept.pk)) == "merge_same_record"
    second = get_user_model().objects.create_user("wangfang2", password="pw-wangfang-2")
    actions.link_account(vp, kept.pk, user=second, language="zh-hans")
    assert _code(lambda: merging.merge(agent, kept.pk, dup.pk)) == "merge_two_accounts"
    assert not CustomerMerge.objects.exists()
    third = _duplicate_plain(world, "王芳(旧)")
    merging.merge(agent, dup.pk, third.pk)
    assert _code(lambda: merging.merge(agent, kept.pk, third.pk)) == "merge_already_merged"


def _duplicate_plain(world: World, name: str) -> Customer:
    return actions.create_customer(
        world.actor("agent"), site_id=world.sites["lanting"].pk, name=name, phone=""
    )


def _code(call) -> str:
    with pytest.raises(EngineError) as refused:
        call()
    return refused.value.code


def test_duplicates_are_records_of_the_site_with_the_same_normalised_phone(world: World) -> None:
    owner = world.customers["owner"]  # 13812345678
    agent = world.actor("agent")
    site = world.sites["lanting"].pk
    same = actions.create_customer(agent, site_id=site, name="王 芳", phone="138 1234 5678")
    actions.create_customer(agent, site_id=site, name="王小芳", phone="13812345679")
    portal = _duplicate(world, with_account=True)  # +86 138-1234-5678, a portal account
    assert [c.pk for c in merging.duplicates(owner)] == [same.pk, portal.pk]
    merging.merge(agent, owner.pk, same.pk)
    assert [c.pk for c in merging.duplicates(owner)] == [portal.pk]  # a merged one is hidden
    assert merging.normalised_phone("0086 138-1234-5678") == "13812345678"
