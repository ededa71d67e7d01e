"""Reports: the service levels (response and resolution on time, overdue now, escalations per
rung and level) with the cases behind every number. Managers see their sites; others get 403.

Filters are query parameters — `site` (code), `department` (id), `procedure` (key), `person`
(user id), `from` and `to` (dates in the site's time zone, the last 30 days by default) — and a
malformed or forbidden one is answered 422 with a message per field in the caller's language.
"""

from __future__ import annotations

from datetime import date
from urllib.parse import urlencode

from django.http import HttpRequest
from django.urls import reverse
from ninja import Field, Router, Schema

from fuwu.api.common import READ_ERRORS, ErrorOut, actor, language
from fuwu.core.models import Site
from fuwu.reports import service_levels as sl
from fuwu.reports.choices import Measure

router = Router(tags=["reports"])
ERRORS = {**READ_ERRORS, 403: ErrorOut}


class ServiceLevelLineOut(Schema):
    procedure: str = Field(description="procedure key; empty on the total")
    step: str = Field(description="step key; empty on the total")
    label: str
    counts: dict[str, int] = Field(description="per measure: " + ", ".join(Measure.values))
    overdue: int = Field(description="open cases late now (person: their assignee)")
    response_on_time_percent: float | None
    resolution_on_time_percent: float | None
    drill: dict[str, str] = Field(description="per measure and `overdue`: the cases behind it")


class RungOut(Schema):
    clock: str = Field(description="response, resolution, return_visit, timer")
    percent: int | None
    level: int | None
    count: int
    drill: str


class ServiceLevelsOut(Schema):
    start: date = Field(alias="from")
    end: date = Field(alias="to")
    sites: list[str]
    lines: list[ServiceLevelLineOut]
    total: ServiceLevelLineOut
    escalations: list[RungOut]
    days: list[date]
    series: dict[str, list[int]] = Field(description="per measure, one number a day")


class OccurrenceOut(Schema):
    case_id: int
    number: str
    title: str
    site: str
    step: str = Field(description="the step it was counted at (overdue now: the case's step)")
    department: str = Field(description="the department it was counted against")
    person: str | None = Field(description="username of the person it was counted against")
    day: date | None = Field(None, description="the day it was counted on; none for overdue now")
    detail: str


class DrillOut(Schema):
    count: int = Field(description="how many were counted; `items` holds the first 500")
    items: list[OccurrenceOut]


def _drill_url(filters: sl.Filters, measure: str, **extra: str) -> str:
    query = {**filters.query(), "measure": measure, **extra}
    return reverse("api:service_levels_cases") + "?" + urlencode(query)


def _line(filters: sl.Filters, line: sl.Line) -> ServiceLevelLineOut:
    where = {"procedure": line.procedure, "step": line.step} if line.procedure else {}
    return ServiceLevelLineOut(
        procedure=line.procedure,
        step=line.step,
        label=line.label,
        counts={str(m): line.n(m) for m in sl.COLUMNS},
        overdue=line.overdue,
        response_on_time_percent=line.response_rate,
        resolution_on_time_percent=line.resolution_rate,
        drill={m: _drill_url(filters, m, **where) for m in sorted(sl.DRILLABLE)},
    )


@router.get(
    "/reports/service-levels",
    response={200: ServiceLevelsOut, **ERRORS},
    summary="Service levels: on time per procedure and step, overdue now, escalations",
    by_alias=True,
)
def service_levels(request: HttpRequest) -> ServiceLevelsOut:
    who = actor(request)
    filters = sl.from_params(who, request.GET)
    report = sl.report(filters, language=language(request))
    codes = dict(Site.objects.filter(pk__in=filters.site_ids).values_list("pk", "code"))
    return ServiceLevelsOut(
        **{"from": filters.start, "to": filters.end},
        sites=sorted(codes.values()),
        lines=[_line(filters, line) for line in report.lines],
        total=_line(filters, report.total),
        escalations=[
            RungOut(
                clock=r.clock,
                percent=r.percent,
                level=r.level,
                count=r.count,
                drill=_drill_url(filters, Measure.ESCALATED, detail=r.detail),
            )
            for r in report.escalations
        ],
        days=report.days,
        series=report.series,
    )


@router.get(
    "/reports/service-levels/cases",
    response={200: DrillOut, **ERRORS},
    summary="The occurrences behind one service-level number (one row per count)",
    url_name="service_levels_cases",
)
def service_levels_cases(
    request: HttpRequest,
    measure: str,
    procedure: str | None = None,
    step: str | None = None,
    detail: str | None = None,
) -> DrillOut:
    who = actor(request)
    filters = sl.from_params(who, request.GET)
    count, found = sl.drill(filters, measure, procedure=procedure, step=step, detail=detail)
    lang = language(request)
    return DrillOut(
        count=count,
        items=[
            OccurrenceOut(
                case_id=n.occurrence.case.pk,
                number=n.occurrence.case.number,
                title=n.occurrence.case.title,
                site=n.occurrence.case.site.code,
                step=n.occurrence.step,
                department=(n.department.name_en or n.department.name)
                if n.department and lang.startswith("en")
                else (n.department.name if n.department else ""),
                person=n.person.username if n.person else None,
                day=n.occurrence.day,
                detail=n.occurrence.detail,
            )
            for n in sl.named(found, lang)
        ],
    )
