"""Scheduled reports: periods on the subscriber's local calendar, one mail per period with the
report as PDF and xlsx (the figures of the fixed data set), retries after a mail error, rights
read at sending time, and the API and staff page that take the orders."""

from __future__ import annotations

import io
import subprocess
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from django.core import mail
from openpyxl import load_workbook

from fuwu.procedures.engine.errors import EngineError
from fuwu.reports import fold
from fuwu.reports import subscriptions as subs
from fuwu.reports.models import Subscription
from fuwu.reports.tests.dataset import NOW, SHANGHAI, build

WEDNESDAY = datetime(2026, 11, 25, 15, 0, tzinfo=SHANGHAI)  # the week before the data set's


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=SHANGHAI)


@pytest.mark.parametrize(
    ("frequency", "day", "period"),
    [
        ("daily", date(2026, 11, 30), (date(2026, 11, 30), date(2026, 11, 30))),
        ("weekly", date(2026, 12, 3), (date(2026, 11, 30), date(2026, 12, 6))),  # Mon–Sun
        ("weekly", date(2026, 11, 30), (date(2026, 11, 30), date(2026, 12, 6))),
        ("monthly", date(2026, 12, 31), (date(2026, 12, 1), date(2026, 12, 31))),
        ("monthly", date(2028, 2, 10), (date(2028, 2, 1), date(2028, 2, 29))),  # leap year
    ],
)
def test_periods(frequency, day, period):
    assert subs.period_of(frequency, day) == period


@pytest.fixture
def vp(world):
    user = world.users["vp"]
    user.email = "vp@example.com"
    user.save(update_fields=["email"])
    return user


def test_a_weekly_report_goes_out_once_the_monday_after_its_week(world, vp, settings):
    cases = build(world)  # Monday 30 November 2026, 兰亭苑
    fold.catch_up(now=NOW)
    # Ordered on the Wednesday before: its first period is that running week (23–29 Nov),
    # then the data set's week, 30 Nov – 6 Dec.
    with time_machine.travel(WEDNESDAY, tick=False):
        sub = subs.subscribe(vp, "service_levels", "weekly", {"site": "lanting", "junk": "x"})
    assert sub.params == {"site": "lanting"}
    assert subs.next_period(sub) == (date(2026, 11, 23), date(2026, 11, 29))
    # Due the Monday after, from 07:00 local time (23:00 UTC on Sunday), not before.
    assert subs.send_due(now=at(date(2026, 11, 30), 6, 59)) == 0
    assert subs.send_due(now=at(date(2026, 11, 30), 7, 0)) == 1
    assert subs.send_due(now=at(date(2026, 11, 30), 7, 1)) == 0  # once
    assert subs.send_due(now=at(date(2026, 12, 7), 6, 0)) == 0
    assert subs.send_due(now=at(date(2026, 12, 7), 8, 0)) == 1
    assert len(mail.outbox) == 2
    message = mail.outbox[1]
    assert message.to == ["vp@example.com"]
    assert message.subject == "服务时效报表（2026-11-30 – 2026-12-06）"
    assert "site=lanting&from=2026-11-30&to=2026-12-06" in message.body
    (pdf_name, pdf, pdf_type), (xlsx_name, xlsx, xlsx_type) = message.attachments
    assert xlsx_type.endswith("spreadsheetml.sheet")
    assert pdf_name == "service_levels-2026-11-30-2026-12-06.pdf" and pdf_type == "application/pdf"
    assert pdf.startswith(b"%PDF")
    assert xlsx_name.endswith(".xlsx")
    sheet = load_workbook(io.BytesIO(xlsx)).active
    assert sheet.title == "服务时效报表 2026-11-30 – 2026-12-06"[:31]
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    heads = rows[0]
    assert heads[0] == "服务程序 · 步骤"
    total = dict(zip(heads, rows[-1], strict=True))
    # The data set's Monday (dataset.py): 4 taken in, A on time and B late in responding (50 %),
    # A resolved on time twice (100 %), reopened once, one comeback, one escalation; C and D
    # are late now (the figures are read as the mail is made, on 7 December: all open is late).
    assert total["服务程序 · 步骤"] == "合计"
    assert (total["受理"], total["按时响应"], total["超时响应"], total["按时解决"]) == (4, 1, 1, 2)
    assert (total["重新处理"], total["返修"], total["升级"]) == (1, 1, 1)
    assert (total["按时响应率"], total["按时解决率"]) == (50.0, 100.0)
    rate = heads.index("按时响应率") + 1
    assert sheet.cell(row=len(rows), column=rate).number_format == '0.0"%"'
    assert cases.a.pk  # the data set's cases exist
    sub.refresh_from_db()
    assert sub.sent_through == date(2026, 12, 6) and sub.last_error == ""
    assert subs.next_period(sub) == (date(2026, 12, 7), date(2026, 12, 13))


def test_the_pdf_holds_the_reports_text(world, vp):
    build(world)
    fold.catch_up(now=NOW)
    with time_machine.travel(at(date(2026, 11, 30), 8), tick=False):
        sub = subs.subscribe(vp, "service_levels", "daily", {"site": "lanting"})
    assert subs.send_due(now=at(date(2026, 12, 1), 7, 30)) == 1
    pdf = mail.outbox[0].attachments[0][1]
    text = subprocess.run(
        ["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True
    ).stdout.decode()
    assert "2026-11-30" in text and "合计" in text and "服务时效报表" in text
    # For a person to look at: the first page as a picture.
    shots = Path("test-artifacts") / "report_subscription"
    shots.mkdir(parents=True, exist_ok=True)
    (shots / "service-levels.pdf").write_bytes(pdf)
    subprocess.run(
        [
            "pdftoppm",
            "-png",
            "-r",
            "60",
            "-singlefile",
            str(shots / "service-levels.pdf"),
            str(shots / "service-levels"),
        ],
        check=True,
    )
    assert sub.pk


def test_a_mail_error_gives_the_period_back_and_a_stopped_worker_catches_up(world, vp, monkeypatch):
    with time_machine.travel(at(date(2026, 11, 30), 8), tick=False):
        sub = subs.subscribe(vp, "service_levels", "daily", {})
    calls = []

    def fail(self, fail_silently=False):
        calls.append(self.subject)
        raise OSError("connection refused")

    monkeypatch.setattr("django.core.mail.EmailMessage.send", fail)
    assert subs.send_due(now=at(date(2026, 12, 1), 8)) == 0
    sub.refresh_from_db()
    assert sub.sent_through == date(2026, 11, 29) and "connection refused" in sub.last_error
    monkeypatch.undo()
    # The worker comes back on 4 December: 30 Nov, 1, 2 and 3 Dec go out, one a sweep, in order.
    later = at(date(2026, 12, 4), 9)
    assert [subs.send_due(now=later) for _ in range(5)] == [1, 1, 1, 1, 0]
    assert [m.subject[-11:-1] for m in mail.outbox] == [
        "2026-11-30",
        "2026-12-01",
        "2026-12-02",
        "2026-12-03",
    ]
    sub.refresh_from_db()
    assert sub.last_error == "" and sub.last_sent_at == later


def test_rights_are_read_when_sending(world, vp):
    with time_machine.travel(at(date(2026, 11, 30), 8), tick=False):
        sub = subs.subscribe(vp, "service_levels", "daily", {"site": "lanting"})
    staff = vp.staff
    staff.sites.remove(world.sites["lanting"])
    from django.core.cache import cache

    cache.clear()  # the actor cache
    assert subs.send_due(now=at(date(2026, 12, 1), 8)) == 0
    assert mail.outbox == []
    sub.refresh_from_db()
    # Passed over, with the reason for the subscriptions page; the next day is tried afresh.
    assert sub.sent_through == date(2026, 11, 30)
    assert "兰亭" in sub.last_error or "lanting" in sub.last_error


def test_bad_orders_write_nothing(world, vp, api):
    with pytest.raises(EngineError) as e:
        subs.subscribe(vp, "nonsense", "hourly", {})
    assert e.value.code == "invalid_subscription"
    assert set(e.value.fields) == {"report", "frequency"}
    with pytest.raises(EngineError) as e:
        subs.subscribe(vp, "service_levels", "daily", {"site": "nowhere"})
    assert "site" in e.value.fields
    subs.subscribe(vp, "service_levels", "daily", {"site": "lanting"})
    with pytest.raises(EngineError) as e:
        subs.subscribe(vp, "service_levels", "daily", {"site": "lanting"})
    assert e.value.code == "subscription_exists"
    assert Subscription.objects.count() == 1
    # Through the API, in the caller's language; an agent may not subscribe at all.
    r = api("vp", language="en").post(
        "/api/reports/subscriptions", {"report": "service_levels", "frequency": "hourly"}
    )
    assert r.status_code == 422
    assert r.json()["details"]["fields"]["frequency"] == (
        "The frequency must be daily, weekly or monthly"
    )
    r = api("agent").post(
        "/api/reports/subscriptions", {"report": "service_levels", "frequency": "daily"}
    )
    assert r.status_code == 403
    assert Subscription.objects.count() == 1


def test_the_api(world, vp, api):
    client = api("vp")
    with time_machine.travel(at(date(2026, 12, 2), 10), tick=False):
        r = client.post(
            "/api/reports/subscriptions",
            {"report": "service_levels", "frequency": "monthly", "params": {"site": "lanting"}},
        )
        assert r.status_code == 201, r.content
        body = r.json()
        assert body["next_period_from"] == "2026-12-01" and body["next_period_to"] == "2026-12-31"
        assert [s["id"] for s in client.get("/api/reports/subscriptions").json()] == [body["id"]]
        # Another manager neither sees nor cancels it.
        other = api("as_manager")
        assert other.get("/api/reports/subscriptions").json() == []
        assert other.delete(f"/api/reports/subscriptions/{body['id']}").status_code == 404
        assert client.delete(f"/api/reports/subscriptions/{body['id']}").status_code == 204
    assert Subscription.objects.count() == 0


def test_the_staff_page(world, vp, client):
    client.force_login(vp)
    page = client.get("/reports/service-levels/", {"site": "lanting"})
    assert b'data-testid="report-subscribe"' in page.content
    r = client.post(
        "/reports/subscriptions/",
        {
            "report": "service_levels",
            "frequency": "weekly",
            "site": "lanting",
            "next": "/reports/service-levels/?site=lanting",
        },
    )
    assert r.status_code == 302 and r["Location"] == "/reports/service-levels/?site=lanting"
    sub = Subscription.objects.get()
    assert sub.params == {"site": "lanting"} and sub.frequency == "weekly"
    listing = client.get("/reports/subscriptions/").content.decode()
    assert "服务时效报表" in listing and "兰亭" in listing and "每周" in listing
    r = client.post(f"/reports/subscriptions/{sub.pk}/cancel/")
    assert r.status_code == 302 and not Subscription.objects.exists()
    # An open redirect is refused: back to the list instead.
    r = client.post(
        "/reports/subscriptions/",
        {"report": "service_levels", "frequency": "daily", "next": "https://evil.example/"},
    )
    assert r["Location"] == "/reports/subscriptions/"


def test_the_workers_sweep_sends_them(world, vp, monkeypatch):
    from django.core.management import call_command

    from fuwu.sla.management.commands import worker

    with time_machine.travel(at(date(2026, 11, 30), 8), tick=False):
        subs.subscribe(vp, "service_levels", "daily", {})
    # The sweep's jobs only: the task loop closes connections, which a test's transaction
    # cannot survive on PostgreSQL (it is tested on its own in fuwu/sla/tests).
    monkeypatch.setattr(worker.ResilientWorker, "run", lambda self: None)
    monkeypatch.setattr(worker.ResilientWorker, "configure_signals", lambda self: None)
    with time_machine.travel(at(date(2026, 12, 1), 8) + timedelta(minutes=1), tick=False):
        call_command("worker", "--batch", "--worker-id", "subscriptions-test")
    assert len(mail.outbox) == 1
