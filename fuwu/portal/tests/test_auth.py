"""Portal sign-up and sign-in: phone or e-mail, rate limit, linking earlier records safely."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client

from fuwu.customers.models import Customer
from fuwu.portal.tests.helpers import give_account

pytestmark = pytest.mark.django_db


def signup(client: Client, world, **extra: str):
    data = {
        "name": "赵敏",
        "login": "13700001111",
        "password": "Spring-rain-42",
        "site": str(world.sites["lanting"].pk),
        "language": "zh-hans",
        **extra,
    }
    return client.post("/portal/signup/", data)


def test_sign_up_by_phone_creates_a_customer_and_signs_in(world):
    client = Client()
    assert client.get("/portal/signup/").status_code == 200
    response = signup(client, world)
    assert response.status_code == 302 and response["Location"] == "/portal/"
    customer = Customer.objects.get(phone="13700001111")
    assert customer.user is not None and customer.site == world.sites["lanting"]
    assert customer.name == "赵敏" and customer.language == "zh-hans"
    assert client.get("/portal/").status_code == 200


def test_sign_up_validation_changes_nothing(world):
    client = Client()
    before = Customer.objects.count()
    response = signup(client, world, name="", login="not a phone", password="123", site="")
    assert response.status_code == 400
    page = response.content.decode()
    assert "请输入有效的手机号或电子邮件地址" in page
    assert "请选择" in page or "必填" in page or "这个字段是必填项" in page
    assert Customer.objects.count() == before
    # A login already in use is refused.
    give_account(world.customers["driver"], "13987654321")
    response = signup(client, world, login="13987654321")
    assert response.status_code == 400 and "已注册" in response.content.decode()


def test_sign_up_in_english(world):
    client = Client()
    client.post("/language/", {"language": "en", "next": "/portal/signup/"})
    response = signup(client, world, login="bad")
    assert "Enter a valid mobile number or email address" in response.content.decode()


def test_sign_in_by_phone_and_by_email(world):
    owner = world.customers["owner"]
    give_account(owner, "13812345678", "Owner-pass-1")
    client = Client()
    response = client.post("/portal/login/", {"login": "138 1234 5678", "password": "Owner-pass-1"})
    assert response.status_code == 302 and response["Location"] == "/portal/"
    client.post("/logout/")
    # The linked record's e-mail signs in the same account.
    response = Client().post(
        "/portal/login/", {"login": "Wang@Example.com", "password": "Owner-pass-1"}
    )
    assert response.status_code == 302
    bad = Client().post("/portal/login/", {"login": "13812345678", "password": "nope"})
    assert bad.status_code == 400 and "不正确" in bad.content.decode()


def test_sign_in_is_rate_limited(world, settings):
    settings.FUWU_LOGIN_MAX_FAILURES = 3
    give_account(world.customers["owner"], "13812345678", "Owner-pass-1")
    client = Client()
    for _ in range(3):
        assert (
            client.post("/portal/login/", {"login": "13812345678", "password": "x"}).status_code
            == 400
        )
    response = client.post("/portal/login/", {"login": "13812345678", "password": "Owner-pass-1"})
    assert response.status_code == 429 and "登录失败次数过多" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_staff_are_sent_to_the_staff_pages(world):
    client = Client()
    response = client.post("/portal/login/", {"login": "agent", "password": "pw-agent"})
    assert response.status_code == 400 and "员工账号" in response.content.decode()
    assert "_auth_user_id" not in client.session
    client.post("/login/", {"username": "agent", "password": "pw-agent"})
    page = client.get("/portal/")
    assert page.status_code == 403 and "员工页面" in page.content.decode()


def test_customers_on_staff_pages_go_to_the_portal(world):
    give_account(world.customers["owner"], "13812345678", "Owner-pass-1")
    client = Client()
    client.post("/portal/login/", {"login": "13812345678", "password": "Owner-pass-1"})
    assert client.get("/work/")["Location"] == "/portal/"


def test_an_earlier_record_is_linked_only_with_the_emailed_code(world):
    owner = world.customers["owner"]  # created by an agent: wang@example.com, no account
    client = Client()
    response = signup(client, world, login="wang@example.com", name="王芳")
    assert response.status_code == 302 and response["Location"] == "/portal/signup/verify/"
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["wang@example.com"]
    code = re.search(r"\b(\d{6})\b", mail.outbox[0].body).group(1)
    owner.refresh_from_db()
    assert owner.user is None  # nothing linked before the code
    wrong = "000000" if code != "000000" else "111111"
    assert client.post("/portal/signup/verify/", {"code": wrong}).status_code == 400
    response = client.post("/portal/signup/verify/", {"code": code})
    assert response.status_code == 302
    owner.refresh_from_db()
    assert owner.user is not None and owner.user.username == "wang@example.com"
    assert Customer.objects.filter(email__iexact="wang@example.com").count() == 1


def test_code_tries_are_limited(world):
    client = Client()
    signup(client, world, login="wang@example.com")
    for _ in range(5):
        client.post("/portal/signup/verify/", {"code": "999999"})
    response = client.post("/portal/signup/verify/", {"code": "999999"})
    assert response.status_code == 302 and response["Location"] == "/portal/signup/"
    assert (
        world.customers["owner"].__class__.objects.get(pk=world.customers["owner"].pk).user is None
    )


def test_a_phone_is_never_linked_to_an_earlier_record(world):
    client = Client()
    response = signup(client, world, login="13812345678", name="冒名者")
    assert response.status_code == 302 and response["Location"] == "/portal/"
    owner = Customer.objects.get(pk=world.customers["owner"].pk)
    assert owner.user is None  # the agent's record (and its cases) stays unlinked
    mine = Customer.objects.get(user__username="13812345678")
    assert mine.pk != owner.pk
    assert "联系客服中心" in client.get("/portal/").content.decode()
