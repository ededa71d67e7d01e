"""Parts through HTTP: the catalogue with stock figures and the low-stock list, reservation at
booking with the shortage in the answer, confirming it, issuing to a repair order and returning,
clear errors in both languages, and nothing of another site's."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from fuwu.scheduling.models import PartMovement, PartReservation, Stock
from fuwu.scheduling.tests.crew import seed_workshop
from fuwu.scheduling.tests.stores import repair_order, seed_store
from fuwu.sla.clocks import site_calendar

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")


def next_working_day(site, after: date) -> date:
    day = after + timedelta(days=1)
    while not site_calendar(site).is_working_day(day):
        day += timedelta(days=1)
    return day


def at(day: date, hh: int, mm: int = 0) -> str:
    return datetime.combine(day, time(hh, mm), SH).isoformat()


@pytest.fixture
def shop(world):
    workshop = seed_workshop(world)
    store = seed_store(world, workshop, filters="1", oil="10")
    day = next_working_day(workshop.site, datetime.now(SH).date())
    return workshop, store, day


def book(client, world, workshop, day, hh, **extra):
    return client.post(
        "/api/appointments",
        {
            "workshop": workshop.pk,
            "customer": world.customers["driver"].pk,
            "asset": world.assets["car"].pk,
            "starts_at": at(day, hh),
            "jobs": [{"operation": "M10"}],
            **extra,
        },
    )


def test_catalogue_figures_and_the_low_stock_list(api, shop):
    _workshop, store, _day = shop
    advisor = api("advisor")
    page = advisor.get("/api/parts").json()
    assert page["count"] == 3
    rows = {p["number"]: p for p in page["items"]}
    assert {k: rows["08880-83717"][k] for k in ("on_hand", "reserved", "available", "unit")} == {
        "on_hand": "10.00",
        "reserved": "0.00",
        "available": "10.00",
        "unit": "升",
    }
    assert rows["08880-83717"]["site"] == "dealer" and rows["08880-83717"]["low"] is False
    # Filters: 1 available, level 3; pads: never stocked; oil 10, level 8.
    low = advisor.get("/api/parts/low-stock").json()
    assert [p["number"] for p in low] == ["04465-02220", "90915-YZZD2"]
    assert [p["number"] for p in advisor.get("/api/parts", low="true").json()["items"]] == [
        "04465-02220",
        "90915-YZZD2",
    ]
    assert advisor.get("/api/parts", q="机油").json()["count"] == 2
    assert advisor.get("/api/parts", site="lanting").status_code == 400  # not the advisor's
    one = advisor.get(f"/api/parts/{store.oil.pk}").json()
    assert one["name_en"] == "Engine oil 0W-20"
    history = advisor.get(f"/api/parts/{store.oil.pk}/movements").json()
    assert [(m["kind"], m["quantity"], m["actor"]) for m in history["items"]] == [
        ("receipt", "10.00", "as_manager")
    ]


def test_booking_reserves_shows_the_shortage_and_it_is_confirmed(api, shop, world):
    workshop, store, day = shop
    advisor, en = api("advisor"), api("advisor", "en")
    first = book(advisor, world, workshop, day, 9)
    assert first.status_code == 201, first.json()
    assert {(p["number"], p["held"], p["short"]) for p in first.json()["parts"]} == {
        ("90915-YZZD2", "1.00", "0.00"),
        ("08880-83717", "4.00", "0.00"),
    }
    # The last filter is gone: the next booking goes through, short one filter, plus pads named.
    second = book(
        advisor, world, workshop, day, 10, parts=[{"number": "04465-02220", "quantity": "1"}]
    )
    assert second.status_code == 201, second.json()
    made = second.json()
    short = {p["number"]: p["short"] for p in made["parts"] if p["short"] != "0.00"}
    assert short == {"90915-YZZD2": "1.00", "04465-02220": "1.00"}
    listed = advisor.get(f"/api/workshops/{workshop.pk}/shortages", day=day.isoformat()).json()
    assert [(s["appointment"], len(s["parts"])) for s in listed] == [(made["id"], 2)]
    unknown = en.post(
        "/api/appointments",
        {
            "workshop": workshop.pk,
            "customer": world.customers["driver"].pk,
            "starts_at": at(day, 11),
            "jobs": [{"operation": "M10"}],
            "parts": [{"number": "NOPE", "quantity": "1"}],
        },
    )
    assert unknown.status_code == 422 and unknown.json()["code"] == "unknown_part"
    assert unknown.json()["message"] == "No part NOPE in the parts catalogue"
    # Confirming: not the technician's to do; the advisor records what was arranged.
    tech = api("workshop_tech").post(f"/api/appointments/{made['id']}/parts/confirm", {})
    assert tech.status_code == 403 and tech.json()["code"] == "may_not_handle_parts"
    done = advisor.post(
        f"/api/appointments/{made['id']}/parts/confirm", {"note": "已订货，明早 8 点到"}
    )
    assert done.status_code == 200
    assert {(p["confirmed_by"], p["confirm_note"]) for p in done.json()} == {
        ("advisor", "已订货，明早 8 点到")
    }
    assert advisor.get(f"/api/workshops/{workshop.pk}/shortages", day=day.isoformat()).json() == []
    again = en.post(f"/api/appointments/{made['id']}/parts/confirm", {})
    assert again.status_code == 409 and again.json()["code"] == "no_shortage"
    # Cancelling releases: the first booking's filter goes back to available.
    advisor.post(f"/api/appointments/{first.json()['id']}/status", {"status": "cancelled"})
    oil = advisor.get(f"/api/parts/{store.oil.pk}").json()
    assert (oil["reserved"], oil["available"]) == ("4.00", "6.00")
    parts = advisor.get(f"/api/appointments/{first.json()['id']}/parts").json()
    assert {p["status"] for p in parts} == {"released"}


def test_issue_return_and_the_errors(api, shop, world):
    workshop, store, day = shop
    advisor, tech, en = api("advisor"), api("workshop_tech"), api("workshop_tech", "en")
    made = book(advisor, world, workshop, day, 9).json()
    oil = next(p for p in made["parts"] if p["number"] == "08880-83717")
    case = repair_order(world)
    issued = tech.post(
        "/api/parts/issue",
        {"case": case.pk, "reservation": oil["id"], "quantity": "4.5", "line": "M10"},
    )
    assert issued.status_code == 201, issued.json()
    assert (issued.json()["status"], issued.json()["issued"], issued.json()["case"]) == (
        "issued",
        "4.50",
        case.pk,
    )
    figures = Stock.objects.get(part=store.oil)
    assert (figures.on_hand, figures.reserved, figures.issued) == (
        Decimal("5.5"),
        Decimal("0"),
        Decimal("4.5"),
    )
    too_many = en.post(f"/api/parts/reservations/{oil['id']}/return", {"quantity": "5"})
    assert too_many.status_code == 409 and too_many.json()["code"] == "return_too_many"
    assert (
        too_many.json()["message"]
        == (
            "At most 4.5 L of part 08880-83717 can be returned (issued and not yet returned), not 5 L"
        )
        or "At most 4.5 升" in too_many.json()["message"]
    )
    back = tech.post(f"/api/parts/reservations/{oil['id']}/return", {"quantity": "0.5"})
    assert back.status_code == 200 and back.json()["returned"] == "0.50"
    shelf = en.post(
        "/api/parts/issue", {"case": case.pk, "part": store.oil.pk, "quantity": "7", "line": "加注"}
    )
    assert shelf.status_code == 409 and shelf.json()["code"] == "insufficient_stock"
    assert "6 升 available, 7 升 needed" in shelf.json()["message"]
    ok = tech.post("/api/parts/issue", {"case": case.pk, "part": store.oil.pk, "quantity": "1"})
    assert ok.status_code == 201 and ok.json()["appointment"] is None
    # Bad input changes nothing.
    before = PartMovement.objects.count()
    for body in (
        {"case": case.pk},  # neither a reservation nor a part
        {"case": case.pk, "part": store.oil.pk},  # a part without quantity
        {"case": case.pk, "part": store.oil.pk, "quantity": "-1"},
        {"case": case.pk, "part": store.oil.pk, "quantity": "abc"},
    ):
        r = tech.post("/api/parts/issue", body)
        assert r.status_code in (400, 422), (body, r.json())
    unknown = tech.post("/api/parts/issue", {"case": case.pk, "part": 999999, "quantity": "1"})
    assert unknown.status_code == 422 and unknown.json()["code"] == "unknown_part"
    from fuwu.scheduling.models import Part

    other = Part.objects.create(site=world.sites["lanting"], number="L-1", name="灯泡")
    vp = api("vp").post("/api/parts/issue", {"case": case.pk, "part": other.pk, "quantity": "1"})
    assert vp.status_code == 422 and vp.json()["code"] == "other_site_part"
    assert vp.json()["message"] == "配件 L-1 属于其他项目，不能用于本项目"
    assert PartMovement.objects.count() == before
    # Reserve for the repair order: 5 left on the shelf, asked 6, short 1.
    reserved = tech.post(
        "/api/parts/reserve", {"part": store.oil.pk, "quantity": "6", "case": case.pk}
    )
    assert reserved.status_code == 201 and reserved.json()["short"] == "1.00"
    both = tech.post(
        "/api/parts/reserve",
        {"part": store.oil.pk, "quantity": "1", "case": case.pk, "appointment": made["id"]},
    )
    assert both.status_code == 400


def test_another_sites_staff_see_and_touch_nothing(api, shop, world):
    workshop, store, day = shop
    made = book(api("advisor"), world, workshop, day, 9).json()
    agent = api("agent")  # the property site's
    assert agent.get("/api/parts").json()["count"] == 0
    assert agent.get("/api/parts/low-stock").json() == []
    assert agent.get(f"/api/parts/{store.oil.pk}").status_code == 404
    assert agent.get(f"/api/parts/{store.oil.pk}/movements").status_code == 404
    assert agent.get(f"/api/appointments/{made['id']}/parts").status_code == 404
    assert agent.post(f"/api/appointments/{made['id']}/parts/confirm", {}).status_code == 404
    assert (
        agent.get(f"/api/workshops/{workshop.pk}/shortages", day=day.isoformat()).status_code == 404
    )
    reservation = PartReservation.objects.filter(appointment_id=made["id"]).first()
    assert reservation is not None
    r = agent.post(f"/api/parts/reservations/{reservation.pk}/return", {"quantity": "1"})
    assert r.status_code == 404
    r = agent.post(
        "/api/parts/reserve", {"part": store.oil.pk, "quantity": "1", "appointment": made["id"]}
    )
    assert r.status_code == 404
    assert api(None).get("/api/parts").status_code == 401


def test_the_parts_endpoints_are_in_the_openapi_document(api, world):
    doc = api("advisor").get("/api/openapi.json").json()
    for path in (
        "/api/parts",
        "/api/parts/low-stock",
        "/api/parts/{part_id}/movements",
        "/api/parts/reserve",
        "/api/parts/issue",
        "/api/parts/reservations/{reservation_id}/return",
        "/api/appointments/{appointment_id}/parts/confirm",
        "/api/workshops/{workshop_id}/shortages",
    ):
        assert path in doc["paths"], path
    schemas = doc["components"]["schemas"]
    assert {"available", "low", "reserved"} <= set(schemas["PartOut"]["properties"])
    assert "short" in schemas["PartReservationOut"]["properties"]
