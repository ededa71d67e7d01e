"""The seeds' own lists as report pages (`fuwu.reports.lists`): `/reports/` lists every report
page; `/reports/lists/…` the payment statistics by building, the arrears list (every household
notice, by state), the daily and weekly fee reports with the payments behind each number, the
parking leases expiring in a month and the week's gas list (both print on A4 for the paper
list), and the keys overdue. Who may open each, for which sites, is
`fuwu.reports.lists.rights`'s (403 otherwise); the figures and the checks of the filters are
the `lists` package's, the same the API serves."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path, reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from fuwu.procedures.engine.errors import EngineError, FieldError, Unprocessable
from fuwu.procedures.registry import current_version, definition_of
from fuwu.reports.exports import SURVEY_DAYS
from fuwu.reports.lists import (
    Scope,
    building_label,
    option_labels,
    parse_day,
    rights,
    scope_from_params,
)
from fuwu.reports.lists import fees as fee_lists
from fuwu.reports.lists import gas as gas_lists
from fuwu.reports.lists import registers as register_lists
from fuwu.reports.lists import rounds as round_lists
from fuwu.web.access import actor_of, staff_required

# Rows a list shows on screen at a time; the pager's links keep the filters, the figures above
# the table are over every row, and the spreadsheet export has every row.
PER_PAGE = 100


def _paged(request: HttpRequest, rows: Sequence[Any]) -> Page[Any]:
    """The page of `rows` that `?page=` asks for (the first for none or a bad number, the last
    past the end)."""
    return Paginator(rows, PER_PAGE).get_page(request.GET.get("page"))


def _language() -> str:
    return get_language() or "zh-hans"


def _link(name: str, scope: Scope, **extra: str) -> str:
    return reverse(name) + "?" + urlencode({**scope.query(), **extra})


def _page(
    request: HttpRequest,
    report: str,
    template: str,
    build: Callable[[Scope, dict[str, Any]], None],
    *,
    month_to_date: bool = False,
    default_days: int | None = None,
    extra: dict[str, Any] | None = None,
) -> HttpResponse:
    """Refuse a person who may not read `report` (403), resolve the filters, let `build` fill
    the context, or show the errors (422)."""
    actor = actor_of(request)
    if not rights.may_read(actor, report):
        raise PermissionDenied
    language = _language()
    context: dict[str, Any] = {
        "params": request.GET,
        "sites": rights.sites_for(actor, report),
        **(extra or {}),
    }
    try:
        scope = scope_from_params(
            actor,
            request.GET,
            report=report,
            month_to_date=month_to_date,
            default_days=default_days,
        )
        context["scope"] = scope
        build(scope, context)
    except EngineError as exc:
        context["error"] = exc.message(language)
        context["field_errors"] = {k: e.message(language) for k, e in exc.fields.items()}
        return render(request, template, context, status=422)
    return render(request, template, context)


@staff_required
def index_view(request: HttpRequest) -> HttpResponse:
    """Every report page this person may open; 403 when there is none."""
    pages = rights.readable(actor_of(request))
    if not pages:
        raise PermissionDenied
    return render(request, "web/reports/index.html", {"pages": pages})


@staff_required
def fees_view(request: HttpRequest) -> HttpResponse:
    def build(scope: Scope, context: dict[str, Any]) -> None:
        stats = fee_lists.building_statistics(scope)
        name = "web:report-arrears"

        def links(building: str | None) -> dict[str, str]:
            extra = {"building": building or fee_lists.NO_BUILDING} if building is not None else {}
            return {
                state: _link(name, scope, state=state, **extra)
                for state in (*fee_lists.STATES, fee_lists.OUTSTANDING, fee_lists.ALL)
            }

        context.update(
            stats=stats,
            rows=[
                (line, links(line.building), _building_label(line.building)) for line in stats.lines
            ],
            total=(stats.total, links(None)),
            chart={
                "labels": [_building_label(line.building) for line in stats.lines],
                "rates": [line.rate for line in stats.lines],
                "received": [float(line.received) for line in stats.lines],
                "outstanding": [float(line.outstanding) for line in stats.lines],
                "links": [links(line.building)[fee_lists.ALL] for line in stats.lines],
                "names": {
                    "rate": _("收缴率（%）"),
                    "received": _("实收（元）"),
                    "outstanding": _("未收（元）"),
                },
            },
        )

    return _page(request, "fees", "web/reports/fees.html", build, month_to_date=True)


def _building_label(building: str) -> str:
    return building_label(building)


@staff_required
def arrears_view(request: HttpRequest) -> HttpResponse:
    state = request.GET.get("state") or fee_lists.ARREARS

    def build(scope: Scope, context: dict[str, Any]) -> None:
        rows = fee_lists.household_rows(scope, state)
        context.update(
            rows_page=_paged(request, rows),
            fee_types=fee_lists.kind_labels(_language()),
            total_due=sum((r.due for r in rows), start=fee_lists.Decimal(0)),
            total_received=sum((r.received for r in rows), start=fee_lists.Decimal(0)),
            total_outstanding=sum((r.outstanding for r in rows), start=fee_lists.Decimal(0)),
            back=_link("web:report-fees", scope),
        )

    return _page(
        request,
        "arrears",
        "web/reports/arrears.html",
        build,
        month_to_date=True,
        extra={"state": state, "states": _state_names()},
    )


def _state_names() -> dict[str, str]:
    return fee_lists.state_labels()


@staff_required
def fee_reports_view(request: HttpRequest) -> HttpResponse:
    grain = request.GET.get("grain") or "day"

    def build(scope: Scope, context: dict[str, Any]) -> None:
        report = fee_lists.fee_report(scope, grain)
        names = fee_lists.kind_labels(_language())
        drill = "web:report-fee-payments"
        rows: list[dict[str, Any]] = []
        for period in report.periods:
            span = {"from": period.start.isoformat(), "to": min(period.end, scope.end).isoformat()}
            rows.append(
                {
                    "period": period,
                    "all": _link(drill, scope, **span),
                    "kinds": [
                        (period.by_kind.get(k, 0), _link(drill, scope, kind=k, **span))
                        for k in report.kinds
                    ],
                }
            )
        context.update(
            report=report,
            grain=grain,
            rows=rows,
            kinds=[names.get(k, k) for k in report.kinds],
            total_kinds=[
                (report.total.by_kind.get(k, 0), _link(drill, scope, kind=k)) for k in report.kinds
            ],
            total_link=_link(drill, scope),
            chart={
                "labels": [
                    p.start.isoformat()[5:] if grain == "day" else _week_label(p.start)
                    for p in report.periods
                ],
                "kinds": report.kinds,
                "names": [names.get(k, k) for k in report.kinds],
                "series": [
                    [float(p.by_kind.get(k, 0)) for p in report.periods] for k in report.kinds
                ],
                "links": [[r["kinds"][i][1] for r in rows] for i in range(len(report.kinds))],
            },
        )

    return _page(
        request,
        "fee-reports",
        "web/reports/fee_reports.html",
        build,
        month_to_date=True,
        extra={"grain": grain},
    )


def _week_label(monday: date) -> str:
    return f"{monday.isoformat()[5:]}–{(monday + timedelta(days=6)).isoformat()[5:]}"


@staff_required
def fee_payments_view(request: HttpRequest) -> HttpResponse:
    kind = request.GET.get("kind")

    def build(scope: Scope, context: dict[str, Any]) -> None:
        events = fee_lists.payment_events(scope, kind=kind)
        count, total = fee_lists.payment_total(events)
        # The count and sum over every payment by the database; only the page's rows are read.
        paginator = Paginator(events, PER_PAGE)
        paginator.count = count  # known: no second COUNT query
        rows_page = paginator.get_page(request.GET.get("page"))
        first = (rows_page.number - 1) * PER_PAGE
        rows = fee_lists.payment_rows(scope, events[first : first + PER_PAGE])
        language = _language()
        context.update(
            rows_page=rows_page,
            rows=rows,
            kind=kind,
            kinds=fee_lists.kind_labels(language),
            methods=fee_lists.method_labels(language),
            total=total,
            back=_link("web:report-fee-reports", scope),
        )

    return _page(request, "fee-reports", "web/reports/fee_payments.html", build, month_to_date=True)


@staff_required
def parking_view(request: HttpRequest) -> HttpResponse:
    def build(scope: Scope, context: dict[str, Any]) -> None:
        month = register_lists.parse_month(request.GET.get("month"), scope.today)
        rows = register_lists.parking_expiring(scope, month)
        context.update(
            rows=rows,
            month=month,
            kinds=register_lists.space_kind_labels(_language()),
            expired=sum(1 for r in rows if r.expired),
        )

    return _page(request, "parking", "web/reports/parking.html", build)


@staff_required
def gas_view(request: HttpRequest) -> HttpResponse:
    def build(scope: Scope, context: dict[str, Any]) -> None:
        errors: dict[str, FieldError] = {}
        day = parse_day(request.GET, "week", errors) or scope.today
        if errors:
            raise Unprocessable("invalid_filters", fields=errors)
        week = gas_lists.gas_week(scope, day)
        context.update(
            week=week,
            rows_page=_paged(request, week.rows),
            counts={s: week.count(s) for s in gas_lists.STATES},
            previous=(week.monday - timedelta(days=7)).isoformat(),
            next=(week.monday + timedelta(days=7)).isoformat(),
            states=gas_lists.state_labels(),
        )

    return _page(request, "gas", "web/reports/gas.html", build)


@staff_required
def keys_view(request: HttpRequest) -> HttpResponse:
    def build(scope: Scope, context: dict[str, Any]) -> None:
        context.update(rows=register_lists.keys_overdue(scope))

    return _page(request, "keys", "web/reports/keys.html", build)


@staff_required
def vacant_view(request: HttpRequest) -> HttpResponse:
    def build(scope: Scope, context: dict[str, Any]) -> None:
        rows = round_lists.vacant_log(scope)
        context.update(
            rows_page=_paged(request, rows),
            problems=sum(1 for r in rows if r.problem),
            departments=option_labels(round_lists.VACANT, "responsible_department", _language()),
            steps=_step_names(round_lists.VACANT),
        )

    return _page(request, "vacant", "web/reports/vacant.html", build, month_to_date=True)


def _step_names(procedure: str) -> dict[str, str]:
    """The steps of a procedure's current version, named in the reader's language."""
    version = current_version(procedure)
    if version is None:
        return {}
    return {k: step.name.get(_language()) for k, step in definition_of(version).steps.items()}


@staff_required
def surveys_view(request: HttpRequest) -> HttpResponse:
    survey_round = (request.GET.get("round") or "").strip()[:40] or None

    def build(scope: Scope, context: dict[str, Any]) -> None:
        tally = round_lists.counted_tally(scope, round=survey_round)
        names = option_labels(round_lists.SURVEY, "responsible_department", _language())
        extra = {"round": survey_round} if survey_round else {}

        def links(building: str | None) -> dict[str, str]:
            where = {"building": building or "-"} if building is not None else {}
            keys = [*round_lists.MEASURES, *(round_lists.DEPARTMENT + d for d in tally.departments)]
            return {
                m: _link("web:report-survey-households", scope, measure=m, **where, **extra)
                for m in keys
            }

        def row(line: round_lists.AreaLine, building: str | None) -> dict[str, Any]:
            urls = links(building)
            return {
                "line": line,
                "label": _building_label(line.building) if building is not None else "",
                "links": urls,
                "departments": [
                    (line.by_department.get(d, 0), urls[round_lists.DEPARTMENT + d])
                    for d in tally.departments
                ],
            }

        context.update(
            tally=tally,
            rows=[row(line, line.building) for line in tally.lines],
            total=row(tally.total, None),
            department_names=[names.get(d, d) for d in tally.departments],
            chart={
                "labels": [_building_label(line.building) for line in tally.lines],
                "rates": [line.return_rate for line in tally.lines],
                "problems": [line.problems for line in tally.lines],
                "links": [links(line.building)[round_lists.RETURNED] for line in tally.lines],
                "names": {"rate": _("回收率（%）"), "problems": _("反映问题户数")},
            },
        )

    return _page(
        request,
        "surveys",
        "web/reports/surveys.html",
        build,
        default_days=SURVEY_DAYS,
        extra={"survey_round": survey_round or ""},
    )


@staff_required
def survey_households_view(request: HttpRequest) -> HttpResponse:
    survey_round = (request.GET.get("round") or "").strip()[:40] or None
    measure = request.GET.get("measure") or round_lists.ALL

    def build(scope: Scope, context: dict[str, Any]) -> None:
        # Every household's place in the list, but only the page's read whole.
        ids = round_lists.surveyed_order(scope, measure, round=survey_round)
        rows_page = _paged(request, ids)
        rows_page.object_list = round_lists.in_order(
            scope, list(rows_page.object_list), round=survey_round
        )
        language = _language()
        context.update(
            rows_page=rows_page,
            methods=option_labels(round_lists.SURVEY, "survey_method", language),
            departments=option_labels(round_lists.SURVEY, "responsible_department", language),
            back=_link(
                "web:report-surveys", scope, **({"round": survey_round} if survey_round else {})
            ),
        )

    return _page(
        request, "surveys", "web/reports/survey_households.html", build, default_days=SURVEY_DAYS
    )


urlpatterns = [
    path("reports/", index_view, name="report-index"),
    path("reports/lists/fees/", fees_view, name="report-fees"),
    path("reports/lists/arrears/", arrears_view, name="report-arrears"),
    path("reports/lists/fee-reports/", fee_reports_view, name="report-fee-reports"),
    path("reports/lists/fee-reports/payments/", fee_payments_view, name="report-fee-payments"),
    path("reports/lists/parking/", parking_view, name="report-parking"),
    path("reports/lists/gas/", gas_view, name="report-gas"),
    path("reports/lists/keys/", keys_view, name="report-keys"),
    path("reports/lists/vacant/", vacant_view, name="report-vacant"),
    path("reports/lists/surveys/", surveys_view, name="report-surveys"),
    path(
        "reports/lists/surveys/households/",
        survey_households_view,
        name="report-survey-households",
    ),
]
