"""Report pages. `/reports/service-levels/`: the filters, a chart of each day's on-time and late
resolutions, a table per procedure step and one per escalation rung, and every number a link to
the occurrences behind it (`/reports/service-levels/cases/`). Managers only (others 403); the
figures, the checks of the filters and the drill-down are `fuwu.reports.service_levels`'s, the
same the API serves."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from functools import lru_cache
from typing import Any
from urllib.parse import quote_plus, urlencode

from django.contrib.auth import get_user_model
from django.core.paginator import Page, Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path, reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from fuwu.core.models import Department
from fuwu.procedures.engine.errors import EngineError, FieldError, Unprocessable
from fuwu.procedures.models import ProcedureVersion
from fuwu.reports import service_levels as sl
from fuwu.reports.choices import Measure
from fuwu.web.access import actor_of, staff_required
from fuwu.web.lists import department_name, person_name

User = get_user_model()

# The table's columns: (measure, heading); the rates follow their pairs.
HEADINGS = [
    (Measure.INTAKE, Measure.INTAKE.label),
    (Measure.RESPONDED_ON_TIME, Measure.RESPONDED_ON_TIME.label),
    (Measure.RESPONDED_LATE, Measure.RESPONDED_LATE.label),
    (Measure.RESOLVED_ON_TIME, Measure.RESOLVED_ON_TIME.label),
    (Measure.RESOLVED_LATE, Measure.RESOLVED_LATE.label),
    (Measure.REOPENED, Measure.REOPENED.label),
    (Measure.COMEBACK, Measure.COMEBACK.label),
    (Measure.ESCALATED, Measure.ESCALATED.label),
]


def _clock_name(clock: str) -> str:
    names = {
        "response": _("响应"),
        "resolution": _("解决"),
        "step": _("步骤"),
        "return_visit": _("回访"),
        "timer": _("定时"),
    }
    return names.get(clock, clock)


def _choices(actor: Any, language: str) -> dict[str, Any]:
    sites = sl.visible_sites(actor)
    site_ids = [s.pk for s in sites]
    departments = Department.objects.filter(site__in=site_ids).select_related("site")
    procedures = ProcedureVersion.objects.filter(is_current=True).order_by("key")
    en = language.startswith("en")
    people = (
        User.objects.filter(staff__department__site__in=site_ids, is_active=True)
        .select_related("staff")
        .order_by("staff__display_name")
    )
    return {
        "sites": sites,
        "departments": [
            (d.pk, f"{d.site.name} · {department_name(d, language)}")
            for d in sorted(departments, key=lambda d: (d.site.name, d.name))
        ],
        "procedures": [(p.key, p.name_en if en and p.name_en else p.name_zh) for p in procedures],
        "people": [(u.pk, person_name(u)) for u in people],
    }


def _link(base: str, filters: sl.Filters, measure: str, **extra: Any) -> str:
    """The drill-down link of one figure: the page's filters, the measure and `extra`. A report
    page has thousands (4,500 on the service levels): the filters' part is encoded once per
    page and filters, not once per link."""
    query = filters_query(filters)
    if "measure" in query or any(k in query for k in extra):  # an override: in place
        return (
            base
            + "?"
            + urlencode(
                {**filters.query(), "measure": measure, **{k: str(v) for k, v in extra.items()}}
            )
        )
    own = "&".join(
        f"{_quoted(k)}={_quoted(str(v))}" for k, v in {"measure": measure, **extra}.items()
    )
    return f"{base}?{_encoded(filters)}&{own}"


@lru_cache(maxsize=4096)
def _quoted(text: str) -> str:
    """`urlencode`'s quoting of one key or value, remembered: a page's links repeat a few
    dozen measures, steps and procedures thousands of times."""
    return quote_plus(text)


@lru_cache(maxsize=64)
def filters_query(filters: sl.Filters) -> dict[str, str]:
    return filters.query()


@lru_cache(maxsize=64)
def _encoded(filters: sl.Filters) -> str:
    return urlencode(filters_query(filters))


@staff_required(manager=True)
def service_levels_view(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    language = get_language() or "zh-hans"
    context: dict[str, Any] = {"params": request.GET, **_choices(actor, language)}
    try:
        filters = sl.from_params(actor, request.GET)
    except EngineError as exc:
        context["error"] = exc.message(language)
        context["field_errors"] = {k: e.message(language) for k, e in exc.fields.items()}
        return render(request, "web/reports_service_levels.html", context, status=422)
    report = sl.report(filters, language=language)
    drill = reverse("web:report-service-levels-cases")
    rows = []
    for line in [*report.lines, report.total]:
        is_total = line is report.total
        where = {"procedure": line.procedure, "step": line.step} if line.procedure else {}
        rows.append(
            {
                "line": line,
                # A zero in the table is shown without a link: none is made for it (the total
                # line's are the tiles' links too).
                "cells": [
                    (n, _link(drill, filters, m, **where) if n or is_total else "", m)
                    for n, m in ((line.n(m), m) for m, _h in HEADINGS)
                ],
                "overdue": (
                    line.overdue,
                    _link(drill, filters, sl.OVERDUE, **where) if line.overdue or is_total else "",
                ),
            }
        )
    rungs = [
        {
            "clock": _clock_name(r.clock),
            "percent": r.percent,
            "level": r.level,
            "count": r.count,
            "url": _link(drill, filters, Measure.ESCALATED, detail=r.detail),
        }
        for r in report.escalations
    ]
    chart = {
        "days": [d.isoformat() for d in report.days],
        "labels": [d.isoformat()[5:] for d in report.days],
        "series": report.series,
        "names": {
            Measure.RESOLVED_ON_TIME: str(Measure.RESOLVED_ON_TIME.label),
            Measure.RESOLVED_LATE: str(Measure.RESOLVED_LATE.label),
            Measure.RESPONDED_LATE: str(Measure.RESPONDED_LATE.label),
        },
        "drill": drill + "?" + urlencode(filters.query()),
    }
    context.update(
        filters=filters,
        report=report,
        headings=[h for _m, h in HEADINGS],
        rows=rows[:-1],
        total=rows[-1],
        totals=rows[-1:],
        rungs=rungs,
        chart=chart,
    )
    return render(request, "web/reports_service_levels.html", context)


@staff_required(manager=True)
def service_levels_cases_view(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    language = get_language() or "zh-hans"
    measure = request.GET.get("measure", "")
    try:
        filters = sl.from_params(actor, request.GET)
        rows_page, found = drill_paged(
            request,
            lambda offset, limit: sl.drill(
                filters,
                measure,
                procedure=request.GET.get("procedure") or None,
                step=request.GET.get("step") or None,
                detail=request.GET.get("detail"),
                day=_day(request.GET.get("day")),
                offset=offset,
                limit=limit,
            ),
        )
    except EngineError as exc:
        context = {
            "error": exc.message(language),
            "field_errors": {k: e.message(language) for k, e in exc.fields.items()},
        }
        return render(request, "web/reports_cases.html", context, status=422)
    title = _("当前超时") if measure == sl.OVERDUE else str(Measure(measure).label)
    back = reverse("web:report-service-levels") + "?" + urlencode(filters.query())
    step = request.GET.get("step")
    scope = ""
    if step and request.GET.get("procedure"):
        names = sl.labels({(request.GET["procedure"], step)}, language)
        scope = names[(request.GET["procedure"], step)]
    return render(
        request,
        "web/reports_cases.html",
        {
            "title": title,
            "scope": scope,
            "day": _day(request.GET.get("day")),
            "filters": filters,
            "count": rows_page.paginator.count,
            "rows_page": rows_page,
            "items": [
                {
                    "case": n.occurrence.case,
                    "day": n.occurrence.day,
                    "step": n.step,
                    "department": department_name(n.department, language) if n.department else "",
                    "person": person_name(n.person),
                }
                for n in sl.named(found, language)
            ],
            "back": back,
        },
    )


DRILL_PAGE = 100  # rows of a drill-down on screen at a time (the API gives the first 500)


def drill_paged(
    request: HttpRequest, find: Callable[[int, int], tuple[int, list[sl.Occurrence]]]
) -> tuple[Page[int], list[sl.Occurrence]]:
    """The page of a drill-down `?page=` asks for: `find(offset, limit)` gives (how many in
    all, those rows); a page past the end is read again as the last one."""
    raw = request.GET.get("page") or "1"
    wanted = int(raw) if raw.isdigit() and 0 < len(raw) < 7 else 1
    wanted = max(wanted, 1)
    count, found = find((wanted - 1) * DRILL_PAGE, DRILL_PAGE)
    page = Paginator(range(count), DRILL_PAGE).get_page(wanted)
    if page.number != wanted:
        count, found = find((page.number - 1) * DRILL_PAGE, DRILL_PAGE)
    return page, found


def _day(raw: str | None) -> date | None:
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise Unprocessable(
            "invalid_filters", fields={"day": FieldError("report_bad_date")}
        ) from None


urlpatterns = [
    path("reports/service-levels/", service_levels_view, name="report-service-levels"),
    path(
        "reports/service-levels/cases/",
        service_levels_cases_view,
        name="report-service-levels-cases",
    ),
]
