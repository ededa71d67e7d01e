"""Issue 11's whole workshop journey in a real browser, as the people who do it: the advisor books
the customer's car for the next working day on the Toyota case (a catalogue operation: its
hours, and its part reserved at booking) and sees the workshop's hours left fall; the reminder
goes out the day before; the car arrives; reception writes the repair order (its job from the
booked line, its lines typed in the estimate); the production board shows the job, outlined
amber while it can still start in time but will not; the controller dispatches it; the
technician clocks on and off from a phone and writes up the work; QC passes it; it is
delivered, paid and handed over; another customer does not come, is a no-show by the sweep and
is rebooked. The advisor and the workshop's controller work in Chinese on a desktop, the
technician in English on a 390×844 phone, the cashier in English on a desktop (one run, each
language and size on the pages its people use them on).

The live server runs in the test's process, so `time_machine` moves both clocks to 09:30 on the
next working day and lets them run on: the journey no longer depends on the hour it runs at
(it failed late in the afternoon, at night and at weekends). The sweeps (the case's reminder
timer, the no-show) are called with `now=`, and the repair order is promised a little after
now so its job is at risk today. Every step is taken on the pages, as its people do (the advisor, the workshop's
controller, the technician on a phone, the cashier); the API only opens the two cases.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.utils import timezone

from fuwu.cases.models import Case
from fuwu.cases.tests.library.test_toyota_seven_step import QC_OK, RECEIVED
from fuwu.core.models import Staff
from fuwu.customers.models import Customer
from fuwu.notifications.models import Notification
from fuwu.scheduling import job_time
from fuwu.scheduling.capacity import shift_periods
from fuwu.scheduling.models import (
    Appointment,
    JobClock,
    LabourOperation,
    OperationPart,
    Part,
    PartReservation,
    RepairJob,
    Stock,
)
from fuwu.scheduling.tests.crew import seed_workshop
from fuwu.scheduling.tests.shop import crew
from fuwu.sla.clocks import site_calendar
from fuwu.sla.escalation import sweep
from fuwu.testing.factories import World

pytestmark = pytest.mark.django_db(transaction=True)
SH = ZoneInfo("Asia/Shanghai")


def next_working_day(world: World, after: date) -> date:
    calendar = site_calendar(world.sites["dealer"])
    day = after + timedelta(days=1)
    while not calendar.is_working_day(day):
        day += timedelta(days=1)
    return day


def planned_after(site: Any, latest: datetime) -> datetime:
    """Half an hour after the latest start, or just before the working period it falls in ends
    (lunch, the evening) when that comes first: planned today, after its latest start."""
    start = latest.astimezone(SH) + timedelta(minutes=30)
    for begin, end in shift_periods(site, None, latest.astimezone(SH).date()):
        if begin <= latest < end:
            start = min(start, end - timedelta(minutes=5))
    # On the board's five-minute grid (where a dragged job lands).
    return start.replace(minute=start.minute - start.minute % 5, second=0, microsecond=0)


def drag_to_timeline(page: Any, job: RepairJob, tech: Any, start: datetime) -> None:
    """Drag a waiting job onto the technician's timeline where `start` is drawn."""
    grid = page.locator("[data-drag-minutes]")
    hour, minute = (int(x) for x in (grid.get_attribute("data-drag-from") or "").split(":"))
    total = int(grid.get_attribute("data-drag-minutes") or 0)
    track = page.locator(f"[data-drop-tech='{tech.pk}']")
    box = track.bounding_box()
    assert box is not None and total
    share = ((start.hour - hour) * 60 + start.minute - minute) / total
    # The card and the timeline on one screen: a drag cannot scroll the page.
    size = page.viewport_size
    tall = page.evaluate("() => document.documentElement.scrollHeight")
    page.set_viewport_size({"width": size["width"], "height": max(size["height"], tall)})
    with page.expect_navigation():
        page.locator(f"[data-testid=waiting-{job.pk}]").drag_to(
            track,
            source_position={"x": 8, "y": 8},  # the card's corner, off its buttons
            target_position={"x": share * box["width"] + 0.5, "y": box["height"] / 2},
        )
    page.set_viewport_size(size)


def local(moment: datetime) -> str:
    """A datetime-local input's value in the site's time."""
    return f"{moment.astimezone(SH):%Y-%m-%dT%H:%M}"


def choose(page: Any, key: str, value: str) -> None:
    """A case form's choice: its button when drawn as buttons, else its drop-down."""
    button = page.locator(f"[data-testid={key}-{value}]")
    if button.count():
        page.click(f"label[for={button.get_attribute('id')}]")
    else:
        page.select_option(f"#id_{key}", value)


def open_page(web: Any, *, phone: bool, en: bool) -> Any:
    """A person's browser. The case page's flowchart (Mermaid, 3 MB of script parsed on every
    case page and drawn again after every move) is not what this journey is about, and other
    tests draw it: it is left unloaded here (diagram.js then draws nothing, the card shows the
    chart's text), a fifth of the journey's time."""
    page = web.page(phone=phone, language="en-GB" if en else "zh-CN")
    page.route("**/vendor/mermaid/**", lambda route: route.abort())
    return page


def settle(page: Any) -> None:
    """Wait until the page's own requests are answered (the case page's history panel loads by
    htmx after the page or after a swap) before the test reads or writes the database itself.
    On SQLite the live server and the test share one in-memory connection: a test query that
    runs while the server answers one of these requests fails ("table is locked") or reads
    nothing (the advisor's "not found" after QC, once). A load state cannot say so: after an
    htmx swap `networkidle` was reached long ago and returns at once."""
    page.locator("[data-testid=case-history] .spinner-border").wait_for(state="detached")
    page.locator(".htmx-request").first.wait_for(state="detached")


def visit(page: Any, url: str) -> None:
    page.goto(url)
    settle(page)


def take_on_page(page: Any, key: str) -> None:
    with page.expect_response(lambda r: f"/take/{key}/" in r.url):
        page.click(f"[data-testid=take-{key}]")
    page.locator("[data-testid=notice-success]").wait_for()
    settle(page)


def line(page: Any, row: int, **cells: str) -> None:
    """One row of the estimate's line editor."""
    found = page.locator(f"[data-testid=lines-estimate_lines] tbody tr.lines-row >> nth={row}")
    for column, value in cells.items():
        cell = found.locator(f"[data-testid=cell-{column}]")
        if column == "kind":
            cell.select_option(value)
        else:
            cell.fill(value)


def tick(page: Any, *keys: str) -> None:
    """Checklist items done."""
    for key in keys:
        page.click(f"label[for=id_checklist\\.{key}_1]")


def open_case(api: Any, world: World, customer: Customer, title: str) -> dict[str, Any]:
    r = api.post(
        "/api/cases",
        {
            "procedure": "toyota_seven_step",
            "site": "dealer",
            "channel": "phone",
            "title": title,
            "customer_id": customer.pk,
            "asset_id": world.assets["car"].pk if customer == world.customers["driver"] else None,
            "data": {"plate_no": "粤B·3K5X8", "customer_request": title},
        },
    )
    assert r.status_code == 201, r.json()
    return r.json()


def test_the_workshop_journey_from_booking_to_delivery_and_a_rebooked_no_show(
    web: Any, world: World, api: Any
) -> None:
    workshop = seed_workshop(world)
    # The live server runs in this process: its clock and the test's travel together to 09:30 on
    # the next working day, and run on from there, so the journey reads the same at any hour.
    morning = datetime.combine(next_working_day(world, date.today()), time(9, 30), SH)
    with time_machine.travel(morning, tick=True):
        tech = crew(workshop)[0]
        site = world.sites["dealer"]
        filter_part = Part.objects.create(
            site=site, number="90915-YZZD4", name="机油滤清器", name_en="Oil filter", unit="个"
        )
        Stock.objects.create(part=filter_part, on_hand=Decimal("5"))
        service = LabourOperation.objects.create(
            site=site,
            code="MNT-40K",
            name="4万公里保养",
            name_en="40,000 km service",
            standard_hours=Decimal("1.5"),
            work_type="maintenance",
        )
        OperationPart.objects.create(operation=service, part=filter_part, quantity=Decimal("1"))
        driver = world.customers["driver"]
        driver.user = get_user_model().objects.create(username="li_qiang")  # a portal account
        driver.save(update_fields=["user"])
        today = timezone.now().astimezone(SH).date()
        day = next_working_day(world, today)
        Staff.objects.update(language="zh-hans")
        advisor_api = api("advisor", "zh-hans")
        case = open_case(advisor_api, world, driver, "粤B·3K5X8 4万公里保养")

        # 1 The advisor books the car for the next working day on the case: 64 h bookable, 62.5 left.
        page = open_page(web, phone=False, en=False)
        web.login(page, "advisor")
        page.goto(f"/workshop/?day={day}")
        summary = page.locator("[data-testid=day-summary]")
        assert summary.locator("[data-testid=left]").inner_text().strip() == "64"
        visit(page, f"/cases/{case['id']}/")
        choose(page, "job_type", "maintenance")
        page.fill("#id_appointment_at", f"{day}T10:30")
        page.fill("#id_booked_operations", "MNT-40K")  # the catalogue's 1.5 h and its oil filter
        web.shot(page, "book-on-the-case")
        take_on_page(page, "book")
        appointment = Appointment.objects.get(case_id=case["id"])
        assert appointment.starts_at == datetime.combine(day, time(10, 30), SH)
        page.goto(f"/workshop/?day={day}")
        summary.locator("[data-testid=left]").filter(has_text="62.5").wait_for()
        row = page.locator(f"#appointment-{appointment.pk}")
        assert "10:30" in row.inner_text() and "粤B·3K5X8" in row.inner_text()
        assert "已预约" in row.locator("[data-testid=appointment-status]").inner_text()
        # The operation's part (the oil filter) was held for it at booking.
        assert row.locator("[data-testid=parts-ready]").is_visible()
        held = PartReservation.objects.get(appointment=appointment)
        assert (held.part, held.held) == (filter_part, Decimal("1"))
        web.shot(page, "capacity-fell")

        # 2 The reminder goes out the day before (the case's own timer, by the sweep).
        told = Notification.objects.filter(recipient=driver.user, case_id=case["id"])
        assert [n.data["message_zh"] for n in told] == ["您的维修保养预约已登记"]
        sweep(
            now=max(timezone.now(), appointment.starts_at - timedelta(days=1))
            + timedelta(minutes=1)
        )
        assert [n.data["message_zh"] for n in told.order_by("pk")] == [
            "您的维修保养预约已登记",
            "提醒：您明天有维修保养预约",
        ]

        # 3 The car arrives: the advisor says so on the case, parts confirmed, customer reminded.
        visit(page, f"/cases/{case['id']}/")
        choose(page, "parts_confirmed", "yes")
        choose(page, "reminded", "yes")
        take_on_page(page, "arrived")
        appointment.refresh_from_db()
        assert appointment.status == "arrived"

        # 4 Reception on the case page: mileage, key tag, the checklist done in front of the customer.
        now = timezone.now()
        # Promised 2.2 working hours from now: the job (1.5 h, settlement 0.2 h) must start within
        # about half an hour, so planning it later the same afternoon is a risk, not yet a delay.
        promised = job_time.finish_of(workshop, now, Decimal("2.2")).replace(
            second=0, microsecond=0
        )
        page.fill("#id_odometer", "40120")
        page.fill("#id_key_tag", "K-17")
        for key, value in RECEIVED.items():
            if value is True:
                page.click(f"label[for=id_checklist\\.{key}_1]")
        take_on_page(page, "received")
        assert Case.objects.get(pk=case["id"]).step == "repair_order"
        # The repair order on the case page: the vehicle, the estimate's lines (labour and the
        # booked part), promised a little after now.
        page.fill("#id_order_no", "RO-000318")
        page.fill("#id_vin", "LVGBE40K28G123456")
        page.fill("#id_vehicle_model", "卡罗拉 1.8L CVT")
        choose(page, "payment_method", "card")
        choose(page, "work_type", "maintenance")
        line(page, 0, kind="labour", item="4万公里保养", quantity="1.5", unit_price="300")
        page.click("[data-testid=add-row-estimate_lines]")
        line(page, 1, kind="parts", item="90915-YZZD4 机油滤清器", quantity="1", unit_price="80")
        assert (
            page.locator("[data-testid=total-estimate_lines-amount]")
            .inner_text()
            .endswith("530.00")
        )
        page.fill("#id_estimate", "530")
        page.fill("#id_promised_at", local(promised))
        choose(page, "follow_up_method", "phone")
        choose(page, "keep_old_parts", "no")
        web.shot(page, "repair-order-form")
        take_on_page(page, "release")
        job = RepairJob.objects.get(case_id=case["id"])
        assert job.standard_hours == Decimal("1.50") and job.promised_at == promised
        lines = Case.objects.get(pk=case["id"]).data["estimate_lines"]
        assert [(x["kind"], x["item"]) for x in lines] == [
            ("labour", "4万公里保养"),
            ("parts", "90915-YZZD4 机油滤清器"),
        ]
        body = page.locator("main").inner_text()
        assert "RO-000318" in body and "90915-YZZD4" in body
        web.shot(page, "repair-order")
        # The held oil filter is issued to the repair order from the workshop's day page.
        page.goto(f"/workshop/?day={day}")
        form = page.locator(f"[data-testid=issue-{held.pk}]")
        assert "90915-YZZD4" in form.inner_text() and "机油滤清器" in form.inner_text()
        with page.expect_navigation():
            form.locator("[data-testid=issue-button]").click()
        number = Case.objects.get(pk=case["id"]).number
        assert number in page.locator(".alert-success").inner_text()
        assert page.locator(f"[data-testid=issued-{held.pk}]").is_visible()
        held.refresh_from_db()
        assert (held.status, held.issued, held.case_id) == ("issued", Decimal("1"), case["id"])
        stock = Stock.objects.get(part=filter_part)
        assert (stock.on_hand, stock.reserved, stock.issued) == (4, 0, 1)
        web.shot(page, "part-issued")

        # 5 The board shows the job waiting; the dispatcher plans it on 技师00 half an hour after its
        # latest start (dragged onto his timeline, or with the form): it turns amber before it is late.
        qc_page = open_page(web, phone=False, en=False)
        web.login(qc_page, "workshop_qc")
        latest = job_time.risk(job, timezone.now()).latest
        assert latest is not None
        start = planned_after(site, latest)
        qc_page.goto(f"/workshop/{workshop.pk}/board/?date={start.date()}")
        qc_page.locator(f"[data-testid=waiting-{job.pk}]").wait_for()
        web.shot(qc_page, "board-waiting")
        # Dragged onto 技师00's timeline with the mouse (the form, the keyboard's and the
        # phone's way, is test_browser_board's).
        drag_to_timeline(qc_page, job, tech, start)
        assert qc_page.locator(".alert-success").count() == 1  # the message once, not twice
        job.refresh_from_db()
        assert job.technician == tech and job.planned_start == start.replace(
            second=0, microsecond=0
        )
        bar = qc_page.locator(f"[data-testid=job-{job.pk}]")
        bar.wait_for()
        assert bar.get_attribute("data-risk") == "amber"
        assert "255, 193, 7" in bar.evaluate("e => getComputedStyle(e).boxShadow")
        assert "最晚" in qc_page.locator(f"[data-testid=risk-{job.pk}]").inner_text()
        web.shot(qc_page, "board-amber")
        # The case's dispatch step on its page (off the polling board): 技师00, the hours, the
        # latest start; the case goes to him.
        visit(qc_page, f"/cases/{case['id']}/")
        qc_page.fill("#id_planned_hours", "1.5")
        qc_page.fill("#id_latest_start", local(latest))
        qc_page.click(
            f"[data-testid=picker-technician] [data-testid=person-{tech.staff.user.username}]"
        )
        web.shot(qc_page, "dispatch")
        take_on_page(qc_page, "start")
        dispatched = Case.objects.get(pk=case["id"])
        assert (dispatched.step, dispatched.assignee_id) == ("production", tech.staff.user_id)

        # 6 The technician clocks on and off from the phone, then writes up the work on the case.
        user = tech.staff.user
        Staff.objects.filter(user=user).update(language="en")
        tech_page = open_page(web, phone=True, en=True)
        web.login(tech_page, user.username, "pw")
        tech_page.goto("/workshop/my-jobs/")
        card = tech_page.locator(f"[data-testid=my-job-{job.pk}]")
        with tech_page.expect_navigation():
            card.locator("[data-testid=clock-on]").click()
        assert card.locator("[data-testid=status]").inner_text().strip() == "In progress"
        web.shot(tech_page, "clocked-on")
        with tech_page.expect_navigation():
            card.locator("[data-testid=done]").click()
        assert card.locator("[data-testid=status]").inner_text().strip() == "Done"
        web.shot(tech_page, "clocked-off")
        assert JobClock.objects.filter(job=job, done=True).count() == 1
        visit(tech_page, f"/cases/{case['id']}/")
        tech_page.fill("#id_work_performed", "更换机油机滤")
        tech_page.fill("#id_cause", "4万公里定期保养")
        tech_page.fill("#id_labour_hours", "1.4")
        web.shot(tech_page, "production-done")
        take_on_page(tech_page, "done")
        assert Case.objects.get(pk=case["id"]).step == "qc"

        # 7 QC on the case page: the checklist, passed.
        visit(qc_page, f"/cases/{case['id']}/")
        choose(qc_page, "qc_priority", "major_service")
        for key, value in QC_OK.items():
            if value is True:
                qc_page.click(f"label[for=id_checklist\\.{key}_1]")
        web.shot(qc_page, "qc")
        take_on_page(qc_page, "pass")
        assert Case.objects.get(pk=case["id"]).step == "delivery_prep"

        # 8 Delivery on the case page (the advisor, then the cashier): handed over, to follow up.
        visit(page, f"/cases/{case['id']}/")
        page.fill("#id_actual_amount", "530")
        tick(page, "qc_confirmed", "request_met")
        take_on_page(page, "call_customer")
        choose(page, "follow_up_method", "phone")
        page.fill("#id_next_service", "5000公里后保养")
        tick(page, "greeted_warmly", "parts_shown", "work_charges_explained")
        take_on_page(page, "to_cashier")
        Staff.objects.filter(user__username="dealer_finance").update(language="en")
        cashier = open_page(web, phone=False, en=True)
        web.login(cashier, "dealer_finance")
        visit(cashier, f"/cases/{case['id']}/")
        cashier.fill("#id_amount_paid", "530")
        cashier.fill("#id_receipt_no", "FP-1")
        web.shot(cashier, "payment")
        take_on_page(cashier, "paid")
        visit(page, f"/cases/{case['id']}/")
        tick(page, "car_handed_over", "covers_removed", "thanked")
        take_on_page(page, "handed_over")
        web.shot(page, "delivered")
        assert Case.objects.get(pk=case["id"]).step == "follow_up"

        # 9 Another customer does not come: a no-show by the sweep, rebooked on the case page.
        other = Customer.objects.create(site=site, name="王芳", phone="13800001111")
        missed = open_case(advisor_api, world, other, "换轮胎")
        visit(page, f"/cases/{missed['id']}/")
        choose(page, "job_type", "repair")
        page.fill("#id_appointment_at", f"{day}T14:00")
        page.fill("#id_booked_hours", "1")
        take_on_page(page, "book")
        sweep(now=datetime.combine(day, time(14, 31), SH))
        gone = Appointment.objects.get(case_id=missed["id"])
        assert gone.status == "no_show"
        assert Case.objects.get(pk=missed["id"]).step == "no_show_follow_up"
        again_day = next_working_day(world, day)
        page.goto(f"/cases/{missed['id']}/")
        page.fill("#id_no_show_note", "已电话联系，改约下一个工作日")
        page.click("[data-testid=move-rebook] summary")
        page.fill("#id_appointment_at", f"{again_day}T09:00")
        take_on_page(page, "rebook")
        again = Appointment.objects.get(case_id=missed["id"], status="booked")
        assert again.starts_at == datetime.combine(again_day, time(9, 0), SH)
        page.goto(f"/workshop/?day={again_day}")
        row = page.locator(f"#appointment-{again.pk}")
        assert "09:00" in row.inner_text() and "王芳" in row.inner_text()
        web.shot(page, "rebooked")
        assert not page.js_errors and not qc_page.js_errors and not tech_page.js_errors
