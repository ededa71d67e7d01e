"""The demo command builds a consistent organisation and cases that replay from their events."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from fuwu.campaigns.actions import run_due
from fuwu.campaigns.models import Campaign, Schedule
from fuwu.cases.models import Case, Event, WorkLog
from fuwu.cases.replay import differences
from fuwu.core.models import Department, Site, Staff
from fuwu.customers.models import Asset, Customer
from fuwu.demo.data import PASSWORD, Summary, build
from fuwu.demo.recurring import SCHEDULES
from fuwu.demo.stories import STORIES
from fuwu.demo.walker import TITLES, site_for
from fuwu.procedures.models import ProcedureVersion
from fuwu.procedures.registry import definition_of
from fuwu.testing.factories import FAST_HASHERS

# One process runs the module: its tests share one build (a module fixture).
pytestmark = [pytest.mark.django_db, pytest.mark.sqlite_once, pytest.mark.xdist_group("demo")]

DEPARTMENTS = {
    "lanting": {"service_center", "engineering", "security", "finance", "management", "sales"},
    "dealer": {"call_center", "aftersales", "project_management", "workshop", "finance"},
    "hotel": {
        "front_office",
        "housekeeping",
        "business_centre",
        "food_beverage",
        "engineering",
        "finance",
    },
    "hotpot": {"floor", "kitchen", "cashier"},
}


@pytest.fixture(scope="module")
def demo(django_db_setup: None, django_db_blocker: Any) -> Iterator[Summary]:
    """One demo organisation for the tests that only read it: built once for the module (a
    build costs seconds), each test in its own savepoint, all rolled back at the end."""
    fast = override_settings(PASSWORD_HASHERS=FAST_HASHERS)  # as every test has (conftest)
    with fast, django_db_blocker.unblock(), transaction.atomic():
        yield build()
        transaction.set_rollback(True)


def loaded() -> set[str]:
    return set(ProcedureVersion.objects.filter(is_current=True).values_list("key", flat=True))


def test_the_organisation_looks_real(demo: Summary) -> None:
    summary = demo

    assert summary.problems == []
    assert set(Site.objects.values_list("code", flat=True)) == set(DEPARTMENTS)
    for code, departments in DEPARTMENTS.items():
        found = Department.objects.filter(site__code=code)
        assert set(found.values_list("code", flat=True)) == departments
        assert not found.filter(manager__isnull=True).exists(), code
        assert Staff.objects.filter(department__site__code=code).count() >= 3, code
    assert Staff.objects.count() >= 40
    assert Customer.objects.count() >= 40
    assert Asset.objects.filter(kind="unit", owner__isnull=False).exists()
    assert all(len(a.attributes["vin"]) == 17 for a in Asset.objects.filter(kind="vehicle"))
    kinds = Counter(Asset.objects.values_list("kind", flat=True))
    assert {"unit", "vehicle", "room", "key", "parking", "equipment", "table"} <= set(kinds)
    guest = Customer.objects.filter(site__code="hotel").first()
    assert guest is not None and {"floor", "bed", "smoking"} <= set(guest.preferences)
    admin = get_user_model().objects.get(username="admin")
    assert admin.is_superuser and admin.check_password(PASSWORD)
    assert get_user_model().objects.get(username="qian.hui").check_password(PASSWORD)

    # Every reporting line ends at the one VP, who sees every site.
    by_id = {s.pk: s for s in Staff.objects.prefetch_related("roles")}
    for staff in by_id.values():
        seen: set[int] = set()
        top = staff
        while top.reports_to_id is not None:
            assert top.pk not in seen, f"reporting cycle through {staff}"
            seen.add(top.pk)
            top = by_id[top.reports_to_id]
        assert "vp" in {r.code for r in top.roles.all()}, f"{staff} reports up to {top}"
    vp = next(s for s in by_id.values() if s.reports_to_id is None)
    assert vp.sites.count() == len(DEPARTMENTS)


def test_every_procedure_is_in_use_and_the_cases_replay(demo: Summary) -> None:
    summary = demo

    assert summary.problems == []
    cases = Case.objects.all()
    per_procedure = Counter(cases.values_list("procedure_key", flat=True))
    assert {key: n for key, n in per_procedure.items() if n < 2} == {}
    assert set(per_procedure) == loaded()
    assert len(set(cases.values_list("procedure_key", "step"))) >= 60
    assert {"open", "waiting", "resolved", "closed", "cancelled"} <= set(
        cases.values_list("status", flat=True)
    )
    # Each procedure the walker knows was moved on at least once, on the site that has its
    # departments (a procedure added later is walked too, but is not held to this yet).
    walked = loaded() & set(TITLES) - {story.procedure for story in STORIES}
    for key in walked:
        version = ProcedureVersion.objects.get(key=key, is_current=True)
        procedure = definition_of(version)
        mine = cases.filter(procedure_key=key)
        assert set(mine.values_list("site__code", flat=True)) == {site_for(procedure)}, key
        assert mine.exclude(step=procedure.start).exists(), f"{key}: {summary.stopped}"
    assert Event.objects.filter(kind="task_completed").exists()  # parallel branches worked
    assert cases.filter(is_major=True).exists()
    assert cases.filter(comeback_count__gt=0).exists()
    assert WorkLog.objects.filter(kind="part", unit_price__isnull=False).exists()
    assert Event.objects.filter(kind="commented").exists()
    assert differences() == []


def test_schedules_start_in_the_future_and_a_campaign_is_under_way(demo: Summary) -> None:

    keys = set(Schedule.objects.values_list("procedure_key", flat=True))
    assert keys == {plan.procedure for plan in SCHEDULES} & loaded()
    assert not Schedule.objects.filter(dtstart__lte=timezone.now()).exists()
    assert run_due() == 0  # a worker started on a fresh demo opens nothing at once
    survey = Schedule.objects.get(procedure_key="opinion_survey")
    assert survey.rrule == "FREQ=MONTHLY;INTERVAL=6;BYMONTHDAY=1" and survey.asset_kind == "unit"
    rounds = Schedule.objects.get(procedure_key="business_centre")  # 3.3 定期检查和维护办公设备
    assert rounds.site.code == "hotel" and rounds.rrule == "FREQ=WEEKLY;BYDAY=MO"
    assert rounds.data["request_type"] == "routine_maintenance" and not rounds.asset_kind
    campaign = Campaign.objects.get()
    cases = Case.objects.filter(campaign=campaign)
    assert cases.count() >= 2
    assert cases.exclude(step="consult").exists()


def test_portal_customers_sign_in_and_see_their_cases_and_consultations_are_counted(
    demo: Summary,
) -> None:
    from django.test import Client

    from fuwu.cases.consultations import today_bounds
    from fuwu.cases.models import Consultation
    from fuwu.customers.models import Customer

    summary = demo
    customers = Customer.objects.filter(user__isnull=False)
    assert customers.count() == 2
    customer = customers.get(site__code="lanting")
    assert (customer.phone, customer.name) in {(row[0], row[1]) for row in summary.logins}
    client = Client()
    response = client.post("/portal/login/", {"login": customer.phone, "password": PASSWORD})
    assert response.status_code == 302
    home = client.get("/portal/").content.decode()
    mine = Case.objects.filter(customer=customer)
    assert mine.exists()
    assert all(case.number in home for case in mine.order_by("-created_at")[:5])
    start, end = today_bounds()
    assert Consultation.objects.filter(at__gte=start, at__lt=end).exists()
    assert Consultation.objects.values("site").distinct().count() == 3


def test_the_dealer_has_a_workshop_with_a_week_of_work(demo: Summary) -> None:
    """Whatever the hour the demo is built (fuwu.demo.tests.test_demo_workshop builds it at a
    frozen Monday morning and checks the board)."""
    from fuwu.scheduling.models import (
        Appointment,
        FollowUp,
        LabourOperation,
        Part,
        Technician,
        Visit,
        Workshop,
    )
    from fuwu.scheduling.part_queries import low_stock

    assert demo.problems == []
    workshop = Workshop.objects.get(department__site__code="dealer")
    assert Technician.objects.filter(workshop=workshop).count() == 10
    assert LabourOperation.objects.filter(site=workshop.site).count() >= 15
    catalogue = Part.objects.filter(site=workshop.site)
    assert catalogue.count() >= 20 and low_stock(catalogue).count() >= 3
    days = {
        a.astimezone(timezone.get_default_timezone()).date()
        for a in Appointment.objects.values_list("starts_at", flat=True)
    }
    assert len(days) >= 7
    statuses = Counter(Appointment.objects.values_list("status", flat=True))
    assert statuses["arrived"] > 50 and statuses["no_show"] >= 3 and statuses["booked"] > 50
    assert Appointment.objects.filter(walk_in=True).count() >= 9
    assert (
        FollowUp.objects.count()
        == statuses["no_show"]
        - Appointment.objects.filter(status="no_show", case__isnull=False).count()
    )
    assert Visit.objects.filter(workshop=workshop).count() == 6


def test_two_rounds_of_the_opinion_survey_with_answers(demo: Summary) -> None:
    from fuwu.surveys import analysis
    from fuwu.surveys.models import Round

    now = timezone.now()
    current, previous = Round.objects.filter(site__code="lanting").order_by("-opens_at")
    assert current.is_open(now) and not previous.is_open(now)
    assert current.audience == previous.audience == "residents"
    figures = analysis.figures(current)
    assert figures["invited"] >= 10 and 0 < figures["answered"] < figures["invited"]
    assert figures["previous"] == previous and figures["previous_response_rate"] is not None
    assert all(s["mean"] is not None for s in figures["sections"])
    assert demo.counts["survey_responses"] == (
        figures["answered"] + analysis.figures(previous)["answered"]
    )


def test_the_finance_clerk_and_the_guard_have_their_lists_this_month(demo: Summary) -> None:
    """The demo shows a finance clerk who is not a manager, and the guards' list of leases
    ending this month has a line (demo leases run to the end of the month two days ahead)."""
    from fuwu.core.actors import actor_for
    from fuwu.reports.lists import rights, scope_from_params
    from fuwu.reports.lists.registers import parking_expiring

    users = get_user_model().objects
    clerk = actor_for(users.get(username="zhou.li"))
    assert not clerk.is_manager
    assert rights.readable(clerk) == ("fees", "arrears", "fee-reports")
    guard = actor_for(users.get(username="ma.chao"))
    scope = scope_from_params(guard, {}, report="parking")
    month = (scope.today + timedelta(days=2)).replace(day=1)
    leases = parking_expiring(scope, month)
    assert leases and all(lease.lease_end.month == month.month for lease in leases)


def test_the_work_is_spread_over_the_days_since_each_case_was_opened(demo: Summary) -> None:
    """The moves happened after the case was opened and before now, in order (fuwu.core.clock):
    the reports' daily charts show weeks of work, not everything on the day of loading."""
    now = timezone.now()
    last: dict[int, Any] = {}
    for case_id, at in Event.objects.order_by("case_id", "seq").values_list("case_id", "at"):
        assert at <= now
        assert at >= last.get(case_id, at), f"case {case_id}: an event before the one before it"
        last[case_id] = at
    moves = Event.objects.filter(kind="transitioned")
    days = {timezone.localtime(at).date() for at in moves.values_list("at", flat=True)}
    assert len(days) >= 10, sorted(days)
    today = timezone.localtime(now).date()
    done_today = sum(
        timezone.localtime(at).date() == today for at in moves.values_list("at", flat=True)
    )
    assert done_today < moves.count() / 2
