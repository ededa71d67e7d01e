"""The demo command builds a consistent organisation and cases that replay from their events."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from fuwu.cases.models import Case, Event, WorkLog
from fuwu.cases.replay import differences
from fuwu.core.models import Department, Site, Staff
from fuwu.customers.models import Asset, Customer
from fuwu.demo.data import PASSWORD, build

pytestmark = pytest.mark.django_db

DEPARTMENTS = {
    "lanting": {"service_center", "engineering", "security", "finance", "management"},
    "dealer": {"call_center", "aftersales", "project_management", "workshop", "finance"},
}


def test_the_organisation_looks_real() -> None:
    summary = build()

    assert summary.problems == []
    assert set(Site.objects.values_list("code", flat=True)) == {"lanting", "dealer"}
    for code, departments in DEPARTMENTS.items():
        found = Department.objects.filter(site__code=code)
        assert set(found.values_list("code", flat=True)) == departments
        assert not found.filter(manager__isnull=True).exists()
    assert Staff.objects.count() >= 18
    assert Customer.objects.count() >= 25
    assert Asset.objects.filter(kind="unit", owner__isnull=False).exists()
    assert all(len(a.attributes["vin"]) == 17 for a in Asset.objects.filter(kind="vehicle"))
    admin = get_user_model().objects.get(username="admin")
    assert admin.is_superuser and admin.check_password(PASSWORD)
    assert get_user_model().objects.get(username="chen.jing").check_password(PASSWORD)


def test_every_reporting_line_ends_at_the_vp() -> None:
    build()

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
    assert vp.sites.count() == 2


def test_cases_stand_in_many_steps_and_replay_from_their_events() -> None:
    build()

    cases = Case.objects.all()
    assert cases.count() >= 20
    assert len(set(cases.values_list("procedure_key", "step"))) >= 8
    assert {"open", "waiting", "resolved", "closed", "cancelled"} <= set(
        cases.values_list("status", flat=True)
    )
    assert cases.filter(is_major=True).exists()
    assert cases.filter(comeback_count__gt=0).exists()
    assert WorkLog.objects.filter(kind="part", unit_price__isnull=False).exists()
    assert Event.objects.filter(kind="commented").exists()
    assert differences() == []


def test_the_command_loads_once() -> None:
    out = StringIO()
    call_command("demo", "--if-empty", stdout=out)
    assert "wang.jianguo" in out.getvalue() and "/api/docs" in out.getvalue()
    counts = (
        Case.objects.count(),
        Event.objects.count(),
        Customer.objects.count(),
        get_user_model().objects.count(),
    )

    call_command("demo", "--if-empty", stdout=StringIO())
    assert counts == (
        Case.objects.count(),
        Event.objects.count(),
        Customer.objects.count(),
        get_user_model().objects.count(),
    )
    with pytest.raises(CommandError):
        call_command("demo", stdout=StringIO())
