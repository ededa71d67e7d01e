"""In a real browser: the workshop's dispatcher opens the production board and sees the day's
jobs, plans the waiting one with the board's form and sees it outlined amber, since it cannot
start in time, before it is late; a technician on a 390×844 phone clocks on to a job, stops it
waiting for parts, resumes and finishes it. In English on a phone (the workshop journey, in
test_browser_workshop_journey, drags a job in Chinese on a desktop)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from fuwu.core.models import Staff
from fuwu.scheduling import job_time
from fuwu.scheduling.models import JobClock, RepairJob
from fuwu.scheduling.tests.crew import seed_workshop
from fuwu.scheduling.tests.shop import crew, job, repair_order
from fuwu.testing.factories import World

pytestmark = pytest.mark.django_db(transaction=True)
SH = ZoneInfo("Asia/Shanghai")


# English on a phone here, where the dispatcher plans the job with the board's form (the
# keyboard's and the phone's way); the workshop journey (test_browser_workshop_journey) drags it
# with the mouse in Chinese on a desktop, so one language each is enough here.
@pytest.mark.parametrize(("language", "phone"), [("en", True)])
def test_the_board_shows_the_late_risk_job_amber(
    web: Any, world: World, language: str, phone: bool
) -> None:
    workshop = seed_workshop(world, technicians=4)
    techs = crew(workshop)
    case = repair_order(world)
    # The live server reads the real clock: a job whose latest start is two working hours from
    # now, planned half an hour after it — amber (it will be late) while it is not late yet.
    now = timezone.now()
    latest = job_time.finish_of(workshop, now, Decimal("2"))
    promised = job_time.finish_of(workshop, latest, Decimal("1.2"))
    late = job(workshop, case, "1", promised=promised, name="更换正时皮带")  # waiting
    latest_start = job_time.risk(late, now).latest
    assert latest_start is not None
    start = (latest_start + timedelta(minutes=30)).astimezone(SH).replace(second=0, microsecond=0)
    day = start.date()
    day_start = start.replace(minute=0, second=0, microsecond=0)
    other = job(workshop, case, "1.5", technician=techs[1], start=day_start, name="一万公里保养")
    Staff.objects.update(language=language)
    page = web.page(phone=phone, language="en-GB" if language == "en" else "zh-CN")
    web.login(page, "workshop_qc")
    page.goto(f"/workshop/{workshop.pk}/board/?date={day}")
    page.locator(f"[data-testid=waiting-{late.pk}]").wait_for()
    # Planned on the first technician half an hour after its latest start, with the form.
    page.select_option("#move-job", str(late.pk))
    page.select_option("#move-tech", str(techs[0].pk))
    page.fill("#move-time", f"{start:%H:%M}")
    with page.expect_navigation():
        page.click("[data-testid=move]")
    assert page.locator(".alert-success").count() == 1
    planned = RepairJob.objects.get(pk=late.pk)
    assert (planned.technician, planned.planned_start) == (techs[0], start)
    assert job_time.risk(planned, now).level == "amber"
    bar = page.locator(f"[data-testid=job-{late.pk}]")
    bar.wait_for()
    assert bar.get_attribute("data-risk") == "amber"
    assert "更换正时皮带" in bar.inner_text()
    shadow = bar.evaluate("e => getComputedStyle(e).boxShadow")
    assert "255, 193, 7" in shadow  # the amber outline
    assert page.locator(f"[data-testid=job-{other.pk}]").is_visible() or phone
    risk = page.locator(f"[data-testid=risk-{late.pk}]").inner_text()
    assert ("latest start" if language == "en" else "最晚") in risk
    web.shot(page, "board")
    assert not page.js_errors


@pytest.mark.parametrize("language", ["en"])
def test_a_technician_clocks_on_and_off_from_the_phone(
    web: Any, world: World, language: str
) -> None:
    workshop = seed_workshop(world, technicians=2)
    techs = crew(workshop)
    case = repair_order(world)
    j = job(workshop, case, "2", technician=techs[0], start=timezone.now(), name="更换刹车片")
    user = techs[0].staff.user
    user.set_password("pw")
    user.save()
    Staff.objects.filter(pk=techs[0].staff_id).update(language=language)
    en = language == "en"
    page = web.page(phone=True, language="en-GB" if en else "zh-CN")
    web.login(page, user.username, "pw")
    page.goto("/workshop/my-jobs/")
    card = page.locator(f"[data-testid=my-job-{j.pk}]")
    web.shot(page, "my-jobs")
    with page.expect_navigation():
        card.locator("[data-testid=clock-on]").click()
    assert card.locator("[data-testid=status]").inner_text().strip() == (
        "In progress" if en else "进行中"
    )
    web.shot(page, "running")
    card.locator("[data-testid=reason]").select_option("waiting_parts")
    with page.expect_navigation():
        card.locator("[data-testid=stop]").click()
    assert card.locator("[data-testid=status]").inner_text().strip() == (
        "Stopped" if en else "已中断"
    )
    with page.expect_navigation():
        card.locator("[data-testid=clock-on]").click()
    with page.expect_navigation():
        card.locator("[data-testid=done]").click()
    assert card.locator("[data-testid=status]").inner_text().strip() == ("Done" if en else "已完工")
    web.shot(page, "done")
    clocks = list(JobClock.objects.filter(job=j).order_by("pk"))
    assert [(c.reason, c.done) for c in clocks] == [("waiting_parts", False), ("", True)]
    assert not page.js_errors
