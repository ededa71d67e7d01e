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
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.contrib import messages
from django.db.models import Prefetch, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from fuwu.cases import actions, policy
from fuwu.cases.choices import Channel, Priority
from fuwu.cases.consultations import CHANNELS, consultations_today, log_consultation
from fuwu.cases.usage import most_used_first
from fuwu.core.actors import Actor
from fuwu.core.models import Site
from fuwu.customers import actions as customer_actions
from fuwu.customers import privacy
from fuwu.customers.choices import AssetKind
from fuwu.customers.models import Asset, Customer
from fuwu.procedures.engine.computed import defaults
from fuwu.procedures.engine.definition import Procedure
from fuwu.procedures.engine.errors import EngineError
from fuwu.procedures.models import ProcedureVersion
from fuwu.procedures.registry import definition_of
from fuwu.web.access import actor_of, staff_required
from fuwu.web.dynforms import DynamicForm, add_engine_errors, form_for_fields, payload_of
from fuwu.web.forms import styled

SEARCH_LIMIT = 10
STEP_PREFIX = "step"  # the generated fields' names: a definition key may be "title" too


def _lang() -> str:
    return get_language() or "zh-hans"


def _htmx(request: HttpRequest) -> bool:
    return bool(getattr(request, "htmx", False))


# -- where the desk stands: site, customer, the procedures that may be opened there -----------


@dataclass(frozen=True)
class Offer:
    """A procedure the agent may open at the desk's site (its current version)."""

    key: str
    name: str
    version: ProcedureVersion
    procedure: Procedure

    @property
    def channels(self) -> list[tuple[str, str]]:
        labels = dict(Channel.choices)
        return [(c, str(labels[c])) for c in self.procedure.channels if c != Channel.SYSTEM]


@dataclass
class Desk:
    sites: list[Site]
    site: Site
    customer: Customer | None
    offers: list[Offer] = field(default_factory=list)
    may_merge: bool = False  # the chosen customer's duplicates may be merged (the merge page)

    @property
    def assets(self) -> list[Asset]:
        return list(self.customer.assets.all()) if self.customer else []

    def offer(self, key: str | None) -> Offer | None:
        return next((o for o in self.offers if o.key == key), None)


def _sites(actor: Actor) -> list[Site]:
    qs = Site.objects.order_by("pk")
    return list(qs if actor.superuser else qs.filter(pk__in=actor.site_ids))


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _customers(actor: Actor) -> QuerySet[Customer]:
    assets = Asset.objects.order_by("kind", "label")
    return actor.scope(Customer.objects.live().select_related("site")).prefetch_related(
        Prefetch("assets", queryset=assets)
    )


def _offers(actor: Actor, site: Site) -> list[Offer]:
    """Current procedures this person may open at the site (the rule: `policy.may_open`)."""
    lang = _lang()
    out = []
    for row in ProcedureVersion.objects.filter(is_current=True).order_by("key"):
        p = definition_of(row)
        if policy.may_open(actor, p, site.pk):
            out.append(Offer(key=p.key, name=p.name.get(lang), version=row, procedure=p))
    return most_used_first(out, key=lambda o: o.key, name=lambda o: o.name, site_ids=[site.pk])


def _desk(actor: Actor, site_id: Any, customer_id: Any) -> Desk:
    """The desk for these (untrusted) ids: unknown or foreign ones fall back to the defaults."""
    sites = _sites(actor)
    if not sites:
        raise Http404  # staff without a site have no desk
    customer = None
    wanted = _int(customer_id)
    if wanted is not None:
        customer = _customers(actor).filter(pk=wanted).first()
    by_id = {s.pk: s for s in sites}
    site = customer.site if customer else by_id.get(_int(site_id) or 0, sites[0])
    return Desk(
        sites=sites,
        site=site,
        customer=customer,
        offers=_offers(actor, site),
        may_merge=customer is not None and privacy.may_merge(actor, customer.site_id),
    )


# -- forms -------------------------------------------------------------------------------------


def _choices(form: forms.Form, name: str) -> forms.ChoiceField:
    field = form.fields[name]
    assert isinstance(field, forms.ChoiceField)
    return field


class CustomerForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("姓名"), max_length=100)
    phone = forms.CharField(
        label=gettext_lazy("电话"),
        max_length=30,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )
    site = forms.TypedChoiceField(label=gettext_lazy("项目"), coerce=int)
    asset_kind = forms.ChoiceField(label=gettext_lazy("服务对象类型"), required=False)
    asset_label = forms.CharField(
        label=gettext_lazy("房号或车牌号"),
        max_length=100,
        required=False,
        help_text=gettext_lazy("可选：同时登记业主的房屋或车辆"),
    )

    def __init__(self, *args: Any, sites: list[Site], **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "customer_%s")  # ids unique on the page of three forms
        super().__init__(*args, **kwargs)
        _choices(self, "site").choices = [(s.pk, s.name) for s in sites]
        _choices(self, "asset_kind").choices = [("", "—"), *AssetKind.choices]
        self.fields["asset_label"].widget.attrs["placeholder"] = _("例如 3栋2单元1502、粤B·12345")

    def clean_name(self) -> str:
        return str(self.cleaned_data["name"]).strip()

    def clean(self) -> dict[str, Any]:
        # The page's own rules: a unit or plate comes with its kind. The record's rules (phone
        # form, a number another customer has, an asset already registered) are the action's.
        data = super().clean() or {}
        kind, label = data.get("asset_kind"), (data.get("asset_label") or "").strip()
        data["asset_label"] = label
        if label and not kind:
            self.add_error("asset_kind", _("请选择服务对象类型。"))
        if kind and not label:
            self.add_error("asset_label", _("请填写房号或车牌号。"))
        return data


class ConsultationForm(forms.Form):
    topic = forms.CharField(
        label=gettext_lazy("咨询主题"),
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    answer = forms.CharField(
        label=gettext_lazy("答复内容"),
        max_length=10000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    channel = forms.ChoiceField(label=gettext_lazy("渠道"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "consult_%s")
        super().__init__(*args, **kwargs)
        labels = dict(Channel.choices)
        _choices(self, "channel").choices = [(c, labels[c]) for c in CHANNELS]
        self.fields["channel"].initial = Channel.PHONE


class CaseForm(forms.Form):
    procedure = forms.ChoiceField(label=gettext_lazy("服务程序"))
    channel = forms.ChoiceField(label=gettext_lazy("渠道"))
    priority = forms.ChoiceField(label=gettext_lazy("优先级"), required=False)
    asset = forms.TypedChoiceField(
        label=gettext_lazy("服务对象"), coerce=int, required=False, empty_value=None
    )
    title = forms.CharField(
        label=gettext_lazy("标题"),
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    description = forms.CharField(
        label=gettext_lazy("描述"),
        max_length=20000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    is_major = forms.BooleanField(label=gettext_lazy("重大工单（立即通知负责人）"), required=False)

    def __init__(self, *args: Any, desk: Desk, offer: Offer | None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _choices(self, "procedure").choices = [
            ("", _("请选择服务程序")),
            *((o.key, o.name) for o in desk.offers),
        ]
        channels = offer.channels if offer else [(c, str(Channel(c).label)) for c in CHANNELS]
        _choices(self, "channel").choices = channels
        if any(c == Channel.PHONE for c, _label in channels):
            self.fields["channel"].initial = Channel.PHONE
        default = offer.procedure.default_priority if offer else Priority.NORMAL
        _choices(self, "priority").choices = list(Priority.choices)
        self.fields["priority"].initial = default
        _choices(self, "asset").choices = [
            ("", _("不涉及具体对象")),
            *((a.pk, f"{a.get_kind_display()} · {a.label}") for a in desk.assets),
        ]
        if len(desk.assets) == 1:
            self.fields["asset"].initial = desk.assets[0].pk
        self.fields["title"].widget.attrs["placeholder"] = _("一句话说明，例如：厨房水管漏水")


def _step_form(offer: Offer | None, data: Any = None) -> DynamicForm | None:
    """The procedure's intake fields and its first step's form, generated from the definition."""
    if offer is None:
        return None
    p = offer.procedure
    fields = [*p.fields, *p.steps[p.start].form]
    prefill = defaults(p, fields, {}, timezone.now())
    return form_for_fields(fields, _lang(), data=data, prefix=STEP_PREFIX, prefill=prefill)


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
        step_form = _step_form(offer)
    else:
        offer = desk.offer(case_form.data.get("procedure"))
    return {
        "desk": desk,
        "offer": offer,
        "case_form": styled(case_form),
        "step_form": step_form,
        "consultation_form": styled(consultation_form or ConsultationForm()),
        "customer_form": styled(
            customer_form or CustomerForm(sites=desk.sites, initial={"site": desk.site.pk})
        ),
        "consultations_today": consultations_today(desk.site.pk),
        "notice": notice,
        "tab": tab,
        "query": request.GET.get("q", ""),
    }


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
    desk = _desk(actor, request.GET.get("site"), request.GET.get("customer"))
    context = _context(request, desk, tab=request.GET.get("tab", "case"))
    if request.GET.get("q"):  # the search without JavaScript
        context["found"] = _search(actor, request.GET["q"], many_sites=len(desk.sites) > 1)
    return render(request, "web/intake.html", context)


@require_GET
@staff_required
def search(request: HttpRequest) -> HttpResponse:
    """Customers of the agent's sites matching a phone, name, unit or plate (as you type)."""
    actor = actor_of(request)
    return render(
        request,
        "web/_intake_customers.html",
        _search(
            actor, request.GET.get("q", ""), many_sites=actor.superuser or len(actor.site_ids) > 1
        ),
    )


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
            found = list(_customers(actor).filter(pk__in=ids).order_by("name", "pk"))
    return {
        "customers": found[:SEARCH_LIMIT],
        "more": len(found) > SEARCH_LIMIT,
        "query": q,
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
            form.add_error(key if key in form.fields else None, error.message(_lang()))
        return None


@require_POST
@staff_required
def create_customer(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    desk = _desk(actor, request.POST.get("site"), None)
    form = CustomerForm(request.POST, sites=desk.sites)
    if form.is_valid():
        customer = _create_customer(actor, form)
        if customer is not None:
            messages.success(request, _("已为 %(name)s 建档。") % {"name": customer.name})
            return _go(request, f"{reverse('web:intake')}?customer={customer.pk}")
    if _htmx(request):
        return render(
            request,
            "web/_intake_new_customer.html",
            {"customer_form": styled(form), "desk": desk},
            status=400,
        )
    context = _context(request, desk, customer_form=form)
    return render(request, "web/intake.html", context, status=400)


@require_POST
@staff_required
def consult(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    desk = _desk(actor, request.POST.get("site"), request.POST.get("customer"))
    form = ConsultationForm(request.POST)
    status = 400
    notice = None
    if form.is_valid():
        data = form.cleaned_data
        try:
            log_consultation(
                actor,
                site_id=desk.site.pk,
                channel=data["channel"],
                topic=data["topic"],
                answer=data["answer"],
                customer_id=desk.customer.pk if desk.customer else None,
            )
        except EngineError as exc:
            for key, text in exc.details(_lang()).get("fields", {}).items():
                form.add_error(key if key in form.fields else None, text)
        else:
            text = _("咨询“%(topic)s”已记录，未开工单。") % {"topic": data["topic"].strip()}
            if not _htmx(request):
                messages.success(request, text)
                return redirect(_page_url(desk, tab="consult"))
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
    desk = _desk(actor_of(request), request.GET.get("site"), request.GET.get("customer"))
    offer = desk.offer(request.GET.get("procedure"))
    form = CaseForm(desk=desk, offer=offer, initial={"procedure": offer.key if offer else ""})
    return render(
        request,
        "web/_intake_procedure.html",
        {
            "case_form": styled(form),
            "step_form": _step_form(offer),
            "offer": offer,
            "desk": desk,
            "part": "both",
        },
    )


@require_POST
@staff_required
def open_case(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    lang = _lang()
    desk = _desk(actor, request.POST.get("site"), request.POST.get("customer"))
    offer = desk.offer(request.POST.get("procedure"))
    form = CaseForm(request.POST, desk=desk, offer=offer)
    step_form = _step_form(offer, request.POST)
    notice = None
    if form.is_valid() and offer is not None and step_form is not None:
        data = form.cleaned_data
        payload = payload_of(step_form)
        try:
            case = actions.open_case(
                actor,
                procedure_key=offer.key,
                site_id=desk.site.pk,
                channel=data["channel"],
                title=data["title"].strip(),
                description=data["description"].strip(),
                priority=data["priority"] or None,
                customer_id=desk.customer.pk if desk.customer else None,
                asset_id=data["asset"],
                data=payload.form,
                is_major=bool(data["is_major"]),
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
        notice = ("danger", _("表单有误，请检查标出的字段。"))
    context = _context(request, desk, case_form=form, step_form=step_form, notice=notice)
    if _htmx(request):
        return render(request, "web/_intake_case.html", context, status=400)
    return render(request, "web/intake.html", context, status=400)


urlpatterns = [
    path("intake/", intake, name="intake"),
    path("intake/customers/", search, name="intake_search"),
    path("intake/customers/new/", create_customer, name="intake_customer"),
    path("intake/consultations/", consult, name="intake_consult"),
    path("intake/procedure/", procedure_fields, name="intake_procedure"),
    path("intake/cases/", open_case, name="intake_open"),
]
