"""The customer's actions: confirm completion and rate — events, reopening, escalation."""

from __future__ import annotations

import pytest
from django.test import Client

from fuwu.cases import actions
from fuwu.cases.models import Case, Event
from fuwu.notifications.models import Notification
from fuwu.portal.access import customer_actor
from fuwu.portal.tests.helpers import give_account, repair_until_return_visit
from fuwu.procedures.engine.errors import EngineError, NotFound

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner(world):
    customer = world.customers["owner"]
    give_account(customer, "13812345678", "Owner-pass-1")
    return customer


def open_repair(world, owner) -> Case:
    return actions.open_case(
        customer_actor(owner),
        procedure_key="property_repair",
        site_id=owner.site_id,
        channel="web",
        title="厨房漏水",
        customer_id=owner.pk,
        data={"repair_item": "厨房漏水", "service_type": "free"},
    )


def test_rating_before_the_work_is_done_is_refused(world, owner):
    case = open_repair(world, owner)
    with pytest.raises(EngineError) as exc:
        actions.rate_case(customer_actor(owner), case.pk, score=5)
    assert exc.value.code == "not_resolved"
    with pytest.raises(EngineError):
        actions.confirm_completion(customer_actor(owner), case.pk)
    assert not Event.objects.filter(case=case, kind__in=["rated", "customer_confirmed"]).exists()


def test_confirm_once_per_resolution(world, owner):
    case = repair_until_return_visit(world, open_repair(world, owner).pk)
    after = actions.confirm_completion(customer_actor(owner), case.pk)
    assert after.records["confirmation"]["cycle"] == case.clock_cycle
    assert after.version == case.version  # a record, not a state change: no open form goes stale
    event = Event.objects.get(case=case, kind="customer_confirmed")
    assert event.actor == owner.user
    with pytest.raises(EngineError) as exc:
        actions.confirm_completion(customer_actor(owner), case.pk)
    assert exc.value.code == "already_confirmed"


def test_a_good_rating_answers_the_return_visit_and_archives(world, owner):
    case = repair_until_return_visit(world, open_repair(world, owner).pk)
    after = actions.rate_case(customer_actor(owner), case.pk, score=5, comment="师傅很专业")
    assert after.step == "archived" and after.status == "closed"
    assert after.records["rating"]["score"] == 5 and after.data["satisfied"] is True
    assert after.data["visit_method"] == "online" and after.data["feedback"] == "师傅很专业"
    rated = Event.objects.get(case=case, kind="rated")
    assert rated.actor == owner.user
    assert rated.data["score"] == 5 and rated.data["outcome"] == "return_visit_done"
    moved = Event.objects.get(case=case, kind="transitioned", data__transition="archive")
    assert moved.actor == owner.user
    with pytest.raises(EngineError) as exc:  # once per resolution
        actions.rate_case(customer_actor(owner), case.pk, score=4)
    assert exc.value.code == "already_rated"


def test_a_low_rating_reopens_a_repair_and_tells_the_manager(world, owner):
    case = repair_until_return_visit(world, open_repair(world, owner).pk)
    with pytest.raises(EngineError) as exc:  # a low score needs a comment
        actions.rate_case(customer_actor(owner), case.pk, score=1)
    assert "comment" in exc.value.fields
    assert Case.objects.get(pk=case.pk).version == case.version
    after = actions.rate_case(customer_actor(owner), case.pk, score=1, comment="还在漏水")
    assert after.step == "repair" and after.status == "open" and after.comeback_count == 1
    assert after.resolved_at is None and after.data["satisfied"] is False
    rated = Event.objects.get(case=case, kind="rated")
    assert rated.data["outcome"] == "reopened" and rated.data["transition"] == "reopen"
    assert Notification.objects.filter(
        recipient=world.users["eng_manager"], case=case, kind="notify"
    ).exists()
    # Fixed again: a new resolution may be rated again.
    actions.take_transition(
        world.actor("technician"),
        case.pk,
        "complete",
        version=None,
        form={"diagnosis": "密封圈", "solution": "更换", "owner_agreed": True},
        checklist={"fault_fixed": True, "site_clean": True},
    )
    actions.take_transition(
        world.actor("technician"),
        case.pk,
        "to_return_visit",
        version=None,
        form={"result": "已修好"},
    )
    again = actions.rate_case(customer_actor(owner), case.pk, score=4)
    assert again.step == "archived"
    assert Event.objects.filter(case=case, kind="rated").count() == 2


def test_a_low_rating_without_a_reopening_move_escalates(world, owner):
    case = repair_until_return_visit(world, open_repair(world, owner).pk)
    actions.take_transition(
        world.actor("agent"),
        case.pk,
        "archive",
        version=None,
        form={"visit_method": "phone", "satisfied": True},
    )
    before = Notification.objects.count()
    version = Case.objects.get(pk=case.pk).version
    after = actions.rate_case(customer_actor(owner), case.pk, score=2, comment="态度不好")
    assert after.step == "archived" and after.status == "closed"
    assert after.version == version  # a record that moves nothing: no open form goes stale
    assert after.records["rating"]["score"] == 2 and "rating" not in after.data
    rated = Event.objects.get(case=case, kind="rated")
    assert rated.data["outcome"] == "escalated"
    told = set(
        Notification.objects.filter(case=case)
        .order_by("pk")[before:]
        .values_list("recipient__username", flat=True)
    )
    assert {"sc_manager", "vp"} <= told


def test_another_customers_case_does_not_exist(world, owner):
    case = repair_until_return_visit(world, open_repair(world, owner).pk)
    other = owner.__class__.objects.create(site=owner.site, name="邻居")
    give_account(other, "13600000000")
    with pytest.raises(NotFound):
        actions.rate_case(customer_actor(other), case.pk, score=1, comment="x")
    with pytest.raises(NotFound):
        actions.confirm_completion(customer_actor(other), case.pk)


def test_rating_through_the_page(world, owner):
    case = repair_until_return_visit(world, open_repair(world, owner).pk)
    client = Client()
    client.post("/portal/login/", {"login": "13812345678", "password": "Owner-pass-1"})
    page = client.get(f"/portal/cases/{case.pk}/").content.decode()
    assert 'data-testid="rate-form"' in page
    bad = client.post(f"/portal/cases/{case.pk}/rate/", {"score": "9"})
    assert bad.status_code == 400
    low = client.post(f"/portal/cases/{case.pk}/rate/", {"score": "1"})
    assert low.status_code == 400 and "请告诉我们哪里做得不好" in low.content.decode()
    assert not Event.objects.filter(case=case, kind="rated").exists()
    assert client.post(f"/portal/cases/{case.pk}/confirm/").status_code == 302
    ok = client.post(f"/portal/cases/{case.pk}/rate/", {"score": "5", "comment": "好"})
    assert ok.status_code == 302
    twice = client.post(f"/portal/cases/{case.pk}/rate/", {"score": "1", "comment": "改主意"})
    assert twice.status_code == 302
    page = client.get(twice["Location"]).content.decode()
    assert "您已评价过这次服务" in page
    assert Event.objects.filter(case=case, kind="rated").count() == 1


def test_a_procedure_field_named_customer_confirmed_is_not_the_portal_record(world, owner, api):
    """service_delivery_kpi has its own `customer_confirmed` field (the plan is confirmed): once it
    is true the portal's page and the customer's own confirmation still work (they were a 500)."""
    from fuwu.cases.tests.library.test_service_delivery_kpi import to_implement

    body = to_implement(world, api)
    case = Case.objects.get(pk=body["id"])
    assert case.data["customer_confirmed"] is True
    client = Client()
    client.post("/portal/login/", {"login": "13812345678", "password": "Owner-pass-1"})
    page = client.get(f"/portal/cases/{case.pk}/")
    assert page.status_code == 200
    assert 'data-testid="confirmed"' not in page.content.decode()
    Case.objects.filter(pk=case.pk).update(
        resolved_at=case.created_at, status="resolved"
    )  # as if the work were done: the customer may confirm it
    after = actions.confirm_completion(customer_actor(owner), case.pk)
    assert after.data["customer_confirmed"] is True  # the field is untouched
    assert after.records["confirmation"]["cycle"] == after.clock_cycle
    page = client.get(f"/portal/cases/{case.pk}/")
    assert 'data-testid="confirmed"' in page.content.decode()
