"""Campaigns open a case per unit with progress and a summary; schedules open cases once per occurrence."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from fuwu.campaigns.actions import run_due
from fuwu.campaigns.models import Occurrence, Schedule
from fuwu.cases import actions
from fuwu.cases.models import Case
from fuwu.customers.models import Asset


@pytest.fixture
def units(world):
    owner = world.customers["owner"]
    made = [
        Asset.objects.create(
            site=world.sites["lanting"],
            kind="unit",
            label=f"8栋{i}01",
            owner=owner,
            attributes={"building": "8", "occupied": i != 3},
        )
        for i in range(1, 5)
    ]
    return made


def test_campaign_opens_a_case_per_unit_and_summarises(world, api, units):
    agent = api("agent")
    r = agent.post(
        "/api/campaigns",
        {
            "procedure": "property_repair",
            "site": "lanting",
            "title": "8栋入户检查",
            "asset_kind": "unit",
            "where": {"building": "8"},
            "data": {"repair_item": "入户检查", "service_type": "free"},
        },
    )
    assert r.status_code == 201, r.json()
    body = r.json()
    assert body["progress"]["total"] == 4 and body["progress"]["done"] == 0
    assert body["progress"]["by_step"] == {"reception": 4}
    assert body["progress"]["answers"]["service_type"] == {"free": 4}
    cases = list(Case.objects.filter(campaign_id=body["id"]).order_by("pk"))
    assert [c.asset.label for c in cases] == ["8栋101", "8栋201", "8栋301", "8栋401"]
    assert all(
        c.channel == "system" and c.customer_id == world.customers["owner"].pk for c in cases
    )
    actions.take_transition(
        world.actor("agent"),
        cases[0].pk,
        "cancel",
        version=cases[0].version,
        form={"cancel_reason": "业主谢绝"},
    )
    body = agent.get(f"/api/campaigns/{body['id']}").json()
    assert body["progress"]["done"] == 1 and body["progress"]["percent_done"] == 25.0
    assert body["progress"]["by_status"] == {"cancelled": 1, "open": 3}
    # Only vacant units:
    r = agent.post(
        "/api/campaigns",
        {
            "procedure": "property_repair",
            "site": "lanting",
            "title": "空房巡查",
            "asset_kind": "unit",
            "where": {"building": "8", "occupied": False},
            "data": {"repair_item": "空房", "service_type": "free"},
        },
    )
    assert r.json()["progress"]["total"] == 1


def test_campaign_bad_input_changes_nothing(world, api, units):
    agent = api("agent", "en")
    before = Case.objects.count()
    r = agent.post(
        "/api/campaigns",
        {
            "procedure": "property_repair",
            "site": "lanting",
            "title": "x",
            "asset_kind": "unit",
            "where": {"building": "99"},
        },
    )
    assert r.status_code == 400 and r.json()["details"]["fields"] == {
        "asset_filter": "No asset matches"
    }
    r = agent.post(
        "/api/campaigns",
        {
            "procedure": "property_repair",
            "site": "lanting",
            "title": "x",
            "asset_kind": "unit",
            "where": {"building": "8"},
            "data": {"service_type": "platinum"},
        },
    )
    assert r.status_code == 400  # a bad value fails the whole campaign
    assert (
        api("technician")
        .post(
            "/api/campaigns",
            {"procedure": "property_repair", "site": "lanting", "title": "x", "asset_kind": "unit"},
        )
        .status_code
        == 403
    )
    assert Case.objects.count() == before
    assert api("outsider").get("/api/campaigns").json() == []


def test_schedule_opens_each_occurrence_exactly_once(world, api):
    start = datetime(2026, 1, 28, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai
    r = api("sc_manager").post(
        "/api/schedules",
        {
            "procedure": "property_repair",
            "site": "lanting",
            "title": "月度对账 {date}",
            "rrule": "FREQ=MONTHLY;BYMONTHDAY=28",
            "dtstart": start.isoformat(),
            "data": {"repair_item": "对账", "service_type": "free"},
        },
    )
    assert r.status_code == 201, r.json()
    schedule = Schedule.objects.get(pk=r.json()["id"])
    assert run_due(now=start - timedelta(seconds=1)) == 0
    assert run_due(now=start + timedelta(days=70)) == 3  # Jan 28, Feb 28, Mar 28
    assert run_due(now=start + timedelta(days=70)) == 0  # never twice
    titles = sorted(
        Case.objects.filter(procedure_key="property_repair").values_list("title", flat=True)
    )
    assert titles == ["月度对账 2026-01-28", "月度对账 2026-02-28", "月度对账 2026-03-28"]
    assert Occurrence.objects.filter(schedule=schedule).count() == 3
    # A second worker that missed the bookkeeping still cannot open an occurrence again.
    Schedule.objects.filter(pk=schedule.pk).update(last_occurrence_at=None)
    assert run_due(now=start + timedelta(days=70)) == 0
    assert Case.objects.filter(procedure_key="property_repair").count() == 3
    listed = api("sc_manager").get("/api/schedules").json()[0]
    assert [n[:10] for n in listed["next"]] == ["2026-04-28", "2026-05-28", "2026-06-28"]


def test_schedule_over_assets_starts_a_campaign(world, units):
    s = Schedule.objects.create(
        site=world.sites["lanting"],
        procedure_key="property_repair",
        title="空房巡视 {date}",
        rrule="FREQ=WEEKLY;BYDAY=MO",
        dtstart=datetime(2026, 11, 2, 1, tzinfo=UTC),
        asset_kind="unit",
        asset_filter={"occupied": False},
        data={"repair_item": "巡视", "service_type": "free"},
    )
    assert run_due(now=datetime(2026, 11, 10, 2, tzinfo=UTC)) == 2
    occurrences = list(Occurrence.objects.filter(schedule=s).order_by("at"))
    assert [o.campaign.cases.count() for o in occurrences] == [1, 1]


def test_bad_rrule_is_refused(world, api):
    r = api("sc_manager", "en").post(
        "/api/schedules",
        {
            "procedure": "property_repair",
            "site": "lanting",
            "title": "x",
            "rrule": "FREQ=SOMETIMES",
            "dtstart": timezone.now().isoformat(),
        },
    )
    assert r.status_code == 400 and "rrule" in r.json()["details"]["fields"]
    assert "Not a valid recurrence rule" in r.json()["details"]["fields"]["rrule"]
    assert (
        api("technician")
        .post(
            "/api/schedules",
            {
                "procedure": "property_repair",
                "site": "lanting",
                "title": "x",
                "rrule": "FREQ=DAILY",
                "dtstart": timezone.now().isoformat(),
            },
        )
        .status_code
        == 403
    )
    assert not Schedule.objects.exists()


def test_first_occurrence_is_kept_when_dtstart_has_microseconds(world):
    start = datetime(2026, 3, 1, 1, 0, 0, 123456, tzinfo=UTC)
    Schedule.objects.create(
        site=world.sites["lanting"],
        procedure_key="property_repair",
        title="巡检 {date}",
        rrule="FREQ=DAILY",
        dtstart=start,
        data={"repair_item": "巡检", "service_type": "free"},
    )
    assert run_due(now=start + timedelta(hours=1)) == 1
