from django.contrib import admin
from django.urls import include, path, re_path

from fuwu.api.root import api, unknown_path
from fuwu.core.views import healthz

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    re_path(r"^api/", unknown_path),  # what no API route matches is still answered in JSON
    path("healthz", healthz, name="healthz"),
    path("portal/", include("fuwu.portal.urls")),
    path("", include("fuwu.web.urls")),
]
