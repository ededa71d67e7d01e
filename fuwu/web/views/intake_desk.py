"""The intake desk's state and forms: where the desk stands (site, customer, the procedures the
agent may open there, by `policy.may_open`), the customer, consultation and case forms, and the
procedure's intake form generated from its definition (`fuwu.web.dynforms`). The views are in
`fuwu.web.views.intake`."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from django import forms
from django.db.models import Prefetch, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from fuwu.cases import policy
from fuwu.cases.choices import Channel, Priority
from fuwu.cases.consultations import CHANNELS
from fuwu.cases.usage import most_used_first
from fuwu.core.actors import Actor
from fuwu.core.models import Site
from fuwu.customers import privacy
from fuwu.customers.choices import AssetKind
from fuwu.customers.masks import mask_email, mask_phone
from fuwu.customers.models import Asset, Customer
from fuwu.procedures.engine.computed import defaults
from fuwu.procedures.engine.definition import FieldType, Procedure
from fuwu.procedures.engine.intake import profile_fields
from fuwu.procedures.models import ProcedureVersion
from fuwu.procedures.registry import definition_of
from fuwu.web.dynforms import DynamicForm, form_for_fields
from fuwu.web.views.people import add_site_pickers

STEP_PREFIX = "step"  # the generated fields' names: a definition key may be "title" too


def desk_language() -> str:
    return get_language() or "zh-hans"


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


def sites_of(actor: Actor) -> list[Site]:
    qs = Site.objects.order_by("pk")
    return list(qs if actor.superuser else qs.filter(pk__in=actor.site_ids))


def as_int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def customers_in_scope(actor: Actor) -> QuerySet[Customer]:
    assets = Asset.objects.order_by("kind", "label")
    return actor.scope(Customer.objects.live().select_related("site")).prefetch_related(
        Prefetch("assets", queryset=assets)
    )


def offers_at(actor: Actor, site: Site) -> list[Offer]:
    """Current procedures this person may open at the site (the rule: `policy.may_open`)."""
    lang = desk_language()
    out = []
    for row in ProcedureVersion.objects.filter(is_current=True).order_by("key"):
        p = definition_of(row)
        if policy.may_open(actor, p, site.pk):
            out.append(Offer(key=p.key, name=p.name.get(lang), version=row, procedure=p))
    return most_used_first(out, key=lambda o: o.key, name=lambda o: o.name, site_ids=[site.pk])


def desk_for(actor: Actor, site_id: Any, customer_id: Any) -> Desk:
    """The desk for these (untrusted) ids: unknown or foreign ones fall back to the defaults."""
    sites = sites_of(actor)
    if not sites:
        raise Http404  # staff without a site have no desk
    customer = None
    wanted = as_int(customer_id)
    if wanted is not None:
        customer = customers_in_scope(actor).filter(pk=wanted).first()
    by_id = {s.pk: s for s in sites}
    site = customer.site if customer else by_id.get(as_int(site_id) or 0, sites[0])
    return Desk(
        sites=sites,
        site=site,
        customer=customer,
        offers=offers_at(actor, site),
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
        required=False,  # left blank: the first line of what the intake says (derived_title)
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
        # The procedure's part of the form is swapped in by htmx, the title is not: it names
        # the field only when the page is drawn for a procedure.
        source = title_source(offer)
        self.fields["title"].help_text = (
            _("可不填：留空则取“%(field)s”的第一行。") % {"field": source}
            if source
            else _("可不填：留空则取受理信息的第一行文字。")
        )


def title_source(offer: Offer | None) -> str:
    """The label of the field a blank title is taken from (see `derived_title`)."""
    if offer is None:
        return ""
    p = offer.procedure
    fields = {f.key: f for f in [*p.fields, *p.steps[p.start].form]}
    key = p.portal.description_field
    if key is None or key not in fields:
        key = next((k for k, f in fields.items() if f.type is FieldType.TEXT), None)
    return fields[key].label.get(desk_language()) if key else ""


def known_values(customer: Customer) -> dict[str, str]:
    """What the customer's record says, for the intake fields that would ask it again."""
    return {"name": customer.name, "phone": customer.phone, "email": customer.email}


def intake_form(
    offer: Offer | None,
    data: Any = None,
    customer: Customer | None = None,
    *,
    site: Site | None = None,
) -> DynamicForm | None:
    """The procedure's intake fields and its first step's form, generated from the definition.

    With a customer chosen, the fields that hold their own name, phone or e-mail (the
    complainant, the contact phone) are optional: left blank, the record's value is used
    (`fill_profile`), so the agent does not ask the caller again. The phone is shown masked:
    the desk lists never show a full number."""
    if offer is None:
        return None
    p = offer.procedure
    fields = [*p.fields, *p.steps[p.start].form]
    prefill = defaults(p, fields, {}, timezone.now())
    form = form_for_fields(fields, desk_language(), data=data, prefix=STEP_PREFIX, prefill=prefill)
    if site is not None:  # person fields: pick one of the site's staff by name
        add_site_pickers(form, site, desk_language())
    if customer is not None:
        # The field that names the unit or car (a Toyota case's plate number): the customer's
        # one registered asset, as the asset list preselects it.
        assets = list(customer.assets.all())
        key = p.portal.asset_field
        if key in form.fields and len(assets) == 1 and form.fields[key].initial is None:
            form.fields[key].initial = assets[0].label
        shown = {
            "name": customer.name,
            "phone": mask_phone(customer.phone) if customer.phone else "",
            "email": mask_email(customer.email) if customer.email else "",
        }
        for key, what in profile_fields(p).items():
            if key not in form.fields or not shown[what]:
                continue
            form.fields[key].required = False
            form.fields[key].widget.attrs["placeholder"] = shown[what]
            form.specs[key] = replace(
                form.specs[key],
                required=False,
                help=_("留空即用客户档案：%(value)s") % {"value": shown[what]},
            )
    return form
