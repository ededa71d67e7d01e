"""A manager opens this half-year's opinion survey from the staff pages and sends its
invitations, in a real browser (zh-Hans): the round from the questionnaire, the site, the period
and the audience; a link per resident, how each is sent; a second send invites nobody twice."""

from __future__ import annotations

import pytest

from fuwu.customers.models import Asset, Customer
from fuwu.sla.clocks import forget_calendars
from fuwu.surveys.loader import load_library
from fuwu.surveys.models import Response, Round
from fuwu.testing.factories import World, build_world

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def world(library: None) -> World:
    forget_calendars()
    built = build_world()
    assert not load_library().problems
    lanting = built.sites["lanting"]
    li = Customer.objects.create(site=lanting, name="李四", phone="13800000032")
    Asset.objects.create(site=lanting, kind="unit", label="5栋1单元102", owner=li)
    return built


def test_a_manager_opens_a_round_and_sends_its_invitations(web, world):
    page = web.page()
    web.login(page, "sc_manager")
    page.goto("/surveys/")
    page.click("[data-testid=new-round]")
    page.select_option("#id_site", str(world.sites["lanting"].pk))
    page.select_option("#id_questionnaire", "opinion_survey")
    page.fill("#id_title", "2026年下半年业主意见征询")
    page.check("[data-testid=audience-residents]")
    web.shot(page, "round-new-zh")
    with page.expect_navigation():
        page.click("[data-testid=round-create]")
    round_ = Round.objects.get()
    assert (
        page.locator("[data-testid=round-title]")
        .inner_text()
        .startswith("2026年下半年业主意见征询")
    )
    with page.expect_navigation():
        page.click("[data-testid=send-invitations]")
    assert "已邀请 2 位客户：客户门户 0 位，电子邮件 1 位，待短信/微信发送 1 位。" in (
        page.content()
    )
    assert page.locator("[data-testid=invitation]").count() == 2
    assert page.locator("[data-testid=invited]").inner_text() == "2"
    web.shot(page, "round-invited-zh")
    with page.expect_navigation():
        page.click("[data-testid=send-invitations]")
    assert "没有新的邀请" in page.content()
    assert Response.objects.filter(round=round_).count() == 2
    assert page.js_errors == []
