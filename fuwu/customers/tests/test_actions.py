"""The customer and asset actions: one rule set, one transaction, one history row per change."""

from __future__ import annotations

import pytest

from fuwu.core.actors import Actor, actor_for
from fuwu.customers import actions
from fuwu.customers.models import Asset, Customer, RecordChange
from fuwu.procedures.engine.errors import Conflict, EngineError, NotFound
from fuwu.testing.factories import World

pytestmark = pytest.mark.django_db


def _agent(world: World) -> Actor:
    return actor_for(world.users["agent"])


def test_create_a_customer_with_their_unit_writes_both_histories(world: World) -> None:
    agent = _agent(world)
    site = world.sites["lanting"]
    customer = actions.create_customer(
        agent,
        site_id=site.pk,
        name=" 赵敏 ",
        phone=" 137 0000 1111 ",
        email="Zhao@Example.com",
        asset_kind="unit",
        asset_label=" 8栋1单元301 ",
    )
    assert (customer.name, customer.phone, customer.email) == (
        "赵敏",
        "137 0000 1111",
        "zhao@example.com",
    )
    asset = customer.assets.get()
    assert (asset.kind, asset.label, asset.site_id) == ("unit", "8栋1单元301", site.pk)
    rows = list(RecordChange.objects.order_by("pk"))
    assert [(r.customer_id, r.asset_id, r.action) for r in rows] == [
        (customer.pk, None, "created"),
        (None, asset.pk, "created"),
    ]
    assert rows[0].actor == world.users["agent"]
    assert rows[0].changes["name"] == {"from": None, "to": "赵敏"}
    assert rows[1].changes["owner"] == {"from": None, "to": customer.pk}


@pytest.mark.parametrize(
    ("given", "field", "code"),
    [
        ({"name": " "}, "name", "required"),
        ({"phone": "call me"}, "phone", "bad_phone"),
        ({"phone": "13812345678"}, "phone", "duplicate_phone"),  # 王芳's number
        ({"email": "not-an-address"}, "email", "bad_email"),
        ({"asset_label": "9栋"}, "asset_kind", "required"),
        ({"asset_kind": "spaceship", "asset_label": "9栋"}, "asset_kind", "bad_choice"),
    ],
)
def test_bad_customer_input_is_refused_and_creates_nothing(
    world: World, given: dict[str, str], field: str, code: str
) -> None:
    before = (Customer.objects.count(), Asset.objects.count(), RecordChange.objects.count())
    body = {"name": "孙", "phone": "13700003333", **given}
    with pytest.raises(EngineError) as caught:
        actions.create_customer(_agent(world), site_id=world.sites["lanting"].pk, **body)
    assert caught.value.fields[field].code == code
    assert (Customer.objects.count(), Asset.objects.count(), RecordChange.objects.count()) == before


def test_the_duplicate_message_names_the_customer_in_both_languages(world: World) -> None:
    with pytest.raises(EngineError) as caught:
        actions.create_customer(
            _agent(world), site_id=world.sites["lanting"].pk, name="孙", phone="13812345678"
        )
    error = caught.value.fields["phone"]
    assert "王芳" in error.message("zh-hans") and "already has this phone" in error.message("en")


def test_a_portal_accounts_own_record_may_share_an_unverified_phone(world: World) -> None:
    site = world.sites["lanting"]
    user = world.users["outsider"]
    customer = actions.create_customer(
        _agent(world), site_id=site.pk, name="王芳", phone="13812345678", user=user
    )
    assert customer.user == user
    assert Customer.objects.filter(site=site, phone="13812345678").count() == 2


def test_a_record_on_a_site_the_actor_may_not_see_is_refused(world: World) -> None:
    with pytest.raises(EngineError) as caught:
        actions.create_customer(
            _agent(world), site_id=world.sites["dealer"].pk, name="外人", phone="13700004444"
        )
    assert set(caught.value.fields) == {"site"}
    assert not Customer.objects.filter(phone="13700004444").exists()


def test_an_asset_label_already_registered_is_a_conflict(world: World) -> None:
    agent, site = _agent(world), world.sites["lanting"]
    with pytest.raises(Conflict) as caught:
        actions.create_asset(agent, site_id=site.pk, kind="unit", label="3栋2单元1502")
    assert caught.value.fields["label"].code == "asset_taken"
    # The same label of another kind is another asset (a parking space named like the unit).
    parking = actions.create_asset(agent, site_id=site.pk, kind="parking", label="3栋2单元1502")
    assert parking.pk


def test_an_asset_owner_must_be_a_customer_of_the_site(world: World) -> None:
    with pytest.raises(EngineError) as caught:
        actions.create_asset(
            _agent(world),
            site_id=world.sites["lanting"].pk,
            kind="unit",
            label="1栋1单元101",
            owner_id=world.customers["driver"].pk,  # a customer of the car dealer
        )
    assert caught.value.fields["owner_id"].code == "not_on_site"
    assert not Asset.objects.filter(label="1栋1单元101").exists()


def test_update_an_asset_merges_attributes_and_records_old_and_new(world: World) -> None:
    car = world.assets["car"]
    manager = actor_for(world.users["as_manager"])
    done = actions.update_asset(manager, car.pk, attributes={"mileage_km": 12000}, case_id=7)
    car.refresh_from_db()
    assert car.attributes == {"vin": "LVGBE40K28G123456", "mileage_km": 12000}
    assert done.changes == {"attributes.mileage_km": {"from": None, "to": 12000}}
    row = RecordChange.objects.get(asset=car)
    assert (row.action, row.case_id, row.changes) == ("updated", 7, done.changes)
    # The same values again change nothing and write no history.
    assert actions.update_asset(manager, car.pk, attributes={"mileage_km": 12000}).changes == {}
    assert RecordChange.objects.filter(asset=car).count() == 1
    # None removes a key.
    actions.update_asset(manager, car.pk, attributes={"mileage_km": None})
    car.refresh_from_db()
    assert car.attributes == {"vin": "LVGBE40K28G123456"}


def test_an_asset_of_another_site_is_not_found(world: World) -> None:
    with pytest.raises(NotFound):
        actions.update_asset(_agent(world), world.assets["car"].pk, attributes={"x": 1})


def test_update_a_customer_checks_contact_and_merges_preferences(world: World) -> None:
    agent, owner = _agent(world), world.customers["owner"]
    other = actions.create_customer(
        agent, site_id=world.sites["lanting"].pk, name="赵敏", phone="13700001111"
    )
    with pytest.raises(EngineError) as caught:
        actions.update_customer(agent, other.pk, phone="13812345678")
    assert caught.value.fields["phone"].code == "duplicate_phone"
    done = actions.update_customer(
        agent, owner.pk, preferences={"diet": "vegetarian"}, phone="13812345679"
    )
    owner.refresh_from_db()
    assert (owner.preferences, owner.phone) == ({"diet": "vegetarian"}, "13812345679")
    assert done.changes == {
        "preferences.diet": {"from": None, "to": "vegetarian"},
        "phone": {"from": "13812345678", "to": "13812345679"},
    }


def test_linking_an_account_to_an_earlier_record_is_recorded(world: World) -> None:
    owner, user = world.customers["owner"], world.users["outsider"]
    portal = Actor(
        user=user,
        roles=frozenset({"customer"}),
        site_ids=frozenset({owner.site_id}),
        department_id=None,
        superuser=False,
    )
    linked = actions.link_account(portal, owner.pk, user=user, language="en")
    assert linked is not None and (linked.user, linked.language) == (user, "en")
    row = RecordChange.objects.get(customer=owner)
    assert row.changes == {
        "user": {"from": None, "to": user.pk},
        "language": {"from": "zh-hans", "to": "en"},
    }
    # A record that already has an account is not taken over.
    assert actions.link_account(portal, owner.pk, user=world.users["agent"], language="en") is None
