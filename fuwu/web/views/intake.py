"""Intake: the call-centre desk on one page.

Find the caller (phone, name, unit or plate — as you type, within the agent's sites) or create
them, then either log a consultation answered on the spot (counted, no case) or open a case:
procedure, channel, priority, asset, title, the procedure's intake fields and first step's form
(generated from the definition by `fuwu.web.dynforms`), major flag. Cases are opened only
through `fuwu.cases.actions.open_case`, consultations through `log_consultation`; a refusal is
shown next to the fields in the user's language and nothing is written.

The desk is at one site: a customer's own site once one is chosen, otherwise the site picked
(`?site=`), otherwise the agent's first site. Every form posts with htmx and also works as a
plain POST (redirect after success, the page again with errors otherwise).

A call the telephony system's screen-pop named (`?call_id=…&caller=…`, see
`fuwu.api.phone`) rides along in every link and form of the desk and is kept with the case
or consultation it leads to (`fuwu.channels.phone.record_call`, in the same transaction).
"""

from __future__ import annotations

import re
from typing import Any

from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from fuwu.cases import actions, policy
from fuwu.cases.choices import Channel
from fuwu.cases.consultations import consultations_today, log_consultation
from fuwu.channels.phone import Call, record_call
from fuwu.core.actors import Actor
from fuwu.customers import actions as customer_actions
from fuwu.customers import privacy
from fuwu.customers.models import Customer
from fuwu.procedures.engine.errors import EngineError
from fuwu.procedures.engine.intake import derived_title, fill_profile
from fuwu.procedures.models import ProcedureVersion
from fuwu.procedures.registry import definition_of
from fuwu.web.access import actor_of, staff_required
from fuwu.web.dynforms import DynamicForm, add_engine_errors, payload_of
from fuwu.web.forms import styled
from fuwu.web.views.intake_desk import (
    CaseForm,
    ConsultationForm,
    CustomerForm,
    Desk,
    as_int,
    customers_in_scope,
    desk_for,
    desk_language,
    intake_form,
    known_values,
)

SEARCH_LIMIT = 10
PHONE_LIKE = re.compile(r"[\d\s+\-()]+")


def _htmx(request: HttpRequest) -> bool:
    return bool(getattr(request, "htmx", False))


def _call(request: HttpRequest) -> Call | None:
    """The ringing call this desk works on, from the query or the form."""
    source = request.POST if request.method == "POST" else request.GET
    return Call.of(source.get("call_id"), source.get("caller"))


def _call_query(call: Call | None) -> str:
    """`&call_id=…&caller=…` for the desk's links (empty without a call)."""
    return "&" + urlencode({"call_id": call.call_id, "caller": call.caller}) if call else ""


# -- rendering ---------------------------------------------------------------------------------


def _context(
    request: HttpRequest,
    desk: Desk,
    *,
    case_form: CaseForm | None = None,
    step_form: DynamicForm | None = None,
    consultation_form: ConsultationForm | None = None,
    customer_form: CustomerForm | None = None,
    notice: tuple[str, str] | None = None,
    tab: str = "case",
) -> dict[str, Any]:
    offer = None
    if case_form is None:
        key = request.GET.get("procedure")
        offer = desk.offer(key) or (desk.offers[0] if len(desk.offers) == 1 else None)
        initial = {"procedure": offer.key} if offer else {}
        case_form = CaseForm(desk=desk, offer=offer, initial=initial)
        step_form = intake_form(offer, customer=desk.customer, site=desk.site)
    else:
        offer = desk.offer(case_form.data.get("procedure"))
    query = request.GET.get("q", "")
    if customer_form is None:
        carried = _carried(query)
        customer_form = CustomerForm(sites=desk.sites, initial={"site": desk.site.pk, **carried})
        if "new" in request.GET:  # came from "create them" under a search: type the rest
            first = "phone" if "name" in carried else "name"
            customer_form.fields[first].widget.attrs["autofocus"] = True
    call = _call(request)
    return {
        "call": call,
        "call_query": _call_query(call),
        "desk": desk,
        "offer": offer,
        "case_form": styled(case_form),
        "step_form": step_form,
        "consultation_form": styled(consultation_form or ConsultationForm()),
        "customer_form": styled(customer_form),
        "new_customer": "new" in request.GET,
        "consultations_today": consultations_today(desk.site.pk),
        "notice": notice,
        "tab": tab,
        "query": query,
    }


def _carried(query: str) -> dict[str, str]:
    """What a search that found nobody already says about the new customer: a whole phone
    number (digits and separators only) or, without any digit, their name."""
    q = query.strip()[:100]
    if PHONE_LIKE.fullmatch(q) and privacy.phone_search(q):
        return {"phone": q}
    if q and not any(ch.isdigit() for ch in q):
        return {"name": q}
    return {}


def _page_url(desk: Desk, **extra: Any) -> str:
    params = {"site": desk.site.pk, **extra}
    if desk.customer:
        params["customer"] = desk.customer.pk
    query = "&".join(f"{k}={v}" for k, v in params.items() if v not in (None, ""))
    return f"{reverse('web:intake')}?{query}"


def _go(request: HttpRequest, url: str) -> HttpResponse:
    """After a success: htmx follows with a full page load, a plain POST is redirected."""
    if _htmx(request):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url)


@require_GET
@staff_required
def intake(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    desk = desk_for(actor, request.GET.get("site"), request.GET.get("customer"))
    context = _context(request, desk, tab=request.GET.get("tab", "case"))
    if request.GET.get("q"):  # the search without JavaScript
        context["found"] = _search(actor, request.GET["q"], many_sites=len(desk.sites) > 1)
    return render(request, "web/intake.html", context)


@require_GET
@staff_required
def search(request: HttpRequest) -> HttpResponse:
    """Customers of the agent's sites matching a phone, name, unit or plate (as you type)."""
    actor = actor_of(request)
    context = _search(
        actor, request.GET.get("q", ""), many_sites=actor.superuser or len(actor.site_ids) > 1
    )
    context["site"] = as_int(request.GET.get("site"))
    context["call_query"] = _call_query(_call(request))
    return render(request, "web/_intake_customers.html", context)


def _search(actor: Actor, text: str, *, many_sites: bool) -> dict[str, Any]:
    """Two queries (matching ids, then those customers with their assets) however many match."""
    q = text.strip()[:100]
    found: list[Customer] = []
    if q:
        ids = list(
            actor.scope(Customer.objects.live())
            .filter(privacy.customer_match(q))
            .order_by("name", "pk")
            .values_list("pk", flat=True)
            .distinct()[: SEARCH_LIMIT + 1]
        )
        if ids:
            found = list(customers_in_scope(actor).filter(pk__in=ids).order_by("name", "pk"))
    return {
        "customers": found[:SEARCH_LIMIT],
        "more": len(found) > SEARCH_LIMIT,
        "query": q,
        "carried": _carried(q),
        "many_sites": many_sites,
        "phone_too_short": privacy.phone_fragment(q),
        "phone_min": privacy.PHONE_SEARCH_MIN_DIGITS,
    }


def _create_customer(actor: Actor, form: CustomerForm) -> Customer | None:
    """The customer (and their asset) through the one customer action; its errors go on the form."""
    data = form.cleaned_data
    try:
        return customer_actions.create_customer(
            actor,
            site_id=data["site"],
            name=data["name"],
            phone=data["phone"],
            asset_kind=data.get("asset_kind") or "",
            asset_label=data.get("asset_label") or "",
        )
    except EngineError as exc:
        for key, error in exc.fields.items():
            form.add_error(key if key in form.fields else None, error.message(desk_language()))
        return None


@require_POST
@staff_required
def create_customer(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    desk = desk_for(actor, request.POST.get("site"), None)
    form = CustomerForm(request.POST, sites=desk.sites)
    if form.is_valid():
        customer = _create_customer(actor, form)
        if customer is not None:
            messages.success(request, _("已为 %(name)s 建档。") % {"name": customer.name})
            return _go(
                request,
                f"{reverse('web:intake')}?customer={customer.pk}{_call_query(_call(request))}",
            )
    if _htmx(request):
        return render(
            request,
            "web/_intake_new_customer.html",
            {"customer_form": styled(form), "desk": desk, "call": _call(request)},
            status=400,
        )
    context = _context(request, desk, customer_form=form)
    return render(request, "web/intake.html", context, status=400)


@require_POST
@staff_required
def consult(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    desk = desk_for(actor, request.POST.get("site"), request.POST.get("customer"))
    form = ConsultationForm(request.POST)
    status = 400
    notice = None
    if form.is_valid():
        data = form.cleaned_data
        call = _call(request)
        try:
            with transaction.atomic():
                consultation = log_consultation(
                    actor,
                    site_id=desk.site.pk,
                    channel=data["channel"],
                    topic=data["topic"],
                    answer=data["answer"],
                    customer_id=desk.customer.pk if desk.customer else None,
                )
                if call is not None:
                    record_call(
                        call,
                        site_id=desk.site.pk,
                        customer_id=consultation.customer_id,
                        consultation_id=consultation.pk,
                    )
        except EngineError as exc:
            for key, text in exc.details(desk_language()).get("fields", {}).items():
                form.add_error(key if key in form.fields else None, text)
        else:
            text = _("咨询“%(topic)s”已记录，未开工单。") % {"topic": data["topic"].strip()}
            if not _htmx(request):
                messages.success(request, text)
                return redirect(_page_url(desk, tab="consult") + _call_query(call))
            form, status, notice = (
                ConsultationForm(initial={"channel": data["channel"]}),
                200,
                (
                    "success",
                    text,
                ),
            )
    context = _context(request, desk, consultation_form=form, notice=notice, tab="consult")
    if _htmx(request):
        return render(request, "web/_intake_consultation.html", context, status=status)
    return render(request, "web/intake.html", context, status=status)


@require_GET
@staff_required
def procedure_fields(request: HttpRequest) -> HttpResponse:
    """The part of the case form that depends on the procedure: channels, priority, its fields."""
    desk = desk_for(actor_of(request), request.GET.get("site"), request.GET.get("customer"))
    offer = desk.offer(request.GET.get("procedure"))
    form = CaseForm(desk=desk, offer=offer, initial={"procedure": offer.key if offer else ""})
    return render(
        request,
        "web/_intake_procedure.html",
        {
            "case_form": styled(form),
            "step_form": intake_form(offer, customer=desk.customer, site=desk.site),
            "offer": offer,
            "desk": desk,
            "part": "both",
        },
    )


@require_POST
@staff_required
def open_case(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    lang = desk_language()
    desk = desk_for(actor, request.POST.get("site"), request.POST.get("customer"))
    offer = desk.offer(request.POST.get("procedure"))
    form = CaseForm(request.POST, desk=desk, offer=offer)
    step_form = intake_form(offer, request.POST, desk.customer, site=desk.site)
    notice = None
    if form.is_valid() and offer is not None and step_form is not None:
        data = form.cleaned_data
        values = payload_of(step_form).form
        if desk.customer is not None:
            values = fill_profile(offer.procedure, values, known_values(desk.customer))
        title = data["title"].strip() or derived_title(offer.procedure, values) or offer.name
        call = _call(request)
        try:
            with transaction.atomic():
                case = actions.open_case(
                    actor,
                    procedure_key=offer.key,
                    site_id=desk.site.pk,
                    channel=data["channel"],
                    title=title,
                    description=data["description"].strip(),
                    priority=data["priority"] or None,
                    customer_id=desk.customer.pk if desk.customer else None,
                    asset_id=data["asset"],
                    data=values,
                    is_major=bool(data["is_major"]),
                )
                if call is not None:
                    record_call(
                        call, site_id=desk.site.pk, customer_id=case.customer_id, case_id=case.pk
                    )
        except EngineError as exc:
            labels = {f.key: f.label.get(lang) for f in offer.procedure.all_fields().values()}
            own = {k: v for k, v in exc.fields.items() if k in {"customer", "asset"}}
            for key, error in own.items():
                form.add_error("asset" if key == "asset" else None, error.message(lang))
            rest = EngineError(
                exc.code, fields={k: v for k, v in exc.fields.items() if k not in own}
            )
            add_engine_errors(step_form, rest, lang, labels=labels)
            notice = ("danger", exc.message(lang))
        else:
            messages.success(request, _("已开立工单 %(number)s。") % {"number": case.number})
            return _go(request, reverse("web:case", args=[case.pk]))
    else:
        refused = _refusal(actor, desk, request.POST.get("procedure"))
        notice = ("danger", refused or _("表单有误，请检查标出的字段。"))
    context = _context(request, desk, case_form=form, step_form=step_form, notice=notice)
    if _htmx(request):
        return render(request, "web/_intake_case.html", context, status=400)
    return render(request, "web/intake.html", context, status=400)


def _refusal(actor: Actor, desk: Desk, key: str | None) -> str | None:
    """Why a procedure the desk does not offer was refused, in the policy's words (the one
    rule the list, this POST and the API share: `policy.open_refusal`)."""
    row = ProcedureVersion.objects.filter(key=key or "", is_current=True).first()
    if row is None or desk.offer(row.key) is not None:
        return None
    p = definition_of(row)
    channel = next((c for c in p.channels if c != Channel.SYSTEM), Channel.SYSTEM)
    error = policy.open_refusal(actor, p, desk.site.pk, channel)
    return error.message(desk_language()) if error is not None else None


urlpatterns = [
    path("intake/", intake, name="intake"),
    path("intake/customers/", search, name="intake_search"),
    path("intake/customers/new/", create_customer, name="intake_customer"),
    path("intake/consultations/", consult, name="intake_consult"),
    path("intake/procedure/", procedure_fields, name="intake_procedure"),
    path("intake/cases/", open_case, name="intake_open"),
]
