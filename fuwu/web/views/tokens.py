"""The "API tokens" page under a person's account menu: their tokens, a new one, revoking.

Creating and revoking go through `fuwu.core.tokens`, as the API, the command line and the admin
do. The raw value of a new token is shown once, in the answer to the POST that made it, and never
stored (not in the session, not in a flash message).
"""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from fuwu.core.choices import TokenScope
from fuwu.core.models import ApiToken
from fuwu.core.tokens import default_days, issue_token, max_days, revoke_own_token, token_state
from fuwu.procedures.engine.errors import EngineError
from fuwu.web.access import actor_of, staff_required
from fuwu.web.forms import styled


class TokenForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("名称"), max_length=100, initial="api")
    scopes = forms.MultipleChoiceField(
        label=gettext_lazy("权限范围"),
        choices=TokenScope.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=gettext_lazy("读取：查询数据；写入：创建和修改数据"),
    )
    expires_on = forms.DateField(
        label=gettext_lazy("到期日期"), widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        today = timezone.localdate()
        longest = max_days()
        self.fields["scopes"].initial = list(TokenScope.values)
        self.fields["expires_on"].initial = today + timedelta(days=default_days())
        self.fields["expires_on"].widget.attrs.update(
            {
                "min": (today + timedelta(days=1)).isoformat(),
                "max": (today + timedelta(days=longest)).isoformat(),
            }
        )
        self.fields["expires_on"].help_text = _("最长 %(days)d 天") % {"days": longest}

    def lifetime_days(self) -> int:
        """The chosen date as a number of days from today: the token ends then, at this hour."""
        expires_on = self.cleaned_data["expires_on"]
        return int((expires_on - timezone.localdate()).days)


def _page(
    request: HttpRequest, form: TokenForm, *, new: tuple[ApiToken, str] | None = None, status: int
) -> HttpResponse:
    tokens = list(ApiToken.objects.filter(user=actor_of(request).user).order_by("-created_at"))
    now = timezone.now()
    rows = [(t, token_state(t, now)) for t in tokens]
    styled(form)
    # Checkboxes are drawn one by one in the template, with Bootstrap's check classes.
    form.fields["scopes"].widget.attrs["class"] = "form-check-input"
    context = {"form": form, "rows": rows, "new": new}
    return render(request, "web/tokens.html", context, status=status)


@staff_required
def tokens_view(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return _page(request, TokenForm(), status=200)
    form = TokenForm(request.POST)
    if form.is_valid():
        try:
            new = issue_token(
                actor_of(request).user,
                name=form.cleaned_data["name"],
                scopes=form.cleaned_data["scopes"],
                days=form.lifetime_days(),
            )
        except EngineError as exc:
            language = getattr(request, "LANGUAGE_CODE", None)
            for field, error in exc.fields.items():
                form.add_error("expires_on" if field == "days" else field, error.message(language))
        else:
            # Rendered, not redirected: the raw value must not wait in a session or a cookie.
            return _page(request, TokenForm(), new=new, status=200)
    return _page(request, form, status=400)


@require_POST
@staff_required
def revoke_view(request: HttpRequest, prefix: str) -> HttpResponse:
    try:
        token = revoke_own_token(actor_of(request).user, prefix)
    except EngineError:
        messages.error(request, _("未找到该令牌。"))
    else:
        messages.success(request, _("令牌 %(prefix)s… 已撤销。") % {"prefix": token.prefix})
    return redirect("web:tokens")


urlpatterns = [
    path("account/tokens/", tokens_view, name="tokens"),
    path("account/tokens/<str:prefix>/revoke/", revoke_view, name="token_revoke"),
]
