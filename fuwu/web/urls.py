"""The staff pages. Each view module keeps its own `urlpatterns`; this file only joins them."""

from fuwu.portal.views import attachments as portal_attachments
from fuwu.web.views import (
    auth,
    bulk,
    case,
    dashboard,
    intake,
    personal,
    procedures,
    queues,
    tokens,
    work,
)

app_name = "web"

urlpatterns = [
    *auth.urlpatterns,
    *work.urlpatterns,
    *queues.urlpatterns,
    *bulk.urlpatterns,
    *dashboard.urlpatterns,
    *intake.urlpatterns,
    *case.urlpatterns,
    *personal.urlpatterns,
    *procedures.urlpatterns,
    *tokens.urlpatterns,
    *portal_attachments.urlpatterns,
]
