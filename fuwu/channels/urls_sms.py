"""The SMS provider's callbacks, mounted at /channels/sms/."""

from django.urls import path

from fuwu.channels import views_sms

app_name = "sms"
urlpatterns = [
    path("<str:provider>/inbound", views_sms.inbound, name="inbound"),
    path("<str:provider>/receipt", views_sms.receipt, name="receipt"),
]
