"""Admin for the organisation: sites, calendars, departments, staff, roles, skills, shifts, tokens.

Administrators configure the organisation here. Cases and their history are read-only in the
admin (see `ReadOnlyAdmin`): every change to a case goes through `fuwu.cases.actions`.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from django.contrib import admin, messages
from django.contrib.admin.utils import display_for_value
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext_lazy as _

from fuwu.core.models import (
    ApiToken,
    CalendarDay,
    Department,
    Organisation,
    Role,
    Shift,
    Site,
    Skill,
    Staff,
)
from fuwu.core.tokens import revoke_tokens

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

User = get_user_model()

admin.site.site_header = _("Fuwu 服务 管理")
admin.site.site_title = _("Fuwu 服务")
admin.site.index_title = _("系统管理")


def titled(label: StrOrPromise, base: type[admin.FieldListFilter]) -> type[admin.FieldListFilter]:
    """Django's `base` filter under a translated title.

    Some model fields (foreign keys, timestamps) carry no verbose_name, and Django would then
    title their filter with the raw English field name even in the Chinese admin.
    """

    def __init__(self: admin.FieldListFilter, *args: Any, **kwargs: Any) -> None:
        base.__init__(self, *args, **kwargs)
        self.title = label

    return type(f"Titled{base.__name__}", (base,), {"__init__": __init__})


def pretty_json(value: object) -> SafeString:
    """A JSON value indented for reading; Chinese text is kept as it is, not \\u-escaped."""
    text = json.dumps(value, ensure_ascii=False, indent=2, default=str)
    # <code>, not <pre>: read-only fields are rendered inside a <p>.
    return format_html(
        '<code class="fuwu-json" style="display: block; white-space: pre-wrap">{}</code>', text
    )


def shown(value: object) -> str:
    """A value as admin lists show it: local time, "-" for nothing.

    Read-only pages print what a display method returns as it is (a UTC datetime raw, None as
    "None"), so methods that rename a field return it formatted.
    """
    return str(display_for_value(value, admin.site.empty_value_display))


class DepartmentListFilter(admin.RelatedFieldListFilter):
    """Departments by site; one query, where the stock filter would fetch each one's site."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.title = _("部门")

    def field_choices(self, field: Any, request: HttpRequest, model_admin: Any) -> list[Any]:
        departments = Department.objects.select_related("site").order_by("site__name", "name")
        return [(d.pk, str(d)) for d in departments]


class ReadOnlyAdmin[M: Model](admin.ModelAdmin[M]):
    """Browse and search only: rows the action layer writes are never edited by hand.

    Without change permission Django shows each row as a read-only page, refuses a POST to the
    add, change or delete views with 403, and offers no "delete selected" action.
    """

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: M | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: M | None = None) -> bool:
        return False


class ReadOnlyInline[M: Model, P: Model](admin.TabularInline[M, P]):
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: P | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: P | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: P | None = None) -> bool:
        return False


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin[Organisation]):
    list_display = ["name"]
    search_fields = ["name"]


@admin.register(Site)
class SiteAdmin(admin.ModelAdmin[Site]):
    list_display = [
        "code",
        "name",
        "kind",
        "organisation_name",
        "calendar_kind",
        "timezone",
        "work_start",
        "work_end",
        "use_statutory_holidays",
    ]
    list_display_links = ["code", "name"]
    list_filter = [
        ("organisation", titled(_("组织"), admin.RelatedFieldListFilter)),
        "calendar_kind",
        "use_statutory_holidays",
    ]
    list_select_related = ["organisation"]
    search_fields = ["code", "name", "kind"]
    fieldsets = [
        (None, {"fields": ["organisation", "code", "name", "kind"]}),
        (
            _("工作时间"),
            {
                "fields": [
                    "calendar_kind",
                    "timezone",
                    ("work_start", "lunch_start", "lunch_end", "work_end"),
                    "use_statutory_holidays",
                ]
            },
        ),
    ]

    @admin.display(description=_("组织"), ordering="organisation__name")
    def organisation_name(self, obj: Site) -> str:
        return obj.organisation.name


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin[CalendarDay]):
    list_display = ["date", "kind", "site_name", "note"]
    list_filter = ["kind", ("site", titled(_("项目"), admin.RelatedFieldListFilter))]
    list_select_related = ["site"]
    search_fields = ["note", "site__name"]
    date_hierarchy = "date"
    ordering = ["-date"]

    @admin.display(description=_("项目"), ordering="site__name")
    def site_name(self, obj: CalendarDay) -> StrOrPromise:
        return obj.site.name if obj.site else _("所有项目")


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin[Department]):
    list_display = ["name", "name_en", "code", "site_name", "manager"]
    list_filter = [("site", titled(_("项目"), admin.RelatedFieldListFilter))]
    list_select_related = ["site", "manager"]
    search_fields = ["name", "name_en", "code", "site__name"]
    autocomplete_fields = ["manager"]
    ordering = ["site__name", "name"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Department]:
        # Also serves the department autocomplete, whose labels name the site.
        return super().get_queryset(request).select_related("site")

    @admin.display(description=_("项目"), ordering="site__name")
    def site_name(self, obj: Department) -> str:
        return obj.site.name


@admin.register(Role)
class RoleAdmin(admin.ModelAdmin[Role]):
    list_display = ["__str__", "code"]
    search_fields = ["code"]
    ordering = ["code"]


@admin.register(Skill)
class SkillAdmin(admin.ModelAdmin[Skill]):
    list_display = ["name", "name_en", "code"]
    search_fields = ["name", "name_en", "code"]
    ordering = ["code"]


@admin.register(Shift)
class ShiftAdmin(admin.ModelAdmin[Shift]):
    list_display = ["name", "start", "end"]
    search_fields = ["name"]
    ordering = ["start"]


STAFF_FIELDS = (
    "display_name",
    "phone",
    "language",
    "department",
    "reports_to",
    "shift",
    "sites",
    "roles",
    "skills",
)


@admin.register(Staff)
class StaffAdmin(admin.ModelAdmin[Staff]):
    list_display = [
        "display_name",
        "username",
        "department",
        "role_list",
        "phone",
        "shift",
        "reports_to",
        "language",
    ]
    list_filter = [
        ("sites", titled(_("项目"), admin.RelatedFieldListFilter)),
        ("department", DepartmentListFilter),
        "roles",
        "skills",
        "shift",
        "language",
    ]
    list_select_related = ["user", "department__site", "shift", "reports_to"]
    search_fields = ["display_name", "user__username", "phone", "user__email"]
    autocomplete_fields = ["user", "department", "reports_to"]
    filter_horizontal = ["sites", "roles", "skills"]
    fields = ["user", *STAFF_FIELDS]
    ordering = ["display_name"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Staff]:
        return super().get_queryset(request).prefetch_related("roles")

    @admin.display(description=_("用户名"), ordering="user__username")
    def username(self, obj: Staff) -> str:
        return obj.user.get_username()

    @admin.display(description=_("角色"))
    def role_list(self, obj: Staff) -> str:
        separator = "、" if get_language().startswith("zh") else ", "
        return separator.join(str(role) for role in obj.roles.all())


class StaffInline(admin.StackedInline[Staff, Any]):
    """The staff profile on the user page, so a login and its profile are made in one step.

    Left empty, no profile is created: customer portal logins have none.
    """

    model = Staff
    fields = STAFF_FIELDS
    autocomplete_fields = ["department", "reports_to"]
    filter_horizontal = ["sites", "roles", "skills"]
    can_delete = False
    extra = 1
    max_num = 1


admin.site.unregister(User)


@admin.register(User)
class UserAdmin(DjangoUserAdmin[Any]):
    inlines = [StaffInline]
    list_display = ["username", "staff_name", "email", "is_active", "is_staff", "is_superuser"]
    list_select_related = ["staff"]
    search_fields = [*DjangoUserAdmin.search_fields, "staff__display_name"]

    @admin.display(description=_("姓名"), ordering="staff__display_name")
    def staff_name(self, obj: Any) -> str:
        staff = getattr(obj, "staff", None)
        return staff.display_name if staff else ""


class TokenStateFilter(admin.SimpleListFilter):
    title = _("状态")
    parameter_name = "state"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, StrOrPromise]]:
        return [("active", _("有效")), ("expired", _("已过期")), ("revoked", _("已撤销"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        now = timezone.now()
        if self.value() == "active":
            return queryset.filter(revoked_at__isnull=True, expires_at__gt=now)
        if self.value() == "expired":
            return queryset.filter(revoked_at__isnull=True, expires_at__lte=now)
        if self.value() == "revoked":
            return queryset.filter(revoked_at__isnull=False)
        return queryset


@admin.register(ApiToken)
class ApiTokenAdmin(ReadOnlyAdmin[ApiToken]):
    """Tokens are issued by `fuwu token create`, the "API tokens" page or the API, which show
    the raw value once.

    Here they can only be listed and revoked (through `fuwu.core.tokens`, like every other
    path); revoking keeps the row, so the list stays a record. The columns are the page's.
    """

    list_display = [
        "token_prefix",
        "user",
        "name",
        "scope_names",
        "created",
        "expires",
        "last_used",
        "last_used_from",
        "revoked",
    ]
    list_filter = [TokenStateFilter]
    list_select_related = ["user"]
    search_fields = ["prefix", "name", "user__username"]
    readonly_fields = (
        "token_prefix",
        "user",
        "name",
        "scope_names",
        "created",
        "expires",
        "last_used",
        "last_used_from",
        "revoked",
    )
    fields = readonly_fields
    ordering = ["-created_at"]
    actions = ["revoke"]

    def has_revoke_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("core.change_apitoken")

    @admin.action(description=_("撤销所选令牌"), permissions=["revoke"])
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        # Only still-active tokens: revoking again must not move the recorded revocation time.
        count = revoke_tokens(queryset)
        self.message_user(
            request,
            ngettext("已撤销 %(count)d 个令牌。", "已撤销 %(count)d 个令牌。", count)
            % {"count": count},
            messages.SUCCESS,
        )

    @admin.display(description=_("前缀"), ordering="prefix")
    def token_prefix(self, obj: ApiToken) -> str:
        return f"fw_{obj.prefix}…"

    @admin.display(description=_("权限范围"), ordering="scopes")
    def scope_names(self, obj: ApiToken) -> str:
        return ", ".join(obj.scope_labels())

    @admin.display(description=_("创建时间"), ordering="created_at")
    def created(self, obj: ApiToken) -> str:
        return shown(obj.created_at)

    @admin.display(description=_("到期时间"), ordering="expires_at")
    def expires(self, obj: ApiToken) -> str:
        return shown(obj.expires_at)

    @admin.display(description=_("最近使用"), ordering="last_used_at")
    def last_used(self, obj: ApiToken) -> str:
        return shown(obj.last_used_at)

    @admin.display(description=_("撤销时间"), ordering="revoked_at")
    def revoked(self, obj: ApiToken) -> str:
        return shown(obj.revoked_at)


# The task queue table under Chinese names (after the admin classes above).
from fuwu.core import admin_tasks  # noqa: E402, F401
