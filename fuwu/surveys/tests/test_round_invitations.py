"""Managers open a survey campaign from the staff pages and send its invitations (issue 12, the
semi-annual opinion survey): a round of a questionnaire for a period and an audience, then a
one-time link per customer, delivered as each can receive it, recorded with who and when, and
never twice. "Now" is Friday 4 December 2026, 10:00 in Shanghai."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.core import mail
from django.test import Client
from django_tasks_db.models import DBTaskResult

from fuwu.customers.models import Asset, Customer
from fuwu.notifications.models import Notification
from fuwu.portal.tests.helpers import give_account
from fuwu.procedures.engine.errors import EngineError
from fuwu.surveys import actions
from fuwu.surveys.models import Response, Round
from fuwu.surveys.tasks import send_invitation_emails

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 12, 4, 10, tzinfo=SHANGHAI)


@pytest.fixture
def now() -> Any:
    with time_machine.travel(NOW, tick=False):
        yield


def resident(world: Any, name: str, label: str, **fields: Any) -> Customer:
    lanting = world.sites["lanting"]
    customer = Customer.objects.create(site=lanting, name=name, **fields)
    Asset.objects.create(site=lanting, kind="unit", label=label, owner=customer)
    return customer


def signed_in(world: Any, persona: str) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(world.users[persona])
    return client


def test_a_manager_opens_a_round_and_invites_its_residents_once(world, surveys, now):
    # The audience: 王芳 (the world's 3栋2单元1502, e-mail only), 张三 (a portal account), 李四
    # (a phone only). 赵五 is a customer of the site without a unit: not a resident.
    zhang = resident(world, "张三", "5栋1单元101", phone="13800000031")
    give_account(zhang, "zhangsan")
    resident(world, "李四", "5栋1单元102", phone="13800000032")
    Customer.objects.create(site=world.sites["lanting"], name="赵五", email="zhao@example.com")
    manager = signed_in(world, "sc_manager")
    assert 'data-testid="new-round"' in manager.get("/surveys/").content.decode()
    form = manager.get("/surveys/rounds/new/").content.decode()
    assert "2026年下半年意见征询" in form and 'value="2026-12-04"' in form
    fields = {
        "site": world.sites["lanting"].pk,
        "questionnaire": "opinion_survey",
        "title": "2026年下半年意见征询",
        "opens": "2026-12-04",
        "closes": "2026-12-03",  # before it opens
        "audience": "residents",
    }
    refused = manager.post("/surveys/rounds/new/", fields)
    assert refused.status_code == 400 and "结束日期不能早于开始日期" in refused.content.decode()
    assert not Round.objects.exists()
    made = manager.post("/surveys/rounds/new/", {**fields, "closes": "2026-12-31"})
    round_ = Round.objects.get()
    assert made["Location"] == f"/surveys/rounds/{round_.pk}/"
    assert (round_.questionnaire.key, round_.kind, round_.audience) == (
        "opinion_survey",
        "campaign",
        "residents",
    )
    assert round_.opens_at == NOW and round_.closes_at == datetime(2027, 1, 1, tzinfo=SHANGHAI)
    assert round_.created_by == world.users["sc_manager"]
    # Someone who is not a manager may neither open a round nor send its invitations.
    agent = signed_in(world, "agent")
    assert agent.get("/surveys/rounds/new/").status_code == 403
    assert agent.post(f"/surveys/rounds/{round_.pk}/invitations/").status_code == 403
    assert not Response.objects.exists()

    page = manager.get(f"/surveys/rounds/{round_.pk}/").content.decode()
    assert 'data-testid="send-invitations"' in page
    sent = manager.post(f"/surveys/rounds/{round_.pk}/invitations/", follow=True)
    assert "已邀请 3 位客户：客户门户 1 位，电子邮件 1 位，待短信/微信发送 1 位。" in (
        sent.content.decode()
    )
    invited = {r.customer.name: r for r in Response.objects.select_related("customer")}
    assert {n: r.delivery for n, r in invited.items()} == {
        "王芳": "email",
        "张三": "portal",
        "李四": "pending",
    }
    for r in invited.values():
        assert (r.channel, r.invited_at, r.expires_at) == ("link", NOW, NOW + timedelta(days=14))
    # 张三 is told in the portal's inbox; 王芳's e-mail is queued, sent once by the worker.
    (note,) = Notification.objects.filter(kind="survey_invitation")
    assert note.recipient == zhang.user and note.data["title"] == "2026年下半年意见征询"
    assert note.data["link"].endswith("/portal/surveys/")
    assert DBTaskResult.objects.filter(task_path__endswith="send_invitation_emails").count() == 1
    assert send_invitation_emails.call([invited["王芳"].pk]) == 1
    assert send_invitation_emails.call([invited["王芳"].pk]) == 0
    (message,) = mail.outbox
    assert message.to == ["wang@example.com"] and "2026年下半年意见征询" in message.body
    link = actions.link_url(invited["王芳"])
    assert link in message.body and "2026-12-18 前有效" in message.body
    path = link.removeprefix(settings.FUWU_BASE_URL.rstrip("/"))
    assert path.startswith("/portal/s/") and Client().get(path).status_code == 200

    # Sending again invites nobody twice; a new resident since then is invited alone.
    again = manager.post(f"/surveys/rounds/{round_.pk}/invitations/", follow=True)
    assert "没有新的邀请" in again.content.decode() and Response.objects.count() == 3
    resident(world, "钱六", "5栋1单元103", email="qian@example.com")
    assert actions.send_invitations(world.actor("sc_manager"), round_.pk) == {"email": 1}
    assert Response.objects.count() == 4
    page = manager.get(f"/surveys/rounds/{round_.pk}/").content.decode()
    assert page.count('data-testid="invitation"') == 4 and 'data-testid="sent-email">2<' in page
    # After the period nothing more is sent.
    with pytest.raises(EngineError) as closed:
        actions.send_invitations(world.actor("sc_manager"), round_.pk, now=NOW + timedelta(days=40))
    assert closed.value.code == "survey_closed"


def test_the_audience_of_all_customers_and_the_site_checked(world, surveys, now):
    Customer.objects.create(site=world.sites["lanting"], name="赵五", email="zhao@example.com")
    round_ = actions.create_round(
        world.actor("sc_manager"),
        questionnaire_key="opinion_survey",
        site_id=world.sites["lanting"].pk,
        title="全体客户意见征询",
        audience="customers",
    )
    sent = actions.send_invitations(world.actor("sc_manager"), round_.pk)
    assert sent == {"email": 2}  # 王芳 and 赵五: every customer of the site
    with pytest.raises(EngineError) as bad:
        actions.create_round(
            world.actor("sc_manager"),
            questionnaire_key="opinion_survey",
            site_id=world.sites["lanting"].pk,
            title="x",
            kind="standing",
            audience="residents",
        )
    assert set(bad.value.fields) == {"audience"}
    # Another site's manager does not see the round: not found, nothing sent.
    dealer = signed_in(world, "as_manager")
    assert dealer.post(f"/surveys/rounds/{round_.pk}/invitations/").status_code == 404
    assert dealer.get(f"/surveys/rounds/{round_.pk}/").status_code == 404
    assert Response.objects.count() == 2
