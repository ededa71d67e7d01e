"""A customer's requests: the list, a new request, one request's progress, confirm and rate."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from fuwu.cases import actions, pending
from fuwu.cases.attachments import (
    ACCEPT,
    MAX_PHOTOS,
    Photo,
    check_photos,
    save_photos,
    thumbnail,
)
from fuwu.cases.choices import Status
from fuwu.cases.models import Attachment, Case, PendingUpload
from fuwu.customers import actions as customer_actions
from fuwu.customers.choices import AssetKind
from fuwu.customers.models import Asset, Customer
from fuwu.portal.access import customer_actor, customer_from, customer_required, own_case, own_cases
from fuwu.portal.forms import NEW_ASSET, RatingForm, RequestForm
from fuwu.portal.progress import (
    STAGE_CSS,
    handler_name,
    offer,
    offers,
    progress,
    service_name,
    stage,
    stage_hint,
    stage_label,
    step_sentence,
)
from fuwu.portal.views.surveys import pending_for
from fuwu.procedures.engine.errors import Conflict, EngineError
from fuwu.procedures.registry import definition_of
from fuwu.web.forms import styled
from fuwu.web.values import case_values

PAGE = 30


def _language() -> str:
    return get_language() or "zh-hans"


def _page_number(request: HttpRequest) -> int:
    text = request.GET.get("page", "")
    return max(1, min(int(text), 10_000)) if text.isdigit() else 1


@customer_required
def home(request: HttpRequest) -> HttpResponse:
    customer = customer_from(request)
    language = _language()
    number = _page_number(request)
    start = (number - 1) * PAGE
    # One row more than a page tells whether there is an older page, without a COUNT.
    cases = list(
        own_cases(customer)
        .select_related("procedure", "assignee__staff", "department", "asset")
        .order_by("-created_at", "-pk")[start : start + PAGE + 1]
    )
    more = len(cases) > PAGE
    rows = []
    for case in cases[:PAGE]:
        key = stage(case)
        rows.append(
            {
                "case": case,
                "procedure": service_name(definition_of(case.procedure), language),
                "stage": stage_label(key),
                "stage_css": STAGE_CSS[key],
                "handler": handler_name(case, language),
                "to_rate": key == "done"
                and case.status in {Status.RESOLVED, Status.CLOSED}
                and (case.records.get("rating") or {}).get("cycle") != case.clock_cycle,
            }
        )
    return render(
        request,
        "portal/home.html",
        {
            "customer": customer,
            "rows": rows,
            "surveys": pending_for(customer).count(),
            "page": number,
            "older": number + 1 if more else None,
            "newer": number - 1 if number > 1 else None,
        },
    )


@customer_required
def choose(request: HttpRequest) -> HttpResponse:
    customer = customer_from(request)
    return render(
        request,
        "portal/choose.html",
        {"customer": customer, "offers": offers(customer.site_id, _language())},
    )


def _assets(customer: Customer) -> list[Asset]:
    return list(Asset.objects.filter(owner=customer, site_id=customer.site_id).order_by("label"))


def _asset_kind(customer: Customer, procedure_key: str) -> str:
    """A new unit or vehicle: a vehicle on a car dealer's procedures, a unit otherwise."""
    vehicle = {"toyota_seven_step", "car_reception_repair_order", "after_sales_call_center"}
    if procedure_key in vehicle or customer.assets.filter(kind=AssetKind.VEHICLE).exists():
        return AssetKind.VEHICLE
    return AssetKind.UNIT


def _asset_for(form: RequestForm, customer: Customer, kind: str) -> Asset | None:
    """The chosen asset, or the new one typed in (a label someone else owns is refused)."""
    choice = form.cleaned_data.get("asset") or ""
    if choice != NEW_ASSET:
        return next((a for a in form.assets if str(a.pk) == choice), None)
    label = (form.cleaned_data.get("new_asset") or "").strip()
    if not label:
        return None
    existing = Asset.objects.filter(site_id=customer.site_id, label=label).first()
    if existing is not None:
        if existing.owner_id not in (None, customer.pk):
            form.add_error(
                "new_asset", _("这个房号/车牌已登记在其他客户名下，请联系客服中心核实。")
            )
            raise ValidationError("asset")
        return existing
    try:
        return customer_actions.create_asset(
            customer_actor(customer),
            site_id=customer.site_id,
            kind=kind,
            label=label[:100],
            owner_id=customer.pk,
        )
    except Conflict:  # the label registered a moment ago (the checks above passed)
        form.add_error("new_asset", _("这个房号/车牌已登记，请联系客服中心核实。"))
        raise ValidationError("asset") from None


@customer_required
def new_request(request: HttpRequest, key: str) -> HttpResponse:
    customer = customer_from(request)
    language = _language()
    chosen = offer(customer.site_id, key, language)
    if chosen is None:
        return _not_found(request, service=True)
    procedure = chosen.procedure
    form = RequestForm(
        request.POST or None,
        procedure=procedure,
        customer=customer,
        assets=_assets(customer),
        language=language,
        vehicle=_asset_kind(customer, key) == AssetKind.VEHICLE,
    )
    styled(form)
    photo_errors: list[str] = []
    files: list[Any] = []
    kept = _kept(request)
    if request.method == "POST":
        files = request.FILES.getlist("photos")
        keeping = {str(i) for i in request.POST.getlist("keep")}
        removed = [row for row in kept if str(row.pk) not in keeping]
        pending.drop(removed)  # taken off the list by the customer
        kept = [row for row in kept if row not in removed]
        try:
            if len(kept) + len(files) > MAX_PHOTOS:
                raise ValidationError(_("最多上传 %(max)s 张照片。") % {"max": MAX_PHOTOS})
            photos = check_photos(files)
        except ValidationError as exc:
            photos, photo_errors = [], list(exc.messages)
        if form.is_valid() and not photo_errors:
            case = _open(request, form, customer, procedure.key, pending.as_photos(kept) + photos)
            if case is not None:
                pending.drop(kept)
                request.session.pop(PENDING, None)
                # The number kept on one line: a phone would break it at its hyphen.
                number = format_html('<span class="text-nowrap">{}</span>', case.number)
                text = conditional_escape(_("已收到您的请求，编号 %(number)s。"))
                messages.success(request, mark_safe(text % {"number": number}))  # noqa: S308
                return redirect("portal:case", case_id=case.pk)
        # The form comes back: the photos that passed are kept, so they need not be chosen again.
        kept += pending.keep(request.user, photos)
        request.session[PENDING] = [row.pk for row in kept]
    elif kept:  # a fresh form starts without the photos of an earlier, abandoned one
        pending.drop(kept)
        request.session.pop(PENDING, None)
        kept = []
    return render(
        request,
        "portal/new.html",
        {
            "offer": chosen,
            "form": form,
            "photo_errors": photo_errors,
            "pending": kept,
            # A browser never keeps chosen files across a page load: say so when the files just
            # chosen were refused, or a customer who fixes another field sends the request
            # without the photos they think are attached.
            "reselect": bool(files) and bool(photo_errors),
            "accept": ACCEPT,
            "max_photos": MAX_PHOTOS,
        },
        status=400 if request.method == "POST" else 200,
    )


PENDING = "portal_pending_photos"


def _kept(request: HttpRequest) -> list[PendingUpload]:
    """The photos this session kept from an earlier try of the form (`fuwu.cases.pending`)."""
    return pending.of(request.user, request.session.get(PENDING) or [])


@customer_required
def pending_photo(request: HttpRequest, pk: int) -> HttpResponse:
    """A kept photo's thumbnail, for the session that kept it only."""
    row = next((r for r in _kept(request) if r.pk == pk), None)
    if row is None:
        raise Http404
    with row.file.open("rb") as handle:
        small = thumbnail(handle.read())
    if small is None:
        raise Http404
    response = HttpResponse(small, content_type="image/jpeg")
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


def _open(
    request: HttpRequest, form: RequestForm, customer: Customer, key: str, photos: list[Photo]
) -> Case | None:
    """Open the case (with its photos) in one transaction; form errors leave nothing behind."""
    procedure = form.procedure
    p = procedure.portal
    description = form.cleaned_data["description"].strip()
    values = form.values()
    profile = {"name": customer.name, "phone": customer.phone, "email": customer.email}
    for field, source in p.profile.items():
        if profile.get(source):
            values[field] = profile[source]
    if p.description_field:
        values[p.description_field] = description
    try:
        with transaction.atomic():
            asset = _asset_for(form, customer, _asset_kind(customer, key))
            if p.asset_field and asset is not None and p.asset_field not in values:
                values[p.asset_field] = asset.label
            title = description.splitlines()[0][:60] if description else procedure.name.zh
            case = actions.open_case(
                customer_actor(customer),
                procedure_key=key,
                site_id=customer.site_id,
                channel="web",
                title=title,
                description=description,
                customer_id=customer.pk,
                asset_id=asset.pk if asset else None,
                data=values,
            )
            save_photos(case, photos, by=request.user)
    except ValidationError:
        return None  # the form carries the message
    except EngineError as exc:
        language = _language()
        for field, error in exc.fields.items():
            name = f"f_{field}" if f"f_{field}" in form.fields else None
            if field in (p.description_field, p.asset_field):
                name = "description" if field == p.description_field else "new_asset"
            form.add_error(name, error.message(language))
        if not exc.fields:
            form.add_error(None, exc.message(language))
        return None
    return case


def _case_context(case: Case, form: RatingForm) -> dict[str, Any]:
    language = _language()
    procedure = definition_of(case.procedure)
    key = stage(case)
    rating = case.records.get("rating") or {}
    rated = rating.get("cycle") == case.clock_cycle
    found = progress(case, language)
    fields = procedure.all_fields()
    shown = [fields[k] for k in procedure.portal.show]
    return {
        "case": case,
        "procedure_name": service_name(procedure, language),
        "progress": found,
        "stage": stage_label(key),
        "stage_css": STAGE_CSS[key],
        # The definition's sentence for the step, while it is being worked on; else the stage's.
        "hint": (key not in {"done", "cancelled"} and step_sentence(procedure, case, language))
        or stage_hint(key, rated=rated, reopened=found.comebacks > 0),
        # Pictures only, the customer's and those staff took (before/after the repair).
        "photos": list(
            Attachment.objects.filter(case=case, content_type__startswith="image/").order_by("pk")
        ),
        "rateable": case.resolved_at is not None
        and case.status in {Status.RESOLVED, Status.CLOSED},
        "confirmed": (case.records.get("confirmation") or {}).get("cycle") == case.clock_cycle,
        "rated": rated,
        "rating": rating,
        # A rating of an earlier round (the case was reopened after it): still the customer's.
        "earlier_rating": rating if rating and not rated else None,
        "low": procedure.portal.rating.low,
        "form": form,
        # What the definition lets the customer see (`portal.show`), read-only.
        "values": case_values(shown, case.data, language),
    }


def _not_found(request: HttpRequest, *, service: bool = False) -> HttpResponse:
    """The portal's own 404 for a customer: their tabs stay, and the way back is their list."""
    return render(request, "portal/not_found.html", {"service": service}, status=404)


@customer_required
def case_page(request: HttpRequest, case_id: int) -> HttpResponse:
    try:
        case = own_case(customer_from(request), case_id)
    except Http404:
        return _not_found(request)
    return render(request, "portal/case.html", _case_context(case, RatingForm()))


@require_POST
@customer_required
def confirm(request: HttpRequest, case_id: int) -> HttpResponse:
    customer = customer_from(request)
    case = own_case(customer, case_id)
    try:
        actions.confirm_completion(customer_actor(customer), case.pk)
        messages.success(request, _("谢谢您的确认。"))
    except EngineError as exc:
        messages.error(request, exc.message(_language()))
    return redirect("portal:case", case_id=case.pk)


@require_POST
@customer_required
def rate(request: HttpRequest, case_id: int) -> HttpResponse:
    customer = customer_from(request)
    case = own_case(customer, case_id)
    form = RatingForm(request.POST)
    language = _language()
    if form.is_valid():
        try:
            after = actions.rate_case(
                customer_actor(customer),
                case.pk,
                score=form.cleaned_data["score"],
                comment=form.cleaned_data["comment"],
            )
        except EngineError as exc:
            for field, error in exc.fields.items():
                if field == "comment":
                    form.add_error(
                        "comment",
                        _("评分较低时，请告诉我们哪里做得不好。")
                        if error.code == "required"
                        else error.message(language),
                    )
                else:
                    form.add_error(field if field in form.fields else None, error.message(language))
            if not exc.fields:
                messages.error(request, exc.message(language))
                return redirect("portal:case", case_id=case.pk)
        else:
            outcome = (after.records.get("rating") or {}).get("score", 5)
            if outcome <= definition_of(after.procedure).portal.rating.low:
                messages.warning(
                    request,
                    _("很抱歉这次服务没有让您满意。我们已通知负责的经理，会尽快与您联系。"),
                )
            else:
                messages.success(request, _("感谢您的评价！"))
            return redirect("portal:case", case_id=case.pk)
    # The page again, with the rating form's errors.
    return render(request, "portal/case.html", _case_context(case, form), status=400)
