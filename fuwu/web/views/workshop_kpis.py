"""The workshop's KPIs (/workshop/<id>/kpis/?from=&to=): the Toyota seed's figures per day and
for the period beside their guide values (coloured when outside), a chart, the technicians'
productivity and efficiency and the repair orders per advisor. Every count links to the list of
the appointments, repair orders or jobs behind it (/workshop/<id>/kpis/items/), read from the
same `fuwu.scheduling.kpis.report`, so the list holds exactly what was counted.
Only staff of the workshop's site see it; a workshop of another site is a 404."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from fuwu.procedures.engine.errors import EngineError
from fuwu.scheduling import kpis
from fuwu.scheduling.booking import visible_workshops
from fuwu.scheduling.models import Workshop
from fuwu.web.access import actor_of, staff_required

DEFAULT_DAYS = 14


def _visible(request: HttpRequest, workshop_id: int) -> Workshop:
    found = visible_workshops(actor_of(request)).filter(pk=workshop_id).first()
    if found is None:
        raise Http404
    return found


def _today(workshop: Workshop) -> date:
    return timezone.now().astimezone(ZoneInfo(workshop.site.timezone)).date()


def _period(request: HttpRequest, workshop: Workshop) -> tuple[date, date, bool]:
    """The asked period, or the last two weeks; `False` when a date could not be read."""
    last = _today(workshop)
    first = last - timedelta(days=DEFAULT_DAYS - 1)
    try:
        if request.GET.get("to"):
            last = date.fromisoformat(request.GET["to"])
        if request.GET.get("from"):
            first = date.fromisoformat(request.GET["from"])
        elif request.GET.get("to"):
            first = last - timedelta(days=DEFAULT_DAYS - 1)
    except ValueError:
        return first, last, False
    return first, last, True


def pct(value: Decimal | None) -> str:
    return "—" if value is None else f"{value * 100:.1f} %"


def num(value: Decimal | None) -> str:
    if value is None:
        return "—"
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


@dataclass(frozen=True)
class Cell:
    text: str
    url: str = ""
    bad: bool = False  # outside the seed's guide
    good: bool = False  # inside it
    key: str = ""


def _items_url(workshop: Workshop, first: date, last: date, kind: str, **extra: Any) -> str:
    query = {"from": first.isoformat(), "to": last.isoformat(), "kind": kind}
    query.update({k: str(v) for k, v in extra.items() if v is not None})
    return reverse("web:workshop-kpi-items", args=[workshop.pk]) + "?" + urlencode(query)


def _board_url(workshop: Workshop, day: date) -> str:
    return reverse("web:board", args=[workshop.pk]) + f"?date={day.isoformat()}"


def _appointment_rate_cell(d: kpis.Day) -> Cell:
    r = d.appointment_rate
    return Cell(
        pct(r),
        bad=r is not None and r < kpis.APPOINTMENT_RATE_GUIDE,
        good=r is not None and r >= kpis.APPOINTMENT_RATE_GUIDE,
        key="appointment_rate",
    )


def _carry_over_rate_cell(d: kpis.Day) -> Cell:
    r = d.carry_over_rate
    return Cell(
        pct(r),
        bad=r is not None and r >= kpis.CARRY_OVER_RATE_GUIDE,
        good=r is not None and r < kpis.CARRY_OVER_RATE_GUIDE,
        key="carry_over_rate",
    )


def columns() -> list[tuple[str, str]]:
    """The per-day table's columns: key and heading."""
    return [
        ("customers", _("总客户数")),
        ("appointment_customers", _("预约客户数")),
        ("appointment_rate", _("预约率")),
        ("appointments", _("应到预约")),
        ("no_shows", _("失约")),
        ("no_show_rate", _("失约率")),
        ("walk_ins", _("随到客户")),
        ("without_appointment", _("无预约工单")),
        ("repaired", _("维修车辆")),
        ("carried", _("非计划滞留车")),
        ("carry_over_rate", _("滞留车率")),
        ("orders", _("修理单")),
        ("booked", _("预约工时")),
        ("sold", _("已售工时")),
        ("clocked", _("打卡工时")),
        ("idle", _("空闲工时")),
        ("productivity", _("生产率")),
        ("efficiency", _("效率")),
    ]


def cells(workshop: Workshop, d: kpis.Day, first: date, last: date, *, whole: bool) -> list[Cell]:
    """One row of the per-day table (or the period's, `whole`), each count linked to its list."""
    day = None if whole else d.day

    def count(kind: str) -> Cell:
        n = d.count(kind)
        extra = {} if whole else {"day": d.day.isoformat()}
        return Cell(str(n), _items_url(workshop, first, last, kind, **extra) if n else "", key=kind)

    hours_url = _items_url(workshop, first, last, "booked", day=day)
    figures = d.figures
    out = {
        "appointment_rate": _appointment_rate_cell(d),
        "no_show_rate": Cell(pct(d.no_show_rate), key="no_show_rate"),
        "carry_over_rate": _carry_over_rate_cell(d),
        "booked": Cell(num(d.booked), hours_url if d.count("booked") else "", key="booked"),
        "sold": Cell(
            num(d.sold),
            _items_url(workshop, first, last, "sold", day=day) if d.count("sold") else "",
            key="sold",
        ),
        "clocked": Cell(num(d.clocked), key="clocked"),
        "idle": Cell(
            num(d.idle), "" if whole or not d.working else _board_url(workshop, d.day), key="idle"
        ),
        "productivity": Cell(pct(figures.productivity), key="productivity"),
        "efficiency": Cell(pct(figures.efficiency), key="efficiency"),
    }
    return [out[key] if key in out else count(key) for key, _label in columns()]


def _chart(data: kpis.Report) -> dict[str, Any]:
    def as_pct(value: Decimal | None) -> float | None:
        return None if value is None else float(value * 100)

    return {
        "days": [d.day.isoformat() for d in data.days],
        "labels": [d.day.strftime("%m-%d") for d in data.days],
        "names": {
            "booked": _("预约工时"),
            "sold": _("已售工时"),
            "idle": _("空闲工时"),
            "appointment_rate": _("预约率"),
            "carry_over_rate": _("滞留车率"),
            "hours": _("小时"),
        },
        "booked": [float(d.booked) for d in data.days],
        "sold": [float(d.sold) for d in data.days],
        "idle": [float(d.idle) for d in data.days],
        "appointment_rate": [as_pct(d.appointment_rate) for d in data.days],
        "carry_over_rate": [as_pct(d.carry_over_rate) for d in data.days],
        "guide": {
            "appointment_rate": float(kpis.APPOINTMENT_RATE_GUIDE * 100),
            "carry_over_rate": float(kpis.CARRY_OVER_RATE_GUIDE * 100),
        },
    }


@staff_required
def kpis_page(request: HttpRequest, workshop_id: int) -> HttpResponse:
    workshop = _visible(request, workshop_id)
    first, last, readable = _period(request, workshop)
    context: dict[str, Any] = {
        "workshop": workshop,
        "workshops": list(visible_workshops(actor_of(request))),
        "first": first,
        "last": last,
        "columns": columns(),
        "error": "",
    }
    try:
        if not readable:
            raise EngineError("bad_kpi_period", days=kpis.MAX_DAYS)
        data = kpis.report(workshop, first, last)
    except EngineError as exc:
        context["error"] = exc.message(get_language() or "zh-hans")
        return render(request, "web/workshop_kpis.html", context, status=422)
    low, high = kpis.ORDERS_PER_ADVISOR_GUIDE
    context.update(
        report=data,
        rows=[(d, cells(workshop, d, first, last, whole=False)) for d in data.days],
        total=cells(workshop, data.total, first, last, whole=True),
        summary={
            "appointment_rate": _appointment_rate_cell(data.total),
            "no_show_rate": Cell(pct(data.total.no_show_rate)),
            "carry_over_rate": _carry_over_rate_cell(data.total),
            "booked": num(data.total.booked),
            "sold": num(data.total.sold),
            "idle": num(data.total.idle),
        },
        technicians=[
            (
                t,
                Cell(
                    num(t.figures.standard),
                    _items_url(workshop, first, last, "sold", technician=t.technician.pk)
                    if t.jobs
                    else "",
                ),
                pct(t.figures.productivity),
                pct(t.figures.efficiency),
            )
            for t in data.technicians
        ],
        advisors=[
            (a, _items_url(workshop, first, last, "orders", advisor=a.advisor_id))
            for a in data.advisors
        ],
        guide_low=low,
        guide_high=high,
        appointment_guide=pct(kpis.APPOINTMENT_RATE_GUIDE),
        carry_over_guide=pct(kpis.CARRY_OVER_RATE_GUIDE),
        chart=_chart(data),
        week_url=reverse("web:workshop") + f"?workshop={workshop.pk}&day={last.isoformat()}",
        board_url=_board_url(workshop, last),
    )
    return render(request, "web/workshop_kpis.html", context)


def _int(raw: str | None) -> int | None:
    try:
        return int(raw) if raw else None
    except ValueError:
        return None


@staff_required
def kpi_items(request: HttpRequest, workshop_id: int) -> HttpResponse:
    """The appointments, repair orders or jobs behind one figure of the KPI page."""
    workshop = _visible(request, workshop_id)
    first, last, readable = _period(request, workshop)
    kind = request.GET.get("kind", "")
    day = None
    try:
        if not readable:
            raise EngineError("bad_kpi_period", days=kpis.MAX_DAYS)
        if request.GET.get("day"):
            day = date.fromisoformat(request.GET["day"])
        data = kpis.report(workshop, first, last)
        ids = kpis.counted(
            data,
            kind,
            day=day,
            technician=_int(request.GET.get("technician")),
            advisor=_int(request.GET.get("advisor")),
        )
    except ValueError:
        raise Http404 from None
    except EngineError as exc:
        return render(
            request,
            "web/workshop_kpi_items.html",
            {"workshop": workshop, "error": exc.message(get_language() or "zh-hans")},
            status=422,
        )
    titles = dict(columns())
    titles["booked"] = _("占用工时的预约")
    titles["sold"] = _("已完工作业")
    return render(
        request,
        "web/workshop_kpi_items.html",
        {
            "workshop": workshop,
            "error": "",
            "title": titles.get(kind, kind),
            "first": first,
            "last": last,
            "day": day,
            "items": kpis.items(ids),
            "count": len(ids),
            "back_url": reverse("web:workshop-kpis", args=[workshop.pk])
            + "?"
            + urlencode({"from": first.isoformat(), "to": last.isoformat()}),
        },
    )


urlpatterns = [
    path("workshop/<int:workshop_id>/kpis/", kpis_page, name="workshop-kpis"),
    path("workshop/<int:workshop_id>/kpis/items/", kpi_items, name="workshop-kpi-items"),
]
