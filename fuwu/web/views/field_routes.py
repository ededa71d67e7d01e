"""The day's on-site routes (/workshop/routes/): per technician the ordered visits with arrival
and start times, travel and distance, a map-less plot of the places with each route's line
(server-drawn SVG: no script, readable on a phone), the visits not planned with the reason, the
"plan the day" button and a form on each visit to move it to another technician or position.

Every write goes through `fuwu.scheduling.routes` (`plan_routes`, `move_visit`), which checks
who and whether the change holds; a refusal is shown in the user's language and nothing is
written. Staff of other sites get a 404 (the workshop picker lists only their workshops).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from fuwu.core.models import Skill
from fuwu.procedures.engine.errors import EngineError
from fuwu.scheduling.capacity import day_capacity
from fuwu.scheduling.models import Visit, Workshop
from fuwu.scheduling.routes import (
    DayRoutes,
    add_visit,
    day_routes,
    may_dispatch,
    move_visit,
    plan_routes,
)
from fuwu.scheduling.routes import reason_text as reason_of
from fuwu.web.access import actor_of, staff_required
from fuwu.web.views.workshop import _date, _today, _workshop, workshops_of

# One colour per route, told apart also by the technician's initial next to each point.
COLOURS = ("#0d6efd", "#d63384", "#198754", "#fd7e14", "#6f42c1", "#20c997", "#dc3545", "#6c757d")
WIDTH, HEIGHT, PAD = 640, 400, 24


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    label: str
    title: str


@dataclass(frozen=True)
class Line:
    colour: str
    name: str
    points: str  # the polyline's "x,y x,y …", from the base and back
    stops: list[Point]


def _plot(found: DayRoutes) -> dict[str, Any] | None:
    """Places scaled into the SVG box (longitude east, latitude north; equal scale both ways
    near the base so distances look right)."""
    if found.base is None:
        return None
    places = [(float(found.base.lon), float(found.base.lat))]
    for route in found.routes:
        places += [(float(s.visit.lon), float(s.visit.lat)) for s in route.stops.all()]
    if len(places) == 1:  # nothing planned yet: frame the visits to plan
        places += [(float(v.lon), float(v.lat)) for v in found.unplanned]
    squash = math.cos(math.radians(float(found.base.lat)))
    xs = [lon * squash for lon, _lat in places]
    ys = [lat for _lon, lat in places]
    span = max(max(xs) - min(xs), max(ys) - min(ys), 1e-4)
    scale = min(WIDTH - 2 * PAD, HEIGHT - 2 * PAD) / span
    cx, cy = (max(xs) + min(xs)) / 2, (max(ys) + min(ys)) / 2

    def at(lon: float, lat: float) -> tuple[float, float]:
        """A place outside the frame (an unplanned visit far away) is drawn on its edge."""
        x = WIDTH / 2 + (lon * squash - cx) * scale
        y = HEIGHT / 2 - (lat - cy) * scale
        return (
            round(min(max(x, PAD / 2), WIDTH - PAD / 2), 1),
            round(min(max(y, PAD / 2), HEIGHT - PAD / 2), 1),
        )

    base = at(float(found.base.lon), float(found.base.lat))
    lines = []
    for n, route in enumerate(found.routes):
        stops = []
        for s in route.stops.all():
            x, y = at(float(s.visit.lon), float(s.visit.lat))
            stops.append(Point(x, y, str(s.position), f"{s.starts_at:%H:%M} {s.visit.address}"))
        path_points = [base, *((p.x, p.y) for p in stops), base]
        lines.append(
            Line(
                colour=COLOURS[n % len(COLOURS)],
                name=route.technician.staff.display_name,
                points=" ".join(f"{x},{y}" for x, y in path_points),
                stops=stops,
            )
        )
    unplanned = []
    for v in found.unplanned:
        x, y = at(float(v.lon), float(v.lat))
        unplanned.append(Point(x, y, "?", v.address))
    return {
        "width": WIDTH,
        "height": HEIGHT,
        "base": Point(base[0], base[1], "", found.base.name),
        "lines": lines,
        "unplanned": unplanned,
    }


class VisitForm(forms.Form):
    """A visit as posted; its rules (open day, window within opening hours) are `add_visit`'s."""

    address = forms.CharField(label=gettext_lazy("地址"), max_length=300)
    lat = forms.DecimalField(
        label=gettext_lazy("纬度"), max_digits=9, decimal_places=6, min_value=-90, max_value=90
    )
    lon = forms.DecimalField(
        label=gettext_lazy("经度"), max_digits=9, decimal_places=6, min_value=-180, max_value=180
    )
    window_start = forms.TimeField(label=gettext_lazy("最早开始"))
    window_end = forms.TimeField(label=gettext_lazy("最晚开始"))
    service_minutes = forms.IntegerField(
        label=gettext_lazy("作业时长（分钟）"), min_value=1, max_value=720, initial=60
    )
    skill = forms.ModelChoiceField(
        label=gettext_lazy("所需技能"), queryset=Skill.objects.order_by("code"), required=False
    )


def _url(workshop: Workshop, many: bool, day: date) -> str:
    query = ([f"workshop={workshop.pk}"] if many else []) + [f"day={day.isoformat()}"]
    return reverse("web:workshop-routes") + "?" + "&".join(query)


@staff_required
def page(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    workshop, workshops = _workshop(request, actor)
    if workshop is None:
        return render(request, "web/field_routes.html", {"workshop": None})
    day = _date(request.GET.get("day")) or _today(workshop)
    many = len(workshops) > 1
    found = day_routes(workshop, day)
    cap = day_capacity(workshop, day)
    on_shift = [t for t in cap.technicians if t.periods]
    colours = {r.pk: COLOURS[n % len(COLOURS)] for n, r in enumerate(found.routes)}
    return render(
        request,
        "web/field_routes.html",
        {
            "workshop": workshop,
            "workshops": workshops,
            "many": many,
            "day": day,
            "found": found,
            "routes": [(r, colours[r.pk]) for r in found.routes],
            "unplanned": [(v, reason_of(v.unplanned_reason)) for v in found.unplanned],
            "plot": _plot(found),
            "technicians": on_shift,
            "may_dispatch": may_dispatch(actor, workshop),
            "visit_form": VisitForm(),
            "previous_url": _url(workshop, many, day.fromordinal(day.toordinal() - 1)),
            "next_url": _url(workshop, many, day.fromordinal(day.toordinal() + 1)),
            "capacity_url": reverse("web:workshop")
            + (f"?workshop={workshop.pk}&" if many else "?")
            + f"day={day.isoformat()}",
        },
    )


@require_POST
@staff_required
def plan(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    workshop, workshops = _workshop(request, actor)
    day = _date(request.POST.get("day"))
    if workshop is None or day is None:
        raise Http404
    try:
        outcome = plan_routes(actor, workshop, day)
    except EngineError as exc:
        messages.error(request, exc.message(get_language() or "zh-hans"))
    else:
        text = _("已排出 %(routes)s 条路线，安排 %(planned)s 个上门服务。") % {
            "routes": outcome.routes,
            "planned": outcome.planned,
        }
        if outcome.unplanned:
            text += " " + _("%(count)s 个未能安排，原因见下方。") % {
                "count": len(outcome.unplanned)
            }
            messages.warning(request, text)
        else:
            messages.success(request, text)
    return redirect(_url(workshop, len(workshops) > 1, day))


@require_POST
@staff_required
def move(request: HttpRequest, visit_id: int) -> HttpResponse:
    actor = actor_of(request)
    visit = Visit.objects.filter(pk=visit_id).select_related("workshop__department__site").first()
    if visit is None or not actor.may_see_site(visit.workshop.department.site_id):
        raise Http404
    try:
        technician = int(request.POST.get("technician", ""))
        raw = request.POST.get("position", "").strip()
        position = int(raw) if raw else None
    except ValueError:
        messages.error(request, _("请选择技术员，顺序填写正整数。"))
    else:
        try:
            move_visit(actor, visit.pk, technician_id=technician, position=position)
        except EngineError as exc:
            messages.error(request, exc.message(get_language() or "zh-hans"))
        else:
            messages.success(request, _("已调整 %(address)s 的安排。") % {"address": visit.address})
    return redirect(_url(visit.workshop, len(workshops_of(actor)) > 1, visit.day))


@require_POST
@staff_required
def new_visit(request: HttpRequest) -> HttpResponse:
    """Add a visit to the day from the page's form; a refusal is shown, nothing written."""
    actor = actor_of(request)
    workshop, workshops = _workshop(request, actor)
    day = _date(request.POST.get("day"))
    if workshop is None or day is None:
        raise Http404
    form = VisitForm(request.POST)
    if not form.is_valid():
        english = (get_language() or "").startswith("en")
        sep, colon = ("; ", ": ") if english else ("；", "：")
        messages.error(
            request,
            sep.join(
                f"{form.fields[k].label}{colon}{' '.join(str(e) for e in v)}"
                for k, v in form.errors.items()
            ),
        )
    else:
        data = form.cleaned_data
        try:
            add_visit(actor, workshop, day=day, **data)
        except EngineError as exc:
            messages.error(request, exc.message(get_language() or "zh-hans"))
        else:
            messages.success(
                request, _("已添加上门服务：%(address)s。") % {"address": data["address"]}
            )
    return redirect(_url(workshop, len(workshops) > 1, day))


urlpatterns = [
    path("workshop/routes/", page, name="workshop-routes"),
    path("workshop/routes/plan/", plan, name="workshop-routes-plan"),
    path("workshop/routes/visits/new/", new_visit, name="workshop-routes-new-visit"),
    path("workshop/routes/visits/<int:visit_id>/move/", move, name="workshop-routes-move"),
]
