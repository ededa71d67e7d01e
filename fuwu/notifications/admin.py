"""The inbox, read-only: notifications are queued by the action layer after commit."""

from __future__ import annotations

from django.contrib import admin
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from fuwu.cases.admin import CaseColumn
from fuwu.core.admin import ReadOnlyAdmin, pretty_json, shown, titled
from fuwu.notifications.models import Notification


@admin.register(Notification)
class NotificationAdmin(CaseColumn, ReadOnlyAdmin[Notification]):
    list_display = [
        "created",
        "recipient_name",
        "kind_code",
        "case_label",
        "read",
        "emailed",
        "error",
    ]
    list_filter = [
        ("kind", titled(_("类型"), admin.AllValuesFieldListFilter)),
        ("read_at", titled(_("已读"), admin.EmptyFieldListFilter)),
        ("emailed_at", titled(_("邮件已发送"), admin.EmptyFieldListFilter)),
        ("created_at", titled(_("创建时间"), admin.DateFieldListFilter)),
    ]
    list_select_related = ["recipient", "case"]
    search_fields = ["recipient__username", "kind", "case__title"]
    readonly_fields = (
        "recipient_name",
        "kind_code",
        "case_label",
        "created",
        "read",
        "emailed",
        "error",
        "payload",
    )
    fields = readonly_fields
    date_hierarchy = "created_at"
    show_full_result_count = False

    @admin.display(description=_("创建时间"), ordering="created_at")
    def created(self, obj: Notification) -> str:
        return shown(obj.created_at)

    @admin.display(description=_("收件人"), ordering="recipient__username")
    def recipient_name(self, obj: Notification) -> str:
        return obj.recipient.get_username()

    @admin.display(description=_("类型"), ordering="kind")
    def kind_code(self, obj: Notification) -> str:
        return obj.kind

    @admin.display(description=_("已读时间"), ordering="read_at")
    def read(self, obj: Notification) -> str:
        return shown(obj.read_at)

    @admin.display(description=_("邮件发送时间"), ordering="emailed_at")
    def emailed(self, obj: Notification) -> str:
        return shown(obj.emailed_at)

    @admin.display(description=_("邮件错误"))
    def error(self, obj: Notification) -> str:
        return obj.email_error

    @admin.display(description=_("数据"))
    def payload(self, obj: Notification) -> SafeString:
        return pretty_json(obj.data)
