"""China's statutory days off and make-up workdays, as the `holidays` package gives them, in a
table shipped with Fuwu: importing `holidays` costs every process about 10 MB (it loads all of
its 150 countries' modules whichever one is asked for), and almost every site is in China.

`fuwu/sla/statutory.json` holds, for each country in `COUNTRIES` and each year in `YEARS`, the
days off and the make-up workdays `fuwu.sla.calendar.statutory_days` would compute, and the
version of `holidays` they came from. `known(country, year)` answers from it; other countries
and years go to the package. A test compares the table with the installed package year by
year, so upgrading `holidays` without regenerating it fails:

    .venv/bin/python -m fuwu.sla.statutory      # rewrites statutory.json
"""

from __future__ import annotations

import functools
import json
from datetime import date
from pathlib import Path

TABLE = Path(__file__).with_name("statutory.json")
COUNTRIES = ("CN",)
YEARS = range(2000, 2041)


@functools.cache
def _table() -> dict[str, dict[str, dict[str, list[str]]]]:
    return json.loads(TABLE.read_text(encoding="utf-8"))["countries"]  # type: ignore[no-any-return]


def countries() -> frozenset[str]:
    return frozenset(_table())


def known(country: str, year: int) -> tuple[frozenset[date], frozenset[date]] | None:
    """The year's (days off, make-up workdays) from the table, or None if it has not got them."""
    entry = _table().get(country, {}).get(str(year))
    if entry is None:
        return None
    return (
        frozenset(date.fromisoformat(d) for d in entry["off"]),
        frozenset(date.fromisoformat(d) for d in entry["makeup"]),
    )


def computed(country: str, year: int) -> tuple[frozenset[date], frozenset[date]]:
    """The year as the `holidays` package gives it (see `calendar.statutory_days`)."""
    import holidays

    entity = holidays.country_holidays(country, years=(year, year + 1))
    days_off = frozenset(d for d in entity if d.year == year)
    makeup = frozenset(d for d in entity.weekend_workdays if d.year == year)
    return days_off, makeup


def write() -> None:
    import holidays

    table = {
        country: {
            str(year): {
                "off": sorted(d.isoformat() for d in off),
                "makeup": sorted(d.isoformat() for d in makeup),
            }
            for year in YEARS
            for off, makeup in [computed(country, year)]
        }
        for country in COUNTRIES
    }
    body = {"holidays": holidays.__version__, "countries": table}
    TABLE.write_text(json.dumps(body, indent=0, sort_keys=True) + "\n", encoding="utf-8")


if __name__ == "__main__":
    write()
