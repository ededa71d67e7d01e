"""The workshop's capacity (/workshop/): the labour hours a service station can sell, a week at a
glance and a day in detail, and the service advisor's booking form (Toyota seven steps, step 1).

The week shows each day's available, bookable, booked, left and reserve hours from one call of
`fuwu.scheduling.capacity.capacity` for the seven days; the day (`?day=`) shows the technicians,
the appointments with their status buttons, and the booking form. Every write goes through
`fuwu.scheduling.booking` (`book`, `set_status`), which checks who books, the time, the reception
slot and the hours; a refusal is shown in the user's language and nothing is written.

Only staff of the workshop's site see it; a workshop of another site is a 404.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from fuwu.core.actors import Actor
from fuwu.customers import privacy
from fuwu.customers.choices import AssetKind
from fuwu.customers.models import Asset, Customer
from fuwu.procedures.engine.errors import EngineError
from fuwu.scheduling.booking import Job, book, may_book, may_override, set_status, visible_workshops
from fuwu.scheduling.capacity import DayCapacity, capacity, day_capacity
from fuwu.scheduling.models import (
    Appointment,
    AppointmentStatus,
    LabourOperation,
    Workshop,
    WorkType,
)
from fuwu.scheduling.part_queries import attach
from fuwu.scheduling.part_queries import may_handle as parts_may_handle
from fuwu.web.access import actor_of, staff_required
from fuwu.web.templatetags.fuwu_web import hours
from fuwu.web.views.parts import warn_shortage

CUSTOMER_LIMIT = 200  # the select lists at most this many; the search narrows it
STATUSES = {
    "arrived": AppointmentStatus.ARRIVED,
    "no_show": AppointmentStatus.NO_SHOW,
    "cancelled": AppointmentStatus.CANCELLED,
}


def workshops_of(actor: Actor) -> list[Workshop]:
    """The workshops at this person's sites, in a stable order."""
    return list(visible_workshops(actor))


def _workshop(request: HttpRequest, actor: Actor) -> tuple[Workshop | None, list[Workshop]]:
    """The workshop asked for (`?workshop=`), else the first; one the person cannot see is 404."""
    workshops = workshops_of(actor)
    raw = request.GET.get("workshop") or request.POST.get("workshop")
    if raw:
        chosen = next((w for w in workshops if str(w.pk) == raw), None)
        if chosen is None:
            raise Http404
        return chosen, workshops
    return (workshops[0] if workshops else None), workshops


def _zone(workshop: Workshop) -> ZoneInfo:
    return ZoneInfo(workshop.site.timezone)


def _date(raw: str | None) -> date | None:
    try:
        return date.fromisoformat(raw) if raw else None
    except ValueError:
        return None


def _today(workshop: Workshop) -> date:
    return timezone.now().astimezone(_zone(workshop)).date()


@dataclass(frozen=True)
class DayRow:
    """One day of the week view, its numbers ready to show."""

    cap: DayCapacity
    today: bool
    percent: int  # booked of bookable, at most 100
    over: bool  # booked beyond the bookable hours (a manager's override)
    url: str = ""  # the day's page

    @property
    def day(self) -> date:
        return self.cap.day


def day_row(cap: DayCapacity, today: date, url: str = "") -> DayRow:
    # A closed day has nothing bookable: a full bar only if something is booked there anyway.
    full = 100 if cap.booked else 0
    percent = min(100, int(cap.booked * 100 / cap.bookable)) if cap.bookable > 0 else full
    return DayRow(cap, cap.day == today, percent, cap.booked > cap.bookable, url)


def _url(workshop: Workshop, many: bool, **params: Any) -> str:
    query = ([f"workshop={workshop.pk}"] if many else []) + [f"{k}={v}" for k, v in params.items()]
    return reverse("web:workshop") + ("?" + "&".join(query) if query else "")


class BookingForm(forms.Form):
    """The booking as posted; the customer, car and jobs are checked against the site below and
    the booking's own rules by `book`."""

    customer = forms.IntegerField(label=gettext_lazy("客户"))
    asset = forms.IntegerField(label=gettext_lazy("车辆"), required=False)
    time = forms.TimeField(label=gettext_lazy("到店时间"))
    operations = forms.MultipleChoiceField(label=gettext_lazy("工时项目"), required=False)
    job_name = forms.CharField(label=gettext_lazy("其他作业"), max_length=200, required=False)
    job_hours = forms.DecimalField(
        label=gettext_lazy("工时"),
        required=False,
        min_value=Decimal("0.1"),
        max_digits=5,
        decimal_places=2,
    )
    work_type = forms.ChoiceField(
        label=gettext_lazy("作业类型"), choices=WorkType.choices, initial=WorkType.REPAIR
    )
    override_reason = forms.CharField(
        label=gettext_lazy("超额预约原因"), max_length=300, required=False
    )
    note = forms.CharField(label=gettext_lazy("备注"), max_length=500, required=False)

    def __init__(self, *args: Any, workshop: Workshop, codes: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.workshop = workshop
        self.fields["operations"].choices = [(c, c) for c in codes]  # type: ignore[attr-defined]
        self.customer_row: Customer | None = None
        self.asset_row: Asset | None = None

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        site_id = self.workshop.department.site_id
        if data.get("customer") is not None:
            self.customer_row = (
                Customer.objects.live().filter(site_id=site_id, pk=data["customer"]).first()
            )
            if self.customer_row is None:
                self.add_error("customer", _("请选择本项目的客户。"))
        if data.get("asset") is not None and self.customer_row is not None:
            self.asset_row = Asset.objects.filter(
                site_id=site_id, owner=self.customer_row, pk=data["asset"]
            ).first()
            if self.asset_row is None:
                self.add_error("asset", _("这辆车不属于所选客户。"))
        if bool(data.get("job_name", "").strip()) != (data.get("job_hours") is not None):
            self.add_error("job_hours", _("其他作业请同时填写内容和工时。"))
        return data

    def jobs(self) -> list[Job]:
        data = self.cleaned_data
        jobs = [Job(code=code) for code in data.get("operations") or []]
        if data.get("job_name", "").strip() and data.get("job_hours") is not None:
            jobs.append(
                Job(
                    name=data["job_name"].strip(),
                    hours=data["job_hours"],
                    work_type=data["work_type"],
                )
            )
        return jobs


def _operations(workshop: Workshop, lang: str) -> list[tuple[LabourOperation, str]]:
    english = lang.startswith("en")
    return [
        (op, op.name_en if english and op.name_en else op.name)
        for op in LabourOperation.objects.filter(site_id=workshop.department.site_id)
    ]


def _customers(
    workshop: Workshop, query: str, chosen: int | None
) -> tuple[list[Customer], list[Asset], bool]:
    """The site's customers for the select (matching the search, if any), the chosen one always
    among them, and their vehicles."""
    rows = Customer.objects.live().filter(site_id=workshop.department.site_id)
    if query:
        ids = rows.filter(privacy.customer_match(query)).values("pk").distinct()
        rows = rows.filter(pk__in=ids)
    found = list(rows.order_by("name", "pk")[: CUSTOMER_LIMIT + 1])
    more = len(found) > CUSTOMER_LIMIT
    found = found[:CUSTOMER_LIMIT]
    if chosen is not None and all(c.pk != chosen for c in found):
        extra = (
            Customer.objects.live().filter(site_id=workshop.department.site_id, pk=chosen).first()
        )
        if extra is not None:
            found.insert(0, extra)
    cars = list(
        Asset.objects.filter(owner__in=found, kind=AssetKind.VEHICLE)
        .select_related("owner")
        .order_by("owner__name", "owner_id", "label")
    )
    return found, cars, more


def _int(raw: Any) -> int | None:
    try:
        return int(raw)
    except (TypeError, ValueError):
        return None


def _day_context(
    request: HttpRequest,
    actor: Actor,
    workshop: Workshop,
    workshops: list[Workshop],
    day: date,
    form: BookingForm | None = None,
) -> dict[str, Any]:
    lang = get_language() or "zh-hans"
    zone = _zone(workshop)
    many = len(workshops) > 1
    cap = day_capacity(workshop, day)
    start = datetime.combine(day, datetime.min.time(), zone)
    appointments = list(
        Appointment.objects.filter(
            workshop=workshop, starts_at__gte=start, starts_at__lt=start + timedelta(days=1)
        )
        .select_related("customer", "asset", "advisor__staff", "overridden_by__staff")
        .prefetch_related("lines__operation")
        .order_by("starts_at", "pk")
    )
    attach(appointments)  # each one's parts and shortage (缺件)
    booking = may_book(actor, workshop)
    context: dict[str, Any] = {
        "workshop": workshop,
        "workshops": workshops,
        "many": many,
        "day": day,
        "cap": cap,
        "row": day_row(cap, _today(workshop)),
        "appointments": appointments,
        "may_book": booking,
        "may_override": may_override(actor, workshop),
        "may_confirm": booking,
        "may_issue": parts_may_handle(actor, workshop.department.site_id),
        "may_reserve": booking,
        "week_url": _url(workshop, many, week=day.isoformat()),
        "previous_url": _url(workshop, many, day=(day - timedelta(days=1)).isoformat()),
        "next_url": _url(workshop, many, day=(day + timedelta(days=1)).isoformat()),
        "day_url": _url(workshop, many, day=day.isoformat()),
        "opens": f"{workshop.site.work_start:%H:%M}",
        "closes": f"{workshop.site.work_end:%H:%M}",
    }
    if booking:
        context.update(
            booking_form_context(
                request, workshop, form or BookingForm(workshop=workshop, codes=[]), lang
            )
        )
        context["work_types"] = WorkType.choices
    return context


def booking_form_context(
    request: HttpRequest, workshop: Workshop, form: forms.Form, lang: str
) -> dict[str, Any]:
    """What a form receiving a customer's car shows (the day's booking, the calendar's walk-in):
    the customers found by `q` with their cars, the one found chosen, the catalogue's jobs."""
    query = request.GET.get("q", "").strip()[:100]
    chosen = _int(form.data.get("customer") if form.is_bound else request.GET.get("customer"))
    customers, cars, more = _customers(workshop, query, chosen)
    if chosen is None and query and len(customers) == 1:
        chosen = customers[0].pk
    return {
        "form": form,
        "query": query,
        "customers": customers,
        "cars": cars,
        "more_customers": more,
        "chosen_customer": chosen,
        "chosen_asset": _int(form.data.get("asset")),
        "chosen_codes": form.data.getlist("operations") if form.is_bound else [],  # type: ignore[attr-defined]
        "operations": _operations(workshop, lang),
    }


@staff_required
def page(request: HttpRequest) -> HttpResponse:
    """The week (`?week=` any day in it), or one day (`?day=`) with its bookings."""
    actor = actor_of(request)
    workshop, workshops = _workshop(request, actor)
    if workshop is None:
        return render(request, "web/workshop.html", {"workshop": None})
    day = _date(request.GET.get("day"))
    if day is not None:
        return render(
            request, "web/workshop_day.html", _day_context(request, actor, workshop, workshops, day)
        )
    today = _today(workshop)
    anchor = _date(request.GET.get("week")) or today
    monday = anchor - timedelta(days=anchor.weekday())
    days = [monday + timedelta(days=n) for n in range(7)]
    many = len(workshops) > 1
    rows = [
        day_row(cap, today, _url(workshop, many, day=cap.day.isoformat()))
        for cap in capacity(workshop, days)
    ]
    return render(
        request,
        "web/workshop.html",
        {
            "workshop": workshop,
            "workshops": workshops,
            "many": many,
            "rows": rows,
            "monday": monday,
            "sunday": days[-1],
            "previous_url": _url(workshop, many, week=(monday - timedelta(days=7)).isoformat()),
            "next_url": _url(workshop, many, week=(monday + timedelta(days=7)).isoformat()),
            "this_week_url": _url(workshop, many),
        },
    )


@require_POST
@staff_required
def new_booking(request: HttpRequest) -> HttpResponse:
    """Book from the day's form: the form again with the refusal, or back to the day."""
    actor = actor_of(request)
    workshop, workshops = _workshop(request, actor)
    day = _date(request.POST.get("day"))
    if workshop is None or day is None:
        raise Http404
    codes = list(
        LabourOperation.objects.filter(site_id=workshop.department.site_id).values_list(
            "code", flat=True
        )
    )
    form = BookingForm(request.POST, workshop=workshop, codes=codes)
    if form.is_valid():
        data = form.cleaned_data
        assert form.customer_row is not None  # clean() found it
        try:
            appointment = book(
                actor,
                workshop,
                customer=form.customer_row,
                asset=form.asset_row,
                starts_at=datetime.combine(day, data["time"], _zone(workshop)),
                jobs=form.jobs(),
                # Posted by someone who may not override, `book` says so (the form hides the field).
                override_reason=data["override_reason"],
                note=data["note"],
            )
        except EngineError as exc:
            form.add_error(None, exc.message(get_language() or "zh-hans"))
        else:
            messages.success(
                request,
                _("已为 %(customer)s 预约 %(time)s，%(hours)s 小时。")
                % {
                    "customer": appointment.customer.name,
                    "time": f"{data['time']:%H:%M}",
                    "hours": hours(appointment.hours),
                },
            )
            warn_shortage(request, appointment)
            many = len(workshops) > 1
            return redirect(_url(workshop, many, day=day.isoformat()))
    context = _day_context(request, actor, workshop, workshops, day, form)
    return render(request, "web/workshop_day.html", context, status=400)


@require_POST
@staff_required
def change_status(request: HttpRequest, appointment_id: int, status: str) -> HttpResponse:
    """Arrived, no-show or cancelled, from the day's list."""
    actor = actor_of(request)
    appointment = (
        Appointment.objects.filter(pk=appointment_id)
        .select_related("workshop__department__site")
        .first()
    )
    if (
        appointment is None
        or status not in STATUSES
        or not actor.may_see_site(appointment.workshop.department.site_id)
    ):
        raise Http404
    try:
        done = set_status(actor, appointment.pk, STATUSES[status])
    except EngineError as exc:
        messages.error(request, exc.message(get_language() or "zh-hans"))
    else:
        messages.success(
            request,
            _("%(customer)s 的预约已改为“%(status)s”。")
            % {"customer": appointment.customer.name, "status": done.get_status_display()},
        )
    workshop = appointment.workshop
    day = appointment.starts_at.astimezone(_zone(workshop)).date()
    return redirect(_url(workshop, len(workshops_of(actor)) > 1, day=day.isoformat()))


urlpatterns = [
    path("workshop/", page, name="workshop"),
    path("workshop/book/", new_booking, name="workshop-book"),
    path(
        "workshop/appointments/<int:appointment_id>/<slug:status>/",
        change_status,
        name="workshop-status",
    ),
]
