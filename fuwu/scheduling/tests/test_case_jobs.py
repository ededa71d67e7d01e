"""The Toyota case's repair order makes its jobs (step 3 → 4): released to the workshop, the
appointment's lines become repair jobs promised for the case's promised time, once, and the
board lists them for dispatch."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest

from fuwu.cases.tests.library.test_toyota_seven_step import ORDER, RECEIVED
from fuwu.scheduling import board as day_board
from fuwu.scheduling import production
from fuwu.scheduling.models import RepairJob
from fuwu.scheduling.tests.crew import seed_workshop
from fuwu.scheduling.tests.test_case_booking import booking, open_visit, working_days
from fuwu.testing.scenario import take

pytestmark = pytest.mark.django_db


def test_releasing_the_repair_order_makes_its_jobs(world, api):
    workshop = seed_workshop(world)
    advisor = api("advisor")
    (day,) = working_days(workshop.site, 1)
    case = take(advisor, open_visit(world, advisor), "book", booking(day, 2.5))
    case = take(advisor, case, "arrived", {"parts_confirmed": True, "reminded": True})
    case = take(advisor, case, "received", {"odometer": 40120, "key_tag": "K-17"}, RECEIVED)
    assert not RepairJob.objects.exists()
    case = take(advisor, case, "release", ORDER)
    made = RepairJob.objects.get(case_id=case["id"])
    assert (made.name, made.standard_hours, made.status, made.technician) == (
        "粤B·3K5X8 4万公里保养",
        Decimal("2.50"),
        "planned",
        None,
    )
    assert made.promised_at == datetime.fromisoformat(ORDER["promised_at"])
    assert made.advisor == world.users["advisor"]
    # Once: the line is already a job.
    assert production.jobs_from_appointment(world.actor("advisor"), case["id"]) == []
    board = day_board.board(workshop, day)
    assert [bar.job for bar in board.unassigned] == [made]
