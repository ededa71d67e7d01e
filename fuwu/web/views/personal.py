"""Personal details on the case page: full or masked as `fuwu.customers.privacy` decides, the
reveal button (one click, a reason chosen from a short list, then the value and a `tel:` link
for a phone number) and, for managers, who revealed what and when.

The reveal is a POST answered with a fragment that replaces the button (htmx, no script of our
own); the value is never in the page before it is asked for, so a masked value cannot be read
from the page source.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from fuwu.cases.models import Case
from fuwu.core.actors import Actor
from fuwu.customers import actions, masks, privacy
from fuwu.customers.choices import RevealReason
from fuwu.customers.models import RevealLog
from fuwu.procedures.engine.definition import Procedure
from fuwu.procedures.engine.errors import EngineError, NotFound
from fuwu.web.access import actor_of, staff_required

REVEALS_SHOWN = 20


@dataclass(frozen=True)
class RevealLine:
    person: str
    at: datetime
    what: str
    reason: str


def _what(procedure: Procedure, field: str, language: str) -> str:
    if field == "customer.phone":
        return _("客户电话")
    if field == "customer.email":
        return _("客户电子邮件")
    f = procedure.all_fields().get(field)
    return f.label.get(language) if f else field


def _person(user: Any) -> str:
    staff = getattr(user, "staff", None)
    if staff is not None and staff.display_name:
        return str(staff.display_name)
    return str(user.get_full_name() or user.username)


def reveals(case: Case, procedure: Procedure, language: str) -> list[RevealLine]:
    """The case's latest reveals, newest first (one query)."""
    rows = RevealLog.objects.filter(case_id=case.pk).select_related("actor__staff")
    return [
        RevealLine(
            person=_person(r.actor),
            at=r.at,
            what=_what(procedure, r.field, language),
            reason=r.get_reason_display(),
        )
        for r in rows.order_by("-at", "-pk")[:REVEALS_SHOWN]
    ]


def case_personal(actor: Actor, case: Case, procedure: Procedure, language: str) -> dict[str, Any]:
    """The case page's personal details as this person may read them (see the module doc)."""
    access = privacy.case_access(actor, case)
    customer = case.customer
    phone = privacy.customer_value(customer, "phone", access) if customer else ""
    return {
        "personal_masked": access.masked,
        "may_reveal": access is privacy.Access.REVEAL,
        "customer_phone": phone,
        "customer_tel": masks.tel(phone) if customer and phone and not access.masked else "",
        "reveal_reasons": RevealReason.choices,
        "reveals": reveals(case, procedure, language) if actor.is_manager else [],
    }


@require_POST
@staff_required
def reveal(request: HttpRequest, case_id: int) -> HttpResponse:
    """One value in full, logged (`customers.actions.reveal`): the fragment replaces the button."""
    field = request.POST.get("field", "")[:80]
    try:
        done = actions.reveal(
            actor_of(request),
            case_id=case_id,
            field=field,
            reason=request.POST.get("reason", RevealReason.CONTACT),
            note=request.POST.get("note", "")[:200],
        )
    except NotFound:
        raise Http404 from None
    except EngineError as exc:
        language = getattr(request, "LANGUAGE_CODE", None)
        context = {"error": exc.message(language), "field": field}
        return _answer(request, case_id, context, status=exc.status)
    value = done.value if isinstance(done.value, str) else ""
    context = {
        "field": field,
        "value": value or "—",
        "tel": masks.tel(value) if done.kind == "phone" and value else "",
    }
    return _answer(request, case_id, context)


def _answer(
    request: HttpRequest, case_id: int, context: dict[str, Any], *, status: int = 200
) -> HttpResponse:
    """htmx swaps the fragment in place of the button; a plain POST gets a page around it."""
    htmx = getattr(request, "htmx", None)
    template = "web/_revealed.html" if htmx else "web/revealed.html"
    return render(request, template, {**context, "case_id": case_id}, status=status)


urlpatterns = [
    path("cases/<int:case_id>/reveal/", reveal, name="case-reveal"),
]
