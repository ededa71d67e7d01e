"""Submitting a request with photos, seeing only one's own cases, the attachment download."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from fuwu.cases import actions
from fuwu.cases.models import Attachment, Case, Event, PendingUpload
from fuwu.customers.models import Asset
from fuwu.portal.tests.helpers import give_account, png

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner_client(world) -> Client:
    give_account(world.customers["owner"], "13812345678", "Owner-pass-1")
    client = Client()
    assert (
        client.post(
            "/portal/login/", {"login": "13812345678", "password": "Owner-pass-1"}
        ).status_code
        == 302
    )
    return client


def request_data(world, **extra):
    return {
        "description": "厨房水管漏水\n水槽下一直滴水",
        "asset": str(world.assets["unit"].pk),
        "f_service_type": "free",
        "f_location": "厨房",
        **extra,
    }


def test_only_procedures_open_to_customers_of_this_site_are_offered(world, owner_client):
    page = owner_client.get("/portal/new/").content.decode()
    assert 'data-testid="offer-property_repair"' in page
    assert 'data-testid="offer-complaint"' in page
    assert "offer-toyota_seven_step" not in page  # a dealer's procedure
    assert "offer-agency_service" not in page  # not open to customers
    assert owner_client.get("/portal/new/toyota_seven_step/").status_code == 404
    assert owner_client.get("/portal/new/agency_service/").status_code == 404


def test_submit_a_repair_with_a_photo(world, owner_client):
    form = owner_client.get("/portal/new/property_repair/").content.decode()
    assert "f_service_type" in form and "f_repair_item" not in form  # the description fills it
    response = owner_client.post(
        "/portal/new/property_repair/", {**request_data(world), "photos": [png(), png("b.png")]}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    case = Case.objects.get(customer=world.customers["owner"])
    assert response["Location"] == f"/portal/cases/{case.pk}/"
    assert case.channel == "web" and case.procedure_key == "property_repair"
    assert case.title == "厨房水管漏水" and case.asset == world.assets["unit"]
    assert case.data["repair_item"].startswith("厨房水管漏水")
    assert case.data["service_type"] == "free" and case.data["location"] == "厨房"
    assert case.created_by == world.customers["owner"].user
    opened = Event.objects.get(case=case, kind="opened")
    assert opened.actor == world.customers["owner"].user and opened.data["channel"] == "web"
    photos = list(Attachment.objects.filter(case=case))
    assert [p.content_type for p in photos] == ["image/png", "image/png"]
    assert all(p.file.name.endswith(".png") and "leak" not in p.file.name for p in photos)
    # The customer and staff of the site may download a photo; nobody else.
    url = f"/attachments/{photos[0].pk}/"
    got = owner_client.get(url)
    assert got.status_code == 200 and got["Content-Type"] == "image/png"
    assert b"".join(got.streaming_content).startswith(b"\x89PNG")
    staff = Client()
    staff.post("/login/", {"username": "agent", "password": "pw-agent"})
    assert staff.get(url).status_code == 200
    other_site = Client()
    other_site.post("/login/", {"username": "cc_agent", "password": "pw-cc_agent"})
    assert other_site.get(url).status_code == 404
    assert Client().get(url).status_code == 404
    give_account(world.customers["driver"], "13987654321", "Driver-pass-1")
    driver = Client()
    driver.post("/portal/login/", {"login": "13987654321", "password": "Driver-pass-1"})
    assert driver.get(url).status_code == 404
    # The list and the case page show it.
    listing = owner_client.get("/portal/").content.decode()
    assert f'data-testid="case-{case.pk}"' in listing and "厨房水管漏水" in listing
    page = owner_client.get(f"/portal/cases/{case.pk}/").content.decode()
    assert 'data-testid="milestone-received" data-state="done"' in page


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (
            SimpleUploadedFile("virus.png", b"MZ\x90\x00 not a picture", "image/png"),
            "不是支持的图片",
        ),
        (SimpleUploadedFile("notes.txt", b"hello", "text/plain"), "不是支持的图片"),
    ],
)
def test_a_file_that_is_not_a_picture_is_refused_and_nothing_is_created(
    world, owner_client, upload, message
):
    response = owner_client.post(
        "/portal/new/property_repair/", {**request_data(world), "photos": [png(), upload]}
    )
    assert response.status_code == 400 and message in response.content.decode()
    assert not Case.objects.exists() and not Attachment.objects.exists()


def test_a_too_large_photo_is_refused_and_nothing_is_created(world, owner_client, settings):
    settings.FUWU_MAX_PHOTO_BYTES = 200
    response = owner_client.post(
        "/portal/new/property_repair/", {**request_data(world), "photos": [png(size=(300, 300))]}
    )
    assert response.status_code == 400 and "太大" in response.content.decode()
    assert not Case.objects.exists() and not Attachment.objects.exists()


def test_at_most_five_photos(world, owner_client):
    response = owner_client.post(
        "/portal/new/property_repair/",
        {**request_data(world), "photos": [png(f"{i}.png") for i in range(6)]},
    )
    assert response.status_code == 400 and "最多上传 5 张照片" in response.content.decode()
    assert not Case.objects.exists()


def test_missing_fields_are_reported_and_nothing_is_created(world, owner_client):
    response = owner_client.post(
        "/portal/new/property_repair/", request_data(world, description="", f_service_type="")
    )
    assert response.status_code == 400
    assert not Case.objects.exists()


def test_a_new_unit_is_added_and_someone_elses_is_refused(world, owner_client):
    response = owner_client.post(
        "/portal/new/property_repair/",
        request_data(world, asset="new", new_asset="5栋1单元0302"),
    )
    assert response.status_code == 302
    added = Asset.objects.get(label="5栋1单元0302")
    assert added.owner == world.customers["owner"] and added.kind == "unit"
    Asset.objects.create(
        site=world.sites["lanting"],
        kind="unit",
        label="9栋9单元0909",
        owner=world.customers["owner"].__class__.objects.create(
            site=world.sites["lanting"], name="别人"
        ),
    )
    response = owner_client.post(
        "/portal/new/property_repair/",
        request_data(world, asset="new", new_asset="9栋9单元0909"),
    )
    assert response.status_code == 400 and "其他客户名下" in response.content.decode()
    assert Case.objects.count() == 1
    # Another customer's asset id cannot be chosen either.
    response = owner_client.post(
        "/portal/new/property_repair/", request_data(world, asset=str(world.assets["car"].pk))
    )
    assert response.status_code == 400 and Case.objects.count() == 1


def test_a_customer_sees_only_their_own_cases(world, owner_client, django_assert_max_num_queries):
    owner = world.customers["owner"]
    agent = world.actor("agent")
    mine = actions.open_case(
        agent,
        procedure_key="property_repair",
        site_id=owner.site_id,
        channel="phone",
        title="门锁坏了",
        customer_id=owner.pk,
        data={"repair_item": "门锁", "service_type": "free"},
    )
    # A staff case of the same site with no customer, and another customer's case.
    staff_only = actions.open_case(
        agent,
        procedure_key="property_repair",
        site_id=owner.site_id,
        channel="phone",
        title="公共区域灯坏",
        data={"repair_item": "路灯", "service_type": "free"},
    )
    neighbour = owner.__class__.objects.create(site=owner.site, name="邻居", phone="13600000000")
    theirs = actions.open_case(
        agent,
        procedure_key="property_repair",
        site_id=owner.site_id,
        channel="phone",
        title="邻居的漏水",
        customer_id=neighbour.pk,
        data={"repair_item": "漏水", "service_type": "free"},
    )
    for _ in range(5):
        actions.open_case(
            agent,
            procedure_key="property_repair",
            site_id=owner.site_id,
            channel="phone",
            title="又一个",
            customer_id=owner.pk,
            data={"repair_item": "x", "service_type": "free"},
        )
    with django_assert_max_num_queries(12):
        listing = owner_client.get("/portal/")
    page = listing.content.decode()
    assert f"case-{mine.pk}" in page
    assert f"case-{staff_only.pk}" not in page and f"case-{theirs.pk}" not in page
    assert owner_client.get(f"/portal/cases/{mine.pk}/").status_code == 200
    for other in (staff_only, theirs):
        assert owner_client.get(f"/portal/cases/{other.pk}/").status_code == 404
        assert owner_client.post(f"/portal/cases/{other.pk}/rate/", {"score": 1}).status_code == 404
        assert owner_client.post(f"/portal/cases/{other.pk}/confirm/").status_code == 404
    assert owner_client.get("/portal/cases/999999/").status_code == 404


def test_internal_notes_never_reach_the_customer(world, owner_client):
    owner = world.customers["owner"]
    agent = world.actor("agent")
    case = actions.open_case(
        agent,
        procedure_key="property_repair",
        site_id=owner.site_id,
        channel="phone",
        title="门锁坏了",
        customer_id=owner.pk,
        data={"repair_item": "门锁", "service_type": "free"},
    )
    actions.comment(agent, case.pk, text="业主脾气急，注意沟通", internal=True)
    actions.comment(agent, case.pk, text="师傅明天上午上门", internal=False)
    page = owner_client.get(f"/portal/cases/{case.pk}/").content.decode()
    assert "师傅明天上午上门" in page and "业主脾气急" not in page


# -- photos kept when the form comes back with an error (issue 10, item 13) --------------------


def test_photos_are_kept_when_the_form_comes_back_with_an_error(
    world, owner_client, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    response = owner_client.post(
        "/portal/new/property_repair/",
        {**request_data(world, description=""), "photos": [png("a.png"), png("b.png")]},
    )
    assert response.status_code == 400
    html = response.content.decode()
    kept = list(PendingUpload.objects.order_by("pk"))
    assert [p.name for p in kept] == ["a.png", "b.png"]
    assert html.count('data-testid="pending-photo"') == 2
    assert 'data-testid="photo-reselect"' not in html  # nothing to choose again
    assert not Case.objects.exists() and not Attachment.objects.exists()
    # Their thumbnails: for this session only.
    thumb = owner_client.get(f"/portal/pending/{kept[0].pk}/")
    assert thumb.status_code == 200 and thumb["Content-Type"] == "image/jpeg"
    give_account(world.customers["driver"], "13987654321", "Driver-pass-1")
    driver = Client()
    driver.post("/portal/login/", {"login": "13987654321", "password": "Driver-pass-1"})
    assert driver.get(f"/portal/pending/{kept[0].pk}/").status_code == 404
    # The customer fixes the description, leaves one photo out and adds another: sent together.
    response = owner_client.post(
        "/portal/new/property_repair/",
        {**request_data(world), "keep": [str(kept[0].pk)], "photos": [png("c.png")]},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    case = Case.objects.get()
    assert [a.name for a in Attachment.objects.filter(case=case).order_by("pk")] == [
        "a.png",
        "c.png",
    ]
    assert not PendingUpload.objects.exists()
    assert not list((tmp_path / "pending").rglob("*.png"))  # their files are gone too


def test_kept_photos_count_towards_the_limit_and_a_fresh_form_starts_empty(
    world, owner_client, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    owner_client.post(
        "/portal/new/property_repair/",
        {**request_data(world, description=""), "photos": [png(f"{i}.png") for i in range(4)]},
    )
    kept = [str(p.pk) for p in PendingUpload.objects.all()]
    response = owner_client.post(
        "/portal/new/property_repair/",
        {**request_data(world), "keep": kept, "photos": [png("5.png"), png("6.png")]},
    )
    assert response.status_code == 400 and "最多上传 5 张照片" in response.content.decode()
    assert not Case.objects.exists() and PendingUpload.objects.count() == 4
    # Coming back to a fresh form drops the kept ones.
    assert owner_client.get("/portal/new/property_repair/").status_code == 200
    assert not PendingUpload.objects.exists()
