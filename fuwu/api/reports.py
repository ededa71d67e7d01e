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
from fuwu.reports import quality, workload
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


# -- quality and workload (issue 12): `fuwu.reports.quality`, `fuwu.reports.workload` --------

QUALITY_COLUMNS = quality.COLUMNS


class QualityLineOut(Schema):
    procedure: str = Field(description="procedure key; empty on the total")
    label: str
    counts: dict[str, int] = Field(
        description="per column: " + ", ".join(k for k, _m, _d in QUALITY_COLUMNS)
    )
    first_time_fix_percent: float | None
    return_visit_satisfied_percent: float | None
    drill: dict[str, str] = Field(description="per column: the cases behind it")


class QualityCountOut(Schema):
    key: str = Field(description="the option's value (a score, a nature, a department code…)")
    label: str
    count: int
    drill: str


class QualityAreaOut(Schema):
    key: str = Field(description="the follow-up form's field, e.g. sat_price")
    label: str
    satisfied: int
    dissatisfied: int
    satisfied_percent: float | None
    drill_satisfied: str
    drill_dissatisfied: str


class QualitySurveyOut(Schema):
    topic: str
    label: str
    levels: list[QualityCountOut] = Field(description="per satisfaction level of the survey")


class QualityMonthOut(Schema):
    month: str = Field(description="YYYY-MM")
    complaints: int
    drill: str


class QualityOut(Schema):
    start: date = Field(alias="from")
    end: date = Field(alias="to")
    sites: list[str]
    lines: list[QualityLineOut]
    total: QualityLineOut
    ratings: list[QualityCountOut]
    rating_average: float | None
    complaint_natures: list[QualityCountOut]
    complaint_departments: list[QualityCountOut]
    areas: list[QualityAreaOut] = Field(description="the Toyota follow-up's seven areas")
    survey: list[QualitySurveyOut] = Field(description="opinion survey: topic × satisfaction")
    months: list[QualityMonthOut] = Field(description="complaints taken in, twelve months")
    complaints_rising: bool = Field(
        description=f"each of the last {quality.RISES} complete months above the one before"
    )


def _q_url(name: str, filters: sl.Filters, what: str, **extra: object) -> str:
    query = {**filters.query(), "measure": what, **{k: str(v) for k, v in extra.items()}}
    return reverse(f"api:{name}") + "?" + urlencode(query)


def _q_line(filters: sl.Filters, line: quality.Line) -> QualityLineOut:
    where = {"procedure": line.procedure} if line.procedure else {}
    return QualityLineOut(
        procedure=line.procedure,
        label=line.label,
        counts={k: line.n(k) for k, _m, _d in QUALITY_COLUMNS},
        first_time_fix_percent=line.first_time_rate,
        return_visit_satisfied_percent=line.visit_rate,
        drill={k: _q_url("quality_cases", filters, k, **where) for k, _m, _d in QUALITY_COLUMNS},
    )


def _q_counts(filters: sl.Filters, what: str, items: list[quality.Count]) -> list[QualityCountOut]:
    return [
        QualityCountOut(
            key=c.key,
            label=c.label,
            count=c.count,
            drill=_q_url("quality_cases", filters, what, detail=c.key),
        )
        for c in items
    ]


@router.get(
    "/reports/quality",
    response={200: QualityOut, **ERRORS},
    summary="Quality: first-time fix, comebacks, return visits, ratings, areas, complaints",
    by_alias=True,
)
def quality_report(request: HttpRequest) -> QualityOut:
    filters = sl.from_params(actor(request), request.GET)
    r = quality.report(filters, language=language(request))
    codes = dict(Site.objects.filter(pk__in=filters.site_ids).values_list("pk", "code"))
    survey = [
        QualitySurveyOut(
            topic=topic.key,
            label=topic.label,
            levels=[
                QualityCountOut(
                    key=c.key,
                    label=c.label,
                    count=c.count,
                    drill=_q_url(
                        "quality_cases", filters, quality.SURVEY, detail=f"{topic.key}:{c.key}"
                    ),
                )
                for c in levels
            ],
        )
        for topic, levels in r.survey
    ]
    return QualityOut(
        **{"from": filters.start, "to": filters.end},
        sites=sorted(codes.values()),
        lines=[_q_line(filters, line) for line in r.lines],
        total=_q_line(filters, r.total),
        ratings=_q_counts(filters, str(Measure.RATED), r.ratings),
        rating_average=r.rating_average,
        complaint_natures=_q_counts(filters, str(Measure.COMPLAINT_NATURE), r.natures),
        complaint_departments=_q_counts(filters, str(Measure.COMPLAINT_DEPARTMENT), r.departments),
        areas=[
            QualityAreaOut(
                key=a.key,
                label=a.label,
                satisfied=a.yes,
                dissatisfied=a.no,
                satisfied_percent=a.rate,
                drill_satisfied=_q_url(
                    "quality_cases", filters, quality.AREA, detail=f"{a.key}:yes"
                ),
                drill_dissatisfied=_q_url(
                    "quality_cases", filters, quality.AREA, detail=f"{a.key}:no"
                ),
            )
            for a in r.areas
        ],
        survey=survey,
        months=[
            QualityMonthOut(
                month=m.label,
                complaints=m.count,
                drill=_q_url(
                    "quality_cases", filters, quality.COMPLAINTS, **{"from": m.start, "to": m.end}
                ),
            )
            for m in r.months
        ],
        complaints_rising=r.rising,
    )


def _drill_out(count: int, found: list[sl.Occurrence], lang: str) -> DrillOut:
    en = lang.startswith("en")
    return DrillOut(
        count=count,
        items=[
            OccurrenceOut(
                case_id=n.occurrence.case.pk,
                number=n.occurrence.case.number,
                title=n.occurrence.case.title,
                site=n.occurrence.case.site.code,
                step=n.occurrence.step,
                department=(
                    (n.department.name_en or n.department.name) if en else n.department.name
                )
                if n.department
                else "",
                person=n.person.username if n.person else None,
                day=n.occurrence.day,
                detail=n.occurrence.detail,
            )
            for n in sl.named(found, lang)
        ],
    )


@router.get(
    "/reports/quality/cases",
    response={200: DrillOut, **ERRORS},
    summary="The occurrences behind one quality number (a column, measure, area, survey cell)",
    url_name="quality_cases",
)
def quality_cases(
    request: HttpRequest,
    measure: str,
    procedure: str | None = None,
    detail: str | None = None,
) -> DrillOut:
    filters = sl.from_params(actor(request), request.GET)
    count, found = quality.drill(filters, measure, procedure=procedure, detail=detail)
    return _drill_out(count, found, language(request))


class WorkloadChannelOut(Schema):
    channel: str
    label: str
    total: int
    hours: list[int] = Field(description="24 numbers: taken in at each local hour")
    drill: str = Field(description="add &hour=H for one hour")


class WorkloadBacklogOut(Schema):
    procedure: str
    step: str
    label: str
    department_id: int | None
    count: int
    drill: str


class WorkloadPersonOut(Schema):
    person: str | None = Field(description="username")
    days: int = Field(description="days in the period with anything counted")
    totals: dict[str, int] = Field(description="intake, step_done, repair_order")
    per_day: dict[str, float] = Field(description="the totals over those days")
    most_in_a_day: dict[str, int]
    days_over_repair_order_norm: int
    drill: dict[str, str]


class WorkloadScoreOut(Schema):
    person: str | None = Field(description="username")
    week: date = Field(description="the week's Monday")
    counts: dict[str, int] = Field(
        description="resolved_on_time, resolved_late, comeback, return_visit:satisfied, "
        "return_visit:dissatisfied, rated"
    )
    on_time_percent: float | None
    rating_average: float | None


class WorkloadOut(Schema):
    start: date = Field(alias="from")
    end: date = Field(alias="to")
    sites: list[str]
    channels: list[WorkloadChannelOut]
    backlog: list[WorkloadBacklogOut] = Field(description="open cases now, by step and department")
    people: list[WorkloadPersonOut]
    repair_orders_a_day: list[int] = Field(description="the seed's norm for an advisor")
    scorecards: list[WorkloadScoreOut]


@router.get(
    "/reports/workload",
    response={200: WorkloadOut, **ERRORS},
    summary="Workload: intake by channel and hour, backlog now, per person a day, scorecards",
    by_alias=True,
)
def workload_report(request: HttpRequest) -> WorkloadOut:
    filters = sl.from_params(actor(request), request.GET)
    r = workload.report(filters, language=language(request))
    codes = dict(Site.objects.filter(pk__in=filters.site_ids).values_list("pk", "code"))
    people = workload.users({p.person_id for p in r.people} | {s.person_id for s in r.scores})

    def username(pk: int | None) -> str | None:
        user = people.get(pk or 0)
        return user.username if user else None

    per_day = [str(m) for m in workload.PER_DAY]
    return WorkloadOut(
        **{"from": filters.start, "to": filters.end},
        sites=sorted(codes.values()),
        channels=[
            WorkloadChannelOut(
                channel=c.channel,
                label=c.label,
                total=c.total,
                hours=c.hours,
                drill=_q_url("workload_cases", filters, Measure.INTAKE, channel=c.channel),
            )
            for c in r.channels
        ],
        backlog=[
            WorkloadBacklogOut(
                procedure=b.procedure,
                step=b.step,
                label=b.label,
                department_id=b.department_id,
                count=b.count,
                drill=_q_url(
                    "workload_cases",
                    filters,
                    workload.BACKLOG,
                    procedure=b.procedure,
                    step=b.step,
                    **({"department": b.department_id} if b.department_id else {}),
                ),
            )
            for b in r.backlog
        ],
        people=[
            WorkloadPersonOut(
                person=username(p.person_id),
                days=p.days,
                totals={m: p.totals.get(m, 0) for m in per_day},
                per_day={m: p.average(m) for m in per_day},
                most_in_a_day={m: p.most.get(m, 0) for m in per_day},
                days_over_repair_order_norm=p.busy_days,
                drill={
                    m: _q_url("workload_cases", filters, m, person=p.person_id) for m in per_day
                },
            )
            for p in r.people
        ],
        repair_orders_a_day=list(workload.ORDERS_A_DAY),
        scorecards=[
            WorkloadScoreOut(
                person=username(s.person_id),
                week=s.week,
                counts=s.counts,
                on_time_percent=s.on_time_rate,
                rating_average=s.rating,
            )
            for s in r.scores
        ],
    )


@router.get(
    "/reports/workload/cases",
    response={200: DrillOut, **ERRORS},
    summary="The occurrences (or open cases: measure=backlog) behind one workload number",
    url_name="workload_cases",
)
def workload_cases(
    request: HttpRequest,
    measure: str,
    procedure: str | None = None,
    step: str | None = None,
    detail: str | None = None,
    channel: str | None = None,
    hour: int | None = None,
) -> DrillOut:
    filters = sl.from_params(actor(request), request.GET)
    count, found = workload.drill(
        filters, measure, procedure=procedure, step=step, detail=detail, channel=channel, hour=hour
    )
    return _drill_out(count, found, language(request))
