"""Intake: finding or creating the caller, consultations (counted, no case), opening a case."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from fuwu.cases.consultations import consultations_today, log_consultation
from fuwu.cases.models import Case, Consultation, Event
from fuwu.customers.models import Asset, Customer
from fuwu.procedures.engine.errors import EngineError, NotFound
from fuwu.testing.factories import World

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


def signed_in(username: str, language: str | None = None) -> Client:
    client = Client()
    client.force_login(_user(username))
    if language:
        client.post("/language/", {"language": language})
    return client


def _user(username: str) -> Any:
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(username=username)


def _case_post(world: World, **changes: Any) -> dict[str, Any]:
    body = {
        "site": world.sites["lanting"].pk,
        "customer": world.customers["owner"].pk,
        "procedure": "property_repair",
        "channel": "phone",
        "priority": "high",
        "asset": world.assets["unit"].pk,
        "title": "厨房水管漏水",
        "description": "业主来电：厨房水槽下水管漏水",
        "step-repair_item": "厨房水管",
        "step-location": "厨房",
        "step-service_type": "free",
        "step-details_confirmed": "yes",
    }
    body.update(changes)
    return {k: v for k, v in body.items() if v is not None}


# -- the page and the search -------------------------------------------------------------------


def test_the_desk_offers_the_procedures_of_the_agents_site(
    world: World, django_assert_max_num_queries: Any
) -> None:
    client = signed_in("agent")
    client.get("/intake/")  # the actor (roles, sites) is read once and kept for a while
    # session, user, sites, department codes, procedures, today's consultations, unread count
    with django_assert_max_num_queries(7):
        page = client.get("/intake/")
    html = page.content.decode()
    assert page.status_code == 200
    assert "物业报修" in html and "投诉处理" in html
    assert "丰田七步法服务" not in html  # the dealer's procedure: no such department here
    assert "阀门检修" not in html  # its first step is the dispatcher's, not an agent's
    assert 'data-testid="consultation-count" data-count="0"' in html
    owner = world.customers["owner"].pk
    with django_assert_max_num_queries(9):  # + the customer and their assets
        page = client.get(f"/intake/?customer={owner}&procedure=property_repair")
    assert 'name="step-repair_item"' in page.content.decode()


def test_the_page_speaks_english(world: World) -> None:
    client = signed_in("agent", "en")
    owner = world.customers["owner"].pk
    html = client.get(f"/intake/?customer={owner}&procedure=property_repair").content.decode()
    assert "Property repair" in html and "Open case" in html
    assert "Repair item" in html  # the procedure's intake field, labelled from the definition
    assert "物业报修" not in html


def test_search_by_phone_name_unit_or_plate_within_the_agents_sites(world: World) -> None:
    agent = signed_in("agent")
    for q in ("1381234", "王芳", "1502", "138 1234"):
        html = agent.get("/intake/customers/", {"q": q}).content.decode()
        assert "王芳" in html, q
        assert "138****5678" in html and "13812345678" not in html  # masked in lists
        assert "3栋2单元1502" in html  # their assets
    # A fragment of a phone number finds nobody by phone, and the desk says why.
    html = agent.get("/intake/customers/", {"q": "13812"}).content.decode()
    assert "王芳" not in html and 'data-testid="phone-too-short"' in html
    for q in ("李强", "粤B", "13987"):  # the dealer's customer: never for a lanting agent
        html = agent.get("/intake/customers/", {"q": q}).content.decode()
        assert 'data-testid="customer-result"' not in html, q
        assert 'data-testid="no-customer"' in html, q
    dealer = signed_in("cc_agent").get("/intake/customers/", {"q": "粤B"}).content.decode()
    assert "李强" in dealer and "王芳" not in dealer


def test_search_costs_the_same_few_queries_however_many_match(
    world: World, django_assert_max_num_queries: Any
) -> None:
    site = world.sites["lanting"]
    for i in range(15):
        c = Customer.objects.create(site=site, name=f"张{i}", phone=f"1390000{i:04d}")
        Asset.objects.create(site=site, kind="unit", label=f"5栋{i}号", owner=c)
        Asset.objects.create(site=site, kind="vehicle", label=f"粤A{i:05d}", owner=c)
    client = signed_in("agent")
    client.get("/intake/customers/", {"q": "张"})  # warm the session and the actor
    # session, user, matching ids, those customers, their assets, the unread count in the menu
    with django_assert_max_num_queries(6):
        html = client.get("/intake/customers/", {"q": "张"}).content.decode()
    assert html.count('data-testid="customer-result"') == 10
    assert "只显示前 10 个" in html


def test_another_sites_customer_cannot_be_chosen(world: World) -> None:
    html = signed_in("agent").get(f"/intake/?customer={world.customers['driver'].pk}")
    text = html.content.decode()
    assert html.status_code == 200
    assert "李强" not in text and 'data-testid="selected-customer"' not in text


def test_customers_and_strangers_are_turned_away(world: World) -> None:
    assert Client().get("/intake/").status_code == 302
    assert Client().get("/intake/customers/?q=王").status_code == 302


# -- creating a customer -----------------------------------------------------------------------


def test_create_a_customer_with_their_unit(world: World) -> None:
    client = signed_in("agent")
    response = client.post(
        "/intake/customers/new/",
        {
            "name": " 赵敏 ",
            "phone": "13700001111",
            "site": world.sites["lanting"].pk,
            "asset_kind": "unit",
            "asset_label": "8栋1单元301",
        },
    )
    customer = Customer.objects.get(phone="13700001111")
    assert response.status_code == 302
    assert response["Location"] == f"/intake/?customer={customer.pk}"
    assert customer.name == "赵敏" and customer.site == world.sites["lanting"]
    assert list(customer.assets.values_list("kind", "label")) == [("unit", "8栋1单元301")]
    page = client.get(response["Location"]).content.decode()
    assert "已为 赵敏 建档" in page and 'data-testid="selected-customer"' in page


def test_create_a_customer_over_htmx_redirects_the_page(world: World) -> None:
    response = signed_in("agent").post(
        "/intake/customers/new/",
        {"name": "钱多多", "phone": "13700002222", "site": world.sites["lanting"].pk},
        headers=HTMX,
    )
    assert response.status_code == 204
    assert response["HX-Redirect"].startswith("/intake/?customer=")


@pytest.mark.parametrize(
    ("language", "body", "field", "message"),
    [
        ("zh-hans", {"name": "", "phone": "13700003333"}, "name", "这个字段是必填项"),
        ("zh-hans", {"name": "孙", "phone": "call me"}, "phone", "请输入有效的电话号码"),
        ("en", {"name": "Sun", "phone": "call me"}, "phone", "Enter a valid phone number"),
        (
            "zh-hans",
            {"name": "孙", "phone": "13812345678"},
            "phone",
            "该项目已有使用这个电话的客户：王芳",
        ),
        (
            "zh-hans",
            {"name": "孙", "phone": "13700003333", "asset_label": "9栋"},
            "asset_kind",
            "请选择服务对象类型",
        ),
        (
            "en",
            {
                "name": "Sun",
                "phone": "13700003333",
                "asset_kind": "unit",
                "asset_label": "3栋2单元1502",
            },
            "asset_label",
            "already registered",
        ),
    ],
)
def test_bad_customer_input_is_explained_and_creates_nothing(
    world: World, language: str, body: dict[str, str], field: str, message: str
) -> None:
    client = signed_in("agent", language)
    before = (Customer.objects.count(), Asset.objects.count())
    response = client.post(
        "/intake/customers/new/", {"site": world.sites["lanting"].pk, **body}, headers=HTMX
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert message in html
    assert f'name="{field}"' in html and "is-invalid" in html
    assert (Customer.objects.count(), Asset.objects.count()) == before


def test_a_customer_cannot_be_created_at_another_sites(world: World) -> None:
    response = signed_in("agent").post(
        "/intake/customers/new/",
        {"name": "外人", "phone": "13700004444", "site": world.sites["dealer"].pk},
    )
    assert response.status_code == 400
    assert not Customer.objects.filter(phone="13700004444").exists()


# -- consultations -----------------------------------------------------------------------------


def test_a_consultation_is_recorded_and_counted_and_opens_no_case(world: World) -> None:
    client = signed_in("agent")
    owner = world.customers["owner"]
    response = client.post(
        "/intake/consultations/",
        {
            "site": world.sites["lanting"].pk,
            "customer": owner.pk,
            "topic": "物业费缴费时间",
            "answer": "每季度首月 1–15 日",
            "channel": "phone",
        },
        headers=HTMX,
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "咨询“物业费缴费时间”已记录，未开工单" in html
    assert 'id="consultation-count"' in html and 'hx-swap-oob="true"' in html
    assert 'data-count="1"' in html
    c = Consultation.objects.get()
    assert (c.site, c.customer, c.topic, c.channel) == (
        world.sites["lanting"],
        owner,
        "物业费缴费时间",
        "phone",
    )
    assert c.handled_by == world.users["agent"]
    assert Case.objects.count() == 0
    assert consultations_today(world.sites["lanting"].pk) == 1
    page = client.get("/intake/").content.decode()
    assert 'data-count="1"' in page
    # Another site's desk does not count it.
    assert consultations_today(world.sites["dealer"].pk) == 0


def test_a_plain_post_consultation_redirects_back(world: World) -> None:
    response = signed_in("agent").post(
        "/intake/consultations/",
        {"site": world.sites["lanting"].pk, "topic": "停车收费标准", "channel": "walk_in"},
    )
    assert response.status_code == 302 and "tab=consult" in response["Location"]
    assert Consultation.objects.get().customer is None


def test_a_bad_consultation_is_explained_and_records_nothing(world: World) -> None:
    client = signed_in("agent")
    response = client.post(
        "/intake/consultations/",
        {"site": world.sites["lanting"].pk, "topic": "  ", "channel": "phone"},
        headers=HTMX,
    )
    assert response.status_code == 400
    assert "这个字段是必填项" in response.content.decode()
    response = client.post(
        "/intake/consultations/",
        {"site": world.sites["lanting"].pk, "topic": "问题", "channel": "system"},
        headers=HTMX,
    )
    assert response.status_code == 400
    assert Consultation.objects.count() == 0


def test_another_sites_customer_is_not_attached_to_a_consultation(world: World) -> None:
    signed_in("agent").post(
        "/intake/consultations/",
        {"customer": world.customers["driver"].pk, "topic": "问题", "channel": "phone"},
    )
    c = Consultation.objects.get()
    assert c.customer is None and c.site == world.sites["lanting"]


def test_log_consultation_checks_its_input(world: World) -> None:
    agent = world.actor("agent")
    with pytest.raises(NotFound):
        log_consultation(agent, site_id=world.sites["dealer"].pk, channel="phone", topic="x")
    with pytest.raises(EngineError) as refused:
        log_consultation(
            agent,
            site_id=world.sites["lanting"].pk,
            channel="fax",
            topic="",
            customer_id=world.customers["driver"].pk,
        )
    assert set(refused.value.fields) == {"topic", "channel", "customer"}
    assert Consultation.objects.count() == 0


# -- opening a case ----------------------------------------------------------------------------


def test_the_procedure_fragment_draws_its_first_step_form(world: World) -> None:
    html = (
        signed_in("agent")
        .get(
            "/intake/procedure/",
            {"procedure": "property_repair", "site": str(world.sites["lanting"].pk)},
            headers=HTMX,
        )
        .content.decode()
    )
    assert 'id="procedure-meta"' in html and 'hx-swap-oob="true"' in html
    for label in ("报修项目", "服务类型", "免费维修", "已与业主核对报修内容"):
        assert label in html
    assert 'name="step-repair_item"' in html
    assert '<option value="sms"' in html and '<option value="system"' not in html


def test_open_a_case_with_its_first_step_data(world: World) -> None:
    client = signed_in("agent")
    response = client.post("/intake/cases/", _case_post(world, is_major="on"))
    case = Case.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/cases/{case.pk}/"
    assert (case.procedure_key, case.step, case.channel, case.priority) == (
        "property_repair",
        "reception",
        "phone",
        "high",
    )
    assert case.customer == world.customers["owner"] and case.asset == world.assets["unit"]
    assert case.title == "厨房水管漏水" and case.is_major
    assert case.data == {
        "repair_item": "厨房水管",
        "location": "厨房",
        "service_type": "free",
        "details_confirmed": True,
    }
    assert case.created_by == world.users["agent"]
    assert list(Event.objects.filter(case=case).values_list("kind", flat=True)) == [
        "opened",
        "major_flagged",
    ]


def test_open_a_case_over_htmx(world: World) -> None:
    response = signed_in("agent").post(
        "/intake/cases/", _case_post(world, **{"step-location": None}), headers=HTMX
    )
    case = Case.objects.get()
    assert response.status_code == 204 and response["HX-Redirect"] == f"/cases/{case.pk}/"
    assert "location" not in case.data


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"step-repair_item": ""}, "必填"),  # the procedure's required intake field
        ({"step-service_type": "gratis"}, "无效选项"),
        ({"title": "长" * 201}, "200"),  # a blank title is derived; a long one is refused
        ({"procedure": "toyota_seven_step"}, "选择一个有效的选项"),  # not run at this site
        ({"channel": "system"}, "选择一个有效的选项"),
        ({"asset": "999999"}, "选择一个有效的选项"),
    ],
)
def test_bad_case_input_is_explained_and_opens_nothing(
    world: World, changes: dict[str, str], message: str
) -> None:
    response = signed_in("agent").post("/intake/cases/", _case_post(world, **changes), headers=HTMX)
    html = response.content.decode()
    assert response.status_code == 400
    assert message in html
    assert 'data-testid="intake-notice"' in html
    assert Case.objects.count() == 0 and Event.objects.count() == 0


def test_the_other_sites_asset_cannot_be_used(world: World) -> None:
    response = signed_in("agent").post(
        "/intake/cases/", _case_post(world, asset=str(world.assets["car"].pk))
    )
    assert response.status_code == 400
    assert Case.objects.count() == 0


def test_errors_come_in_english_for_an_english_user(world: World) -> None:
    response = signed_in("agent", "en").post(
        "/intake/cases/", _case_post(world, **{"step-repair_item": ""}), headers=HTMX
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert "This field is required" in html and "The form has errors" in html
    assert Case.objects.count() == 0


def test_a_multi_site_actor_chooses_the_site(world: World) -> None:
    client = signed_in("vp")
    first = client.get("/intake/").content.decode()
    assert 'data-testid="desk-site"' in first and "物业报修" in first  # lanting comes first
    dealer = client.get(f"/intake/?site={world.sites['dealer'].pk}").content.decode()
    assert "丰田七步法服务" in dealer and "物业报修" not in dealer
    response = client.post(
        "/intake/consultations/",
        {"site": world.sites["dealer"].pk, "topic": "保养预约", "channel": "phone"},
    )
    assert response.status_code == 302
    assert Consultation.objects.get().site == world.sites["dealer"]
