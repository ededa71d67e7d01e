"""The quality (`/reports/quality/`) and workload (`/reports/workload/`) report pages: the same
filters as the service levels, a chart, tables, and every number a link to the cases behind it
(`…/cases/`). Managers only (others 403); the figures, the checks of the filters and the
drill-downs are `fuwu.reports.quality`'s and `fuwu.reports.workload`'s, the same the API serves."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from django.core.paginator import Page, Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path, reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from fuwu.core.models import Department
from fuwu.procedures.engine.errors import EngineError, FieldError, Unprocessable
from fuwu.reports import drill as dr
from fuwu.reports import quality as q
from fuwu.reports import service_levels as sl
from fuwu.reports import workload as wl
from fuwu.reports.choices import Measure
from fuwu.reports.service_levels import Filters, Occurrence
from fuwu.web.access import actor_of, staff_required
from fuwu.web.lists import department_name, person_name
from fuwu.web.views.reports import _choices, _day, _link, drill_paged


def _refused(
    request: HttpRequest, template: str, context: dict[str, Any], exc: EngineError
) -> HttpResponse:
    language = get_language() or "zh-hans"
    context["error"] = exc.message(language)
    context["field_errors"] = {k: e.message(language) for k, e in exc.fields.items()}
    return render(request, template, context, status=422)


# -- quality -------------------------------------------------------------------------------

QUALITY_HEADINGS = q.HEADINGS


@staff_required(manager=True)
def quality_view(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    language = get_language() or "zh-hans"
    context: dict[str, Any] = {"params": request.GET, **_choices(actor, language)}
    try:
        filters = sl.from_params(actor, request.GET)
    except EngineError as exc:
        return _refused(request, "web/reports_quality.html", context, exc)
    r = q.report(filters, language=language)
    base = reverse("web:report-quality-cases")
    rows = []
    for line in [*r.lines, r.total]:
        where = {"procedure": line.procedure} if line.procedure else {}
        rows.append(
            {
                "line": line,
                "cells": [
                    (line.n(k), _link(base, filters, k, **where), k) for k, _h in QUALITY_HEADINGS
                ],
            }
        )

    def counts(what: str, items: list[q.Count]) -> list[dict[str, Any]]:
        return [
            {"label": c.label, "count": c.count, "url": _link(base, filters, what, detail=c.key)}
            for c in items
        ]

    months = [
        {
            "label": m.label,
            "count": m.count,
            "url": _link(base, filters, q.COMPLAINTS, **{"from": m.start, "to": m.end}),
        }
        for m in r.months
    ]
    areas = [
        {
            "label": a.label,
            "rate": a.rate,
            "yes": (a.yes, _link(base, filters, q.AREA, detail=f"{a.key}:yes")),
            "no": (a.no, _link(base, filters, q.AREA, detail=f"{a.key}:no")),
        }
        for a in r.areas
    ]
    survey = [
        {
            "label": topic.label,
            "total": topic.count,
            "cells": [
                (c.count, _link(base, filters, q.SURVEY, detail=f"{topic.key}:{c.key}"))
                for c in levels
            ],
        }
        for topic, levels in r.survey
    ]
    context.update(
        filters=filters,
        report=r,
        headings=[h for _k, h in QUALITY_HEADINGS],
        rows=rows[:-1],
        total=rows[-1],
        ratings=counts(str(Measure.RATED), r.ratings),
        natures=counts(str(Measure.COMPLAINT_NATURE), r.natures),
        complaint_departments=counts(str(Measure.COMPLAINT_DEPARTMENT), r.departments),
        areas=areas,
        survey=survey,
        months=months,
        rises=q.RISES,
        comebacks=r.total.n("comeback_returned") + r.total.n("comeback_qc"),
        comebacks_url=_link(base, filters, str(Measure.COMEBACK)),
        complaints=r.complaints,
        complaints_url=_link(base, filters, q.COMPLAINTS),
        chart={
            "labels": [m["label"] for m in months],
            "counts": [m["count"] for m in months],
            "urls": [m["url"] for m in months],
            "name": _("投诉数量"),
            "rising": r.rising,
        },
    )
    return render(request, "web/reports_quality.html", context)


# -- workload ------------------------------------------------------------------------------


@staff_required(manager=True)
def workload_view(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    language = get_language() or "zh-hans"
    context: dict[str, Any] = {"params": request.GET, **_choices(actor, language)}
    try:
        filters = sl.from_params(actor, request.GET)
    except EngineError as exc:
        return _refused(request, "web/reports_workload.html", context, exc)
    r = wl.report(filters, language=language)
    base = reverse("web:report-workload-cases")
    intake = str(Measure.INTAKE)
    hours = [h for h in range(24) if r.hours[h]]
    channels = [
        {
            "label": c.label,
            "total": (c.total, _link(base, filters, intake, channel=c.channel)),
            "cells": [
                (c.hours[h], _link(base, filters, intake, channel=c.channel, hour=h)) for h in hours
            ],
        }
        for c in r.channels
    ]
    departments = Department.objects.in_bulk(
        {b.department_id for b in r.backlog if b.department_id}
    )
    backlog = [
        {
            "label": b.label,
            "department": department_name(departments[b.department_id], language)
            if b.department_id in departments
            else "—",
            "count": b.count,
            "url": _link(
                base,
                filters,
                wl.BACKLOG,
                procedure=b.procedure,
                step=b.step,
                **({"department": b.department_id} if b.department_id else {}),
            ),
        }
        for b in r.backlog
    ]
    people = wl.users({p.person_id for p in r.people} | {s.person_id for s in r.scores})
    per_day = []
    for p in r.people:
        cells = []
        for m in wl.PER_DAY:
            cells.append(
                {
                    "total": p.totals.get(m, 0),
                    "url": _link(base, filters, str(m), person=p.person_id)
                    if p.totals.get(m, 0)
                    else "",
                    "average": p.average(m),
                    "most": p.most.get(m, 0),
                }
            )
        per_day.append(
            {
                "name": person_name(people.get(p.person_id or 0)),
                "days": p.days,
                "cells": cells,
                "busy": p.busy_days,
            }
        )
    # The scorecards (a line per person and week: 900 a quarter at a million cases) a page at
    # a time, on their own `scores_page`; the export has them all.
    scores_page = Paginator(r.scores, SCORES_PAGE).get_page(request.GET.get("scores_page"))
    scores = [
        {
            "name": person_name(people.get(s.person_id or 0)),
            "week": s.week,
            "rate": s.on_time_rate,
            "cells": _score_cells(base, filters, s),
            "rating": s.rating,
        }
        for s in scores_page
    ]
    names = dict(zip([c.channel for c in r.channels], [c.label for c in r.channels], strict=True))
    context.update(
        filters=filters,
        report=r,
        hours=hours,
        channels=channels,
        hour_totals=[(r.hours[h], _link(base, filters, intake, hour=h)) for h in hours],
        intake_total=(sum(r.hours), _link(base, filters, intake)),
        backlog=backlog,
        backlog_total=(sum(b.count for b in r.backlog), _link(base, filters, wl.BACKLOG)),
        per_day=per_day,
        scores=scores,
        scores_page=scores_page,
        scores_prev=_page_url(request, "scores_page", scores_page, -1),
        scores_next=_page_url(request, "scores_page", scores_page, 1),
        orders_a_day=wl.ORDERS_A_DAY,
        chart={
            "hours": [f"{h:02d}" for h in range(24)],
            "series": [
                {"key": c.channel, "name": names[c.channel], "data": c.hours} for c in r.channels
            ],
            "drill": _link(base, filters, intake),
        },
    )
    return render(request, "web/reports_workload.html", context)


SCORES_PAGE = 100


def _page_url(request: HttpRequest, name: str, page: Page[Any], step: int) -> str:
    """The link to the page before (-1) or after (1) on parameter `name`, every other
    parameter kept; "" when there is none."""
    if not (page.has_previous() if step < 0 else page.has_next()):
        return ""
    query = request.GET.copy()
    query[name] = str(page.number + step)
    return "?" + query.urlencode() + "#scores"


def _score_cells(base: str, filters: Filters, s: wl.Score) -> list[tuple[int, str]]:
    """A scorecard's numbers, each a link to its occurrences that week (within the period)."""
    week = {
        "person": s.person_id,
        "from": max(s.week, filters.start),
        "to": min(s.week + timedelta(days=6), filters.end),
    }
    visit = str(Measure.RETURN_VISIT)
    cells = [
        (str(Measure.RESOLVED_ON_TIME), None, None),
        (str(Measure.RESOLVED_LATE), None, None),
        (str(Measure.COMEBACK), None, None),
        (visit, "satisfied", f"{visit}:satisfied"),
        (visit, "dissatisfied", f"{visit}:dissatisfied"),
        (str(Measure.RATED), None, None),
    ]
    # A zero is shown without a link: none is made for it.
    return [
        (
            s.n(key or measure),
            _link(base, filters, measure, **week, **({"detail": detail} if detail else {}))
            if s.n(key or measure)
            else "",
        )
        for measure, detail, key in cells
    ]


# -- drill-downs ---------------------------------------------------------------------------


def _cases_page(
    request: HttpRequest,
    back_name: str,
    report_title: str,
    find: Callable[[Filters, dr.Window], tuple[int, list[Occurrence]]],
    title: str,
) -> HttpResponse:
    actor = actor_of(request)
    language = get_language() or "zh-hans"
    try:
        filters = sl.from_params(actor, request.GET)
        rows_page, found = drill_paged(
            request, lambda offset, limit: find(filters, dr.Window(offset, limit))
        )
    except EngineError as exc:
        context = {
            "report_title": report_title,
            "error": exc.message(language),
            "field_errors": {k: e.message(language) for k, e in exc.fields.items()},
        }
        return render(request, "web/reports_cases.html", context, status=422)
    return render(
        request,
        "web/reports_cases.html",
        {
            "report_title": report_title,
            "title": title,
            "scope": "",
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
            "back": reverse(back_name) + "?" + urlencode(filters.query()),
        },
    )


def _title(measure: str) -> str:
    extra = {
        q.AREA: _("按区域满意度"),
        q.SURVEY: _("按意见方面满意度"),
        q.COMPLAINTS: _("投诉"),
        wl.BACKLOG: _("积压工单"),
        **{k: str(h) for k, h in QUALITY_HEADINGS},
    }
    if measure in extra:
        return extra[measure]
    return str(Measure(measure).label) if measure in Measure.values else measure


@staff_required(manager=True)
def quality_cases_view(request: HttpRequest) -> HttpResponse:
    measure = request.GET.get("measure", "")
    return _cases_page(
        request,
        "web:report-quality",
        _("质量报表"),
        lambda f, window: q.drill(
            f,
            measure,
            procedure=request.GET.get("procedure") or None,
            detail=request.GET.get("detail"),
            day=_day(request.GET.get("day")),
            window=window,
        ),
        _title(measure),
    )


def _hour(raw: str | None) -> int | None:
    if not raw:
        return None
    if not raw.isdigit() or not 0 <= int(raw) < 24:
        raise Unprocessable("invalid_filters", fields={"hour": FieldError("report_bad_number")})
    return int(raw)


@staff_required(manager=True)
def workload_cases_view(request: HttpRequest) -> HttpResponse:
    measure = request.GET.get("measure", "")
    return _cases_page(
        request,
        "web:report-workload",
        _("工作量报表"),
        lambda f, window: wl.drill(
            f,
            measure,
            procedure=request.GET.get("procedure") or None,
            step=request.GET.get("step") or None,
            detail=request.GET.get("detail"),
            channel=request.GET.get("channel") or None,
            hour=_hour(request.GET.get("hour")),
            day=_day(request.GET.get("day")),
            window=window,
        ),
        _title(measure),
    )


urlpatterns = [
    path("reports/quality/", quality_view, name="report-quality"),
    path("reports/quality/cases/", quality_cases_view, name="report-quality-cases"),
    path("reports/workload/", workload_view, name="report-workload"),
    path("reports/workload/cases/", workload_cases_view, name="report-workload-cases"),
]
