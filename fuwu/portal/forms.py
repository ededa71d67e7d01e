"""The portal's forms: sign-up, sign-in, a request built from the procedure, a rating."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from fuwu.core.models import Site
from fuwu.customers.models import Asset, Customer
from fuwu.procedures.engine.definition import FieldDef, FieldType, Procedure
from fuwu.web.ratelimit import normalise_login, phone_writings

User = get_user_model()


def login_taken(kind: str, value: str) -> bool:
    """A portal account (or any account) already signs in with this phone number / address."""
    if User.objects.filter(username__iexact=value).exists():
        return True
    linked = Customer.objects.filter(user__isnull=False)
    linked = (
        linked.filter(email__iexact=value)
        if kind == "email"
        else linked.filter(phone__in=phone_writings(value))
    )
    return linked.exists()


class LoginForm(forms.Form):
    login = forms.CharField(
        label=gettext_lazy("手机号或电子邮件"),
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "username", "inputmode": "email"}),
    )
    password = forms.CharField(
        label=gettext_lazy("密码"),
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class SignUpForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("姓名"), max_length=100)
    login = forms.CharField(
        label=gettext_lazy("手机号或电子邮件"),
        max_length=150,
        help_text=gettext_lazy("以后用它登录。"),
        widget=forms.TextInput(attrs={"autocomplete": "username", "inputmode": "email"}),
    )
    password = forms.CharField(
        label=gettext_lazy("密码"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=gettext_lazy("至少 8 位，不要只用数字。"),
    )
    site = forms.ModelChoiceField(
        label=gettext_lazy("您所在的项目/门店"),
        queryset=Site.objects.order_by("name"),
        empty_label=gettext_lazy("请选择"),
    )
    language = forms.ChoiceField(label=gettext_lazy("语言"), choices=settings.LANGUAGES)

    def clean_login(self) -> tuple[str, str]:
        # Whether it is taken is the view's question: for an e-mail address the answer must
        # not show (fuwu.portal.views.auth).
        found = normalise_login(self.cleaned_data["login"])
        if found is None:
            raise forms.ValidationError(_("请输入有效的手机号或电子邮件地址。"))
        return found

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError(_("请填写姓名。"))
        return name

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        password = data.get("password")
        if password:
            try:
                validate_password(password, User(username=str(data.get("login", ("", ""))[1])))
            except forms.ValidationError as exc:
                self.add_error("password", exc)
        return data


SIX_DIGITS = gettext_lazy("请输入邮件里的 6 位数字验证码。")


class CodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("验证码"),
        max_length=6,
        min_length=6,
        # Django's own length messages speak of "this value" and character counts.
        error_messages={"required": SIX_DIGITS, "min_length": SIX_DIGITS, "max_length": SIX_DIGITS},
        widget=forms.TextInput(
            attrs={
                "inputmode": "numeric",
                "autocomplete": "one-time-code",
                "pattern": "[0-9]*",
                "maxlength": "6",
            }
        ),
    )

    def clean_code(self) -> str:
        code = self.cleaned_data["code"].strip()
        if not code.isdigit():
            raise forms.ValidationError(SIX_DIGITS)
        return code


class RatingForm(forms.Form):
    score = forms.TypedChoiceField(
        label=gettext_lazy("评分"),
        choices=[(i, str(i)) for i in range(1, 6)],
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": gettext_lazy("请选择 1 到 5 分。")},
    )
    comment = forms.CharField(
        label=gettext_lazy("您的意见"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


def label(text: Any, language: str) -> str:
    return str(text.get(language)) if text is not None else ""


def _django_field(f: FieldDef, language: str) -> forms.Field:
    common: dict[str, Any] = {
        "label": label(f.label, language),
        "required": f.required and f.type is not FieldType.BOOL,
        "help_text": label(f.help, language),
    }
    match f.type:
        case FieldType.CHOICE:
            choices = [("", "—")] + [(o.value, label(o.label, language)) for o in f.options or []]
            return forms.ChoiceField(choices=choices, **common)
        case FieldType.NUMBER:
            return forms.FloatField(min_value=f.min, max_value=f.max, **common)
        case FieldType.MONEY:
            return forms.DecimalField(decimal_places=2, min_value=f.min, max_value=f.max, **common)
        case FieldType.DATE:
            return forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), **common)
        case FieldType.DATETIME:
            return forms.DateTimeField(
                widget=forms.DateTimeInput(attrs={"type": "datetime-local"}), **common
            )
        case FieldType.BOOL:
            return forms.BooleanField(**common)
    # Short answers (a place, a time) fit one line; only explicitly long fields get a box.
    widget = forms.Textarea(attrs={"rows": 3}) if f.max_length > 2000 else forms.TextInput()
    return forms.CharField(max_length=f.max_length, widget=widget, **common)


def portal_fields(procedure: Procedure) -> list[FieldDef]:
    """The intake fields a customer fills: the required ones and those the portal names, less
    the ones filled from the description, their profile and their unit or vehicle."""
    p = procedure.portal
    automatic = {p.description_field, p.asset_field, *p.profile}
    wanted = set(p.fields)
    return [
        f
        for f in procedure.fields
        if (f.required or f.key in wanted)
        and f.key not in automatic
        # Staff names and case numbers are staff business: a customer refers to neither.
        and f.type not in (FieldType.PERSON, FieldType.CASE)
    ]


NEW_ASSET = "new"


class RequestForm(forms.Form):
    """A request on one procedure: description, the procedure's customer fields, unit/vehicle."""

    description = forms.CharField(
        label=gettext_lazy("请描述您的问题或需求"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def __init__(
        self,
        *args: Any,
        procedure: Procedure,
        customer: Customer,
        assets: list[Asset],
        language: str,
        vehicle: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.procedure = procedure
        self.customer = customer
        self.assets = assets
        self.vehicle = vehicle
        self.defs = portal_fields(procedure)
        for f in self.defs:
            self.fields[f"f_{f.key}"] = _django_field(f, language)
        # Named for what the customer has here: a home on a residential site, a car at a dealer.
        add = _("添加其他车辆…") if vehicle else _("添加其他房屋…")
        choices = [(str(a.pk), a.label) for a in assets] + [(NEW_ASSET, add)]
        self.fields["asset"] = forms.ChoiceField(
            label=_("车辆") if vehicle else _("房屋"),
            choices=choices,
            initial=str(assets[0].pk) if assets else NEW_ASSET,
            required=False,
        )
        self.fields["new_asset"] = forms.CharField(
            label=_("车牌号") if vehicle else _("房号"),
            max_length=100,
            required=False,
            help_text=_("例如 粤B·12345") if vehicle else _("例如 3栋2单元1502"),
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        choice = data.get("asset") or ""
        asset_field = self.procedure.portal.asset_field
        needed = any(f.key == asset_field and f.required for f in self.procedure.fields)
        if choice == NEW_ASSET:
            if needed and not (data.get("new_asset") or "").strip():
                self.add_error(
                    "new_asset", _("请填写车牌号。") if self.vehicle else _("请填写房号。")
                )
        elif choice and choice not in {str(a.pk) for a in self.assets}:
            self.add_error("asset", _("请选择您自己的房屋或车辆。"))
        return data

    def values(self) -> dict[str, Any]:
        """Intake values as the action layer takes them (ISO dates, text numbers)."""
        out: dict[str, Any] = {}
        for f in self.defs:
            value = self.cleaned_data.get(f"f_{f.key}")
            if value in (None, ""):
                continue
            if isinstance(value, datetime):
                value = (
                    value if timezone.is_aware(value) else timezone.make_aware(value)
                ).isoformat()
            elif isinstance(value, date):
                value = value.isoformat()
            elif isinstance(value, Decimal):
                value = str(value)
            out[f.key] = value
        return out
