"""The channels in the admin: routes, bound identities and notice wording are edited here;
messages received and notices sent are browsed only (the channel code writes them)."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from fuwu.cases.admin import CaseColumn
from fuwu.channels.models import Delivery, Identity, InboundMessage, NoticeTemplate, Route
from fuwu.core.admin import ReadOnlyAdmin, titled


@admin.register(Route)
class RouteAdmin(admin.ModelAdmin[Route]):
    list_display = ["channel", "address", "site", "procedure_key", "order", "active"]
    list_filter = ["channel", "active", "site"]
    list_editable = ["order", "active"]
    search_fields = ["address", "procedure_key"]


@admin.register(Identity)
class IdentityAdmin(admin.ModelAdmin[Identity]):
    list_display = ["channel", "value", "account", "customer", "created_at"]
    list_filter = ["channel"]
    search_fields = ["value", "customer__name"]
    raw_id_fields = ["customer"]


@admin.register(NoticeTemplate)
class NoticeTemplateAdmin(admin.ModelAdmin[NoticeTemplate]):
    list_display = ["kind", "procedure_key", "channel", "language", "subject"]
    list_filter = ["kind", "language", "channel"]
    search_fields = ["procedure_key", "subject", "body"]


@admin.register(InboundMessage)
class InboundMessageAdmin(CaseColumn, ReadOnlyAdmin[InboundMessage]):
    list_display = [
        "received_at",
        "channel",
        "sender",
        "subject",
        "status",
        "reason",
        "case_label",
    ]
    list_filter = [
        "channel",
        "status",
        ("received_at", titled(_("接收时间"), admin.DateFieldListFilter)),
    ]
    list_select_related = ["case"]
    search_fields = ["external_id", "sender", "subject"]


@admin.register(Delivery)
class DeliveryAdmin(CaseColumn, ReadOnlyAdmin[Delivery]):
    list_display = [
        "created_at",
        "channel",
        "address",
        "kind",
        "status",
        "attempts",
        "next_attempt_at",
        "error",
        "case_label",
    ]
    list_filter = [
        "channel",
        "status",
        "kind",
        ("created_at", titled(_("创建时间"), admin.DateFieldListFilter)),
    ]
    list_select_related = ["case"]
    search_fields = ["address", "provider_id", "subject"]


from fuwu.channels.email import admin as email_admin  # noqa: E402, F401  (IMAP mailboxes)
from fuwu.channels.sms import admin as sms_admin  # noqa: E402, F401  (the SMS provider)
from fuwu.channels.webhooks import admin as webhooks_admin  # noqa: E402, F401  (webhooks)
from fuwu.channels.wechat import admin as wechat_admin  # noqa: E402, F401  (WeChat's pages)
