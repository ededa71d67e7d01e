"""A browser journey per role (issue 12), each one person's day in real Chromium: part of it in
Chinese on a desktop, then the language switched with the menu's button (kept with the person's
account) and the rest in English, on a 390×844 phone where the role works on one.

- The service-centre manager (sc_manager) reads the service levels, quality with the monthly
  complaint trend, and workload of 兰亭苑, filters, drills from numbers and chart bars to the
  cases, subscribes to a weekly report and exports one to Excel.
- The finance clerk (finance, head of 兰亭苑's finance department, by her role alone: no
  manager's) reads the payment statistics by building, the arrears list, the daily and weekly
  fee reports and prints a payment notice (the PDF rendered to PNG beside the screenshots);
  the parking list is refused her, and a guard (security) prints it for the gates.
- The 4S service advisor (advisor) reads the workshop KPIs down to a no-show, has the customer
  sign the repair order on a phone and prints it (PNG), then reprints a copy in English.

Every figure asserted is worked out by hand in the data sets' docstrings:
`fuwu.reports.tests.dataset`, `fuwu.reports.lists.tests.dataset`,
`fuwu.scheduling.tests.kpi_day`."""

from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from fuwu.documents.models import Document, Signature
from fuwu.documents.tests.test_render import car_case
from fuwu.reports import fold
from fuwu.reports.lists.tests import dataset as lists
from fuwu.reports.models import Subscription
from fuwu.reports.tests import dataset as reports
from fuwu.scheduling.tests.kpi_day import monday
from fuwu.sla.clocks import forget_calendars
from fuwu.testing.factories import World, build_world
from fuwu.web.views import report_lists

pytestmark = pytest.mark.django_db(transaction=True)

WEEK = "?site=lanting&from=2026-11-24&to=2026-11-30"
# The service levels of the repairs alone (E, the complaint, has its own clocks).
REPAIRS = WEEK + "&procedure=property_repair"
DECEMBER = "site=lanting&from=2026-12-01&to=2026-12-04"


# -- helpers ---------------------------------------------------------------------------------


def _drawn(page: Any) -> None:
    page.wait_for_selector("[data-testid=report-chart][data-drawn=true] canvas")


def _drill_cases(page: Any) -> list[str]:
    rows = page.locator("[data-testid=drill-row]")
    return sorted(rows.nth(i).get_attribute("data-case") or "" for i in range(rows.count()))


def _list_cases(page: Any) -> set[str]:
    rows = page.locator("[data-testid=list-row]")
    return {rows.nth(i).get_attribute("data-case") or "" for i in range(rows.count())}


def _click_bar(page: Any, series: int, index: int) -> None:
    """Click the ECharts bar `index` of `series` where it is drawn on the canvas."""
    box = page.locator("[data-testid=report-chart] canvas").first.bounding_box()
    bar = page.evaluate(
        f"() => window.fuwuReportChart.getModel().getSeriesByIndex({series})"
        f".getData().getItemLayout({index})"
    )
    with page.expect_navigation():
        page.mouse.click(
            box["x"] + bar["x"] + bar["width"] / 2, box["y"] + bar["y"] + bar["height"] / 2
        )


def _narrow(page: Any, what: str) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"{what} scrolls sideways on a phone ({width}px)"


def _print(page: Any, selector: str) -> tuple[Any, bytes]:
    """Print with the button's own form: its fields (CSRF token included) posted with the
    page's session, and the PDF's response and bytes returned. The button opens the PDF in a
    new tab, where Chromium's viewer hides the bytes, so the form is sent from the test."""
    action, fields = page.locator(selector).evaluate(
        "b => [b.form.action, Object.fromEntries(new FormData(b.form))]"
    )
    response = page.context.request.post(action, form=fields)
    return response, response.body()


def _as_png(web: Any, pdf: bytes, what: str) -> Path:
    """The PDF's first page as a PNG among the test's numbered screenshots (poppler's
    pdftoppm, installed with the test packages), the PDF beside it."""
    assert pdf.startswith(b"%PDF-")
    web.shot.count += 1
    stem = web.shot.folder / f"{web.shot.count:02d}-{what}"
    stem.with_suffix(".pdf").write_bytes(pdf)
    if shutil.which("pdftoppm") is None:
        pytest.skip("poppler's pdftoppm renders the printed document (make test installs it)")
    subprocess.run(
        ["pdftoppm", "-png", "-r", "80", "-singlefile", str(stem.with_suffix(".pdf")), str(stem)],
        check=True,
    )
    png = stem.with_suffix(".png")
    assert png.read_bytes().startswith(b"\x89PNG") and png.stat().st_size > 5000
    return png


def _draw(page: Any) -> None:
    box = page.locator("[data-testid=sign-canvas]").bounding_box()
    x, y, w, h = box["x"], box["y"], box["width"], box["height"]
    page.mouse.move(x + w * 0.1, y + h * 0.7)
    page.mouse.down()
    for i in range(1, 13):
        page.mouse.move(x + w * (0.1 + i * 0.065), y + h * (0.7 - 0.4 * (i % 2)), steps=3)
    page.mouse.up()


# -- the manager -----------------------------------------------------------------------------


@pytest.fixture
def office(library: None) -> World:
    """兰亭苑 on its real working calendar (the service levels' clocks stop out of hours)."""
    forget_calendars()
    return build_world(always_open=False)


def test_manager_reads_the_reports_subscribes_and_exports(web: Any, office: World) -> None:
    world = office
    cases = reports.build(world)
    reports.complaint(world)
    fold.catch_up(now=reports.NOW)
    page = web.page()
    web.login(page, "sc_manager")

    # 中文, desktop. Service levels, from the menu.
    page.goto("/work/")
    page.click("[data-testid=reports-menu]")
    with page.expect_navigation():
        page.click("[data-testid=reports-link]")
    page.goto("/reports/service-levels/" + REPAIRS)
    _drawn(page)
    assert page.locator("[data-testid=tile-response]").inner_text() == "50.0%"
    steps = page.locator("[data-testid=report-row]")
    assert {steps.nth(i).get_attribute("data-step") for i in range(steps.count())} == {
        f"property_repair/{s}" for s in ("reception", "dispatch", "repair", "return_visit")
    }
    web.shot(page, "service-levels-zh")
    # The chart's last bar (Monday's resolutions on time) opens exactly the two it counted.
    _click_bar(page, 0, 6)
    assert "measure=resolved_on_time" in page.url and "day=2026-11-30" in page.url
    assert _drill_cases(page) == [str(cases.a.pk), str(cases.a.pk)]
    web.shot(page, "service-levels-drill-resolved-on-time-zh")

    # Quality: the first-time fix of A and B, E's complaint, the monthly trend; a person.
    page.click("[data-testid=reports-menu]")
    with page.expect_navigation():
        page.click("[data-testid=quality-link]")
    page.goto("/reports/quality/" + WEEK)
    _drawn(page)
    assert page.locator("[data-testid=tile-first-time]").inner_text() == "50.0%"
    assert page.locator("[data-testid=tile-complaints]").inner_text() == "1"
    trend = page.evaluate("() => JSON.parse(document.getElementById('quality-data').textContent)")
    assert len(trend["counts"]) == 12 and trend["counts"][-1] == 1 and sum(trend["counts"]) == 1
    assert trend["rising"] is False  # one month up is not yet a rising trend
    assert page.locator("[data-testid=complaints-rising]").count() == 0
    web.shot(page, "quality-zh")
    page.select_option("#f-person", str(world.users["technician"].pk))
    with page.expect_navigation():
        page.click("[data-testid=report-apply]")
    assert f"person={world.users['technician'].pk}" in page.url
    assert page.locator("[data-testid=tile-complaints]").inner_text() == "0"
    web.shot(page, "quality-technician-zh")
    with page.expect_navigation():
        page.click("[data-testid=quality-total] [data-measure=comeback_returned]")
    assert _drill_cases(page) == [str(cases.a.pk)]
    web.shot(page, "quality-drill-comeback-zh")

    # Workload: five waiting (A–D and E); the phone channel's bar at 09:00 is A and B.
    page.click("[data-testid=reports-menu]")
    with page.expect_navigation():
        page.click("[data-testid=workload-link]")
    page.goto("/reports/workload/" + WEEK)
    _drawn(page)
    assert page.locator("[data-testid=tile-backlog]").inner_text() == "5"
    web.shot(page, "workload-zh")
    series = page.evaluate(
        "() => JSON.parse(document.getElementById('workload-data').textContent)"
        ".series.map(s => s.key)"
    )
    _click_bar(page, series.index("phone"), 9)
    assert "channel=phone" in page.url and "hour=9" in page.url
    assert _drill_cases(page) == sorted([str(cases.a.pk), str(cases.b.pk)])
    web.shot(page, "workload-drill-hour-zh")

    # A weekly quality report by mail, with the page's filters; then the page to Excel.
    page.goto("/reports/quality/" + WEEK)
    page.select_option("#subscribe-frequency", "weekly")
    with page.expect_navigation():
        page.click("[data-testid=report-subscribe] button[type=submit]")
    sub = Subscription.objects.get(user=world.users["sc_manager"])
    assert (sub.report, sub.frequency) == ("quality", "weekly")
    assert sub.params.get("site") == "lanting"
    web.shot(page, "quality-subscribed-zh")
    with page.expect_download() as download:
        page.click("[data-testid=report-export-xlsx]")
    book = load_workbook(io.BytesIO(Path(download.value.path()).read_bytes()))
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    assert rows[0][0] == "服务程序" and "一次修复率" in rows[0]
    assert rows[-1][0] == "合计"
    page.goto("/reports/subscriptions/")
    assert "质量" in page.locator("[data-testid=subscriptions]").inner_text()
    web.shot(page, "subscriptions-zh")

    # English from here on: the escalation on the desktop, then the pages on a phone.
    web.to_english(page)
    assert "Weekly" in page.locator("[data-testid=subscriptions]").inner_text()
    page.goto("/reports/service-levels/" + REPAIRS)
    _drawn(page)
    assert "Service levels" in page.locator("h1").inner_text()
    assert "Property repair · Reception" in page.locator("[data-testid=report-table]").inner_text()
    web.shot(page, "service-levels-en")
    page.locator("[data-testid=rung-count]").first.click()
    page.wait_for_selector("[data-testid=drill-row]")
    assert _drill_cases(page) == [str(cases.b.pk)]
    web.shot(page, "service-levels-drill-escalation-en")

    phone = web.page(phone=True)
    web.login(phone, "sc_manager")
    phone.goto("/reports/service-levels/" + WEEK.replace("from=2026-11-24", "from=2026-12-24"))
    assert phone.locator("#f-from.is-invalid").count() == 1
    web.shot(phone, "service-levels-phone-bad-period-en")
    for name, title, query in (
        ("service-levels", "Service levels", REPAIRS),
        ("quality", "Quality", WEEK),
        ("workload", "Workload", WEEK),
    ):
        phone.goto(f"/reports/{name}/" + query)
        _drawn(phone)
        assert title in phone.locator("h1").inner_text()
        _narrow(phone, f"the {name} page")
        web.shot(phone, f"{name}-phone-en")
    # The biggest backlog first: C and D, waiting at reception.
    phone.locator("[data-testid=backlog-row] a").first.click()
    phone.wait_for_selector("[data-testid=drill-row]")
    assert _drill_cases(phone) == sorted([str(cases.c.pk), str(cases.d.pk)])
    assert "Workload" in phone.locator(".breadcrumb").inner_text()
    web.shot(phone, "workload-drill-backlog-phone-en")
    assert page.js_errors == [] and phone.js_errors == []


# -- the finance clerk -----------------------------------------------------------------------


def test_finance_clerk_reads_the_fee_lists_and_prints_a_payment_notice(
    web: Any, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = lists.build(world)
    # Her own role opens the fee lists (`fuwu.reports.lists.rights`): she heads 兰亭苑's finance
    # department, but holds no manager role, so nothing here is a manager's right.
    clerk = world.actor("finance")
    assert clerk.roles == {"finance"} and not clerk.is_manager
    page = web.page()
    web.login(page, "finance")

    # 中文, desktop: the index (her three lists only), then payment statistics by building.
    page.goto("/work/")
    page.click("[data-testid=reports-menu]")
    assert page.locator("[data-testid=quality-link]").count() == 0
    with page.expect_navigation():
        page.click("[data-testid=report-index-link]")
    page.wait_for_selector("[data-testid=report-index]")
    listed = page.locator("[data-testid=report-index] a")
    assert [listed.nth(i).get_attribute("data-testid") for i in range(listed.count())] == [
        "report-index-fees",
        "report-index-arrears",
        "report-index-fee-reports",
    ]
    web.shot(page, "index-zh")
    with page.expect_navigation():
        page.click("[data-testid=report-index-fees]")
    page.goto(f"/reports/lists/fees/?{DECEMBER}")
    _drawn(page)
    assert page.locator("[data-testid=tile-rate]").inner_text() == "41.6%"

    def figures(row: Any) -> dict[str, str]:
        keys = ("due", "received", "outstanding", "rate", "arrears", "arrears-amount")
        return {k: row.locator(f"[data-testid=n-{k}]").inner_text() for k in keys}

    assert figures(page.locator("[data-testid=fee-row][data-building='1']")) == {
        "due": "556.40",
        "received": "406.40",
        "outstanding": "150.00",
        "rate": "73.0%",
        "arrears": "1",
        "arrears-amount": "150.00",
    }
    assert figures(page.locator("[data-testid=fee-row][data-building='2']"))["rate"] == "0.0%"
    total = figures(page.locator("[data-testid=fee-total]"))
    assert (total["due"], total["received"], total["outstanding"]) == (
        "976.40",
        "406.40",
        "570.00",
    )
    assert (total["arrears"], total["arrears-amount"]) == ("2", "450.00")
    web.shot(page, "fees-zh")
    # Building 1's household in arrears, from its number; then the whole arrears list.
    with page.expect_navigation():
        page.locator("[data-testid=fee-row][data-building='1'] [data-testid=n-arrears]").click()
    assert _list_cases(page) == {str(data.fees["f2"].pk)}
    page.goto(f"/reports/lists/arrears/?{DECEMBER}")
    assert _list_cases(page) == {str(data.fees["f2"].pk), str(data.fees["f3"].pk)}
    assert page.locator("[data-testid=pager]").count() == 0  # one page
    web.shot(page, "arrears-zh")
    # A long list a page at a time (here one row a page): the next page, filters and totals kept.
    monkeypatch.setattr(report_lists, "PER_PAGE", 1)
    page.goto(f"/reports/lists/arrears/?{DECEMBER}")
    first = _list_cases(page)
    assert (
        len(first) == 1 and page.locator("[data-testid=sum-outstanding]").inner_text() == "450.00"
    )
    with page.expect_navigation():
        page.click("[data-testid=page-next]")
    assert "site=lanting" in page.url and "page=2" in page.url
    assert first | _list_cases(page) == {str(data.fees["f2"].pk), str(data.fees["f3"].pk)}
    assert page.locator("[data-testid=list-count]").inner_text() == "2"
    assert page.locator("[data-testid=page-number]").first.inner_text() == "第 2 / 2 页"
    web.shot(page, "arrears-page-2-zh")
    monkeypatch.setattr(report_lists, "PER_PAGE", 100)

    # The daily fee report: 12-02 two payments 406.40, 12-03 two payments 1500.00.
    page.goto(f"/reports/lists/fee-reports/?{DECEMBER}")
    _drawn(page)
    periods = page.locator("[data-testid=fee-period]")
    days = {
        periods.nth(i).get_attribute("data-start"): periods.nth(i)
        .locator("[data-testid=n-total]")
        .inner_text()
        for i in range(periods.count())
    }
    assert days.get("2026-12-02") == "406.40" and days.get("2026-12-03") == "1500.00"
    assert page.locator("[data-testid=n-grand-total]").inner_text() == "1906.40"
    web.shot(page, "fee-report-daily-zh")

    # The guards' parking list is theirs, not hers.
    assert page.goto("/reports/lists/parking/?site=lanting&month=2026-12").status == 403

    # English from here on.
    page.goto(f"/reports/lists/fee-reports/?{DECEMBER}&grain=week")
    web.to_english(page)
    _drawn(page)
    assert "Weekly fee report" in page.inner_text("h1")
    weeks = page.locator("[data-testid=fee-period]")
    assert weeks.count() == 1  # the week of 30 November: four payments
    assert weeks.first.locator("[data-testid=n-count]").inner_text() == "4"
    assert weeks.first.locator("[data-testid=n-total]").inner_text() == "1906.40"
    web.shot(page, "fee-report-weekly-en")
    page.goto(f"/reports/lists/fees/?{DECEMBER}")
    _drawn(page)
    web.shot(page, "fees-en")

    # The payment notice of 2栋1单元201 (300.00, in arrears), printed from its case.
    f3 = data.fees["f3"]
    page.goto(f"/cases/{f3.pk}/")
    page.locator("[data-testid=documents-button]").click()
    pdf, body = _print(page, "[data-testid=print-payment_notice]")
    assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf"
    _as_png(web, body, "payment-notice-en")
    printed = Document.objects.get(case=f3, kind="payment_notice")
    assert printed.prints == 1 and printed.number == "LANTING-JF-000001"
    assert page.js_errors == []

    # The arrears list on a phone, in English (the language kept with her account).
    phone = web.page(phone=True)
    web.login(phone, "finance")
    phone.goto(f"/reports/lists/arrears/?{DECEMBER}")
    assert phone.evaluate("document.documentElement.lang") == "en"
    assert _list_cases(phone) == {str(data.fees["f2"].pk), str(data.fees["f3"].pk)}
    _narrow(phone, "the arrears list")
    web.shot(phone, "arrears-phone-en")
    assert phone.js_errors == []

    # The guard (秩序维护员, no manager either) prints the month's parking list for the gates:
    # no menu, filters or buttons on paper.
    gate = web.page()
    web.login(gate, "security")
    gate.goto("/reports/lists/parking/?site=lanting&month=2026-12")
    assert _list_cases(gate) == {str(data.leases["december"].pk)}
    gate.emulate_media(media="print")
    assert not gate.locator("nav.navbar").is_visible()
    assert not gate.locator("[data-testid=report-filters]").is_visible()
    assert not gate.locator("[data-testid=print]").is_visible()
    assert gate.locator(".print-meta").is_visible()
    web.shot(gate, "parking-print-zh")
    assert gate.js_errors == []


# -- the service advisor ---------------------------------------------------------------------


def test_service_advisor_reads_the_kpis_and_prints_a_signed_repair_order(
    web: Any, world: World, tmp_path: Path, settings: Any
) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    scene = monday(world)
    car = car_case(world)
    driver = world.customers["driver"].name
    page = web.page()
    web.login(page, "advisor")

    # 中文, desktop: from the workshop's week to its KPIs (kpi_day's Monday, by hand).
    page.goto(f"/workshop/?workshop={scene.workshop.pk}&week=2025-03-03")
    with page.expect_navigation():
        page.click("[data-testid=kpis-link]")
    page.wait_for_selector("#kpi-chart[data-drawn=true]")
    assert page.input_value("#kpi-from") == "2025-03-03"
    rate = page.locator("[data-testid=summary-appointment-rate]")
    assert "60.0 %" in rate.inner_text()
    assert "kpi-bad" in (rate.get_attribute("class") or "")
    assert (
        "指导值：低于 5.0 %" in page.locator("[data-testid=summary-carry-over-rate]").inner_text()
    )
    row = page.locator("[data-testid=kpi-day-2025-03-03]")
    assert row.locator("[data-key=no_show_rate]").inner_text() == "25.0 %"
    web.shot(page, "kpis-zh")
    with page.expect_navigation():
        row.locator("[data-testid=drill-no_shows]").click()
    assert page.locator("[data-testid=item-count]").inner_text() == "1"
    assert page.locator(f"[data-testid=appointment-{scene.appointments['A4'].pk}]").count() == 1
    assert "失约" in page.locator("[data-testid=item-appointments]").inner_text()
    web.shot(page, "kpis-no-shows-zh")
    with page.expect_navigation():
        page.click("[data-testid=back]")
    with page.expect_navigation():
        page.locator("[data-testid=kpi-total] [data-testid=drill-customers]").click()
    assert page.locator("[data-testid=item-count]").inner_text() == "5"
    web.shot(page, "kpis-customers-zh")

    # 中文, on a phone: the advisor hands it to the customer on the signing page.
    phone = web.page(phone=True)
    web.login(phone, "advisor")
    phone.goto(f"/cases/{car.pk}/")
    phone.locator("[data-testid=documents-button]").click()
    phone.locator("[data-testid=sign-repair_order]").click()
    phone.wait_for_selector("[data-testid=sign-page]")
    assert phone.locator("[data-testid=signer]").input_value() == driver
    phone.locator("[data-testid=sign-submit]").click()  # nothing drawn: refused in the page
    assert phone.locator("[data-sign-feedback]").inner_text() == "请先在框内签名。"
    _draw(phone)
    web.shot(phone, "sign-repair-order-phone-zh")
    _narrow(phone, "the signing page")
    with phone.expect_navigation():
        phone.locator("[data-testid=sign-submit]").click()
    assert f"{driver} 已在任务委托书（维修单） DEALER-WT-000001 上签名。" in phone.content()
    assert phone.locator("[data-testid=signed]").is_visible()
    web.shot(phone, "signed-phone-zh")
    pdf, body = _print(phone, "[data-testid=sign-print] button")
    assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf"
    _as_png(web, body, "repair-order-signed-zh")
    signature = Signature.objects.get()
    assert signature.signer_name == driver and signature.document.prints == 1
    assert signature.attachment.content_type == "image/png"

    # English from here on: the KPIs again, the print menu, and a reprint that is a copy.
    page.goto(f"/cases/{car.pk}/")
    web.to_english(page)
    page.locator("[data-testid=documents-button]").click()
    item = page.locator("[data-testid=document-repair_order]")
    assert "DEALER-WT-000001" in item.inner_text() and f"signed by {driver}" in item.inner_text()
    assert "printed once" in item.inner_text()
    web.shot(page, "print-menu-en", full_page=False)
    again, body = _print(page, "[data-testid=print-repair_order]")
    assert again.headers["content-disposition"] == 'inline; filename="DEALER-WT-000001-copy.pdf"'
    _as_png(web, body, "repair-order-copy-en")
    assert Document.objects.get().prints == 2
    page.goto(f"/cases/{car.pk}/")
    assert "printed a copy of the Repair order DEALER-WT-000001 (print 2)" in page.content()
    web.shot(page, "timeline-en")
    page.goto(f"/workshop/{scene.workshop.pk}/kpis/?from=2025-03-03&to=2025-03-09")
    page.wait_for_selector("#kpi-chart[data-drawn=true]")
    assert (
        "Guide: below 5.0 %" in page.locator("[data-testid=summary-carry-over-rate]").inner_text()
    )
    web.shot(page, "kpis-en")
    assert page.js_errors == [] and phone.js_errors == []
