"""Webhooks in the admin: subscriptions edited through the same checks and actions as the API
(the secret shown once, on creation, never in full afterwards); the delivery log read-only,
with replay as an action."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from fuwu.cases.choices import EventKind
from fuwu.channels.webhooks import actions
from fuwu.channels.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookSubscription
from fuwu.core.actors import actor_for
from fuwu.core.admin import ReadOnlyAdmin, ReadOnlyInline
from fuwu.procedures.engine.errors import EngineError


class SubscriptionForm(forms.ModelForm):  # type: ignore[type-arg]
    event_kinds = forms.MultipleChoiceField(
        label=_("事件类型"),
        choices=EventKind.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("留空表示全部事件"),
    )

    class Meta:
        model = WebhookSubscription
        fields = ["name", "url", "event_kinds", "site", "active"]

    request: HttpRequest | None = None

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.request is None:
            return data
        site = data.get("site")
        try:
            actions.check_input(
                actor_for(self.request.user),
                data.get("url") or "",
                list(data.get("event_kinds") or []),
                site.code if site else None,
            )
        except EngineError as refused:
            for name, problem in refused.fields.items():
                field = {"events": "event_kinds"}.get(name, name)
                self.add_error(
                    field if field in self.fields else None, problem.message(get_language())
                )
        return data


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(admin.ModelAdmin[WebhookSubscription]):
    form = SubscriptionForm
    list_display = ["__str__", "site", "active", "consecutive_failures", "disabled_at"]
    list_filter = ["active", "site"]
    search_fields = ["name", "url"]
    readonly_fields = [
        "secret_hint",
        "consecutive_failures",
        "disabled_at",
        "disabled_reason",
        "disabled_detail",
        "created_by",
        "created_at",
    ]

    @admin.display(description=_("签名密钥"))
    def secret_hint(self, obj: WebhookSubscription) -> str:
        return obj.secret_hint

    def get_form(
        self,
        request: HttpRequest,
        obj: WebhookSubscription | None = None,
        change: bool = False,
        **kwargs: Any,
    ) -> type[forms.ModelForm[WebhookSubscription]]:
        form = super().get_form(request, obj, change, **kwargs)
        # The checks depend on who asks (their sites; all sites for administrators).
        return type("SubscriptionFormFor", (form,), {"request": request})

    def save_model(
        self, request: HttpRequest, obj: WebhookSubscription, form: Any, change: bool
    ) -> None:
        who = actor_for(request.user)
        data = form.cleaned_data
        site = data.get("site")
        events = list(data.get("event_kinds") or [])
        if not change:
            made, secret = actions.create_subscription(
                who,
                url=data["url"],
                events=events,
                site=site.code if site else None,
                name=data["name"],
            )
            if not data.get("active", True):
                actions.update_subscription(who, made.pk, changes={"active": False})
            obj.pk = made.pk
            messages.warning(
                request, _("签名密钥（只显示这一次，请立即保存）：%(secret)s") % {"secret": secret}
            )
            return
        saved = actions.update_subscription(
            who,
            obj.pk,
            changes={
                "name": data["name"],
                "url": data["url"],
                "events": events,
                "site": site.code if site else None,
                "active": data.get("active"),
            },
        )
        obj.refresh_from_db()
        obj.active = saved.active


ATTEMPT_FIELDS = ["at", "ok", "status_code", "error", "response", "duration_ms"]


class AttemptInline(ReadOnlyInline[WebhookAttempt, WebhookDelivery]):
    model = WebhookAttempt
    fields = tuple(ATTEMPT_FIELDS)
    readonly_fields = ATTEMPT_FIELDS


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdmin[WebhookDelivery]):
    list_display = ["created_at", "subscription", "kind", "status", "attempts", "last_status_code"]
    list_filter = ["status", "kind"]
    list_select_related = ["subscription"]
    readonly_fields = [f.name for f in WebhookDelivery._meta.fields]
    inlines = [AttemptInline]
    actions = ["replay"]

    @admin.action(description=_("重发所选记录"))
    def replay(self, request: HttpRequest, queryset: QuerySet[WebhookDelivery]) -> None:
        who = actor_for(request.user)
        done = 0
        for delivery in queryset:
            try:
                actions.replay(who, delivery.pk)
                done += 1
            except EngineError as refused:
                messages.error(request, f"{delivery.pk}: {refused.message(get_language())}")
        if done:
            messages.success(request, _("已重发 %(count)d 条记录") % {"count": done})
