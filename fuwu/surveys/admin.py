"""The admin (Chinese and English): questionnaires with their areas and questions, editable until
a response is submitted (then read only: load or copy a new version instead); rounds; responses
read only (they are written by the answering pages and the API)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from fuwu.surveys.form import KINDS
from fuwu.surveys.models import Answer, Question, Questionnaire, Response, Round, Section


class _FrozenInline:
    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is None or not obj.is_frozen

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is None or not obj.is_frozen

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is None or not obj.is_frozen


class SectionInline(_FrozenInline, admin.TabularInline):  # type: ignore[type-arg]
    model = Section
    extra = 0
    fields = ["position", "key", "name_zh", "name_en"]


class QuestionForm(forms.ModelForm):
    class Meta:
        model = Question
        fields = [
            "section",
            "position",
            "key",
            "kind",
            "required",
            "label_zh",
            "label_en",
            "options",
            "low_at",
            "show_if_question",
            "show_if_values",
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        kind, low = data.get("kind"), data.get("low_at")
        if kind in KINDS and low is not None:
            allowed = range(1, 5) if kind == "scale" else range(0, 1) if kind == "yes_no" else ()
            if low not in allowed:
                self.add_error("low_at", "评分题 1–4；是/否题 0；其他题型留空")
        if kind == "choice" and not data.get("options"):
            self.add_error("options", "单选题需要选项")
        return data


class QuestionInline(_FrozenInline, admin.StackedInline):  # type: ignore[type-arg]
    model = Question
    form = QuestionForm
    extra = 0
    fields = [
        ("section", "position", "key", "kind", "required"),
        ("label_zh", "label_en"),
        "options",
        ("low_at", "show_if_question", "show_if_values"),
    ]


@admin.register(Questionnaire)
class QuestionnaireAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["name_zh", "key", "version", "is_current", "site", "source"]
    list_filter = ["is_current", "site"]
    inlines = [SectionInline, QuestionInline]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is not None and obj.is_frozen:
            return [f.name for f in Questionnaire._meta.fields]
        return ["source", "checksum"]


class RoundForm(forms.ModelForm):
    class Meta:
        model = Round
        fields = [
            "questionnaire",
            "site",
            "title",
            "kind",
            "campaign",
            "opens_at",
            "closes_at",
            "link_days",
        ]

    def clean(self) -> dict[str, Any]:
        """The same rules as `actions.create_round`: a questionnaire and campaign of the site."""
        data = super().clean() or {}
        site, questionnaire = data.get("site"), data.get("questionnaire")
        if site and questionnaire and questionnaire.site_id not in (None, site.pk):
            self.add_error("questionnaire", "该问卷属于其他项目")
        campaign = data.get("campaign")
        if site and campaign and campaign.site_id != site.pk:
            self.add_error("campaign", "该批量任务属于其他项目")
        closes, opens = data.get("closes_at"), data.get("opens_at")
        if closes and opens and closes <= opens:
            self.add_error("closes_at", "结束时间应晚于开始时间")
        return data


@admin.register(Round)
class RoundAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    form = RoundForm
    list_display = ["title", "questionnaire", "site", "kind", "opens_at", "closes_at"]
    list_filter = ["site", "kind"]

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "questionnaire":
            kwargs["queryset"] = Questionnaire.objects.filter(is_current=True)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class AnswerInline(admin.TabularInline):  # type: ignore[type-arg]
    model = Answer
    extra = 0
    can_delete = False
    readonly_fields = ["question", "score", "choice", "text"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Response)
class ResponseAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ["pk", "round", "channel", "customer", "case", "submitted_at", "follow_up"]
    list_filter = ["channel", "round__site"]
    inlines = [AnswerInline]
    readonly_fields = [
        "round",
        "customer",
        "case",
        "channel",
        "invited_at",
        "expires_at",
        "submitted_at",
        "submitted_by",
        "follow_up",
    ]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False
