"""The customer portal (/portal/). The attachment download is in the `web` namespace instead
(fuwu/web/urls.py joins `fuwu.portal.views.attachments.urlpatterns`): staff and customers share it."""

from django.urls import path

from fuwu.portal.views import auth, requests, surveys, wechat

app_name = "portal"

urlpatterns = [
    path("", requests.home, name="home"),
    path("login/", auth.login_view, name="login"),
    path("signup/", auth.signup_view, name="signup"),
    path("signup/verify/", auth.verify_view, name="verify"),
    path("account/", auth.account_view, name="account"),
    path("account/wechat/", wechat.wechat_code, name="wechat-code"),
    path("new/", requests.choose, name="choose"),
    path("new/<slug:key>/", requests.new_request, name="new"),
    path("pending/<int:pk>/", requests.pending_photo, name="pending-photo"),
    path("cases/<int:case_id>/", requests.case_page, name="case"),
    path("cases/<int:case_id>/confirm/", requests.confirm, name="confirm"),
    path("cases/<int:case_id>/rate/", requests.rate, name="rate"),
    path("surveys/", surveys.mine, name="surveys"),
    path("surveys/<int:pk>/", surveys.answer, name="survey"),
    path("s/<str:token>/", surveys.link, name="survey-link"),
]
