"""Admin for customers (客户档案) and the units, vehicles and equipment a service is about."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _

from fuwu.core import limits
from fuwu.core.actors import actor_for
from fuwu.core.admin import ReadOnlyAdmin, ReadOnlyInline, shown, titled
from fuwu.customers import actions, merging
from fuwu.customers.models import Asset, Customer, CustomerMerge, RecordChange, RevealLog


class WithinLimits(forms.ModelForm):  # type: ignore[type-arg]
    """The admin saves the model itself: its JSON (preferences, attributes) and text keep to
    the input limits the actions apply (`fuwu.core.limits`)."""

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        values = {k: v for k, v in data.items() if isinstance(v, str | dict | list)}
        for name, error in limits.field_errors(values).items():
            self.add_error(name, error.message(get_language()))
        return data


class AuditedAdmin[M: Customer | Asset](admin.ModelAdmin[M]):
    """The admin saves the model itself; the record history still gets its row."""

    form = WithinLimits

    def save_model(self, request: HttpRequest, obj: M, form: Any, change: bool) -> None:
        before = type(obj).objects.filter(pk=obj.pk).first() if change else None
        super().save_model(request, obj, form, change)
        names = list(form.changed_data) if change else list(form.fields)
        actions.record_admin_edit(actor_for(request.user), obj, before=before, names=names)


class AssetInline(admin.TabularInline[Asset, Customer]):
    model = Asset
    form = WithinLimits
    fk_name = "owner"
    fields = ["site", "kind", "label", "attributes"]
    extra = 0
    show_change_link = True


class RevealInline(ReadOnlyInline[RevealLog, Customer]):
    """Who revealed this customer's details, when and why (newest first)."""

    model = RevealLog
    fields = ["at", "actor", "case_id", "field", "reason", "note"]
    readonly_fields = ["at", "actor", "case_id", "field", "reason", "note"]
    ordering = ["-at", "-pk"]
    verbose_name_plural = _("个人信息查看记录")


@admin.register(Customer)
class CustomerAdmin(AuditedAdmin[Customer]):
    # The list shows the masked number, as staff lists do; the full number is on the record.
    list_display = ["name", "masked_phone", "email", "site_name", "consent_contact", "created"]
    list_filter = [
        ("site", titled(_("项目"), admin.RelatedFieldListFilter)),
        "consent_contact",
    ]
    list_select_related = ["site"]
    search_fields = ["name", "phone", "email"]
    autocomplete_fields = ["user"]
    fields = [
        "site",
        "name",
        "phone",
        "email",
        "consent_contact",
        "preferences",
        "user",
        "merge_link",
    ]
    readonly_fields = ["merge_link"]
    inlines = [AssetInline, RevealInline]
    ordering = ["-created_at"]

    @admin.display(description=_("电话"), ordering="phone")
    def masked_phone(self, obj: Customer) -> str:
        return obj.masked_phone

    @admin.display(description=_("项目"), ordering="site__name")
    def site_name(self, obj: Customer) -> str:
        return obj.site.name

    @admin.display(description=_("创建时间"), ordering="created_at")
    def created(self, obj: Customer) -> str:
        return shown(obj.created_at)

    @admin.display(description=_("合并重复档案"))
    def merge_link(self, obj: Customer) -> str:
        """Merging is a staff page (preview, confirm, undo for a day: fuwu.customers.merging);
        the record links to it and says how many records share its phone number."""
        if obj.pk is None:
            return "—"
        if obj.merged_into_id is not None:
            text = gettext("已合并到档案 #%(id)s") % {"id": obj.merged_into_id}
        else:
            n = len(merging.duplicates(obj))
            text = gettext("%(n)s 份电话相同的档案，去合并") % {"n": n} if n else gettext("去合并")
        url = reverse("web:customer_merge", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, text)


@admin.register(Asset)
class AssetAdmin(AuditedAdmin[Asset]):
    list_display = ["label", "kind", "site_name", "owner", "created"]
    list_filter = ["kind", ("site", titled(_("项目"), admin.RelatedFieldListFilter))]
    list_select_related = ["site", "owner"]
    search_fields = ["label", "owner__name", "owner__phone"]
    autocomplete_fields = ["owner"]
    fields = ["site", "kind", "label", "owner", "attributes"]
    ordering = ["-created_at"]

    @admin.display(description=_("项目"), ordering="site__name")
    def site_name(self, obj: Asset) -> str:
        return obj.site.name

    @admin.display(description=_("创建时间"), ordering="created_at")
    def created(self, obj: Asset) -> str:
        return shown(obj.created_at)


@admin.register(RecordChange)
class RecordChangeAdmin(ReadOnlyAdmin[RecordChange]):
    """The history of customer and asset records, as the actions wrote it: never edited here."""

    list_display = ["at", "action", "customer", "asset", "actor", "case_id"]
    list_filter = ["action", ("site", titled(_("项目"), admin.RelatedFieldListFilter))]
    list_select_related = ["customer", "asset", "actor"]
    search_fields = ["customer__name", "asset__label"]
    fields = ["site", "customer", "asset", "action", "actor", "case_id", "at", "changes"]
    ordering = ["-at", "-pk"]


@admin.register(RevealLog)
class RevealLogAdmin(ReadOnlyAdmin[RevealLog]):
    """Who saw which personal value in full, when and why (PIPL): written by the reveal
    action, never edited here."""

    list_display = ["at", "actor", "customer", "case_id", "field", "reason", "note"]
    list_filter = ["reason", ("site", titled(_("项目"), admin.RelatedFieldListFilter))]
    list_select_related = ["actor", "customer"]
    search_fields = ["actor__username", "customer__name", "field"]
    fields = ["site", "actor", "at", "customer", "case_id", "field", "reason", "note"]
    ordering = ["-at", "-pk"]


@admin.register(CustomerMerge)
class CustomerMergeAdmin(ReadOnlyAdmin[CustomerMerge]):
    """Merges of duplicate customer records and their undoing, as the merge actions wrote them
    (merging and undoing happen on the staff page, never here)."""

    list_display = ["at", "merged", "kept", "actor", "undone_at", "undone_by"]
    list_filter = [("site", titled(_("项目"), admin.RelatedFieldListFilter))]
    list_select_related = ["merged", "kept", "actor", "undone_by"]
    search_fields = ["kept__name", "merged__name"]
    fields = ["site", "kept", "merged", "actor", "at", "moved", "undone_at", "undone_by"]
    ordering = ["-at", "-pk"]
