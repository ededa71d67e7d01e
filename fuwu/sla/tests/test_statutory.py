"""The table of China's statutory days shipped with Fuwu says what the `holidays` package says."""

from __future__ import annotations

import subprocess
import sys

import pytest

from fuwu.sla import statutory
from fuwu.sla.calendar import Calendar


@pytest.mark.parametrize("year", list(statutory.YEARS))
def test_the_table_is_the_packages_answer(year: int) -> None:
    for country in statutory.COUNTRIES:
        assert statutory.known(country, year) == statutory.computed(country, year)


def test_the_table_has_the_may_day_swap_of_2025() -> None:
    off, makeup = statutory.known("CN", 2025) or (frozenset(), frozenset())
    assert {"2025-05-01", "2025-05-05"} <= {d.isoformat() for d in off}
    assert "2025-04-27" in {d.isoformat() for d in makeup}  # Sunday, a working day


def test_outside_the_table_the_package_answers() -> None:
    assert statutory.known("CN", 1999) is None and statutory.known("JP", 2026) is None
    with pytest.raises(ValueError, match="not known"):
        Calendar(tz="Asia/Shanghai", country="XX")


def test_a_chinese_calendar_does_not_import_the_package() -> None:
    """The point of the table: a process that only works Chinese calendars never loads the
    150 countries of `holidays` (about 10 MB)."""
    code = (
        "import sys; from datetime import datetime; from zoneinfo import ZoneInfo\n"
        "from fuwu.sla.calendar import Calendar\n"
        "c = Calendar(tz='Asia/Shanghai', country='cn')\n"
        "c.add(datetime(2025, 4, 30, 17, tzinfo=ZoneInfo('Asia/Shanghai')), 3600 * 8)\n"
        "print('holidays' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
