"""The parts store (/workshop/parts/): the site's catalogue with its stock figures (on hand,
reserved, issued, available), a low-stock filter, the next working day's appointments whose
shortage nobody has confirmed, and the movements (all recent ones, or one part's); goods in for
managers. Confirming an appointment's shortage is posted from here or from the workshop's day
page. Every write goes through `fuwu.scheduling.parts`; a refusal is shown in the user's
language and nothing is written. Only staff of the workshop's site see it (another site's
workshop is a 404)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from fuwu.core.actors import Actor
from fuwu.procedures.engine.errors import EngineError
from fuwu.scheduling import part_queries, parts
from fuwu.scheduling.booking import may_book, visible_workshops
from fuwu.scheduling.models import (
    Appointment,
    MovementKind,
    Part,
    PartMovement,
    PartReservation,
    Workshop,
)
from fuwu.sla.clocks import site_calendar
from fuwu.web.access import actor_of, staff_required

MOVEMENTS = 30  # the latest movements shown
PARTS_LIMIT = 300  # the catalogue shown at most; the search narrows it


def _chosen(request: HttpRequest, actor: Actor) -> tuple[Workshop | None, list[Workshop]]:
    workshops = list(visible_workshops(actor))
    raw = request.GET.get("workshop") or request.POST.get("workshop")
    if raw:
        chosen = next((w for w in workshops if str(w.pk) == raw), None)
        if chosen is None:
            raise Http404
        return chosen, workshops
    return (workshops[0] if workshops else None), workshops


def warn_shortage(request: HttpRequest, appointment: Appointment) -> None:
    """Tell the advisor who just booked which parts are short, to be confirmed before arrival."""
    english = (get_language() or "").startswith("en")
    short = [
        r
        for r in PartReservation.objects.filter(appointment=appointment)
        .select_related("part")
        .order_by("pk")
        if r.short > 0
    ]
    if short:
        messages.warning(
            request,
            _("缺件：%(parts)s。请在客户到店前确认零件情况。")
            % {
                "parts": ("; " if english else "、").join(
                    f"{r.part.number} {_label(r.part, english)} ×{part_queries.qty(r.short)} {r.part.unit}"
                    for r in short
                )
            },
        )


def next_working_day(workshop: Workshop) -> date:
    today = timezone.now().astimezone(ZoneInfo(workshop.site.timezone)).date()
    calendar = site_calendar(workshop.site)
    day = today + timedelta(days=1)
    for _n in range(31):
        if calendar.is_working_day(day):
            return day
        day += timedelta(days=1)
    return today + timedelta(days=1)


def _url(workshop: Workshop, many: bool, **params: Any) -> str:
    query = ([f"workshop={workshop.pk}"] if many else []) + [f"{k}={v}" for k, v in params.items()]
    return reverse("web:parts") + ("?" + "&".join(query) if query else "")


@staff_required
def page(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    workshop, workshops = _chosen(request, actor)
    if workshop is None:
        return render(request, "web/parts.html", {"workshop": None})
    site_id = workshop.department.site_id
    many = len(workshops) > 1
    english = (get_language() or "").startswith("en")
    query = request.GET.get("q", "").strip()[:100]
    low = request.GET.get("low") == "1"
    rows = part_queries.parts_for(actor).filter(site_id=site_id)
    if query:
        rows = rows.filter(
            Q(number__icontains=query) | Q(name__icontains=query) | Q(name_en__icontains=query)
        )
    if low:
        rows = part_queries.low_stock(rows)
    catalogue = list(rows[: PARTS_LIMIT + 1])
    for p in catalogue:
        p.label = _label(p, english)  # type: ignore[attr-defined]
        p.low = part_queries.is_low(p)  # type: ignore[attr-defined]
    chosen_part = (
        part_queries.parts_for(actor)
        .filter(site_id=site_id, pk=_int(request.GET.get("part")) or 0)
        .first()
        if request.GET.get("part")
        else None
    )
    if chosen_part is not None:
        chosen_part.label = _label(chosen_part, english)  # type: ignore[attr-defined]
    moves = PartMovement.objects.filter(part__site_id=site_id)
    if chosen_part is not None:
        moves = moves.filter(part=chosen_part)
    movements = list(
        moves.select_related("part", "actor__staff", "appointment__customer", "case").order_by(
            "-at", "-pk"
        )[:MOVEMENTS]
    )
    for m in movements:
        # A reservation that could not be held in full: how many were missing.
        m.short = m.quantity - m.reserved if m.kind == MovementKind.RESERVE else 0  # type: ignore[attr-defined]
    tomorrow = next_working_day(workshop)
    day_query = (f"workshop={workshop.pk}&" if many else "") + f"day={tomorrow.isoformat()}"
    return render(
        request,
        "web/parts.html",
        {
            "workshop": workshop,
            "workshops": workshops,
            "many": many,
            "catalogue": catalogue[:PARTS_LIMIT],
            "more_parts": len(catalogue) > PARTS_LIMIT,
            "low_count": part_queries.low_stock(
                part_queries.parts_for(actor).filter(site_id=site_id)
            ).count(),
            "query": query,
            "low": low,
            "chosen_part": chosen_part,
            "movements": movements,
            "tomorrow": tomorrow,
            "shortages": part_queries.unconfirmed_shortages(workshop, tomorrow),
            "may_confirm": may_book(actor, workshop),
            "may_receive": part_queries.may_receive(actor, site_id),
            "all_url": _url(workshop, many),
            "low_url": _url(workshop, many, low=1),
            "here": request.get_full_path(),
            "day_url": reverse("web:workshop") + "?" + day_query,
        },
    )


def _label(part: Part, english: bool) -> str:
    return part.name_en if english and part.name_en else part.name


def _int(raw: Any) -> int | None:
    try:
        return int(raw)
    except (TypeError, ValueError):
        return None


def _back(request: HttpRequest, fallback: str) -> HttpResponse:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect(fallback)


@require_POST
@staff_required
def receive(request: HttpRequest) -> HttpResponse:
    """Goods in: a manager adds to a part's on-hand quantity (filling the oldest shortages)."""
    actor = actor_of(request)
    workshop, workshops = _chosen(request, actor)
    if workshop is None:
        raise Http404
    part = (
        part_queries.parts_for(actor)
        .filter(site_id=workshop.department.site_id, pk=_int(request.POST.get("part")) or 0)
        .first()
    )
    if part is None:
        messages.error(request, _("请选择本项目的配件。"))
        return _back(request, _url(workshop, len(workshops) > 1))
    try:
        amount = Decimal(request.POST.get("quantity", "").strip())
    except InvalidOperation:
        amount = Decimal("0")
    try:
        if not amount.is_finite() or amount > Decimal("100000"):
            raise EngineError("bad_quantity")
        parts.receive(
            actor, part, amount.quantize(Decimal("0.01")), note=request.POST.get("note", "")[:300]
        )
    except EngineError as exc:
        messages.error(request, exc.message(get_language() or "zh-hans"))
    else:
        messages.success(
            request,
            _("已入库 %(part)s %(quantity)s %(unit)s。")
            % {"part": part.number, "quantity": part_queries.qty(amount), "unit": part.unit},
        )
    return _back(request, _url(workshop, len(workshops) > 1))


@require_POST
@staff_required
def confirm(request: HttpRequest, appointment_id: int) -> HttpResponse:
    """Confirm an appointment's shortage (what was arranged), from the day page or this page."""
    actor = actor_of(request)
    appointment = (
        Appointment.objects.filter(pk=appointment_id)
        .select_related("workshop__department__site", "customer")
        .first()
    )
    if appointment is None or not actor.may_see_site(appointment.workshop.department.site_id):
        raise Http404
    try:
        parts.confirm_shortage(actor, appointment.pk, note=request.POST.get("note", "")[:300])
    except EngineError as exc:
        messages.error(request, exc.message(get_language() or "zh-hans"))
    else:
        messages.success(
            request,
            _("已确认 %(customer)s 的缺件情况。") % {"customer": appointment.customer.name},
        )
    return _back(request, reverse("web:parts"))


@require_POST
@staff_required
def reserve(request: HttpRequest, appointment_id: int) -> HttpResponse:
    """Hold a part (by its number) for a booked appointment, from the workshop's day page: what
    the store has not got is a shortage on the appointment, to be confirmed before arrival."""
    actor = actor_of(request)
    appointment = (
        Appointment.objects.filter(pk=appointment_id)
        .select_related("workshop__department__site", "customer")
        .first()
    )
    if appointment is None or not actor.may_see_site(appointment.workshop.department.site_id):
        raise Http404
    try:
        amount = Decimal(request.POST.get("quantity", "").strip() or "1")
    except InvalidOperation:
        amount = Decimal("0")
    try:
        if not amount.is_finite() or amount > Decimal("100000"):
            raise EngineError("bad_quantity")
        part = part_queries.find_part(
            appointment.workshop.department.site_id, request.POST.get("part", "")[:40]
        )
        held = parts.reserve(
            actor, part.pk, amount.quantize(Decimal("0.01")), appointment_id=appointment.pk
        )
    except EngineError as exc:
        messages.error(request, exc.message(get_language() or "zh-hans"))
    else:
        english = (get_language() or "").startswith("en")
        messages.success(
            request,
            _("已为 %(customer)s 预留 %(part)s %(quantity)s %(unit)s。")
            % {
                "customer": appointment.customer.name,
                "part": f"{part.number} {_label(part, english)}",
                "quantity": part_queries.qty(held.quantity),
                "unit": part.unit,
            },
        )
        if held.short > 0:
            warn_shortage(request, appointment)
    return _back(request, reverse("web:parts"))


@require_POST
@staff_required
def issue(request: HttpRequest, reservation_id: int) -> HttpResponse:
    """Issue a reservation's parts to its appointment's repair order (the case), from the
    workshop's day page once the car has arrived."""
    actor = actor_of(request)
    reservation = (
        PartReservation.objects.filter(pk=reservation_id)
        .select_related("part", "appointment__case")
        .first()
    )
    if reservation is None or not actor.may_see_site(reservation.part.site_id):
        raise Http404
    case = reservation.case or (reservation.appointment.case if reservation.appointment else None)
    if case is None:
        messages.error(request, _("该预约没有修理单，不能发料。"))
        return _back(request, reverse("web:parts"))
    try:
        done = parts.issue(actor, case_id=case.pk, reservation_id=reservation.pk)
    except EngineError as exc:
        messages.error(request, exc.message(get_language() or "zh-hans"))
    else:
        english = (get_language() or "").startswith("en")
        messages.success(
            request,
            _("已发料 %(part)s %(quantity)s %(unit)s 到修理单 %(case)s。")
            % {
                "part": f"{done.part.number} {_label(done.part, english)}",
                "quantity": part_queries.qty(done.issued),
                "unit": done.part.unit,
                "case": case.number,
            },
        )
    return _back(request, reverse("web:parts"))


urlpatterns = [
    path("workshop/parts/", page, name="parts"),
    path("workshop/parts/receive/", receive, name="parts-receive"),
    path(
        "workshop/appointments/<int:appointment_id>/parts/confirm/",
        confirm,
        name="parts-confirm",
    ),
    path(
        "workshop/appointments/<int:appointment_id>/parts/reserve/",
        reserve,
        name="parts-reserve",
    ),
    path("workshop/reservations/<int:reservation_id>/issue/", issue, name="parts-issue"),
]
