from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path, re_path
from django.views.generic import RedirectView

from fuwu.api.root import api, bad_request, unknown_path
from fuwu.core.views import healthz

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    re_path(r"^api/", unknown_path),  # what no API route matches is still answered in JSON
    path("healthz", healthz, name="healthz"),
    # Browsers ask for /favicon.ico on pages that name none (the admin, the API docs).
    path("favicon.ico", RedirectView.as_view(url=static("web/favicon.svg"), permanent=True)),
    path("channels/wechat/", include("fuwu.channels.urls_wechat")),
    path("channels/sms/", include("fuwu.channels.urls_sms")),
    path("portal/", include("fuwu.portal.urls")),
    path("channels/", include("fuwu.channels.urls")),
    path("", include("fuwu.web.urls")),
]

# Django's own 400s (e.g. a Host header that names no host) in JSON under /api/.
handler400 = bad_request
