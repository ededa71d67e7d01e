"""Production (seed step 4) on the seed's workshop and its real calendar: the latest start and
when a job turns amber and red, telling the advisor once, one running job per technician, the
skill a job needs, the dispatch suggestions, productivity and efficiency, idle time and
carry-overs taking the next working day's reserve."""

from __future__ import annotations

import os
import threading
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection

from fuwu.procedures.engine.errors import EngineError
from fuwu.scheduling import board as day_board
from fuwu.scheduling import job_time, production, promises
from fuwu.scheduling.capacity import day_capacity
from fuwu.scheduling.models import CarryOver, JobClock, JobStatus, RepairJob
from fuwu.scheduling.tests.crew import seed_workshop
from fuwu.scheduling.tests.shop import MONDAY, at, crew, engine_skill, job, repair_order
from fuwu.testing.factories import World

pytestmark = pytest.mark.django_db


def actor_of(tech):
    from fuwu.core.actors import actor_for
    from fuwu.core.models import Staff

    return actor_for(Staff.objects.get(pk=tech.staff_id).user)


def test_the_seeds_job_must_start_by_ten_and_turns_amber_then_red(world: World) -> None:
    workshop = seed_workshop(world)
    case = repair_order(world)
    j = job(workshop, case, "2.3", promised=at(MONDAY, 13, 30))
    assert job_time.risk(j, at(MONDAY, 9, 0)) == job_time.Risk("", at(MONDAY, 10, 0))
    assert job_time.risk(j, at(MONDAY, 9, 29)).level == ""
    assert job_time.risk(j, at(MONDAY, 9, 30)).level == "amber"  # 30 minutes before
    assert job_time.risk(j, at(MONDAY, 10, 0)).level == "amber"  # still just in time
    assert job_time.risk(j, at(MONDAY, 10, 1)).level == "red"  # late: cannot make 13:30
    # Planned to start after 10:00: amber at once, before it is late.
    j.planned_start = at(MONDAY, 10, 30)
    assert job_time.risk(j, at(MONDAY, 8, 30)).level == "amber"


def test_a_running_job_is_judged_on_the_hours_left(world: World) -> None:
    workshop = seed_workshop(world)
    j = job(workshop, repair_order(world), "2.3", promised=at(MONDAY, 13, 30))
    j.status = JobStatus.RUNNING
    # Clocked on at 09:00; at 11:00 two hours are done and 0.3 h left: 13:30 − 0.2 h settlement
    # − 0.3 h → latest 13:00 (the afternoon's start), so 11:00 is fine.
    found = job_time.risk(j, at(MONDAY, 11, 0), running_since=at(MONDAY, 9, 0))
    assert found == job_time.Risk("", at(MONDAY, 13, 0))
    # By 12:00 the 2.3 h are used up and the job is not done: 0 h left, latest 13:18 (the
    # settlement only); amber from 12:48, red after 13:18.
    found = job_time.risk(j, at(MONDAY, 12, 50), running_since=at(MONDAY, 9, 0))
    assert found == job_time.Risk("amber", at(MONDAY, 13, 18))
    assert job_time.risk(j, at(MONDAY, 12, 47), running_since=at(MONDAY, 9, 0)).level == ""
    assert job_time.risk(j, at(MONDAY, 13, 19), running_since=at(MONDAY, 9, 0)).level == "red"


def test_the_advisor_is_told_once_and_a_new_promise_clears_it(world: World) -> None:
    from fuwu.notifications.messages import render
    from fuwu.notifications.models import Notification

    workshop = seed_workshop(world)
    case = repair_order(world)
    job(workshop, case, "2.3", promised=at(MONDAY, 13, 30))
    job(workshop, case, "0.5", promised=at(MONDAY, 13, 30), name="洗车")
    assert job_time.watch_late_risks(at(MONDAY, 9, 0)) == 0
    assert job_time.watch_late_risks(at(MONDAY, 9, 30)) == 1
    assert job_time.watch_late_risks(at(MONDAY, 10, 30)) == 0  # once, for the whole case
    told = Notification.objects.get(kind="late_risk")
    assert told.recipient == world.users["advisor"]
    text = render(told.kind, told.data, "zh-hans")
    assert "03-03 13:30" in text and "最晚 10:00 开工" in text and "请预先通知客户" in text
    assert "tell the customer in advance" in render(told.kind, told.data, "en")

    with pytest.raises(EngineError) as refused:
        promises.new_promise(
            world.actor("advisor"),
            case.pk,
            promised_at=at(MONDAY, 16),
            reason=" ",
            now=at(MONDAY, 10, 30),
        )
    assert refused.value.code == "promise_needs_reason"
    with pytest.raises(EngineError) as technician:
        promises.new_promise(
            actor_of(crew(workshop)[0]),
            case.pk,
            promised_at=at(MONDAY, 16),
            reason="x",
            now=at(MONDAY, 10, 30),
        )
    assert technician.value.code == "may_not_promise"
    change = promises.new_promise(
        world.actor("advisor"),
        case.pk,
        promised_at=at(MONDAY, 17, 0),
        reason="等待零件，客户同意 17:00 交车",
        now=at(MONDAY, 10, 30),
    )
    assert (change.old, change.new, change.changed_by) == (
        at(MONDAY, 13, 30),
        at(MONDAY, 17, 0),
        world.users["advisor"],
    )
    assert set(RepairJob.objects.values_list("promised_at", "risk_told_at")) == {
        (at(MONDAY, 17, 0), None)
    }
    assert job_time.watch_late_risks(at(MONDAY, 10, 30)) == 0  # 17:00 is reachable
    assert job_time.watch_late_risks(at(MONDAY, 14, 0)) == 1  # latest 14:00 − 30 min


def test_one_running_job_per_technician_and_the_skill_it_needs(world: World) -> None:
    workshop = seed_workshop(world)
    techs = crew(workshop)
    skill = engine_skill(techs, {0: 2, 1: 1})
    case = repair_order(world)
    first = job(workshop, case, "2.3", skill=skill, level=2)
    second = job(workshop, case, "1.0", name="更换机油")
    me, other = actor_of(techs[0]), actor_of(techs[2])

    with pytest.raises(EngineError) as lacking:
        production.clock_on(other, first.pk, now=at(MONDAY, 9))
    assert lacking.value.code == "technician_lacks_skill" and lacking.value.status == 422
    assert "技师02 不具备该作业所需的技能：发动机维修（等级 2）" in lacking.value.message("zh-hans")
    with pytest.raises(EngineError) as too_junior:
        production.clock_on(actor_of(techs[1]), first.pk, now=at(MONDAY, 9))
    assert too_junior.value.code == "technician_lacks_skill"

    clock = production.clock_on(me, first.pk, now=at(MONDAY, 9))
    first.refresh_from_db()
    assert (first.status, first.technician_id, first.started_at) == (
        "running",
        techs[0].pk,
        at(MONDAY, 9),
    )
    with pytest.raises(EngineError) as two:
        production.clock_on(me, second.pk, now=at(MONDAY, 9, 5))
    assert two.value.code == "one_job_at_a_time" and two.value.status == 409
    assert "发动机检修" in two.value.message("zh-hans")
    assert "a technician works one job at a time" in two.value.message("en")
    with pytest.raises(EngineError) as taken:
        production.clock_on(other, first.pk, now=at(MONDAY, 9, 5))
    assert taken.value.code == "job_running"
    with pytest.raises(EngineError) as no_reason:
        production.clock_off(me, first.pk, done=False, now=at(MONDAY, 10))
    assert no_reason.value.code == "stop_needs_reason"
    with pytest.raises(EngineError) as not_theirs:
        production.clock_off(other, first.pk, done=True, now=at(MONDAY, 10))
    assert not_theirs.value.code == "not_your_job"
    assert JobClock.objects.filter(ended_at__isnull=True).count() == 1

    stopped = production.clock_off(
        me, first.pk, done=False, reason="waiting_parts", now=at(MONDAY, 11, 30)
    )
    assert (stopped.hours, stopped.reason) == (Decimal("2.50"), "waiting_parts")
    production.clock_on(me, second.pk, now=at(MONDAY, 11, 30))  # free again
    # Across lunch: 11:30 → 13:30 is one hour of work.
    assert production.clock_off(me, second.pk, done=True, now=at(MONDAY, 13, 30)).hours == Decimal(
        "1.00"
    )
    second.refresh_from_db()
    assert (second.status, second.actual_hours, second.finished_at) == (
        "done",
        Decimal("1.00"),
        at(MONDAY, 13, 30),
    )
    assert clock.pk == stopped.pk


def test_dispatch_suggestions_rank_by_skill_level_shift_and_load(world: World) -> None:
    from fuwu.scheduling.models import Absence

    workshop = seed_workshop(world, technicians=5)
    techs = crew(workshop)
    skill = engine_skill(techs, {0: 3, 1: 2, 2: 2, 3: 2, 4: 1})
    case = repair_order(world)
    # 技师01 already has 3 h planned that day, 技师02 1 h; 技师03 is on leave.
    job(workshop, case, "3", technician=techs[1], start=at(MONDAY, 8, 30), name="a")
    job(workshop, case, "1", technician=techs[2], start=at(MONDAY, 8, 30), name="b")
    Absence.objects.create(technician=techs[3], date=MONDAY, kind="leave")
    wanted = job(workshop, case, "2", skill=skill, level=2, start=at(MONDAY, 10))
    ranked = production.suggest(wanted)
    assert [(s.name, s.on_shift, s.level, s.load) for s in ranked] == [
        ("技师02", True, 2, Decimal("1.00")),  # the level needed, least loaded
        ("技师01", True, 2, Decimal("3.00")),
        ("技师00", True, 3, Decimal("0.00")),  # a senior: kept for harder jobs
        ("技师03", False, 2, Decimal("0.00")),  # on leave: last
    ]  # 技师04 (level 1) cannot take it
    # One with a running job goes after those free now.
    production.clock_on(
        world.actor("workshop_qc"),
        job(workshop, case, "1", name="c").pk,
        technician_id=techs[2].pk,
        now=at(MONDAY, 9, 50),
    )
    assert [s.name for s in production.suggest(wanted)][:2] == ["技师01", "技师00"]

    dispatcher = world.actor("workshop_qc")  # the workshop's dispatcher
    with pytest.raises(EngineError) as lacking:
        production.dispatch(dispatcher, wanted.pk, technician_id=techs[4].pk, start=at(MONDAY, 10))
    assert lacking.value.code == "technician_lacks_skill"
    with pytest.raises(EngineError) as away:
        production.dispatch(dispatcher, wanted.pk, technician_id=techs[3].pk, start=at(MONDAY, 10))
    assert away.value.code == "technician_off_shift"
    with pytest.raises(EngineError) as lunch:
        production.dispatch(dispatcher, wanted.pk, technician_id=techs[1].pk, start=at(MONDAY, 12))
    assert lunch.value.code == "technician_off_shift"
    with pytest.raises(EngineError) as advisor:
        production.dispatch(
            world.actor("advisor"), wanted.pk, technician_id=techs[1].pk, start=at(MONDAY, 10)
        )
    assert advisor.value.code == "may_not_dispatch_jobs"
    # One repair order at a time: 技师01's job "a" (3 h from 08:30) holds him until 11:30.
    with pytest.raises(EngineError) as busy:
        production.dispatch(dispatcher, wanted.pk, technician_id=techs[1].pk, start=at(MONDAY, 11))
    assert busy.value.code == "technician_busy"
    assert busy.value.message("zh-hans") == (
        "技师01 在 08:30–11:30 已排有作业“a”（一次只做一张修理单）"
    )
    assert busy.value.message("en") == (
        "技师01 already has “a” planned 08:30–11:30 (one repair order at a time)"
    )
    done = production.dispatch(
        dispatcher, wanted.pk, technician_id=techs[1].pk, start=at(MONDAY, 13)
    )
    assert (done.technician_id, done.planned_start) == (techs[1].pk, at(MONDAY, 13))
    # Planned on 技师01: another technician cannot take it by clocking on.
    with pytest.raises(EngineError) as elsewhere:
        production.clock_on(actor_of(techs[3]), wanted.pk, now=at(MONDAY, 13))
    assert elsewhere.value.code == "job_assigned_elsewhere"
    assert elsewhere.value.message("zh-hans") == "该作业已派给 技师01"


def test_productivity_efficiency_and_idle_time_of_a_day(world: World) -> None:
    workshop = seed_workshop(world, technicians=2)
    techs = crew(workshop)
    me = actor_of(techs[0])
    case = repair_order(world)
    a = job(workshop, case, "2.3", technician=techs[0], start=at(MONDAY, 8, 30))
    b = job(workshop, case, "1.5", technician=techs[0], start=at(MONDAY, 10, 30), name="保养")
    c = job(workshop, case, "1.0", technician=techs[0], start=at(MONDAY, 15), name="四轮定位")
    production.clock_on(me, a.pk, now=at(MONDAY, 8, 30))
    production.clock_off(me, a.pk, done=True, now=at(MONDAY, 10, 30))  # 2.3 h job in 2 h
    production.clock_on(me, b.pk, now=at(MONDAY, 10, 30))
    production.clock_off(me, b.pk, done=False, reason="waiting_parts", now=at(MONDAY, 11, 30))
    board = day_board.board(workshop, MONDAY, at(MONDAY, 14, 0))
    row = board.rows[0]
    # Efficiency = standard hours of finished jobs / clocked = 2.3 / 3 = 0.77;
    # productivity = clocked / attendance = 3 / 8 = 0.38 (so far today).
    assert row.figures == day_board.Figures(Decimal("3.00"), Decimal("8.00"), Decimal("2.30"))
    assert (row.figures.efficiency, row.figures.productivity) == (Decimal("0.77"), Decimal("0.38"))
    # Idle: 11:30–12:00 (30 min) and from 13:00 on; idle now since 13:00.
    assert [gap for gap, _l, _w in row.idle] == [
        (at(MONDAY, 11, 30), at(MONDAY, 12)),
        (at(MONDAY, 13), at(MONDAY, 14)),
    ]
    assert row.idle_now == at(MONDAY, 13)
    assert row.running is None and row.next_job == b  # the stopped job comes first
    # The other technician did nothing all day: idle from 08:30.
    assert board.rows[1].idle_now == at(MONDAY, 13) and board.rows[1].idle[0][0][0] == at(
        MONDAY, 8, 30
    )
    # 29 minutes without work is not idle yet.
    production.clock_on(me, c.pk, now=at(MONDAY, 13, 29))
    row = day_board.board(workshop, MONDAY, at(MONDAY, 14, 0)).rows[0]
    assert row.idle_now is None and row.running == c
    assert [gap for gap, _l, _w in row.idle] == [(at(MONDAY, 11, 30), at(MONDAY, 12))]
    assert day_board.figures(workshop, MONDAY, at(MONDAY, 14, 0))[techs[0].pk].clocked == (
        Decimal("3.52")  # and 31 minutes of the running job
    )


def test_a_carry_over_takes_the_next_working_days_reserve(world: World) -> None:
    workshop = seed_workshop(world)
    friday, monday = date(2025, 2, 28), MONDAY
    case = repair_order(world)
    job(workshop, case, "6", promised=at(friday, 17), technician=crew(workshop)[0])
    job(workshop, case, "4", promised=at(friday, 17), name="钣金")
    # The carry-over of the seed's chart: 10 h of a 16 h reserve.
    assert promises.carry_over_unfinished(at(friday, 17, 29)) == 0  # the day is not over
    assert promises.carry_over_unfinished(at(friday, 17, 30)) == 1
    assert promises.carry_over_unfinished(at(friday, 18)) == 0  # once
    row = CarryOver.objects.get()
    assert (row.from_date, row.to_date, row.hours, row.reason, row.planned) == (
        friday,
        monday,  # the weekend skipped
        Decimal("10.00"),
        promises.SYSTEM_REASON,
        False,
    )
    day = day_capacity(workshop, monday)
    assert (day.available, day.bookable, day.reserve, day.carried, day.reserve_left) == (
        Decimal("80.00"),
        Decimal("64.00"),
        Decimal("16.00"),
        Decimal("10.00"),
        Decimal("6.00"),
    )
    assert day.left == Decimal("64.00")  # the appointments' hours are untouched

    # By hand, with a reason, on the car's promised day; twice is refused.
    other = repair_order(world, "粤B·12345 保养")
    job(workshop, other, "1.5", promised=at(monday, 16))
    advisor = world.actor("advisor")
    with pytest.raises(EngineError) as no_reason:
        promises.carry_over(advisor, other.pk, reason="", now=at(monday, 16))
    assert no_reason.value.code == "carry_over_needs_reason"
    made = promises.carry_over(advisor, other.pk, reason="等待零件到货", now=at(monday, 16))
    assert (made.to_date, made.hours, made.created_by) == (
        monday + timedelta(days=1),
        Decimal("1.50"),
        world.users["advisor"],
    )
    with pytest.raises(EngineError) as twice:
        promises.carry_over(advisor, other.pk, reason="again", now=at(monday, 16, 30))
    assert twice.value.code == "already_carried"
    assert day_capacity(workshop, monday + timedelta(days=1)).carried == Decimal("1.50")


def test_jobs_from_the_appointments_lines(world: World) -> None:
    from fuwu.scheduling.booking import Job, book

    workshop = seed_workshop(world)
    case = repair_order(world)
    book(
        world.actor("advisor"),
        workshop,
        customer=world.customers["driver"],
        starts_at=at(MONDAY, 9),
        jobs=[
            Job(name="一万公里保养", hours=Decimal("1.5")),
            Job(name="检查异响", hours=Decimal("0.5"), work_type="repair"),
        ],
        case_id=case.pk,
        now=at(MONDAY, 8),
    )
    made = production.jobs_from_appointment(world.actor("advisor"), case.pk)
    assert [(j.name, j.standard_hours, j.work_type) for j in made] == [
        ("一万公里保养", Decimal("1.5"), "maintenance"),
        ("检查异响", Decimal("0.5"), "repair"),
    ]
    assert production.jobs_from_appointment(world.actor("advisor"), case.pk) == []  # once
    added = production.add_job(
        world.actor("advisor"),
        case.pk,
        name="更换刹车片",
        hours=Decimal("1.2"),
        promised_at=at(MONDAY, 16),
    )
    assert (added.standard_hours, added.advisor, added.promised_at) == (
        Decimal("1.2"),
        world.users["advisor"],
        at(MONDAY, 16),
    )
    with pytest.raises(EngineError) as outsider:
        production.add_job(world.actor("agent"), case.pk, name="x", hours=Decimal("1"))
    assert outsider.value.code == "not_found"


@pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgres"),
    reason="two connections at once: PostgreSQL (the SQLite test database is one in-memory connection)",
)
@pytest.mark.django_db(transaction=True)
def test_two_clock_ons_at_once_one_wins(world: World) -> None:
    workshop = seed_workshop(world, technicians=1)
    tech = crew(workshop)[0]
    case = repair_order(world)
    outcomes: list[str] = []
    for _round in range(3):
        jobs = [job(workshop, case, "1", name=f"j{n}") for n in range(2)]
        start = threading.Barrier(2)

        def attempt(job_id: int) -> None:
            try:
                start.wait()
                production.clock_on(actor_of(tech), job_id, now=at(MONDAY, 9))
                outcomes.append("on")
            except EngineError as error:
                outcomes.append(error.code)
            finally:
                connection.close()

        threads = [threading.Thread(target=attempt, args=(j.pk,)) for j in jobs]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        JobClock.objects.filter(ended_at__isnull=True).update(ended_at=at(MONDAY, 10))
    assert sorted(outcomes) == ["on"] * 3 + ["one_job_at_a_time"] * 3
