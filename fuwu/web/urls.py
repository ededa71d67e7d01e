"""The staff pages. Each view module keeps its own `urlpatterns`; this file only joins them."""

from fuwu.portal.views import attachments as portal_attachments
from fuwu.web.views import (
    auth,
    board,
    bulk,
    case,
    case_print,
    customers,
    dashboard,
    files,
    floor,
    history,
    intake,
    people,
    personal,
    procedures,
    queues,
    search,
    tokens,
    work,
    workshop,
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
    *board.urlpatterns,
    *portal_attachments.urlpatterns,
]
