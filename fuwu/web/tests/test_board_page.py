"""The production board (/workshop/<id>/board/) and the technician's phone page: the day's rows
and bars with their status and late-risk colour, the htmx fragment in a fixed number of queries,
dispatch from the board, clocking on, stopping with a reason and finishing from the phone, and
nothing for another site's staff."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from fuwu.scheduling.models import JobClock, RepairJob, Workshop
from fuwu.scheduling.tests.crew import seed_workshop
from fuwu.scheduling.tests.shop import at, crew, engine_skill, job, repair_order
from fuwu.testing.factories import World

pytestmark = pytest.mark.django_db

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 12, 3, 9, 30, tzinfo=SH)  # a Thursday, a working day
DAY = NOW.date()


@pytest.fixture(autouse=True)
def frozen() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def workshop(world: World) -> Workshop:
    return seed_workshop(world, technicians=3)


def signed_in(user, language: str = "zh-hans") -> Client:
    client = Client()
    client.force_login(user)
    if language != "zh-hans":
        client.post("/language/", {"language": language})
    return client


def test_the_board_shows_the_day_with_status_and_risk(world: World, workshop: Workshop) -> None:
    techs = crew(workshop)
    case = repair_order(world)
    late = job(
        workshop, case, "2.3", promised=at(DAY, 13, 30), technician=techs[0], start=at(DAY, 10)
    )
    fine = job(workshop, case, "1", technician=techs[1], start=at(DAY, 14), name="洗车")
    waiting = job(workshop, case, "1.5", name="四轮定位")
    client = signed_in(world.users["workshop_qc"])
    html = client.get(f"/workshop/{workshop.pk}/board/?date={DAY}").content.decode()
    assert 'data-testid="board"' in html and 'hx-trigger="every 20s"' in html
    assert html.count('data-testid="tech-') == 3
    bar = html.split(f'data-testid="job-{late.pk}"', 1)[1].split(">", 1)[0]
    # 09:30: the 2.3 h job promised for 13:30 must start by 10:00 — amber, before it is late.
    assert 'data-status="planned"' in bar and 'data-risk="amber"' in bar
    assert f'data-testid="job-{fine.pk}"' in html
    assert 'data-testid="now-line"' in html and "board-lunch" in html
    assert f'data-testid="waiting-{waiting.pk}"' in html and "确认派工" in html
    assert f'data-testid="risk-{late.pk}"' in html and "最晚 10:00 开工" in html
    # Everyone is idle since 08:30: an hour without work.
    assert html.count('data-testid="idle-now"') == 3

    # The htmx poll gets the fragment, in the same number of queries however many jobs.
    def fragment() -> tuple[str, int]:
        with CaptureQueriesContext(connection) as queries:
            r = client.get(f"/workshop/{workshop.pk}/board/?date={DAY}", HTTP_HX_REQUEST="true")
        return r.content.decode(), len(queries)

    body, few = fragment()
    assert body.lstrip().startswith("{% load") is False and "<html" not in body
    for n in range(6):
        promised = at(DAY, 17)  # judged for risk, which reads the workshop's calendar
        job(
            workshop,
            case,
            "1",
            technician=techs[n % 3],
            start=at(DAY, 13 + n % 4),
            name=f"j{n}",
            promised=promised,
        )
        job(workshop, case, "0.5", name=f"waiting {n}")  # ranked for dispatch too
    _body, many = fragment()
    assert many == few

    en = signed_in(world.users["workshop_qc"], "en").get(
        f"/workshop/{workshop.pk}/board/?date={DAY}"
    )
    text = en.content.decode()
    assert "Production board" in text and "At risk of being late" in text


def test_dispatch_from_the_board(world: World, workshop: Workshop) -> None:
    techs = crew(workshop)
    case = repair_order(world)
    waiting = job(workshop, case, "1.5", name="四轮定位")
    client = signed_in(world.users["workshop_qc"])
    url = f"/workshop/{workshop.pk}/board/?date={DAY}"
    r = client.post(
        f"/workshop/jobs/{waiting.pk}/dispatch/",
        {"technician": techs[2].pk, "time": "12:30", "date": DAY.isoformat(), "next": url},
        follow=True,
    )
    assert "不当班" in r.content.decode()  # lunch: refused, nothing written
    assert RepairJob.objects.get(pk=waiting.pk).technician is None
    r = client.post(
        "/workshop/jobs/dispatch/",
        {"job": waiting.pk, "technician": techs[2].pk, "time": "13:00", "date": DAY.isoformat()},
        follow=True,
    )
    assert "已将“四轮定位”派给 技师02，13:00 开工。" in r.content.decode()
    moved = RepairJob.objects.get(pk=waiting.pk)
    assert (moved.technician_id, moved.planned_start) == (techs[2].pk, at(DAY, 13))
    # Dragged (board.js posts the same form): the timeline a job may be dropped on, and the
    # refusals a drop gets — the technician busy then, or without the job's skill.
    board = client.get(url).content.decode()
    assert 'data-drag-from="08:30" data-drag-minutes="540"' in board
    assert f'data-drop-tech="{techs[1].pk}"' in board
    assert f'draggable="true" data-drag-job="{waiting.pk}"' in board
    second = job(workshop, case, "1", name="换机油")
    r = client.post(
        "/workshop/jobs/dispatch/",
        {"job": second.pk, "technician": techs[2].pk, "time": "13:30", "date": DAY.isoformat()},
        follow=True,
    )
    assert "技师02 在 13:00–14:30 已排有作业“四轮定位”（一次只做一张修理单）" in r.content.decode()
    skill = engine_skill(techs, {0: 2})
    second.skill, second.level = skill, 2
    second.save(update_fields=["skill", "level"])
    r = client.post(
        "/workshop/jobs/dispatch/",
        {"job": second.pk, "technician": techs[1].pk, "time": "15:00", "date": DAY.isoformat()},
        follow=True,
    )
    assert "技师01 不具备该作业所需的技能" in r.content.decode()
    assert RepairJob.objects.get(pk=second.pk).technician is None
    # An advisor sees the board but may not dispatch.
    advisor = signed_in(world.users["advisor"])
    assert "确认派工" not in advisor.get(url).content.decode()
    other = job(workshop, case, "1", name="x")
    r = advisor.post(
        f"/workshop/jobs/{other.pk}/dispatch/",
        {"technician": techs[0].pk, "time": "13:00", "date": DAY.isoformat()},
        follow=True,
    )
    assert "只有本车间的调度或经理可以派工" in r.content.decode()


def test_the_technician_clocks_on_stops_and_finishes_from_the_phone(
    world: World, workshop: Workshop
) -> None:
    techs = crew(workshop)
    case = repair_order(world)
    first = job(workshop, case, "2", technician=techs[0], start=at(DAY, 9))
    second = job(workshop, case, "1", technician=techs[0], start=at(DAY, 11), name="洗车")
    job(workshop, case, "1", technician=techs[1], start=at(DAY, 9), name="别人的")
    phone = signed_in(techs[0].staff.user)
    page = phone.get("/workshop/my-jobs/").content.decode()
    assert f'data-testid="my-job-{first.pk}"' in page and "别人的" not in page
    r = phone.post(
        f"/workshop/jobs/{first.pk}/clock/on/", {"next": "/workshop/my-jobs/"}, follow=True
    )
    assert "已开工：发动机检修" in r.content.decode()
    r = phone.post(f"/workshop/jobs/{second.pk}/clock/on/", follow=True)
    assert "同一时间只能做一项作业" in r.content.decode()
    r = phone.post(f"/workshop/jobs/{first.pk}/clock/stop/", {"reason": ""}, follow=True)
    assert "停工请选择原因" in r.content.decode()
    with time_machine.travel(at(DAY, 10, 30), tick=False):
        phone.post(f"/workshop/jobs/{first.pk}/clock/stop/", {"reason": "waiting_parts"})
    stopped = JobClock.objects.get(job=first)
    assert (stopped.hours, stopped.reason) == (Decimal("1.00"), "waiting_parts")
    with time_machine.travel(at(DAY, 10, 30), tick=False):
        phone.post(f"/workshop/jobs/{second.pk}/clock/on/")
    with time_machine.travel(at(DAY, 11, 30), tick=False):
        r = phone.post(f"/workshop/jobs/{second.pk}/clock/done/", follow=True)
    assert "已完工：洗车" in r.content.decode()
    assert RepairJob.objects.get(pk=second.pk).status == "done"
    # The board's figures: 1 h standard finished of 2 h clocked, 2 h of an 8 h shift.
    with time_machine.travel(at(DAY, 11, 30), tick=False):
        board = signed_in(world.users["workshop_qc"]).get(f"/workshop/{workshop.pk}/board/")
    row = board.content.decode().split(f'data-testid="tech-{techs[0].pk}"', 1)[1]
    assert "打卡 2h · 效率 50% · 生产率 25%" in " ".join(row[:600].split())
    # Someone who is not a technician has no jobs.
    assert (
        'data-testid="not-a-technician"'
        in signed_in(world.users["advisor"]).get("/workshop/my-jobs/").content.decode()
    )


def test_a_new_promise_and_a_carry_over_from_the_board(world: World, workshop: Workshop) -> None:
    from fuwu.scheduling.models import CarryOver, PromiseChange

    case = repair_order(world)
    late = job(workshop, case, "2.3", promised=at(DAY, 13, 30), technician=crew(workshop)[0])
    advisor = signed_in(world.users["advisor"])
    url = f"/workshop/{workshop.pk}/board/?date={DAY}"
    assert f'data-testid="carry-{late.pk}"' in advisor.get(url).content.decode()
    r = advisor.post(
        f"/workshop/orders/{case.pk}/promise/",
        {"promised_at": f"{DAY}T16:30", "reason": "", "next": url},
        follow=True,
    )
    assert "更改交车时间请填写原因" in r.content.decode() and not PromiseChange.objects.exists()
    r = advisor.post(
        f"/workshop/orders/{case.pk}/promise/",
        {"promised_at": f"{DAY}T16:30", "reason": "客户同意延后", "next": url},
        follow=True,
    )
    assert "已记录新的交车时间 12-03 16:30。" in r.content.decode()
    assert RepairJob.objects.get(pk=late.pk).promised_at == at(DAY, 16, 30)
    r = advisor.post(
        f"/workshop/orders/{case.pk}/carry-over/", {"reason": "等待零件", "next": url}, follow=True
    )
    assert "已登记滞留车，顺延至 2026-12-04。" in r.content.decode()
    assert CarryOver.objects.get().hours == Decimal("2.30")
    tomorrow = advisor.get(f"/workshop/{workshop.pk}/board/?date=2026-12-04").content.decode()
    carried = tomorrow.split('data-testid="carry-overs"', 1)[1]
    assert "等待零件" in carried and "2.3 小时" in carried
    assert 'data-testid="carried">2.3<' in tomorrow


def test_the_menu_links_the_board_and_the_technicians_jobs(
    world: World, workshop: Workshop
) -> None:
    tech = crew(workshop)[0]
    page = signed_in(tech.staff.user).get("/workshop/my-jobs/").content.decode()
    assert 'data-testid="my-jobs-link"' in page and 'data-testid="board-link"' in page
    dispatcher = signed_in(world.users["workshop_qc"])
    page = dispatcher.get("/work/").content.decode()
    assert 'data-testid="board-link"' in page and 'data-testid="my-jobs-link"' not in page
    r = dispatcher.get("/workshop/board/")
    assert r.status_code == 302 and r["Location"] == f"/workshop/{workshop.pk}/board/"
    # The menu's 车间 drop-down: the board, routes and KPIs of their workshop for its staff;
    # the capacity, calendar and parts for those who book; their jobs for a technician.
    assert f'href="/workshop/{workshop.pk}/kpis/" data-testid="kpis-menu-link"' in page
    assert (
        'data-testid="routes-menu-link"' in page and 'data-testid="calendar-menu-link"' not in page
    )
    advisor = signed_in(world.users["advisor"]).get("/work/").content.decode()
    menu = advisor.split('data-testid="workshop-menu"', 1)[1].split("</ul>", 1)[0]
    assert f'href="/workshop/{workshop.pk}/calendar/" data-testid="calendar-menu-link"' in menu
    assert 'data-testid="workshop-link"' in menu and 'data-testid="parts-link"' in menu
    agent = signed_in(world.users["agent"])  # no workshop at the residential site
    assert 'data-testid="workshop-menu"' not in agent.get("/work/").content.decode()
    assert agent.get("/workshop/board/").status_code == 404


def test_another_sites_staff_get_nothing(world: World, workshop: Workshop) -> None:
    case = repair_order(world)
    j = job(workshop, case, "1")
    agent = signed_in(world.users["agent"])
    assert agent.get(f"/workshop/{workshop.pk}/board/").status_code == 404
    assert agent.post(f"/workshop/jobs/{j.pk}/clock/on/").status_code == 404
    assert agent.post(f"/workshop/jobs/{j.pk}/dispatch/", {"technician": 1}).status_code == 404


def test_jobs_are_named_in_the_readers_language(world: World, workshop: Workshop) -> None:
    """A catalogue job shows the catalogue's English name to an English reader, on the board
    and on the technician's phone page; a described job keeps its words."""
    from fuwu.scheduling.models import LabourOperation

    techs = crew(workshop)
    oil = LabourOperation.objects.create(
        site=world.sites["dealer"],
        code="OIL",
        name="更换机油机滤",
        name_en="Oil and filter change",
        standard_hours=Decimal("0.5"),
        work_type="maintenance",
    )
    made = job(workshop, repair_order(world), "0.5", technician=techs[0], start=at(DAY, 10))
    RepairJob.objects.filter(pk=made.pk).update(operation=oil, name=oil.name)
    path = f"/workshop/{workshop.pk}/board/?date={DAY}"
    zh = signed_in(world.users["workshop_qc"]).get(path).content.decode()
    en = signed_in(world.users["workshop_qc"], "en").get(path).content.decode()
    assert "更换机油机滤" in zh and "Oil and filter change" not in zh
    assert "Oil and filter change" in en and "更换机油机滤" not in en
    user = techs[0].staff.user
    mine = signed_in(user, "en").get("/workshop/my-jobs/").content.decode()
    assert "Oil and filter change" in mine
