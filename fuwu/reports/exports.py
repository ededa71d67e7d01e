"""Every report as one spreadsheet: the registry the export page, the export API and the
subscriptions read (issue 12).

An `Export` reads the report's filters from query parameters exactly as its page does (the
report's own parsing and checks, hence its rights: `fuwu.reports.lists.rights`, keyed by the
slug), builds the report and gives its main table (`sheet`; for the xlsx with the page's
secondary tables, a sheet each) to the exporter (`fuwu.sheets.writer`). `period` says how a
subscription's period becomes the report's filters: `range` (from/to), `month` (the parking
list: the month the period starts in) or `week` (the gas list: the week it starts in), `now`
(the keys overdue: as they stand when it is read).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy

from fuwu.core.actors import Actor
from fuwu.procedures.engine.errors import FieldError, NotFound, Unprocessable
from fuwu.procedures.registry import current_version, definition_of
from fuwu.reports import quality as q
from fuwu.reports import service_levels as sl
from fuwu.reports import workload as wl
from fuwu.reports.lists import fees, gas, parse_day, registers, rounds, scope_from_params
from fuwu.sheets.tables import SimpleTable

SURVEY_DAYS = 183  # the surveys list's default period (seed 2: the survey runs 每半年一次)
# The filters a list reads besides site and period (a subscription keeps them too).
LIST_PARAMS = ("building", "state", "grain", "round")

Params = Mapping[str, str]


@dataclass(frozen=True)
class Export:
    slug: str  # in the URL: /reports/<slug>/export/
    title: Promise
    url_name: str  # the report's page
    table: Callable[[Actor, Params, str], SimpleTable]  # (actor, filters, language)
    period: str = "range"

    @property
    def key(self) -> str:
        """The subscription's report key."""
        return self.slug.replace("-", "_")


def _service_levels(actor: Actor, params: Params, language: str) -> SimpleTable:
    return sl.sheet(sl.report(sl.from_params(actor, params), language=language))


def _quality(actor: Actor, params: Params, language: str) -> SimpleTable:
    return q.sheet(q.report(sl.from_params(actor, params), language=language))


def _workload(actor: Actor, params: Params, language: str) -> SimpleTable:
    return wl.sheet(wl.report(sl.from_params(actor, params), language=language), language)


def _fees(actor: Actor, params: Params, language: str) -> SimpleTable:
    scope = scope_from_params(actor, params, report="fees", month_to_date=True)
    return fees.statistics_sheet(fees.building_statistics(scope))


def _arrears(actor: Actor, params: Params, language: str) -> SimpleTable:
    scope = scope_from_params(actor, params, report="arrears", month_to_date=True)
    state = params.get("state") or fees.ARREARS
    return fees.arrears_sheet(fees.household_rows(scope, state), language)


def _fee_reports(actor: Actor, params: Params, language: str) -> SimpleTable:
    scope = scope_from_params(actor, params, report="fee-reports", month_to_date=True)
    return fees.fee_report_sheet(fees.fee_report(scope, params.get("grain") or "day"), language)


def _parking(actor: Actor, params: Params, language: str) -> SimpleTable:
    scope = scope_from_params(actor, params, report="parking")
    month = registers.parse_month(params.get("month"), scope.today)
    return registers.parking_sheet(registers.parking_expiring(scope, month), month, language)


def _gas(actor: Actor, params: Params, language: str) -> SimpleTable:
    scope = scope_from_params(actor, params, report="gas")
    errors: dict[str, FieldError] = {}
    day = parse_day(params, "week", errors) or scope.today
    if errors:
        raise Unprocessable("invalid_filters", fields=errors)
    return gas.sheet(gas.gas_week(scope, day))


def _keys(actor: Actor, params: Params, language: str) -> SimpleTable:
    return registers.keys_sheet(
        registers.keys_overdue(scope_from_params(actor, params, report="keys"))
    )


def _vacant(actor: Actor, params: Params, language: str) -> SimpleTable:
    scope = scope_from_params(actor, params, report="vacant", month_to_date=True)
    version = current_version(rounds.VACANT)
    steps = (
        {k: s.name.get(language) for k, s in definition_of(version).steps.items()}
        if version is not None
        else {}
    )
    return rounds.vacant_sheet(rounds.vacant_log(scope), steps, language)


def _surveys(actor: Actor, params: Params, language: str) -> SimpleTable:
    scope = scope_from_params(actor, params, report="surveys", default_days=SURVEY_DAYS)
    survey_round = (params.get("round") or "").strip()[:40] or None
    tally = rounds.counted_tally(scope, round=survey_round)
    return rounds.survey_sheet(tally, language)


EXPORTS: dict[str, Export] = {
    e.slug: e
    for e in (
        Export(
            "service-levels",
            gettext_lazy("服务时效报表"),
            "web:report-service-levels",
            _service_levels,
        ),
        Export("quality", gettext_lazy("质量报表"), "web:report-quality", _quality),
        Export("workload", gettext_lazy("工作量报表"), "web:report-workload", _workload),
        Export("fees", gettext_lazy("缴费情况统计"), "web:report-fees", _fees),
        Export("arrears", gettext_lazy("欠费清单"), "web:report-arrears", _arrears),
        Export("fee-reports", gettext_lazy("收费报表"), "web:report-fee-reports", _fee_reports),
        Export(
            "parking", gettext_lazy("到期车位租赁清单"), "web:report-parking", _parking, "month"
        ),
        Export("gas", gettext_lazy("通气名单"), "web:report-gas", _gas, "week"),
        Export("keys", gettext_lazy("逾期未还钥匙"), "web:report-keys", _keys, "now"),
        Export("vacant", gettext_lazy("空房巡视记录"), "web:report-vacant", _vacant),
        Export("surveys", gettext_lazy("意见征询统计"), "web:report-surveys", _surveys),
    )
}


def export_of(slug: str) -> Export:
    found = EXPORTS.get(slug)
    if found is None:
        raise NotFound("not_found")
    return found


def table(actor: Actor, slug: str, params: Params, language: str) -> SimpleTable:
    """The report's main table for these filters: the report's own checks and rights."""
    return export_of(slug).table(actor, params, language)


def period_params(export: Export, start: date, end: date) -> dict[str, str]:
    """A subscription's period as the report's filters (see the module's doc)."""
    if export.period == "month":
        return {"month": f"{start:%Y-%m}"}
    if export.period == "week":
        return {"week": start.isoformat()}
    if export.period == "now":
        return {}
    return {"from": start.isoformat(), "to": end.isoformat()}
