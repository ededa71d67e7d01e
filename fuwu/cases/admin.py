"""Cases and their history, read-only in the admin.

Every change to a case goes through `fuwu.cases.actions` (lock, validate, change, append the
event, queue the effects, in one transaction). An admin form would skip all of that, so these
pages only show rows; add, change and delete are refused with 403.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from fuwu.cases.models import Case, CaseTask, Event, WorkLog
from fuwu.core.admin import (
    DepartmentListFilter,
    ReadOnlyAdmin,
    ReadOnlyInline,
    pretty_json,
    shown,
    titled,
)

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


def _username(user: Any) -> str | None:
    return user.get_username() if user is not None else None


class CaseColumn:
    """The case a row belongs to, under a translated header (the foreign keys have no label)."""

    @admin.display(description=_("工单"), ordering="case_id")
    def case_label(self, obj: Any) -> str:
        return shown(obj.case)


class EventInline(ReadOnlyInline[Event, Case]):
    model = Event
    readonly_fields = ("seq_number", "kind_label", "actor_name", "at_time", "payload")
    fields = readonly_fields
    ordering = ["seq"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Event]:
        return super().get_queryset(request).select_related("actor")

    @admin.display(description=_("序号"))
    def seq_number(self, obj: Event) -> int:
        return obj.seq

    @admin.display(description=_("类型"))
    def kind_label(self, obj: Event) -> str:
        return obj.get_kind_display()

    @admin.display(description=_("操作人"))
    def actor_name(self, obj: Event) -> StrOrPromise:
        return _username(obj.actor) or _("系统")

    @admin.display(description=_("时间"))
    def at_time(self, obj: Event) -> str:
        return shown(obj.at)

    @admin.display(description=_("数据"))
    def payload(self, obj: Event) -> SafeString:
        return pretty_json(obj.data)


class TaskInline(ReadOnlyInline[CaseTask, Case]):
    model = CaseTask
    readonly_fields = ("step", "branch", "cycle", "department", "state", "done_by", "done_at")
    fields = readonly_fields


class WorkLogInline(ReadOnlyInline[WorkLog, Case]):
    model = WorkLog
    readonly_fields = ("kind", "description", "hours", "quantity", "unit_price", "by", "at")
    fields = readonly_fields


CASE_FILTERS: list[Any] = [
    "status",
    "priority",
    "channel",
    ("procedure_key", titled(_("服务程序"), admin.AllValuesFieldListFilter)),
    ("site", titled(_("项目"), admin.RelatedFieldListFilter)),
    ("department", DepartmentListFilter),
    "is_major",
    ("created_at", titled(_("创建时间"), admin.DateFieldListFilter)),
]


@admin.register(Case)
class CaseAdmin(ReadOnlyAdmin[Case]):
    list_display = [
        "number",
        "title",
        "procedure_code",
        "step",
        "status",
        "priority",
        "site_name",
        "department_name",
        "assignee_name",
        "created",
    ]
    list_display_links = ["number", "title"]
    list_filter = CASE_FILTERS
    list_select_related = ["site", "department__site", "assignee"]
    search_fields = ["title", "procedure_key", "customer__name", "asset__label"]
    date_hierarchy = "created_at"
    ordering = ["-created_at"]
    show_full_result_count = False
    inlines = [EventInline, TaskInline, WorkLogInline]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "number",
                    "title",
                    "description",
                    "procedure_name",
                    "step",
                    "status",
                    "priority",
                    "channel",
                    "category",
                    "is_major",
                    "comeback_count",
                ]
            },
        ),
        (
            _("归属"),
            {"fields": ["site_name", "department_name", "assignee_name", "customer", "asset"]},
        ),
        (
            _("时间"),
            {
                "fields": [
                    "created",
                    "first_response_at",
                    "response_due",
                    "resolution_due",
                    "step_due",
                    "resolved_at",
                    "closed_at",
                ]
            },
        ),
        (_("表单数据"), {"fields": ["form_data"]}),
        (_("系统记录"), {"fields": ["system_records"]}),
    ]

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Case], search_term: str
    ) -> tuple[QuerySet[Case], bool]:
        """Also find a case by the number people quote (20250301-000042) or its bare id."""
        found, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        pk = Case.pk_from_number(search_term) if search_term else None
        if pk is not None:
            found |= queryset.filter(pk=pk)
        return found, may_have_duplicates

    @admin.display(description=_("工单号"), ordering="pk")
    def number(self, obj: Case) -> str:
        return obj.number

    @admin.display(description=_("服务程序"), ordering="procedure_key")
    def procedure_code(self, obj: Case) -> str:
        return obj.procedure_key

    @admin.display(description=_("服务程序"))
    def procedure_name(self, obj: Case) -> str:
        return str(obj.procedure)

    @admin.display(description=_("项目"), ordering="site__name")
    def site_name(self, obj: Case) -> str:
        return obj.site.name

    @admin.display(description=_("部门"), ordering="department__name")
    def department_name(self, obj: Case) -> str:
        return obj.department.name

    @admin.display(description=_("处理人"), ordering="assignee__username")
    def assignee_name(self, obj: Case) -> str:
        return shown(_username(obj.assignee))

    @admin.display(description=_("创建时间"), ordering="created_at")
    def created(self, obj: Case) -> str:
        return shown(obj.created_at)

    @admin.display(description=_("表单数据"))
    def form_data(self, obj: Case) -> SafeString:
        return pretty_json(obj.data)

    @admin.display(description=_("系统记录"))
    def system_records(self, obj: Case) -> SafeString:
        return pretty_json(obj.records)  # checklist answers, confirmation, rating


@admin.register(Event)
class EventAdmin(CaseColumn, ReadOnlyAdmin[Event]):
    list_display = ["at_time", "case_label", "seq_number", "kind_label", "actor_name"]
    list_filter = [
        ("kind", titled(_("类型"), admin.ChoicesFieldListFilter)),
        ("at", titled(_("时间"), admin.DateFieldListFilter)),
    ]
    list_select_related = ["case", "actor"]
    search_fields = ["case__title"]
    readonly_fields = ("case_label", "seq_number", "kind_label", "actor_name", "at_time", "payload")
    fields = readonly_fields
    date_hierarchy = "at"
    ordering = ["-at", "-pk"]
    show_full_result_count = False

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Event], search_term: str
    ) -> tuple[QuerySet[Event], bool]:
        """Also find a case's events by its number (20250301-000042) or bare id."""
        found, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        pk = Case.pk_from_number(search_term) if search_term else None
        if pk is not None:
            found |= queryset.filter(case_id=pk)
        return found, may_have_duplicates

    @admin.display(description=_("序号"), ordering="seq")
    def seq_number(self, obj: Event) -> int:
        return obj.seq

    @admin.display(description=_("类型"), ordering="kind")
    def kind_label(self, obj: Event) -> str:
        return obj.get_kind_display()

    @admin.display(description=_("操作人"))
    def actor_name(self, obj: Event) -> StrOrPromise:
        return _username(obj.actor) or _("系统")

    @admin.display(description=_("时间"), ordering="at")
    def at_time(self, obj: Event) -> str:
        return shown(obj.at)

    @admin.display(description=_("数据"))
    def payload(self, obj: Event) -> SafeString:
        return pretty_json(obj.data)


@admin.register(WorkLog)
class WorkLogAdmin(CaseColumn, ReadOnlyAdmin[WorkLog]):
    list_display = [
        "logged_at",
        "case_label",
        "kind",
        "description",
        "hours",
        "quantity",
        "unit_price",
        "logged_by",
    ]
    list_filter = ["kind"]
    list_select_related = ["case", "by"]
    search_fields = ["description", "case__title"]
    date_hierarchy = "at"
    ordering = ["-at"]

    @admin.display(description=_("时间"), ordering="at")
    def logged_at(self, obj: WorkLog) -> str:
        return shown(obj.at)

    @admin.display(description=_("记录人"), ordering="by__username")
    def logged_by(self, obj: WorkLog) -> str:
        return obj.by.get_username()


@admin.register(CaseTask)
class CaseTaskAdmin(CaseColumn, ReadOnlyAdmin[CaseTask]):
    list_display = [
        "case_label",
        "step",
        "branch",
        "cycle",
        "department",
        "state",
        "done_by",
        "done_at",
    ]
    list_filter = [
        ("state", titled(_("状态"), admin.ChoicesFieldListFilter)),
        ("department", DepartmentListFilter),
    ]
    list_select_related = ["case", "department__site", "done_by"]
    search_fields = ["case__title", "step", "branch"]
    ordering = ["-case_id", "step", "branch"]
