"""How the procedure page names limits that are not durations, and the working-day unit."""

from __future__ import annotations

from django.utils import translation

from fuwu.procedures.engine.definition import Limit
from fuwu.web.procedure_page import duration, limit_text


def test_limits_read_in_both_languages() -> None:
    labels = {"appointment_at": "预约时间"}.get
    with translation.override("zh-hans"):
        assert duration("3wd") == "3个工作日"
        assert limit_text(Limit(until="appointment_at"), labels) == "截至“预约时间”"
        assert limit_text(Limit(until="appointment_at - 1wd"), labels) == "“预约时间”之前1个工作日"
        assert limit_text(Limit(window={"from_day": 28, "to_day": 30})) == "每月28日至30日"
    with translation.override("en"):
        assert duration("3wd") == "3 working days"
        assert limit_text(Limit(until="appointment_at + 30m"), labels) == "30 min after “预约时间”"
        assert (
            limit_text(Limit(window={"from_day": 28, "to_day": 30})) == "days 28–30 of each month"
        )


def test_timers_are_listed_with_the_step_effects() -> None:
    from fuwu.procedures.registry import check_library
    from fuwu.web.procedure_page import Names, step_view

    toyota = next(
        item.procedure
        for item in check_library()
        if item.procedure and item.procedure.key == "toyota_seven_step"
    )
    with translation.override("zh-hans"):
        view = step_view("await_arrival", toyota.steps["await_arrival"], Names("zh-hans", toyota))
        assert view.effects[-2:] == [
            "定时（“预约时间”之前1天）：通知客户：“提醒：您明天有维修保养预约”",
            "定时（“预约时间”之后30分钟）：自动操作“客户失约”",
        ]
    with translation.override("en"):
        view = step_view("await_arrival", toyota.steps["await_arrival"], Names("en", toyota))
        assert (
            view.effects[-1]
            == "Timer (30 min after “Appointment time”): take “No-show” automatically"
        )
