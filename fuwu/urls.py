from django.contrib import admin
from django.templatetags.static import static
from django.urls import path, re_path
from django.views.generic import RedirectView

from fuwu.api.root import api, bad_request, unknown_path
from fuwu.core.views import healthz


def on_first_use(module: str, namespace: str) -> tuple[str, str, str]:
    """`include(module)` with the module imported when a request first reaches its prefix, or
    the first time one of the whole site's URLs is reversed, instead of with this URL conf.

    Django imports an included URL conf, and with it every view module it names, when the
    root URL conf loads: a worker that only ever answers the API held the staff pages, the
    portal and the channels' views too (6 MB, issue 14). Given as a string, the resolver
    imports it on first use (`URLResolver.urlconf_module`); the namespace must then be given
    here, as the module's `app_name` cannot be read before it is imported (a test compares).
    """
    return (module, namespace, namespace)


urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    re_path(r"^api/", unknown_path),  # what no API route matches is still answered in JSON
    path("healthz", healthz, name="healthz"),
    # Browsers ask for /favicon.ico on pages that name none (the admin, the API docs).
    path("favicon.ico", RedirectView.as_view(url=static("web/favicon.svg"), permanent=True)),
    path("channels/wechat/", on_first_use("fuwu.channels.urls_wechat", "wechat")),
    path("channels/sms/", on_first_use("fuwu.channels.urls_sms", "sms")),
    path("portal/", on_first_use("fuwu.portal.urls", "portal")),
    path("channels/", on_first_use("fuwu.channels.urls", "channels")),
    path("", on_first_use("fuwu.web.urls", "web")),
]

# Django's own 400s (e.g. a Host header that names no host) in JSON under /api/.
handler400 = bad_request
