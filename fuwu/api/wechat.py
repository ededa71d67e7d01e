"""WeChat binding codes issued by staff: for a customer who calls or walks in and wants their
WeChat bound, the agent asks for a code and reads it out; the customer sends it to the site's
official account (`fuwu.channels.wechat.binding`)."""

from __future__ import annotations

from datetime import datetime

from django.http import HttpRequest
from ninja import Field, Router, Schema, Status

from fuwu.api.common import WRITE_ERRORS, actor, found
from fuwu.customers import privacy
from fuwu.customers.models import Customer
from fuwu.procedures.engine.errors import EngineError, Forbidden

router = Router(tags=["WeChat"])


class BindingCodeOut(Schema):
    code: str = Field(description="six digits; the customer sends them to the account")
    expires_at: datetime
    account: str = Field(description="the official account's name")
    bound: bool = Field(description="the customer already has a WeChat bound")


@router.post(
    "/customers/{int:customer_id}/wechat-code",
    response={201: BindingCodeOut, **WRITE_ERRORS},
    summary="Issue a one-time WeChat binding code for a customer (agents and managers)",
)
def issue_code(request: HttpRequest, customer_id: int) -> Status[BindingCodeOut]:
    # On first use, with the channels' intake it needs (fuwu.tests.test_memory).
    from fuwu.channels.wechat import binding

    who = actor(request)
    customer = found(who.scope(Customer.objects.live()).filter(pk=customer_id).first(), "customer")
    # Who may see the customer's contact details in full may bind their WeChat.
    if not privacy.sees_full(who, customer.site_id):
        raise Forbidden("forbidden")
    account = binding.account_for(customer)
    if account is None:
        raise EngineError("no_wechat_account")
    issued = binding.issue_code(customer)
    return Status(
        201,
        BindingCodeOut(
            code=issued.code,
            expires_at=issued.expires_at,
            account=account.name,
            bound=binding.is_bound(customer),
        ),
    )
