from django.contrib import admin
from django.urls import include, path

from fuwu.api.root import api
from fuwu.core.views import healthz

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    path("healthz", healthz, name="healthz"),
    path("portal/", include("fuwu.portal.urls")),
    path("", include("fuwu.web.urls")),
]
