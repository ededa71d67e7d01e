"""A case on one clean A4 page (`/cases/<id>/print/`): number, procedure, customer, every value
by the step that captured it (`fuwu.web.details`, as on the case page), and the timeline in
short. For the paper file, the customer's signature, a technician without a phone.

What it shows follows the same rules as the case page: a case this person may not see is a 404,
personal values are masked unless `fuwu.customers.privacy` grants them in full (no reveal here: a
reveal is one logged click on the case page, and paper cannot be un-printed), and internal
notes this person may not read are left out. Attachments are listed, pictures as thumbnails.
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils import timezone
from django.utils.translation import get_language

from fuwu.cases.choices import EventKind
from fuwu.cases.models import Event
from fuwu.cases.policy import may_read_note
from fuwu.cases.queries import get_case_for
from fuwu.customers import privacy
from fuwu.procedures.engine.errors import NotFound
from fuwu.procedures.registry import definition_of
from fuwu.web.access import actor_of, staff_required
from fuwu.web.details import case_details
from fuwu.web.files import case_files
from fuwu.web.lists import department_name, person_name
from fuwu.web.timeline import timeline

# Timeline lines whose details are the point (a note's text); other details repeat the values.
DETAILED = frozenset({EventKind.COMMENTED})


@staff_required
def case_print(request: HttpRequest, case_id: int) -> HttpResponse:
    actor = actor_of(request)
    try:
        case = get_case_for(actor, case_id)
    except NotFound:
        raise Http404 from None
    lang = get_language() or "zh-hans"
    procedure = definition_of(case.procedure)
    access = privacy.case_access(actor, case)
    events = list(Event.objects.filter(case=case).select_related("actor__staff").order_by("seq"))
    readable = [e for e in events if may_read_note(actor, e)]
    entries = timeline(case, readable, lang, show_internal=True, mask_personal=access.masked)
    customer = case.customer
    step = procedure.steps.get(case.step)
    return render(
        request,
        "web/case_print.html",
        {
            "case": case,
            "procedure_name": procedure.name.get(lang),
            "step_name": step.name.get(lang) if step else case.step,
            "department_name": department_name(case.department, lang),
            "assignee_name": person_name(case.assignee),
            "customer_phone": privacy.customer_value(customer, "phone", access) if customer else "",
            "details": case_details(actor, case, procedure, events, lang, masked=access.masked),
            "entries": entries,
            "attachments": case_files(case),
            "detailed": DETAILED,
            "printed_by": person_name(request.user),
            "printed_at": timezone.now(),
        },
    )


urlpatterns = [
    path("cases/<int:case_id>/print/", case_print, name="case-print"),
]
