"""Binding the customer's WeChat: the portal hands out a one-time code that the customer sends
to the site's official account (`fuwu.channels.wechat.binding`)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from fuwu.channels.wechat import binding
from fuwu.portal.access import customer_from, customer_required
from fuwu.procedures.engine.errors import EngineError


@require_POST
@customer_required
def wechat_code(request: HttpRequest) -> HttpResponse:
    """A new binding code for the signed-in customer, shown once on the page."""
    customer = customer_from(request)
    account = binding.account_for(customer)
    if account is None:
        messages.error(request, _("本项目尚未开通微信公众号。"))
        return redirect("portal:account")
    try:
        issued = binding.issue_code(customer)
    except EngineError as exc:
        messages.error(request, exc.message(get_language()))
        return redirect("portal:account")
    return render(
        request,
        "portal/wechat_code.html",
        {"code": issued.code, "expires_at": issued.expires_at, "account": account},
    )
