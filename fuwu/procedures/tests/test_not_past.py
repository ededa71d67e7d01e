"""`not_past`: an appointment or a promised date entered may not lie in the past."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from fuwu.procedures.engine.definition import FieldDef
from fuwu.procedures.engine.machine import past_errors

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 12, 3, 0, 30, tzinfo=SHANGHAI)  # 16:30 UTC on 2 December
LABEL = {"zh": "预约时间", "en": "Appointment"}


def field(kind: str, **extra: object) -> FieldDef:
    return FieldDef.model_validate({"key": "at", "type": kind, "label": LABEL, **extra})


def test_a_time_before_now_is_refused_and_one_after_is_kept() -> None:
    f = field("datetime", not_past=True)
    assert past_errors([f], {"at": "2026-12-03T00:29:00+08:00"}, NOW)["at"].code == "in_past"
    assert past_errors([f], {"at": "2026-12-03T00:31:00+08:00"}, NOW) == {}
    # The same instant written in another zone is judged as the instant it is.
    assert past_errors([f], {"at": "2026-12-02T16:31:00+00:00"}, NOW) == {}


def test_a_date_is_judged_on_the_local_date() -> None:
    f = field("date", not_past=True)
    # Half past midnight in Shanghai is still the 2nd in UTC: today (the 3rd) is allowed.
    assert past_errors([f], {"at": "2026-12-03"}, NOW) == {}
    assert past_errors([f], {"at": "2026-12-02"}, NOW)["at"].code == "in_past"


def test_without_the_flag_or_without_a_value_nothing_is_refused() -> None:
    assert past_errors([field("date")], {"at": "2020-01-01"}, NOW) == {}
    assert past_errors([field("date", not_past=True)], {}, NOW) == {}
    assert past_errors([field("date", not_past=True)], {"at": "2020-01-01"}, None) == {}


def test_only_dates_and_times_take_the_flag() -> None:
    with pytest.raises(ValidationError, match="only a date or datetime field takes `not_past`"):
        field("text", not_past=True)
