"""The staff pages. Each view module keeps its own `urlpatterns`; this file only joins them."""

from fuwu.portal.views import attachments as portal_attachments
from fuwu.web.views import (
    auth,
    bulk,
    case,
    case_print,
    customers,
    dashboard,
    field_routes,
    files,
    floor,
    history,
    intake,
    parts,
    people,
    personal,
    procedures,
    queues,
    search,
    tokens,
    work,
    workshop,
    workshop_calendar,
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
    *people.urlpatterns,
    *files.urlpatterns,
    *case_print.urlpatterns,
    *history.urlpatterns,
    *personal.urlpatterns,
    *procedures.urlpatterns,
    *tokens.urlpatterns,
    *customers.urlpatterns,
    *search.urlpatterns,
    *floor.urlpatterns,
    *workshop.urlpatterns,
    *workshop_calendar.urlpatterns,
    *parts.urlpatterns,
    *field_routes.urlpatterns,
    *portal_attachments.urlpatterns,
]
