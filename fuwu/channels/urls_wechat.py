"""The WeChat official account's callback, mounted at /channels/wechat/."""

from django.urls import path

from fuwu.channels import views_wechat

app_name = "wechat"
urlpatterns = [path("<str:app_id>/callback", views_wechat.callback, name="callback")]
