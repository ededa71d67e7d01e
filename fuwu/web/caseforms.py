"""The case page's fixed forms: assign, transfer, comment, work log, pause.

They only read what was posted; the actions in `fuwu.cases.actions` decide (eligibility of the
assignee, the department, hours and quantities) and their refusals are shown next to the fields.
Transition and task forms are generated from the definition instead (`fuwu.web.dynforms`).
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from fuwu.cases.choices import WorkKind
from fuwu.web.forms import styled


class TransferForm(forms.Form):
    department = forms.TypedChoiceField(label=_("转至部门"), coerce=int)
    note = forms.CharField(
        label=_("转交原因"), max_length=1000, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, departments: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["department"]
        assert isinstance(field, forms.TypedChoiceField)
        field.choices = [("", "—"), *departments]
        styled(self)


VISIBILITY = [("internal", _("内部备注（仅本部门和管理人员可见）")), ("public", _("公开备注"))]


class CommentForm(forms.Form):
    text = forms.CharField(
        label=_("备注"), max_length=10000, widget=forms.Textarea(attrs={"rows": 3})
    )
    visibility = forms.ChoiceField(
        label=_("可见范围"), choices=VISIBILITY, initial="internal", widget=forms.RadioSelect
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        styled(self)
        self.fields["visibility"].widget.attrs["class"] = "form-check-input"


class WorkForm(forms.Form):
    kind = forms.ChoiceField(label=_("类型"), choices=WorkKind.choices, initial=WorkKind.LABOUR)
    description = forms.CharField(label=_("内容"), max_length=200)
    hours = forms.DecimalField(
        label=_("工时（小时）"), required=False, max_digits=6, decimal_places=2
    )
    quantity = forms.DecimalField(label=_("数量"), required=False, max_digits=10, decimal_places=2)
    unit_price = forms.DecimalField(
        label=_("单价（元）"), required=False, max_digits=12, decimal_places=2
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("hours", "quantity", "unit_price"):
            self.fields[name].widget.attrs.update({"inputmode": "decimal", "step": "0.01"})
        styled(self)

    def decimal(self, name: str) -> Decimal | None:
        value = self.cleaned_data.get(name)
        return value if isinstance(value, Decimal) else None


class PauseForm(forms.Form):
    reason = forms.CharField(label=_("暂停原因"), max_length=500, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        styled(self)
