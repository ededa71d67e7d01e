"""The channels' endpoints (/channels/), for providers and mail servers."""

from django.urls import path

from fuwu.channels import views

app_name = "channels"

urlpatterns = [
    path("email/inbound", views.email_inbound, name="email-inbound"),
]
