from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from fuwu.campaigns.actions import parse_rule
from fuwu.campaigns.models import Campaign, Occurrence, Schedule
from fuwu.procedures.engine.errors import EngineError


class ScheduleForm(forms.ModelForm):
    class Meta:
        model = Schedule
        fields = [
            "site",
            "procedure_key",
            "title",
            "rrule",
            "dtstart",
            "asset_kind",
            "asset_filter",
            "data",
            "active",
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("rrule") and data.get("dtstart"):
            try:
                parse_rule(data["rrule"], data["dtstart"])
            except EngineError as exc:
                self.add_error("rrule", "; ".join(e.message(None) for e in exc.fields.values()))
        return data


@admin.register(Schedule)
class ScheduleAdmin(admin.ModelAdmin):
    form = ScheduleForm
    list_display = ("title", "procedure_key", "site", "rrule", "active", "last_occurrence_at")
    list_filter = ("active", "site", "procedure_key")
    readonly_fields = ("last_occurrence_at",)


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Campaign)
class CampaignAdmin(ReadOnly):
    list_display = ("title", "procedure_key", "site", "asset_kind", "created_at")
    list_filter = ("site", "procedure_key")


@admin.register(Occurrence)
class OccurrenceAdmin(ReadOnly):
    list_display = ("schedule", "at", "case", "campaign", "error")
    list_filter = ("schedule",)
