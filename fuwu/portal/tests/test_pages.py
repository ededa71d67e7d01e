"""What the customer reads: plain service names, the account page, paging, a cancelled request,
the photo notice after a refused form."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from fuwu.cases import actions
from fuwu.cases.models import Case
from fuwu.portal.access import customer_actor
from fuwu.portal.tests.helpers import give_account, png

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner_client(world) -> Client:
    give_account(world.customers["owner"], "13812345678", "Owner-pass-1")
    client = Client()
    client.post("/portal/login/", {"login": "13812345678", "password": "Owner-pass-1"})
    return client


def open_repair(world, title: str = "厨房漏水") -> Case:
    owner = world.customers["owner"]
    return actions.open_case(
        customer_actor(owner),
        procedure_key="property_repair",
        site_id=owner.site_id,
        channel="web",
        title=title,
        customer_id=owner.pk,
        data={"repair_item": title, "service_type": "free"},
    )


def test_services_have_customer_names_not_the_staff_procedure_text(world, owner_client):
    page = owner_client.get("/portal/new/").content.decode()
    assert "房屋报修" in page and "可以附上照片" in page
    assert "派工" not in page and "工作程序" not in page  # staff workflow words
    english = Client()
    english.post("/portal/login/", {"login": "13812345678", "password": "Owner-pass-1"})
    english.post("/language/", {"language": "en", "next": "/portal/new/"})
    assert "Home repair" in english.get("/portal/new/").content.decode()


def test_the_case_page_says_what_happens_now_without_staff_step_names(world, owner_client):
    case = open_repair(world)
    page = owner_client.get(f"/portal/cases/{case.pk}/").content.decode()
    assert "正在安排处理人员" in page
    assert "接待受理" not in page  # the internal step's name


def test_a_cancelled_request_is_not_shown_as_done(world, owner_client):
    case = open_repair(world)
    actions.take_transition(
        world.actor("agent"), case.pk, "cancel", version=None, form={"cancel_reason": "重复报修"}
    )
    page = owner_client.get(f"/portal/cases/{case.pk}/").content.decode()
    assert 'data-testid="milestone-done" data-state="cancelled"' in page
    assert 'data-testid="milestone-in_progress"' not in page  # the cancelling move is not work
    assert "这个请求已取消" in page


def test_my_account_shows_the_profile_and_switches_the_language(world, owner_client):
    page = owner_client.get("/portal/account/").content.decode()
    assert "13812345678" in page and world.customers["owner"].name in page
    assert 'data-testid="account-language-en"' in page
    response = owner_client.post("/language/", {"language": "en", "next": "/portal/account/"})
    assert response["Location"] == "/portal/account/"
    world.customers["owner"].refresh_from_db()
    assert world.customers["owner"].language == "en"
    assert Client().get("/portal/account/").status_code == 302  # signed out: sign in first


def test_older_requests_are_on_the_next_page(world, owner_client, django_assert_max_num_queries):
    cases = [open_repair(world, f"报修 {i}") for i in range(32)]
    with django_assert_max_num_queries(12):
        first = owner_client.get("/portal/").content.decode()
    assert f'case-{cases[-1].pk}"' in first and f'case-{cases[0].pk}"' not in first
    assert 'href="?page=2"' in first
    second = owner_client.get("/portal/?page=2").content.decode()
    assert f'case-{cases[0].pk}"' in second and f'case-{cases[-1].pk}"' not in second
    assert 'href="?page=3"' not in second
    assert "没有更早的请求了" in owner_client.get("/portal/?page=9").content.decode()
    assert owner_client.get("/portal/?page=abc").status_code == 200


def test_a_refused_form_keeps_the_photos_and_says_so(world, owner_client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    response = owner_client.post(
        "/portal/new/property_repair/",
        {"description": "漏水", "asset": str(world.assets["unit"].pk), "photos": [png()]},
    )
    page = response.content.decode()
    assert response.status_code == 400 and not Case.objects.exists()
    assert 'data-testid="error-summary"' in page and 'href="#id_f_service_type"' in page
    # Kept (issue 10, item 13): nothing to choose again.
    assert 'data-testid="pending-photo"' in page and "已保留您选择的 1 张照片" in page
    assert 'data-testid="photo-reselect"' not in page


def test_a_refused_photo_must_be_chosen_again(world, owner_client):
    response = owner_client.post(
        "/portal/new/property_repair/",
        {
            "description": "漏水",
            "asset": str(world.assets["unit"].pk),
            "f_service_type": "free",
            "photos": [png(), SimpleUploadedFile("a.txt", b"x", "text/plain")],
        },
    )
    page = response.content.decode()
    assert response.status_code == 400 and 'data-testid="photo-reselect"' in page
    assert 'data-testid="pending-photo"' not in page


def test_someone_elses_case_is_a_portal_404_with_the_way_back(world, owner_client):
    response = owner_client.get("/portal/cases/999999/")
    assert response.status_code == 404
    page = response.content.decode()
    assert 'data-testid="portal-not-found"' in page and 'data-testid="tab-home"' in page
    response = owner_client.get("/portal/new/toyota_seven_step/")
    assert response.status_code == 404 and "找不到这项服务" in response.content.decode()


def test_a_mistyped_code_says_six_digits_and_costs_no_try(world):
    from fuwu.portal.tests.test_auth import signup

    client = Client()
    signup(client, world, login="wang@example.com")
    for typed in ("12", "12a456", ""):
        page = client.post("/portal/signup/verify/", {"code": typed}).content.decode()
        assert "6 位数字验证码" in page and "验证码不正确" not in page
    assert client.session["fuwu_portal_signup"]["tries"] == 0
