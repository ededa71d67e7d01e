"""Who may read each report page, and for which sites (issue 12): the one rule that the pages,
the `/reports/` index, the menu, the API, the exports and the subscriptions ask.

Managers (and VPs, specialists, administrators: `Actor.is_manager`) read every report of the
sites they work for; a superuser reads every site. Besides them, each of the seeds' lists is
read by the people who work it, for the sites they work at:

- the finance clerks (财务) keep the payment statistics, the arrears list (the households behind
  every figure) and the daily and weekly fee reports with the payments behind them;
- the guards (秩序维护员) take the month's list of parking leases ending to the gates, and chase
  the keys not brought back (the key register).

The week's gas list, the vacant-unit log, the survey tally and the service-level, quality and
workload reports stay the managers' (the last three by `service_levels.may_read`).

Reports are named by their export slug (`fuwu.reports.exports.EXPORTS`); a drill-down page is
read with its report's right (the fee payments with `fee-reports`, the survey households with
`surveys`).
"""

from __future__ import annotations

from fuwu.core.actors import Actor
from fuwu.core.choices import RoleCode
from fuwu.core.models import Site
from fuwu.reports import service_levels as sl

# The service levels' families: read by managers only (`service_levels.may_read`).
SERVICE_LEVELS = ("service-levels", "quality", "workload")

FINANCE = frozenset({RoleCode.FINANCE.value})
SECURITY = frozenset({RoleCode.SECURITY.value})
MANAGERS_ONLY: frozenset[str] = frozenset()

# Each list, in the index's order, and the roles besides the managers' that may read it.
READERS: dict[str, frozenset[str]] = {
    "fees": FINANCE,
    "arrears": FINANCE,
    "fee-reports": FINANCE,
    "parking": SECURITY,
    "gas": MANAGERS_ONLY,
    "keys": SECURITY,
    "vacant": MANAGERS_ONLY,
    "surveys": MANAGERS_ONLY,
}

REPORTS = (*SERVICE_LEVELS, *READERS)


def may_read(actor: Actor, report: str) -> bool:
    """May this person open the report (page, API, export, subscription)? Unknown: no."""
    if report in SERVICE_LEVELS:
        return sl.may_read(actor)
    roles = READERS.get(report)
    if roles is None:
        return False
    return actor.is_manager or bool(actor.roles & roles)


def readable(actor: Actor) -> tuple[str, ...]:
    """The reports this person may open, in the index's order (none: no reports menu)."""
    return tuple(r for r in REPORTS if may_read(actor, r))


def sites_for(actor: Actor, report: str) -> list[Site]:
    """The sites whose report this person may read, by name: the sites they work for (every
    site for a superuser), or none when they may not read it."""
    return sl.sites_of(actor) if may_read(actor, report) else []
