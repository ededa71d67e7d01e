from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from fuwu.scheduling.models import (
    Absence,
    Appointment,
    AppointmentLine,
    FieldBase,
    FollowUp,
    LabourOperation,
    OperationPart,
    Part,
    Route,
    RouteStop,
    Stock,
    Technician,
    Visit,
    Workshop,
)


@admin.register(Workshop)
class WorkshopAdmin(admin.ModelAdmin[Workshop]):
    list_display = (
        "department",
        "appointment_share",
        "slot_minutes",
        "arrivals_per_slot",
        "settlement_hours",
    )


class AbsenceInline(admin.TabularInline[Absence, Technician]):
    model = Absence
    extra = 0


@admin.register(Technician)
class TechnicianAdmin(admin.ModelAdmin[Technician]):
    list_display = ("staff", "workshop", "productivity", "active")
    list_filter = ("workshop", "active")
    search_fields = ("staff__display_name",)
    inlines = [AbsenceInline]


class OperationPartInline(admin.TabularInline[OperationPart, LabourOperation]):
    """The parts an operation usually takes, reserved when it is booked."""

    model = OperationPart
    extra = 0
    autocomplete_fields = ("part",)


@admin.register(LabourOperation)
class LabourOperationAdmin(admin.ModelAdmin[LabourOperation]):
    list_display = ("code", "name", "standard_hours", "work_type", "skill", "site")
    list_filter = ("site", "work_type")
    search_fields = ("code", "name", "name_en")
    inlines = [OperationPartInline]


class AppointmentLineInline(admin.TabularInline[AppointmentLine, Appointment]):
    model = AppointmentLine
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Appointment)
class AppointmentAdmin(admin.ModelAdmin[Appointment]):
    """Read-only: bookings are checked against capacity by `fuwu.scheduling.booking`."""

    list_display = ("starts_at", "customer", "asset", "advisor", "hours", "status", "workshop")
    list_filter = ("workshop", "status", "walk_in")
    search_fields = ("customer__name", "customer__phone", "asset__label")
    date_hierarchy = "starts_at"
    inlines = [AppointmentLineInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class StockInline(admin.StackedInline[Stock, Part]):
    """The figures, read-only: they move through `fuwu.scheduling.parts` (goods in on the parts
    page), which keeps them and the movement log in step."""

    model = Stock
    can_delete = False
    readonly_fields = ("on_hand", "reserved", "issued")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Part)
class PartAdmin(admin.ModelAdmin[Part]):
    list_display = (
        "number",
        "name",
        "unit",
        "price",
        "reorder_level",
        "on_hand",
        "available",
        "active",
        "site",
    )
    list_filter = ("site", "active")
    search_fields = ("number", "name", "name_en")
    list_select_related = ("stock", "site")
    inlines = [StockInline]

    @admin.display(description=_("在库"))
    def on_hand(self, obj: Part) -> Decimal:
        return _figures(obj).on_hand

    @admin.display(description=_("可用"))
    def available(self, obj: Part) -> Decimal:
        return _figures(obj).available


def _figures(part: Part) -> Stock:
    try:
        return part.stock
    except Stock.DoesNotExist:  # never stocked
        return Stock(part=part)


# -- On-site visits and routes: the field base is set here; visits and routes are written by
# fuwu.scheduling.routes (checked against windows, skills and shifts), so they are read-only.


@admin.register(FieldBase)
class FieldBaseAdmin(admin.ModelAdmin[FieldBase]):
    list_display = ("workshop", "name", "lat", "lon", "speed_kmh")


class _ReadOnly(admin.ModelAdmin[Any]):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Visit)
class VisitAdmin(_ReadOnly):
    list_display = ("day", "window_start", "window_end", "address", "skill", "status", "workshop")
    list_filter = ("workshop", "status", "day")
    search_fields = ("address",)


class RouteStopInline(admin.TabularInline[RouteStop, Route]):
    model = RouteStop
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Route)
class RouteAdmin(_ReadOnly):
    list_display = ("day", "technician", "status", "distance_m", "travel_minutes", "edited_by")
    list_filter = ("workshop", "status", "day")
    inlines = [RouteStopInline]


@admin.register(FollowUp)
class FollowUpAdmin(_ReadOnly):
    """The no-shows' follow-up tasks, to read: they are opened by the no-show sweep and closed
    by rebooking or declining on the workshop pages (fuwu.scheduling.followups)."""

    list_display = (
        "appointment",
        "advisor",
        "created_at",
        "is_open",
        "outcome",
        "done_by",
        "done_at",
        "rebooked",
    )
    list_filter = ("outcome", ("done_at", admin.EmptyFieldListFilter), "appointment__workshop")
    list_select_related = (
        "appointment__customer",
        "advisor",
        "done_by",
        "rebooked__customer",
    )
    search_fields = ("appointment__customer__name", "appointment__customer__phone")
    date_hierarchy = "created_at"

    @admin.display(description=_("待跟进"), boolean=True)
    def is_open(self, obj: FollowUp) -> bool:
        return obj.done_at is None
