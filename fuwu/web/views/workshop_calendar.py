"""The appointment calendar (/workshop/<id>/calendar/): a workshop's appointments by day and week
(FullCalendar's MIT build, vendored), for all advisors or one, or one technician; the walk-in desk
and the no-shows to call back.

The events come from the API's feed (`/api/workshops/<id>/calendar`, the session's cookie). The
calendar shows the workshop's wall-clock time whatever the browser's zone: the page gives the feed's
local times to FullCalendar in its UTC mode, and a drag posts the new local time here, where it is
read in the site's zone and handed to `booking.rebook` (every rule: open day, hours, reception
slot, bookable hours); a refusal comes back as the message in the user's language and the event
goes back where it was. Walk-ins go through `walk_ins.receive`, follow-ups through
`followups.rebook_missed` / `decline`.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from fuwu.core.actors import Actor
from fuwu.procedures.engine.errors import EngineError
from fuwu.scheduling import followups, walk_ins
from fuwu.scheduling.booking import may_book, may_override, rebook
from fuwu.scheduling.capacity import technicians
from fuwu.scheduling.models import LabourOperation, Technician, Workshop
from fuwu.web.access import actor_of, staff_required
from fuwu.web.templatetags.fuwu_web import hours
from fuwu.web.views.workshop import BookingForm, _int, booking_form_context, workshops_of


def _workshop(actor: Actor, workshop_id: int) -> tuple[Workshop, list[Workshop]]:
    workshops = workshops_of(actor)
    found = next((w for w in workshops if w.pk == workshop_id), None)
    if found is None:
        raise Http404
    return found, workshops


def _zone(workshop: Workshop) -> ZoneInfo:
    return ZoneInfo(workshop.site.timezone)


class WalkInForm(BookingForm):
    """The booking form without a time (a walk-in is received now), with a technician."""

    technician = forms.IntegerField(label=gettext_lazy("指定技师"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        del self.fields["time"]
        self.technician_row: Technician | None = None

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("technician") is not None:
            self.technician_row = self.workshop.technicians.filter(
                pk=data["technician"], active=True
            ).first()
            if self.technician_row is None:
                self.add_error("technician", _("请选择本车间的技师。"))
        return data


def _advisors(workshop: Workshop) -> list[Any]:
    """The site's service advisors, for the "by advisor" selector."""
    return list(
        get_user_model()
        .objects.filter(
            is_active=True,
            staff__sites=workshop.department.site_id,
            staff__roles__code="service_advisor",
        )
        .select_related("staff")
        .distinct()
        .order_by("staff__display_name", "pk")
    )


def _config(request: HttpRequest, workshop: Workshop, actor: Actor) -> dict[str, Any]:
    site = workshop.site
    lang = get_language() or "zh-hans"
    start = _date(request.GET.get("date")) or timezone.now().astimezone(_zone(workshop)).date()

    def hhmm(t: time) -> str:
        return f"{t:%H:%M}"

    return {
        "feed": reverse("api:workshop_calendar", args=[workshop.pk]),
        "move": reverse("web:workshop-calendar-move", args=[workshop.pk]),
        "locale": "en" if lang.startswith("en") else "zh-cn",
        "timezone": site.timezone,
        "date": start.isoformat(),
        "opens": hhmm(site.work_start),
        "closes": hhmm(site.work_end),
        "lunch": [hhmm(site.lunch_start), hhmm(site.lunch_end)],
        "slot": f"00:{workshop.slot_minutes:02}:00" if workshop.slot_minutes < 60 else "00:30:00",
        "editable": may_book(actor, workshop),
        "texts": {
            "closed": _("休息日"),
            "lunch": _("午休"),
            "left": _("可约剩余"),
            "reserve": _("预留"),
            "hours": _("小时"),
            "walk_in": _("非预约到店"),
            "failed": _("改约失败，请重试。"),
        },
    }


def _date(raw: str | None) -> date | None:
    try:
        return date.fromisoformat(raw) if raw else None
    except ValueError:
        return None


def _context(
    request: HttpRequest,
    actor: Actor,
    workshop: Workshop,
    workshops: list[Workshop],
    form: WalkInForm | None = None,
) -> dict[str, Any]:
    lang = get_language() or "zh-hans"
    booking = may_book(actor, workshop)
    context: dict[str, Any] = {
        "workshop": workshop,
        "workshops": workshops,
        "config": _config(request, workshop, actor),
        "advisors": _advisors(workshop),
        "technicians": list(technicians(workshop)),
        "advisor": _int(request.GET.get("advisor")),
        "technician": _int(request.GET.get("technician")),
        "may_book": booking,
        "may_override": may_override(actor, workshop),
        "follow_ups": list(followups.open_follow_ups(actor, workshop.pk)),
        "opens": f"{workshop.site.work_start:%H:%M}",
        "closes": f"{workshop.site.work_end:%H:%M}",
        "workshop_url": reverse("web:workshop")
        + (f"?workshop={workshop.pk}" if len(workshops) > 1 else ""),
    }
    if booking:
        form = form or WalkInForm(workshop=workshop, codes=[])
        context.update(booking_form_context(request, workshop, form, lang))
        context["chosen_technician"] = _int(form.data.get("technician"))
        context["open_walk_in"] = form.is_bound or bool(context["query"])
    return context


@staff_required
def page(request: HttpRequest, workshop_id: int) -> HttpResponse:
    actor = actor_of(request)
    workshop, workshops = _workshop(actor, workshop_id)
    return render(
        request, "web/workshop_calendar.html", _context(request, actor, workshop, workshops)
    )


@require_POST
@staff_required
def move(request: HttpRequest, workshop_id: int) -> JsonResponse:
    """A drag on the calendar: the appointment to the posted local time, or the refusal."""
    actor = actor_of(request)
    workshop, _workshops = _workshop(actor, workshop_id)
    appointment_id = _int(request.POST.get("appointment"))
    try:
        local = datetime.fromisoformat(request.POST.get("start", ""))
    except ValueError:
        local = None
    if appointment_id is None or local is None or local.tzinfo is not None:
        return JsonResponse({"ok": False, "message": _("请求有误。")}, status=400)
    if not workshop.appointments.filter(pk=appointment_id).exists():
        raise Http404
    starts_at = local.replace(tzinfo=_zone(workshop))
    try:
        rebook(actor, appointment_id, starts_at=starts_at)
    except EngineError as exc:
        return JsonResponse(
            {"ok": False, "code": exc.code, "message": exc.message(get_language() or "zh-hans")},
            status=exc.status,
        )
    return JsonResponse(
        {"ok": True, "message": _("预约已改到 %(time)s。") % {"time": f"{local:%Y-%m-%d %H:%M}"}}
    )


def _back(workshop: Workshop, day: date | None = None) -> HttpResponse:
    """Back to the calendar, on the day just booked if there is one."""
    url = reverse("web:workshop-calendar", args=[workshop.pk])
    return redirect(f"{url}?date={day.isoformat()}" if day else url)


@require_POST
@staff_required
def walk_in(request: HttpRequest, workshop_id: int) -> HttpResponse:
    """Receive a walk-in now: into the hours left or the reserve, or the form with the refusal."""
    actor = actor_of(request)
    workshop, workshops = _workshop(actor, workshop_id)
    codes = list(
        LabourOperation.objects.filter(site_id=workshop.department.site_id).values_list(
            "code", flat=True
        )
    )
    form = WalkInForm(request.POST, workshop=workshop, codes=codes)
    if form.is_valid():
        assert form.customer_row is not None  # clean() found it
        try:
            made = walk_ins.receive(
                actor,
                workshop,
                customer=form.customer_row,
                asset=form.asset_row,
                technician=form.technician_row,
                jobs=form.jobs(),
                override_reason=form.cleaned_data["override_reason"],
                note=form.cleaned_data["note"],
            )
        except EngineError as exc:
            form.add_error(None, exc.message(get_language() or "zh-hans"))
        else:
            messages.success(
                request,
                _("已接待非预约客户 %(customer)s，%(hours)s 小时。")
                % {"customer": made.customer.name, "hours": hours(made.hours)},
            )
            return _back(workshop)
    context = _context(request, actor, workshop, workshops, form)
    return render(request, "web/workshop_calendar.html", context, status=400)


@require_POST
@staff_required
def follow_up(
    request: HttpRequest, workshop_id: int, follow_up_id: int, action: str
) -> HttpResponse:
    """Rebook a no-show at the posted local time, or close the follow-up without one."""
    actor = actor_of(request)
    workshop, _workshops = _workshop(actor, workshop_id)
    if action not in ("rebook", "decline"):
        raise Http404
    try:
        if action == "decline":
            followups.decline(actor, follow_up_id)
            messages.success(request, _("已记录：客户不再预约。"))
        else:
            try:
                local = datetime.fromisoformat(request.POST.get("start", ""))
            except ValueError:
                messages.error(request, _("请填写新的预约时间。"))
                return _back(workshop)
            made = followups.rebook_missed(
                actor, follow_up_id, starts_at=local.replace(tzinfo=_zone(workshop))
            )
            messages.success(
                request,
                _("已为 %(customer)s 重新预约 %(time)s。")
                % {"customer": made.customer.name, "time": f"{local:%Y-%m-%d %H:%M}"},
            )
            return _back(workshop, local.date())
    except EngineError as exc:
        if exc.status == 404:
            raise Http404 from exc
        messages.error(request, exc.message(get_language() or "zh-hans"))
    return _back(workshop)


urlpatterns = [
    path("workshop/<int:workshop_id>/calendar/", page, name="workshop-calendar"),
    path("workshop/<int:workshop_id>/calendar/move/", move, name="workshop-calendar-move"),
    path("workshop/<int:workshop_id>/calendar/walk-in/", walk_in, name="workshop-walk-in"),
    path(
        "workshop/<int:workshop_id>/follow-ups/<int:follow_up_id>/<slug:action>/",
        follow_up,
        name="workshop-follow-up",
    ),
]
