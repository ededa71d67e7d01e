"""The case API read carries the case's workshop side (issue 11): its appointment with lines
and parts, its repair jobs and its visits, in a fixed number of queries however many."""

from __future__ import annotations

from datetime import time
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from fuwu.api.case_workshop import uses_workshop
from fuwu.cases.models import Case
from fuwu.procedures.registry import current_version, definition_of
from fuwu.scheduling.models import Visit
from fuwu.scheduling.tests.crew import seed_workshop
from fuwu.scheduling.tests.shop import MONDAY, crew, job
from fuwu.scheduling.tests.test_case_booking import booking, open_visit, working_days
from fuwu.testing.scenario import take

pytestmark = pytest.mark.django_db


def read(client, case_id: int) -> tuple[dict, int]:
    with CaptureQueriesContext(connection) as seen:
        r = client.get(f"/api/cases/{case_id}")
    assert r.status_code == 200, r.json()
    return r.json(), len(seen)


def visit(workshop, case, n: int) -> Visit:
    return Visit.objects.create(
        workshop=workshop,
        case_id=case["id"],
        address=f"兰亭苑 {n} 栋",
        lat=Decimal("31.2"),
        lon=Decimal("121.4"),
        day=MONDAY,
        window_start=time(9),
        window_end=time(11),
        service_minutes=60,
    )


def test_the_case_read_has_its_appointment_jobs_and_visits_without_n_plus_one(world, api):
    workshop = seed_workshop(world)
    (day,) = working_days(workshop.site, 1)
    advisor = api("advisor")
    case = take(advisor, open_visit(world, advisor), "book", booking(day, 1.5))
    row = Case.objects.get(pk=case["id"])
    tech = crew(workshop)[0]
    job(workshop, row, "1.5", technician=tech, name="4万公里保养")
    visit(workshop, case, 1)

    body, few = read(advisor, case["id"])
    shop = body["workshop"]
    (appointment,) = shop["appointments"]
    assert (appointment["status"], appointment["hours"]) == ("booked", "1.50")
    assert [line["name"] for line in appointment["lines"]] == ["粤B·3K5X8 4万公里保养"]
    (repair,) = shop["repair_jobs"]
    assert (repair["name"], repair["technician"], repair["case_number"]) == (
        "4万公里保养",
        tech.pk,
        body["number"],
    )
    assert [v["address"] for v in shop["visits"]] == ["兰亭苑 1 栋"]

    # More of each: the same number of queries.
    for n in range(3):
        job(workshop, row, "1", name=f"作业{n}")
        visit(workshop, case, n + 2)
    body, many = read(advisor, case["id"])
    assert len(body["workshop"]["repair_jobs"]) == 4 and len(body["workshop"]["visits"]) == 4
    assert many == few

    # A procedure that never books the workshop does not pay for these queries.
    assert uses_workshop(definition_of(row.procedure))
    complaint = current_version("complaint")
    assert complaint is not None and not uses_workshop(definition_of(complaint))
