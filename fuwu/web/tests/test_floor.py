"""The floor manager's table board (/floor/, issue 10 point 10): tables, one-tap opening, moves
by tap through the actions, refusals that change nothing."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client

from fuwu.cases.models import Case, Event
from fuwu.customers.choices import AssetKind
from fuwu.customers.models import Asset
from fuwu.testing.factories import World

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 3, 11, 18, 30, tzinfo=TZ)
SEATED_CHECKS = ("welcomed", "led_the_way", "chair_pulled_quietly")


@pytest.fixture
def tables(world: World) -> dict[str, Asset]:
    site = world.sites["hotpot"]
    return {
        label: Asset.objects.create(
            site=site, kind=AssetKind.TABLE, label=label, attributes={"seats": seats}
        )
        for label, seats in (("A01", 4), ("A02", 4), ("包间 1", 10))
    }


def _client(world: World, persona: str, language: str = "zh-hans") -> Client:
    client = Client()
    client.force_login(world.users[persona])
    if language != "zh-hans":
        client.post("/language/", {"language": language})
    return client


def _sittings(table: Asset) -> list[Case]:
    return list(Case.objects.filter(asset=table).order_by("pk"))


def _open(client: Client, table: Asset) -> object:
    return client.post(f"/floor/tables/{table.pk}/open/", {"site": "hotpot"})


def test_the_board_lists_the_tables_free(world: World, tables: dict[str, Asset]) -> None:
    r = _client(world, "floor_manager").get("/floor/")
    assert r.status_code == 200
    html = r.content.decode()
    for label in tables:
        assert f'data-testid="table-{label}"' in html
    assert html.count('data-testid="open-table"') == 3
    assert 'hx-trigger="every 5s"' in html  # refreshes itself


def test_one_tap_opens_a_sitting_through_the_action(world: World, tables: dict[str, Asset]) -> None:
    table = tables["A01"]
    client = _client(world, "floor_manager")
    with time_machine.travel(NOW, tick=False):
        r = _open(client, table)
        assert r.status_code == 302
        [case] = _sittings(table)
        assert case.procedure_key == "hotpot_table_service" and case.step == "greet_and_seat"
        assert case.data["table_no"] == "A01" and case.title == "A01 桌"
        assert case.channel == "walk_in" and case.created_by_id == world.users["floor_manager"].pk
        assert case.step_due == NOW + timedelta(seconds=60)
        assert Event.objects.filter(case=case).order_by("seq").first().kind == "opened"
        html = client.get("/floor/").content.decode()
    assert 'data-seconds="1"' in html and "剩余 01:00" in html  # the seat clock, in seconds
    assert 'data-testid="tap-seated"' in html and 'data-testid="number-guests"' in html
    assert html.count('data-testid="open-table"') == 2


def test_a_busy_table_is_not_opened_twice(world: World, tables: dict[str, Asset]) -> None:
    client = _client(world, "waiter")
    _open(client, tables["A02"])
    r = _open(client, tables["A02"])
    assert len(_sittings(tables["A02"])) == 1
    assert "已在服务中" in client.get(r["Location"]).content.decode()


def test_taps_move_the_sitting_on(world: World, tables: dict[str, Asset]) -> None:
    table = tables["A01"]
    client = _client(world, "floor_manager")
    _open(client, table)
    [case] = _sittings(table)
    # Without the number of guests nothing changes, and the board says what is missing.
    checks = {f"check.{k}": "yes" for k in SEATED_CHECKS}
    r = client.post(f"/floor/cases/{case.pk}/seated/", {"version": case.version, **checks})
    page = client.get(r["Location"]).content.decode()
    assert "就餐人数" in page and "表单有误" in page
    assert Case.objects.get(pk=case.pk).step == "greet_and_seat"
    # The guests, one item unticked: recorded as not done, the table moves on.
    form = {"version": case.version, "number.guests": "4", "check.welcomed": "yes"}
    form |= {"check.led_the_way": "yes"}
    client.post(f"/floor/cases/{case.pk}/seated/", form)
    case.refresh_from_db()
    assert case.step == "serve_tea" and case.data["guests"] == 4
    moved = Event.objects.filter(case=case, kind="transitioned").get()
    assert moved.actor_id == world.users["floor_manager"].pk
    assert moved.data["checks"]["chair_pulled_quietly"]["passed"] is False
    assert moved.data["checks"]["welcomed"]["passed"] is True
    assert "helped_elderly_children" not in moved.data["checks"]  # optional, left unanswered
    html = client.get("/floor/").content.decode()
    assert "斟茶撤筷套" in html and 'data-testid="tap-tea_served"' in html
    form = {"version": case.version} | {
        f"check.{k}": "yes" for k in ("tea_seven_tenths", "sleeves_removed", "chopsticks_on_plate")
    }
    client.post(f"/floor/cases/{case.pk}/tea_served/", form)
    case.refresh_from_db()
    assert case.step == "take_order"
    html = client.get("/floor/").content.decode()
    assert 'data-testid="table-open-case"' in html  # the order is the case page's


def test_a_stale_tap_changes_nothing(world: World, tables: dict[str, Asset]) -> None:
    client = _client(world, "waiter")
    _open(client, tables["A01"])
    [case] = _sittings(tables["A01"])
    form = {"version": case.version + 1, "number.guests": "2"}
    form |= {f"check.{k}": "yes" for k in SEATED_CHECKS}
    client.post(f"/floor/cases/{case.pk}/seated/", form)
    assert Case.objects.get(pk=case.pk).version == case.version


def test_the_kitchen_may_not_open_tables(world: World, tables: dict[str, Asset]) -> None:
    client = _client(world, "cook")
    assert 'data-testid="open-table"' not in client.get("/floor/").content.decode()
    r = _open(client, tables["A01"])
    assert not _sittings(tables["A01"])
    assert "您不能受理" in client.get(r["Location"]).content.decode()


def test_other_sites_see_no_tables(world: World, tables: dict[str, Asset]) -> None:
    client = _client(world, "agent")  # 兰亭苑: no tables
    r = client.get("/floor/")
    assert 'data-testid="floor-empty"' in r.content.decode()
    assert _open(client, tables["A01"]).status_code == 404
    assert not _sittings(tables["A01"])


def test_the_board_in_english(world: World, tables: dict[str, Asset]) -> None:
    client = _client(world, "floor_manager", "en")
    _open(client, tables["A01"])
    html = client.get("/floor/").content.decode()
    assert "Table board" in html and "Free" in html and "Open table" in html
    assert "Greet the guests and seat them" in html
    assert "01:00 left" in html or "00:59 left" in html


def test_my_work_links_the_board_where_there_are_tables(
    world: World, tables: dict[str, Asset]
) -> None:
    html = _client(world, "floor_manager").get("/work/").content.decode()
    assert 'data-testid="floor-link"' in html
    assert 'data-testid="floor-link"' not in _client(world, "agent").get("/work/").content.decode()
