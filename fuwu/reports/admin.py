from django.contrib import admin

from fuwu.reports.models import Subscription


@admin.register(Subscription)
class SubscriptionAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    list_display = ("user", "report", "frequency", "due_on", "last_sent_at", "last_error")
    list_filter = ("report", "frequency")
    search_fields = ("user__username",)
    readonly_fields = ("sent_through", "due_on", "last_sent_at", "last_error", "created_at")
